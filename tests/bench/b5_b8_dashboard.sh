#!/usr/bin/env bash
# B5, B6 and B8 (BENCH.md): the dashboard on large caches, release build.
# usage: tests/bench/b5_b8_dashboard.sh [FINDINGS] [RUNS] [BUILD_DIR]   (default 1000000 5 build/release)
#   B5/B6: bench_dashboard on a cache of 365 daily scans plus one scan of FINDINGS findings (run RUNS times).
#   B8: `layerguard` started RUNS times on the 365-scan cache (and on the large one), offscreen, until its
#       first frame is painted and its event loop idle (bench_startup: the dashboard as `layerguard` starts it,
#       with the probe outside the product): process start to interactive.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
findings=${1:-1000000}
runs=${2:-5}
build=${3:-$here/build/release}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$work" XDG_CONFIG_HOME="$work/config" # not the user's settings
echo "== caches"
"$build/tests/bench/bench_gen_cache" "$work/year.sqlite" 365 200
"$build/tests/bench/bench_gen_cache" "$work/large.sqlite" 365 "$findings"
ls -l --block-size=M "$work/year.sqlite" "$work/large.sqlite" | awk '{print $5, $9}'
echo "== B5, B6: $runs runs"
for i in $(seq "$runs"); do
    echo "-- run $i"
    /usr/bin/time -f "peak RSS %M KB" "$build/tests/bench/bench_dashboard" "$work/large.sqlite" 2>&1 \
        | grep -v -e propagateSizeHints -e XDG_RUNTIME_DIR
done
echo "== B8: process start to an interactive window, $runs runs each"
for cache in year large; do
    for i in $(seq "$runs"); do
        out=$(LAYERGUARD_DB="$work/$cache.sqlite" /usr/bin/time -f "%e s %M KB" \
            "$build/tests/bench/bench_startup" 2>&1 | grep -v -e propagateSizeHints -e XDG_RUNTIME_DIR | tr '\n' ' ')
        echo "$cache cache: $out"
    done
done
