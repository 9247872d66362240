#!/usr/bin/env bash
# The deployment recipes in Deploy/, checked as shipped (run by `make test`):
#   1. the container build context: .containerignore and .dockerignore leave out every key,
#      certificate, token and store (check-ignore-files.py, with docker-py's .dockerignore rules);
#   2. the Kubernetes manifests: kubernetes-validate --strict, then check-kubernetes.py (the
#      layout the daemon reads, agreements through `items`, pinned image, probes);
#   3. the systemd unit: systemd-analyze verify (check-systemd.sh);
#   4. the deployment smoke test: install.sh under a temporary root, the daemon as its own user,
#      one event over mTLS (smoke.sh; skipped when not root).
# Ends with one line "N passed, N failed, N skipped"; exits 1 when any failed.
#
# Usage: Tests/Deploy/run.sh [BIN_DIR]
#   BIN_DIR      where exchanged and exchangectl are (default $EXCHANGE_BIN_DIR, else .build/debug)
#   API_FUZZ_VENV  the Python virtual environment, shared with Tests/API (default .build/api-venv),
#                created from Tests/API/requirements.txt when missing or out of date
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN_DIR=${1:-${EXCHANGE_BIN_DIR:-$ROOT/.build/debug}}
VENV=${API_FUZZ_VENV:-$ROOT/.build/api-venv}
REQUIREMENTS=$ROOT/Tests/API/requirements.txt
HERE=$ROOT/Tests/Deploy

for tool in exchanged exchangectl; do
    [[ -x $BIN_DIR/$tool ]] || { echo "error: $BIN_DIR/$tool is missing; build first (swift build)" >&2; exit 2; }
done
if [[ ! -x $VENV/bin/python ]] || ! cmp -s "$REQUIREMENTS" "$VENV/requirements.txt"; then
    echo "== creating $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV" \
        && "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS" \
        && cp "$REQUIREMENTS" "$VENV/requirements.txt" \
        || { echo "error: cannot create $VENV" >&2; exit 2; }
fi

passed=0
failed=0
skipped=0
failures=()
check() { # NAME COMMAND...
    local name=$1 status=0
    shift
    echo "== $name"
    "$@" || status=$?
    case $status in
        0) passed=$((passed + 1)) ;;
        77) skipped=$((skipped + 1)) ;;
        *) failed=$((failed + 1)); failures+=("$name") ;;
    esac
}

check "container ignore files" "$VENV/bin/python" "$HERE/check-ignore-files.py"
check "kubernetes-validate --strict" "$VENV/bin/kubernetes-validate" --strict --quiet "$ROOT"/Deploy/kubernetes/*.yaml
check "kubernetes layout" "$VENV/bin/python" "$HERE/check-kubernetes.py"
check "systemd-analyze verify" "$HERE/check-systemd.sh" "$BIN_DIR"
check "deployment smoke test" "$HERE/smoke.sh" "$BIN_DIR"

for name in "${failures[@]}"; do echo "failed: $name" >&2; done
echo "deploy: $passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
