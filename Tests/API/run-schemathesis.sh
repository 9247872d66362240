#!/usr/bin/env bash
# API-level checks of exchanged against docs/openapi.yaml:
#   1. openapi-spec-validator: the document is valid OpenAPI;
#   2. schemathesis against a live daemon on 127.0.0.1, once per role: a department (client
#      certificate), the portal, an auditor and an admin (bearer tokens), and anonymous.
# Fails when the document is invalid, a check fails (a 5xx at least), or the daemon dies or stops
# answering /healthz. A daemon that died is started again on the same store for the next role,
# so one run shows every role's findings.
#
# Usage: Tests/API/run-schemathesis.sh [BIN_DIR]
#   BIN_DIR                   where exchanged and exchangectl are (default $EXCHANGE_BIN_DIR, else
#                             .build/debug)
#   API_FUZZ_VENV             the Python virtual environment, created when missing
#                             (default .build/api-venv)
#   API_FUZZ_ROLES            roles to run (default "department portal auditor admin anonymous")
#   API_FUZZ_SECONDS          time budget of one role's run (default 30)
#   API_FUZZ_MAX_EXAMPLES     test cases per operation and phase (default 25)
#   API_FUZZ_CHECKS           schemathesis checks (default: no 5xx, and status codes, content types,
#                             headers and bodies as documented, 405 for undeclared methods; "all"
#                             adds the stricter ones)
#   API_FUZZ_SEED             schemathesis seed (default random; printed by schemathesis)
#   API_FUZZ_ARGS             more schemathesis arguments, e.g. "--exclude-operation-id nak"
#   API_FUZZ_KEEP=1           keep the work directory (configuration, PKI, logs) even on success
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN_DIR=${1:-${EXCHANGE_BIN_DIR:-$ROOT/.build/debug}}
BIN_DIR=$(cd "$BIN_DIR" && pwd)
VENV=${API_FUZZ_VENV:-$ROOT/.build/api-venv}
ROLES=${API_FUZZ_ROLES:-department portal auditor admin anonymous}
SECONDS_PER_ROLE=${API_FUZZ_SECONDS:-30}
MAX_EXAMPLES=${API_FUZZ_MAX_EXAMPLES:-25}
CHECKS=${API_FUZZ_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,unsupported_method}
REQUIREMENTS=$ROOT/Tests/API/requirements.txt
SPEC=$ROOT/docs/openapi.yaml

for tool in exchanged exchangectl; do
    [[ -x $BIN_DIR/$tool ]] || { echo "error: $BIN_DIR/$tool is missing; build first (swift build)" >&2; exit 2; }
done

started=$(date +%s)
failures=()

# --- Python environment -----------------------------------------------------------------------
if [[ ! -x $VENV/bin/python ]] || ! cmp -s "$REQUIREMENTS" "$VENV/requirements.txt"; then
    echo "== creating $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    cp "$REQUIREMENTS" "$VENV/requirements.txt"
fi

# --- 1. The document --------------------------------------------------------------------------
echo "== openapi-spec-validator docs/openapi.yaml"
if ! "$VENV/bin/openapi-spec-validator" --validation-errors all "$SPEC"; then
    failures+=("docs/openapi.yaml is not valid OpenAPI")
fi

# --- 2. A daemon with a configuration of its own ----------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/exchange-api-fuzz.XXXXXX")
# shellcheck source=Tests/lib/test-daemon.sh
source "$ROOT/Tests/lib/test-daemon.sh"

seeding=0
cleanup() {
    local status=$?
    if [[ $seeding == 1 ]]; then
        echo "error: seeding failed:" >&2
        cat "$WORK/seed.log" >&2
    fi
    test_daemon_stop
    if [[ $status -eq 0 && ${API_FUZZ_KEEP:-0} != 1 ]]; then
        rm -rf "$WORK"
    else
        echo "work directory kept: $WORK" >&2
    fi
}
trap cleanup EXIT

test_daemon_configure </dev/null

PORTAL_TOKEN=$(test_daemon_token portal service-portal)
AUDITOR_TOKEN=$(test_daemon_token auditor auditor-1)
ADMIN_TOKEN=$(test_daemon_token admin admin-1)

# Client options of a department's certificate; requests of the seed only.
department() { echo "--cacert $PKI/ca.crt --cert $PKI/clients/$1.crt --key $PKI/clients/$1.key"; }
call() { # department method path [curl arguments...]; fails on any status but 2xx
    local who=$1 method=$2 path=$3
    shift 3
    # shellcheck disable=SC2046
    curl -sS --fail-with-body --max-time 10 $(department "$who") -X "$method" "$@" "$BASE_URL$path"
    echo
}

test_daemon_start

