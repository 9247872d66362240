# Shared by the scripts that test a live daemon (Tests/API, Tests/Console): a work directory with
# the example configuration, a development PKI and tokens of its own, and exchanged started on
# 127.0.0.1 (a port the system picks) and stopped by its PID. Source it after setting:
#   ROOT     the repository
#   BIN_DIR  where exchanged and exchangectl are
#   WORK     an empty work directory
# It defines DAEMON_PID, BASE_URL and PKI, and the functions below.

DAEMON_PID=
BASE_URL=
PKI=$WORK/config/pki
daemon_runs=0

# Writes $WORK/config: the example departments, topics, agreements and events, an exchange.yaml
# for a test (a small map, checkpoints every 5 entries or each second) with the YAML given on
# standard input appended, and a development PKI.
test_daemon_configure() {
    mkdir -p "$WORK/config"
    cp -R "$ROOT/Config/departments.yaml" "$ROOT/Config/topics.yaml" "$ROOT/Config/agreements" "$ROOT/Config/events" "$WORK/config/"
    {
        cat <<'YAML'
store:
  directory: data
  initial_map_size: 16MiB
server:
  host: 127.0.0.1
  port: 0
  tls:
    certificate: pki/server.crt
    private_key: pki/server.key
    client_ca: pki/ca.crt
  tokens_file: tokens.json
audit:
  origin: exchange.test/audit
  signing_key: pki/audit.key
  checkpoint_every_entries: 5
  checkpoint_interval: 1s
log:
  level: info
YAML
        cat
    } >"$WORK/config/exchange.yaml"
    "$BIN_DIR/exchangectl" pki init --config-dir "$WORK/config" >"$WORK/pki-init.log"
}

# Prints the secret of a new token: test_daemon_token ROLE NAME
test_daemon_token() {
    "$BIN_DIR/exchangectl" token create --role "$1" --name "$2" --tokens "$WORK/config/tokens.json" |
        sed -n 's/^secret (shown once, not stored): //p'
}

# Starts exchanged on the work configuration and waits (60 s at most) for its ready line; sets
# DAEMON_PID and BASE_URL. Each start logs to its own file, $WORK/daemon-N.log. Exits the script
# with the log's tail when the daemon does not become ready.
test_daemon_start() {
    daemon_runs=$((daemon_runs + 1))
    local log=$WORK/daemon-$daemon_runs.log
    "$BIN_DIR/exchanged" --config "$WORK/config/exchange.yaml" >"$log" 2>&1 &
    DAEMON_PID=$!
    local port=
    # The ready line names the listener, e.g. address=[IPv4]127.0.0.1/127.0.0.1:40123.
    for _ in $(seq 1 600); do
        port=$(grep -m1 'exchange ready' "$log" | grep -o 'address=[^ ]*' | grep -o '[0-9]*$' || true)
        [[ -n $port ]] && break
        kill -0 "$DAEMON_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z $port ]]; then
        echo "error: the daemon did not become ready; its log:" >&2
        tail -n 30 "$log" >&2
        exit 1
    fi
    BASE_URL=https://127.0.0.1:$port
    echo "== exchanged pid $DAEMON_PID on $BASE_URL (log $log)"
}

# The log file of the latest start.
test_daemon_log() { echo "$WORK/daemon-$daemon_runs.log"; }

# Stops the daemon this script started (SIGTERM, then SIGKILL after 10 s) and reaps it.
test_daemon_stop() {
    [[ -n $DAEMON_PID ]] || return 0
    if kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -TERM "$DAEMON_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$DAEMON_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$DAEMON_PID" 2>/dev/null; then
            echo "the daemon did not stop within 10 s of SIGTERM; killing it" >&2
            kill -KILL "$DAEMON_PID" 2>/dev/null || true
        fi
    fi
    wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=
}
