#!/usr/bin/env bash
# The alert rules of Deploy/prometheus/alerts.yaml, checked:
#   1. `promtool check rules`: the file is valid and every expression parses;
#   2. `promtool test rules Deploy/prometheus/alerts.test.yaml`: the unit-tested alerts fire
#      when, and only when, they should, with their labels and annotations;
#   3. every `exchange_*` series an expression names is in docs/metrics.md (a histogram's
#      `_bucket`, `_sum` and `_count` by its name), so renaming a metric breaks this check
#      until the rules follow.
# Series another part of the exchange is adding (listed in `expected_elsewhere` below) pass while
# docs/metrics.md lacks them, with a notice. Each expression must be on its `expr:` line.
# promtool comes with Debian's prometheus package (Deploy/dev/install-dependencies.sh).
# Prints what is wrong and exits 1. Run by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

rules=Deploy/prometheus/alerts.yaml
tests=Deploy/prometheus/alerts.test.yaml
table=docs/metrics.md
expected_elsewhere="exchange_agreement_days_to_expiry"

if ! command -v promtool >/dev/null 2>&1; then
    echo "alerts.sh: promtool not found; run Deploy/dev/install-dependencies.sh" >&2
    exit 1
fi
promtool check rules "$rules"
promtool test rules "$tests"

failed=0
expressions=$(grep -E '^[[:space:]]*(- )?expr:' "$rules" | sed -E 's/^[[:space:]]*(- )?expr:[[:space:]]*//')
if [ -z "$expressions" ]; then
    echo "alerts.sh: no expressions in $rules" >&2
    exit 1
fi
while IFS= read -r expression; do
    case "$expression" in
        ""|"|"*|">"*) echo "alerts.sh: write each expression on its expr: line in $rules" >&2; failed=1 ;;
    esac
done <<< "$expressions"

documented=$(grep -oE '^\| `exchange_[a-z0-9_]+`' "$table" | tr -d '|` ' | sort -u)
for name in $(grep -oE 'exchange_[a-z0-9_]+' <<< "$expressions" | sort -u); do
    if grep -qx "$name" <<< "$documented"; then continue; fi
    base=$(sed -E 's/_(bucket|sum|count)$//' <<< "$name")
    if [ "$base" != "$name" ] && grep -qx "$base" <<< "$documented"; then continue; fi
    if grep -qw "$name" <<< "$expected_elsewhere"; then
        echo "alerts.sh: notice: $name is not in $table yet (expected from the agreement expiry metrics)" >&2
        continue
    fi
    echo "alerts.sh: $rules names $name, which $table does not list" >&2
    failed=1
done
exit "$failed"
