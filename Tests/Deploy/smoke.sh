#!/usr/bin/env bash
# Deployment smoke test: installs the exchange with Deploy/install.sh under a temporary root in
# the shipped layout (etc/exchange, var/lib/exchange, keys 0600 owned by the service user), runs
# the built daemon as that unprivileged user (setpriv), publishes one event over mTLS as one
# department and reads it back as another, checks that a token root adds afterwards still
# reaches the daemon, then stops the daemon by its PID (SIGTERM, graceful).
# Needs root (it creates the service user and gives it its keys); exits 77 (skipped) otherwise.
# Usage: Tests/Deploy/smoke.sh BIN_DIR [SERVICE_USER]
#   DEPLOY_SMOKE_KEEP=1 keeps the temporary root.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN_DIR=$(cd "${1:?BIN_DIR}" && pwd)
SERVICE_USER=${2:-exchange}

if [[ $(id -u) -ne 0 ]]; then
    echo "skipped: the deployment smoke test needs root (it creates the user $SERVICE_USER and gives it its keys); run it as root, as CI does"
    exit 77
fi
command -v setpriv >/dev/null || { echo "error: setpriv is missing (apt-get install util-linux)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/exchange-deploy.XXXXXX")
chmod 0755 "$WORK" # the service user must reach etc/ and var/ below it, as it reaches / and /etc
PID=
cleanup() {
    if [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID" 2>/dev/null || true; fi
    if [[ ${DEPLOY_SMOKE_KEEP:-0} == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() {
    echo "error: deploy smoke: $*" >&2
    [[ -f $WORK/daemon.log ]] && { echo "--- daemon log:" >&2; tail -n 40 "$WORK/daemon.log" >&2; }
    exit 1
}
expect_owner() { # PATH OWNER:GROUP MODE
    local actual
    actual=$(stat -c '%U:%G %a' "$1")
    [[ $actual == "$2 $3" ]] || fail "$1 is $actual, expected $2 $3"
}

echo "== install under $WORK"
"$ROOT/Deploy/install.sh" --root "$WORK" --bin "$BIN_DIR" --user "$SERVICE_USER" \
    --department market-regulation --department tax-bureau >"$WORK/install.log" 2>&1 \
    || { cat "$WORK/install.log" >&2; fail "Deploy/install.sh failed"; }
ETC=$WORK/etc/exchange
STATE=$WORK/var/lib/exchange
GROUP=$(id -gn "$SERVICE_USER")

# The layout and its owners.
expect_owner "$ETC" root:root 755
expect_owner "$ETC/exchange.yaml" root:root 644
expect_owner "$ETC/pki" "root:$GROUP" 750
expect_owner "$ETC/pki/server.key" "$SERVICE_USER:$GROUP" 600
expect_owner "$ETC/pki/audit.key" "$SERVICE_USER:$GROUP" 600
expect_owner "$ETC/pki/server.crt" root:root 644
expect_owner "$ETC/pki/ca.key" root:root 600
expect_owner "$ETC/tokens.json" "$SERVICE_USER:$GROUP" 600
expect_owner "$STATE" "$SERVICE_USER:$GROUP" 700
for file in departments.yaml topics.yaml agreements/msa-business-licences.yaml; do
    [[ -f $ETC/$file ]] || fail "$ETC/$file was not installed"
done
grep -q "directory: $STATE\$" "$ETC/exchange.yaml" || fail "the installed exchange.yaml does not name $STATE"
grep -q "private_key: $ETC/pki/server.key\$" "$ETC/exchange.yaml" || fail "the installed exchange.yaml does not name $ETC/pki/server.key"
as_service() { setpriv --reuid "$SERVICE_USER" --regid "$GROUP" --init-groups -- "$@"; }
# The daemon's user reads its keys, not the CA's key.
as_service cat "$ETC/pki/server.key" >/dev/null || fail "$SERVICE_USER cannot read its server key"
if as_service cat "$ETC/pki/ca.key" >/dev/null 2>&1; then fail "$SERVICE_USER can read the CA key"; fi

# Loopback and a port of the system's choosing: other runs may be listening.
sed -i -e 's/^  host: 0.0.0.0$/  host: 127.0.0.1/' -e 's/^  port: 8443$/  port: 0/' "$ETC/exchange.yaml"
grep -q '^  port: 0$' "$ETC/exchange.yaml" || fail "could not set port 0 in $ETC/exchange.yaml"

echo "== exchanged as $SERVICE_USER"
# setpriv execs the daemon, so $! is the daemon's PID.
setpriv --reuid "$SERVICE_USER" --regid "$GROUP" --init-groups -- \
    "$WORK/usr/local/bin/exchanged" --config "$ETC/exchange.yaml" >"$WORK/daemon.log" 2>&1 &
PID=$!
port=
for _ in $(seq 1 120); do
    port=$(grep -m1 'exchange ready' "$WORK/daemon.log" | grep -o 'address=[^ ]*' | grep -o '[0-9]*$' || true)
    [[ -n $port ]] && break
    kill -0 "$PID" 2>/dev/null || fail "the daemon exited"
    sleep 0.5
done
[[ -n $port ]] || fail "the daemon did not become ready in 60 s"
[[ $(ps -o user= -p "$PID") == "$SERVICE_USER" ]] || fail "the daemon does not run as $SERVICE_USER"
URL=https://127.0.0.1:$port
CTL=("$WORK/usr/local/bin/exchangectl")

echo "== publish over mTLS as market-regulation, replay as tax-bureau"
published=$("${CTL[@]}" publish --url "$URL" --pki "$ETC/pki" --department market-regulation \
    --topic licence.business.issued "$ROOT/Config/events/licence-issued.json" 2>&1) || fail "publish failed: $published"
[[ $published == *"msa-2026-88017: stored as sequence 1"* ]] || fail "publish answered: $published"
replayed=$("${CTL[@]}" replay --url "$URL" --pki "$ETC/pki" --department tax-bureau --topic 'licence.business.>' 2>&1) \
    || fail "replay failed: $replayed"
[[ $replayed == *'"id":"msa-2026-88017"'* ]] || fail "replay did not return the event: $replayed"
owner=$(stat -c '%U' "$STATE/data.mdb") || fail "no store in $STATE"
[[ $owner == "$SERVICE_USER" ]] || fail "$STATE/data.mdb belongs to $owner"

echo "== a token root adds afterwards reaches the daemon"
created=$("${CTL[@]}" token create --role auditor --name smoke-auditor --tokens "$ETC/tokens.json")
secret=$(sed -n 's/^secret (shown once, not stored): //p' <<<"$created")
[[ -n $secret ]] || fail "token create printed no secret: $created"
expect_owner "$ETC/tokens.json" "$SERVICE_USER:$GROUP" 600
audited=
for _ in $(seq 1 20); do
    if audited=$("${CTL[@]}" replay --url "$URL" --ca "$ETC/pki/ca.crt" --token "$secret" 2>&1) \
        && [[ $audited == *'"id":"msa-2026-88017"'* ]]; then
        break
    fi
    audited=
    sleep 0.5
done
[[ -n $audited ]] || fail "the auditor token created after the start was not accepted within 10 s"

echo "== stop by PID"
kill -TERM "$PID"
for _ in $(seq 1 60); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.5
done
if kill -0 "$PID" 2>/dev/null; then fail "the daemon did not stop within 30 s of SIGTERM"; fi
wait "$PID" || fail "the daemon exited with status $?"
PID=
grep -q '\[exchanged\] stopped$' "$WORK/daemon.log" || fail "the daemon did not log its graceful stop"
echo "deploy smoke: installed, ran as $SERVICE_USER, published and replayed over mTLS, stopped"