# --- 3. Seed: events in every agreement, registry entries, a pending delivery, a dead letter ---
seed() {
    # The event as jq writes it, compact: the batch below repeats it byte for byte (a repeat with
    # other bytes, whitespace included, is refused as publish.id_conflict).
    jq -c . "$WORK/config/events/licence-issued.json" >"$WORK/first.json"
    call market-regulation POST /v1/topics/licence.business.issued/events \
        -H 'content-type: application/cloudevents+json' --data-binary @"$WORK/first.json"
    jq -c '[., (.id = "msa-2026-88018" | .subject = "91330100MA2KX0002X" | .data.licence_no = "91330100MA2KX0002X"
               | .data.holder.credit_code = "91330100MA2KX0002X" | .data.valid_until = "2026-01-31")]' \
        "$WORK/config/events/licence-issued.json" >"$WORK/batch.json"
    call market-regulation POST /v1/topics/licence.business.issued/events \
        -H 'content-type: application/cloudevents-batch+json' --data-binary @"$WORK/batch.json"
    call market-regulation POST /v1/topics/licence.business.amended/events \
        -H 'ce-specversion: 1.0' -H 'ce-id: msa-2026-88019' -H 'ce-type: licence.amended' \
        -H 'ce-subject: 91330100MA2KX0001X' -H 'content-type: application/json' \
        --data-binary "$(jq -c '.data | .scope = ["food retail"]' "$WORK/config/events/licence-issued.json")"
    call public-security POST /v1/topics/case.outcome.closed/events \
        -H 'content-type: application/cloudevents+json' --data-binary @"$WORK/config/events/case-closed.json"
    for id in 1 2 3; do
        jq -c ".id = \"nhc-2026-00012$id\"" "$WORK/config/events/food-inspection.json" >"$WORK/inspection.json"
        call health-commission POST /v1/topics/inspection.food.completed/events \
            -H 'content-type: application/cloudevents+json' --data-binary @"$WORK/inspection.json"
    done
    call market-regulation PUT /v1/subscriptions/food-inspections \
        -H 'content-type: application/json' -d '{"filter": "inspection.food.>", "start": "all"}'
    call market-regulation GET '/v1/subscriptions/food-inspections/events?max=1'
    call market-regulation PUT /v1/subscriptions/food-dead-letters \
        -H 'content-type: application/json' -d '{"filter": "inspection.food.completed", "start": "all"}'
    sequence=$(call market-regulation GET '/v1/subscriptions/food-dead-letters/events?max=1' | jq -r '.[0].sequence')
    call market-regulation POST /v1/subscriptions/food-dead-letters/term \
        -H 'content-type: application/json' -d "{\"sequences\": [$sequence]}"
    call tax-bureau PUT /v1/subscriptions/tax-licences \
        -H 'content-type: application/json' -d '{"filter": "licence.business.>", "start": "all"}'
}
echo "== seeding"
seeding=1
seed >"$WORK/seed.log" 2>&1
seeding=0

# --- 4. Schemathesis, role by role -------------------------------------------------------------
alive() {
    kill -0 "$DAEMON_PID" 2>/dev/null &&
        curl -sS --fail --max-time 5 --cacert "$PKI/ca.crt" "$BASE_URL/healthz" >/dev/null 2>&1
}

for role in $ROLES; do
    auth=()
    case $role in
        department) auth=(--request-cert "$PKI/clients/market-regulation.crt" --request-cert-key "$PKI/clients/market-regulation.key") ;;
        portal) auth=(-H "Authorization: Bearer $PORTAL_TOKEN") ;;
        auditor) auth=(-H "Authorization: Bearer $AUDITOR_TOKEN") ;;
        admin) auth=(-H "Authorization: Bearer $ADMIN_TOKEN") ;;
        anonymous) ;;
        *) echo "error: unknown role $role" >&2; exit 2 ;;
    esac
    echo "== schemathesis as $role ($SECONDS_PER_ROLE s at most)"
    role_started=$(date +%s)
    # One worker: hypothesis describing its filters from several threads at once trips a CPython
    # 3.11 parser error ("AST constructor recursion depth mismatch").
    # shellcheck disable=SC2086
    if ! "$VENV/bin/schemathesis" --config-file "$ROOT/Tests/API/schemathesis.toml" run "$SPEC" \
        --url "$BASE_URL" --tls-verify "$PKI/ca.crt" "${auth[@]}" \
        --checks "$CHECKS" --max-examples "$MAX_EXAMPLES" --max-time "$SECONDS_PER_ROLE" \
        --request-timeout 10 --workers 1 --no-color \
        ${API_FUZZ_SEED:+--seed "$API_FUZZ_SEED"} ${API_FUZZ_ARGS:-} </dev/null | tee "$WORK/$role.log"; then
        failures+=("schemathesis as $role found failures")
    elif ! grep -Eq '^ +[0-9]+ generated, [0-9]+ passed' "$WORK/$role.log"; then
        # schemathesis exits 0 on an empty test suite (e.g. a time budget spent before any test).
        failures+=("schemathesis as $role ran no test")
    fi
    echo "== $role: $(($(date +%s) - role_started)) s"
    if ! alive; then
        if kill -0 "$DAEMON_PID" 2>/dev/null; then
            failures+=("the daemon stopped answering /healthz during the $role run")
        else
            wait "$DAEMON_PID" 2>/dev/null && status=0 || status=$?
            failures+=("the daemon died (exit status $status) during the $role run")
            DAEMON_PID=
        fi
        echo "== the daemon is not serving after the $role run; the end of its log:"
        tail -n 15 "$(test_daemon_log)"
        test_daemon_stop
        test_daemon_start
    fi
done

test_daemon_stop
echo "== done in $(($(date +%s) - started)) s"
if ((${#failures[@]} > 0)); then
    printf 'FAILED: %s\n' "${failures[@]}"
    exit 1
fi
echo "API checks passed: openapi-spec-validator and schemathesis as: $ROLES"
