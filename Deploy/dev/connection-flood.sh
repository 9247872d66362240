#!/usr/bin/env bash
# Holds more anonymous TCP connections open than the daemon has file descriptors, then times an
# authenticated department publish (client certificate) and /healthz. Exits non-zero when either
# takes more than 1 s (or fails).
#
# By default it starts the built daemon itself under `ulimit -n 1024`, in a temporary directory
# with a configuration and a test PKI made with the openssl CLI, and stops it afterwards:
#
#   Deploy/dev/connection-flood.sh [--binary .build/debug/exchanged] [--connections 1100] [--nofile 1024]
#
# Against a running daemon, give its URL, its CA, and a department's certificate and key (the
# department must own the topic given with --topic):
#
#   Deploy/dev/connection-flood.sh --url https://127.0.0.1:8443 --ca ca.crt --cert msa.crt --key msa.key \
#       [--topic licence.business.issued]
set -euo pipefail

binary=.build/debug/exchanged
connections=1100
nofile=1024
url=""
ca=""
cert=""
key=""
topic=licence.business.issued
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --nofile) nofile=$2; shift 2 ;;
        --url) url=$2; shift 2 ;;
        --ca) ca=$2; shift 2 ;;
        --cert) cert=$2; shift 2 ;;
        --key) key=$2; shift 2 ;;
        --topic) topic=$2; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

daemon_pid=""
work=""
cleanup() {
    if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
        kill -TERM "$daemon_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$daemon_pid" 2>/dev/null || true
    fi
    if [ -n "$work" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

if [ -z "$url" ]; then
    [ -x "$binary" ] || { echo "no daemon at $binary; build it with: swift build" >&2; exit 2; }
    work=$(mktemp -d "${TMPDIR:-/tmp}/exchange-flood.XXXXXX")
    mkdir -p "$work/agreements" "$work/data"
    (
        cd "$work"
        ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
        openssl req -x509 $ec -keyout ca.key -out ca.crt -days 1 -subj "/CN=Flood Test CA" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
        openssl req $ec -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
        printf 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -out server.crt -extfile server.ext 2>/dev/null
        openssl req $ec -keyout msa.key -out msa.csr -subj "/CN=msa.test" 2>/dev/null
        printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' > client.ext
        openssl x509 -req -in msa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -out msa.crt -extfile client.ext 2>/dev/null
    )
    cat > "$work/departments.yaml" <<'EOF'
departments:
  - id: msa
    name: Market supervision
    certificate:
      subject_cn: msa.test
  - id: tax
    name: Tax
    certificate:
      subject_cn: tax.test
EOF
    cat > "$work/topics.yaml" <<'EOF'
topics:
  - name: licence.business.issued
    owner: msa
    key: /licence_no
EOF
    cat > "$work/agreements/msa-tax.yaml" <<'EOF'
id: msa-tax
version: 1
title: Business licences for tax registration
provider: msa
consumers: [tax]
topics: [licence.business.>]
purpose: flood test
legal_basis: test
valid_from: 2020-01-01
status: active
EOF
    cat > "$work/exchange.yaml" <<'EOF'
store:
  directory: data
  initial_map_size: 64MiB
server:
  host: 127.0.0.1
  port: 0
  tls:
    certificate: server.crt
    private_key: server.key
    client_ca: ca.crt
log:
  level: info
EOF
    (ulimit -n "$nofile" && exec "$binary" --config "$work/exchange.yaml") 2> "$work/daemon.log" &
    daemon_pid=$!
    for _ in $(seq 1 300); do
        grep -q "exchange ready" "$work/daemon.log" 2>/dev/null && break
        kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/daemon.log" >&2; echo "the daemon exited" >&2; exit 1; }
        sleep 0.1
    done
    port=$(grep -o 'address=[^ ]*' "$work/daemon.log" | head -1 | sed 's/.*://')
    [ -n "$port" ] || { cat "$work/daemon.log" >&2; echo "the daemon did not become ready" >&2; exit 1; }
    url="https://127.0.0.1:$port"
    ca="$work/ca.crt"; cert="$work/msa.crt"; key="$work/msa.key"
    echo "daemon pid $daemon_pid under ulimit -n $nofile at $url"
    grep 'connection limit' "$work/daemon.log" | head -1 || true
fi

python3 - "$url" "$ca" "$cert" "$key" "$topic" "$connections" <<'EOF'
import http.client, json, socket, ssl, sys, time, urllib.parse

url, ca, cert, key, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
target = urllib.parse.urlsplit(url)
host, port = target.hostname, target.port or 443

held = []
started = time.monotonic()
for _ in range(count):
    try:
        held.append(socket.create_connection((host, port), timeout=5))
    except OSError as error:
        print(f"connect failed after {len(held)} connections: {error}")
        break
print(f"opened {len(held)} anonymous TCP connections in {time.monotonic() - started:.2f} s, holding them open")

def context(with_certificate):
    tls = ssl.create_default_context(cafile=ca)
    tls.check_hostname = False
    if with_certificate:
        tls.load_cert_chain(cert, key)
    return tls

def timed(method, path, body=None, headers=None, with_certificate=False):
    started = time.monotonic()
    try:
        connection = http.client.HTTPSConnection(host, port, context=context(with_certificate), timeout=30)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        answer = response.read()
        connection.close()
        return response.status, time.monotonic() - started, answer
    except Exception as error:
        return None, time.monotonic() - started, str(error).encode()

event = {"specversion": "1.0", "id": f"flood-{time.time_ns()}", "type": "licence.issued", "data": {"licence_no": "FLOOD-1"}}
publish = timed("POST", f"/v1/topics/{topic}/events", json.dumps(event).encode(),
                {"Content-Type": "application/cloudevents+json"}, with_certificate=True)
health = timed("GET", "/healthz")

def still_open(sock):
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False

open_now = sum(1 for sock in held if still_open(sock))
print(f"publish (client certificate): status {publish[0]} in {publish[1]:.3f} s")
print(f"/healthz:                     status {health[0]} in {health[1]:.3f} s")
print(f"flood connections still open: {open_now} of {len(held)}")
status, _, metrics = timed("GET", "/metrics")
if status == 200:
    for line in metrics.decode().splitlines():
        if line.startswith(("exchange_connections_open", "exchange_connections_shed_total", "exchange_connection_timeouts_total")):
            print("  " + line)
for sock in held:
    sock.close()
failed = []
if publish[0] is None or publish[0] >= 300 or publish[1] > 1:
    failed.append(f"publish: {publish[0]} in {publish[1]:.3f} s {publish[2][:200]!r}")
if health[0] != 200 or health[1] > 1:
    failed.append(f"/healthz: {health[0]} in {health[1]:.3f} s {health[2][:200]!r}")
if failed:
    print("FAIL: " + "; ".join(failed))
    sys.exit(1)
print("PASS: both answered within 1 s")
EOF
