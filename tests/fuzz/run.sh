#!/usr/bin/env bash
# Builds the libFuzzer targets (preset "fuzz": clang 14, AddressSanitizer + UndefinedBehaviorSanitizer) and
# runs each for SECONDS (default 30), from its seeds, the project's own inputs and the kept regressions.
# A crash, leak, timeout or sanitizer report fails the run and leaves the input under build/fuzz/artifacts;
# fix the bug and keep the input in tests/fuzz/regressions/<target>/.
# usage: tests/fuzz/run.sh [SECONDS]
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
secs=${1:-30}
build="$here/build/fuzz"
cmake --preset fuzz -S "$here" >/dev/null
cmake --build "$build" --target fuzzers --parallel "$(nproc)"
export QT_QPA_PLATFORM=offscreen
mkdir -p "$build/artifacts"
declare -A extra=(
    [yaml]="$here/resources/demo $here/tests/data/rules"
    [reports]="$here/tests/data/importers"
    [rules]="$here/resources/rules"
    [imagefiles]="$here/tests/data/imagefiles"
)
total=0
targets=(yaml kubeconfig kube_page resource registry prometheus reports rules imagefiles)
for t in "${targets[@]}"; do
    corpus="$build/corpus/$t" # grows across runs on the same machine
    mkdir -p "$corpus"
    dirs=("$corpus" "$here/tests/fuzz/seeds/$t")
    [[ -d $here/tests/fuzz/regressions/$t ]] && dirs+=("$here/tests/fuzz/regressions/$t")
    read -r -a more <<<"${extra[$t]:-}"
    dirs+=("${more[@]}")
    log="$build/artifacts/$t.log"
    if ! "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "${dirs[@]}" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "fuzz_$t FAILED: the input is in $build/artifacts/ ($t-*); fix it and keep it in tests/fuzz/regressions/$t/" >&2
        exit 1
    fi
    runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | awk '{print $2}')
    echo "fuzz_$t: ${runs:-?} inputs in ${secs} s, ${cov:-?} coverage points, no crash"
    total=$((total + ${runs:-0}))
done
echo "fuzzing: $total inputs, ${#targets[@]} targets, no crash"
