#!/usr/bin/env bash
# Builds exchanged and exchange-bench in release and runs the soak: by default 30 minutes at
# 5,000 events/s with 1,000 subscriptions (10% never acknowledge, 10% read slowly) and a
# replay every 5 minutes, against a daemon the benchmark starts on 127.0.0.1, and writes its
# JSON object (per-minute figures and a summary) to .build/. Later options win.
#
#   Deploy/dev/soak.sh                      30 minutes, JSON to .build/soak-<time>.json
#   Deploy/dev/soak.sh --minutes 2          any exchange-bench soak option is passed on
#   SOAK_BUILD=0 Deploy/dev/soak.sh ...     skip the build
set -euo pipefail

cd "$(dirname "$0")/../.."
Deploy/dev/install-dependencies.sh
if [ "${SOAK_BUILD:-1}" != 0 ]; then
    # Given two --product options SwiftPM builds only the last one: one build each.
    swift build -c release --product exchanged
    swift build -c release --product exchange-bench
fi
out=".build/soak-$(date -u +%Y%m%dT%H%M%SZ).json"
echo "soak: writing $out" >&2
.build/release/exchange-bench soak --minutes 30 --rate 5000 --subscriptions 1000 "$@" --json >"$out"
echo "soak: done, $out" >&2
