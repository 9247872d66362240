#!/usr/bin/env bash
# Runs the exchange's libFuzzer targets (Fuzz/Sources, built by `make fuzz-build`).
#
#   Fuzz/fuzz.sh run [TARGET...]      fuzz each target for FUZZ_SECONDS (default 600)
#   Fuzz/fuzz.sh smoke [TARGET...]    replay every committed input, then fuzz each target
#                                     for FUZZ_SECONDS (default 20)
#   Fuzz/fuzz.sh replay [TARGET...]   replay every committed input only
#   Fuzz/fuzz.sh minimize TARGET FILE shrink a crashing input; writes FILE.min
#
# Committed inputs: Fuzz/Corpus/TARGET (seeds) and Fuzz/Regressions/TARGET (inputs that once
# crashed). New corpus entries go to $FUZZ_OUT/corpus/TARGET, crash files to
# $FUZZ_OUT/crashes/TARGET, logs to $FUZZ_OUT/logs/TARGET.log; FUZZ_OUT defaults to
# .build-fuzz/out (git-ignored). FUZZ_FLAGS adds libFuzzer flags (e.g. "-fork=1 -ignore_crashes=1"
# to go on past a known crash). Exits non-zero when any target crashed, naming the target and
# the crash file.
set -euo pipefail
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$script")/.."

FUZZ_BIN=${FUZZ_BIN:-.build-fuzz/release/exchange-fuzz}
FUZZ_OUT=${FUZZ_OUT:-.build-fuzz/out}
# libFuzzer, not the Swift runtime, handles a trap: it then writes the input to a crash file.
export SWIFT_BACKTRACE=enable=no

# Every target, with the longest input the fuzzer makes for it.
declare -A MAX_LEN=(
    [cloudevents]=4096 [json]=2048 [json-scanner]=2048 [rfc3339]=64 [json-schema]=1024
    [content-pattern]=2048 [json-pointer]=512 [exchange-config]=2048 [config-loader]=8192
    [signed-note]=1024 [checkpoint]=512 [control-messages]=512
)
ALL_TARGETS=(cloudevents json json-scanner rfc3339 json-schema content-pattern json-pointer
    exchange-config config-loader signed-note checkpoint control-messages)

mode=${1:-}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")

if [ ! -x "$FUZZ_BIN" ]; then
    echo "fuzz: $FUZZ_BIN is missing; run make fuzz-build" >&2
    exit 2
fi
checked=("${targets[@]}")
[ "$mode" = minimize ] && checked=("${targets[0]:-}")
for target in "${checked[@]}"; do
    [ -n "${MAX_LEN[$target]:-}" ] || { echo "fuzz: unknown target $target; one of: ${ALL_TARGETS[*]}" >&2; exit 2; }
done

# The committed input folders of a target that exist.
committed() {
    local target=$1 dir
    for dir in "Fuzz/Corpus/$target" "Fuzz/Regressions/$target"; do
        [ -d "$dir" ] && echo "$dir"
    done
    return 0
}

failures=()

# Runs every committed input of a target once.
replay() {
    local target=$1 files
    mapfile -t files < <(committed "$target" | xargs -r -I{} find {} -type f | sort)
    [ ${#files[@]} -gt 0 ] || return 0
    mkdir -p "$FUZZ_OUT/logs"
    local log="$FUZZ_OUT/logs/$target-replay.log"
    if FUZZ_TARGET=$target "$FUZZ_BIN" -timeout=10 "${files[@]}" >"$log" 2>&1; then
        echo "fuzz: $target: replayed ${#files[@]} committed inputs"
    else
        local file
        file=$(grep -o '^Running: .*' "$log" | tail -1 | cut -d' ' -f2- || true)
        echo "fuzz: $target: FAILED on committed input $file (log $log)" >&2
        grep -E 'Fatal error|ERROR: libFuzzer|SUMMARY' "$log" | head -5 >&2 || true
        failures+=("$target: $file")
    fi
}

# Fuzzes a target for FUZZ_SECONDS.
fuzz() {
    local target=$1 seconds=$2
    local corpus="$FUZZ_OUT/corpus/$target" crashes="$FUZZ_OUT/crashes/$target" log="$FUZZ_OUT/logs/$target.log"
    mkdir -p "$corpus" "$crashes" "$FUZZ_OUT/logs"
    local dict=()
    [ -f "Fuzz/Dictionaries/$target.dict" ] && dict=(-dict="Fuzz/Dictionaries/$target.dict")
    local status=0
    FUZZ_TARGET=$target "$FUZZ_BIN" -max_total_time="$seconds" -max_len="${MAX_LEN[$target]}" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" ${FUZZ_FLAGS:-} \
        -artifact_prefix="$crashes/" "$corpus" $(committed "$target") >"$log" 2>&1 || status=$?
    local runs speed
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    if [ -z "$runs" ]; then
        # Fork mode prints no final statistics: take its last progress line, "#RUNS: ... exec/s: N".
        local last
        last=$(grep -E '^#[0-9]+:? .*exec/s: [0-9]+' "$log" | tail -1 || true)
        runs=$(echo "$last" | grep -oE '^#[0-9]+' | tr -d '#' || true)
        runs=${runs:-?}
        speed=$(( ${runs/\?/0} / (seconds > 0 ? seconds : 1) ))
    fi
    if [ "$status" -eq 0 ]; then
        echo "fuzz: $target: ${seconds}s, $runs runs, $speed exec/s, corpus $(find "$corpus" -type f | wc -l) files"
    else
        local file
        file=$(grep -o "Test unit written to .*" "$log" | tail -1 | cut -d' ' -f5- || true)
        echo "fuzz: $target: CRASHED (exit $status) after $runs runs; input ${file:-not saved}; log $log" >&2
        grep -E 'Fatal error|ERROR: libFuzzer|SUMMARY' "$log" | head -5 >&2 || true
        grep -E '^ *#[0-9]+ .* in \$s' "$log" | head -8 >&2 || true
        failures+=("$target: ${file:-$log}")
    fi
}

case "$mode" in
    run)
        for target in "${targets[@]}"; do fuzz "$target" "${FUZZ_SECONDS:-600}"; done
        ;;
    smoke)
        for target in "${targets[@]}"; do replay "$target"; done
        for target in "${targets[@]}"; do fuzz "$target" "${FUZZ_SECONDS:-20}"; done
        ;;
    replay)
        for target in "${targets[@]}"; do replay "$target"; done
        ;;
    minimize)
        [ ${#targets[@]} -eq 2 ] || { echo "usage: Fuzz/fuzz.sh minimize TARGET FILE" >&2; exit 2; }
        FUZZ_TARGET=${targets[0]} "$FUZZ_BIN" -minimize_crash=1 -runs=50000 -max_total_time=60 \
            -exact_artifact_path="${targets[1]}.min" "${targets[1]}" || true
        [ -f "${targets[1]}.min" ] && echo "fuzz: minimized input in ${targets[1]}.min"
        exit 0
        ;;
    *)
        sed -n '2,/^set /p' "$script" | grep '^#' | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac

if [ ${#failures[@]} -gt 0 ]; then
    echo "fuzz: ${#failures[@]} target(s) failed:" >&2
    printf '  %s\n' "${failures[@]}" >&2
    exit 1
fi
