#!/usr/bin/env bash
# `systemd-analyze verify` on Deploy/systemd/exchanged.service. verify also checks that ExecStart's
# binary exists, so it runs on a copy whose ExecStart names the built daemon; any warning it prints
# (an unknown or misspelt directive is only a warning) fails the check. Also checks the unit keeps
# the shared layout: StateDirectory and ConfigurationDirectory `exchange`, the configuration at
# /etc/exchange/exchange.yaml, SIGHUP for reload.
# Usage: Tests/Deploy/check-systemd.sh BIN_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN_DIR=$(cd "${1:?BIN_DIR}" && pwd)
UNIT=$ROOT/Deploy/systemd/exchanged.service

command -v systemd-analyze >/dev/null || { echo "error: systemd-analyze is missing (apt-get install systemd)" >&2; exit 1; }
for line in 'StateDirectory=exchange' 'ConfigurationDirectory=exchange' 'User=exchange' \
    'ExecStart=/usr/local/bin/exchanged --config /etc/exchange/exchange.yaml' 'ExecReload=/bin/kill -HUP $MAINPID' \
    'ProtectSystem=strict' 'NoNewPrivileges=yes'; do
    grep -qxF "$line" "$UNIT" || { echo "error: $UNIT lacks the line: $line" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/exchange-unit.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
sed "s#^ExecStart=/usr/local/bin/exchanged #ExecStart=$BIN_DIR/exchanged #" "$UNIT" >"$WORK/exchanged.service"
grep -q "^ExecStart=$BIN_DIR/exchanged " "$WORK/exchanged.service"
status=0
output=$(cd "$WORK" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$WORK/exchanged.service" 2>&1) || status=$?
if [[ $status -ne 0 || -n $output ]]; then
    echo "error: systemd-analyze verify (status $status):" >&2
    echo "$output" >&2
    exit 1
fi
echo "systemd: systemd-analyze verify exchanged.service: clean"
