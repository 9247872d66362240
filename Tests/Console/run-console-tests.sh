#!/usr/bin/env bash
# Browser tests of the web console: starts exchanged on 127.0.0.1 with a configuration, PKI and
# tokens of its own, publishes events (one whose subject is `<script>alert(1)</script>`), makes
# two dead letters, then drives headless Chromium through the console with Selenium
# (Tests/Console/console_test.py). Screenshots of each view go to .build/console-screenshots/.
#
# Usage: Tests/Console/run-console-tests.sh [BIN_DIR]
#   BIN_DIR              where exchanged and exchangectl are (default $EXCHANGE_BIN_DIR, else .build/debug)
#   CONSOLE_TEST_VENV    the Python virtual environment, created when missing (default .build/console-venv)
#   CONSOLE_TEST_KEEP=1  keep the work directory (configuration, PKI, logs) even on success
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN_DIR=${1:-${EXCHANGE_BIN_DIR:-$ROOT/.build/debug}}
BIN_DIR=$(cd "$BIN_DIR" && pwd)
VENV=${CONSOLE_TEST_VENV:-$ROOT/.build/console-venv}
REQUIREMENTS=$ROOT/Tests/Console/requirements.txt
SCREENSHOTS=$ROOT/.build/console-screenshots

for tool in exchanged exchangectl; do
    [[ -x $BIN_DIR/$tool ]] || { echo "error: $BIN_DIR/$tool is missing; build first (swift build)" >&2; exit 2; }
done
for tool in chromium chromedriver; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing; run Deploy/dev/install-dependencies.sh" >&2; exit 2; }
done

if [[ ! -x $VENV/bin/python ]] || ! cmp -s "$REQUIREMENTS" "$VENV/requirements.txt"; then
    echo "== creating $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    cp "$REQUIREMENTS" "$VENV/requirements.txt"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/exchange-console-test.XXXXXX")
# shellcheck source=Tests/lib/test-daemon.sh
source "$ROOT/Tests/lib/test-daemon.sh"
cleanup() {
    local status=$?
    test_daemon_stop
    if [[ $status -eq 0 && ${CONSOLE_TEST_KEEP:-0} != 1 ]]; then
        rm -rf "$WORK"
    else
        echo "work directory kept: $WORK" >&2
    fi
}
trap cleanup EXIT

test_daemon_configure <<'YAML'
console:
  enabled: true
  session_lifetime: 10m
YAML
export CONSOLE_AUDITOR_TOKEN=$(test_daemon_token auditor auditor-1)
export CONSOLE_ADMIN_TOKEN=$(test_daemon_token admin admin-1)
export CONSOLE_PORTAL_TOKEN=$(test_daemon_token portal service-portal)

test_daemon_start
export CONSOLE_BASE_URL=$BASE_URL
export CONSOLE_PKI=$PKI
export CONSOLE_SCREENSHOTS=$SCREENSHOTS

call() { # department method path [curl arguments...]
    local who=$1 method=$2 path=$3
    shift 3
    curl -sS --fail-with-body --max-time 10 --cacert "$PKI/ca.crt" --cert "$PKI/clients/$who.crt" --key "$PKI/clients/$who.key" \
        -X "$method" "$@" "$CONSOLE_BASE_URL$path"
    echo
}
{
    call market-regulation POST /v1/topics/licence.business.issued/events \
        -H 'content-type: application/cloudevents+json' --data-binary @"$WORK/config/events/licence-issued.json"
    for id in 1 2; do
        jq -c ".id = \"nhc-console-$id\"" "$WORK/config/events/food-inspection.json" >"$WORK/inspection.json"
        call health-commission POST /v1/topics/inspection.food.completed/events \
            -H 'content-type: application/cloudevents+json' --data-binary @"$WORK/inspection.json"
    done
    jq -c '.id = "nhc-console-script" | .subject = "<script>alert(1)</script>"' "$WORK/config/events/food-inspection.json" >"$WORK/script.json"
    call health-commission POST /v1/topics/inspection.food.completed/events \
        -H 'content-type: application/cloudevents+json' --data-binary @"$WORK/script.json"
    call market-regulation PUT /v1/subscriptions/food-dead-letters \
        -H 'content-type: application/json' -d '{"filter": "inspection.food.completed", "start": "all"}'
    sequence=$(call market-regulation GET '/v1/subscriptions/food-dead-letters/events?max=1' | jq -r '.[0].sequence')
    call market-regulation POST /v1/subscriptions/food-dead-letters/term \
        -H 'content-type: application/json' -d "{\"sequences\": [$sequence]}"
    call market-regulation PUT /v1/subscriptions/food-discard \
        -H 'content-type: application/json' -d '{"filter": "inspection.food.completed", "start": "all"}'
    sequence=$(call market-regulation GET '/v1/subscriptions/food-discard/events?max=1' | jq -r '.[0].sequence')
    call market-regulation POST /v1/subscriptions/food-discard/term \
        -H 'content-type: application/json' -d "{\"sequences\": [$sequence]}"
    call tax-bureau PUT /v1/subscriptions/tax-licences \
        -H 'content-type: application/json' -d '{"filter": "licence.business.>", "start": "all"}'
    # Delivered, not acknowledged: the event's page shows it awaiting its acknowledgement.
    call tax-bureau GET '/v1/subscriptions/tax-licences/events?max=10'
} >"$WORK/seed.log" 2>&1 || { echo "error: seeding failed:" >&2; cat "$WORK/seed.log" >&2; exit 1; }

rm -rf "$SCREENSHOTS"
mkdir -p "$SCREENSHOTS"
"$VENV/bin/python" "$ROOT/Tests/Console/console_test.py"
kill -0 "$DAEMON_PID" 2>/dev/null || { echo "error: the daemon died during the tests; its log:" >&2; tail -n 30 "$(test_daemon_log)" >&2; exit 1; }
echo "console browser tests passed; screenshots in $SCREENSHOTS"
