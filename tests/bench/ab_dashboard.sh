#!/usr/bin/env bash
# Two builds taking turns on the cache and the window, for a change that must not move the figures (a refactor):
# B4 (one scan of FINDINGS findings written into a cache holding a year of daily scans), B5 (the dashboard on that
# cache: first paint, filters, scrolling) and B8 (process start to an interactive window, on a year of small scans
# and on the large cache). Each build writes and reads its own caches.
# usage: tests/bench/ab_dashboard.sh OLD_BUILD_DIR NEW_BUILD_DIR [RUNS] [FINDINGS]   (default 3 runs, 1000000)
set -euo pipefail
old=${1:?old build dir}
new=${2:?new build dir}
runs=${3:-3}
findings=${4:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$work" XDG_CONFIG_HOME="$work/config" # not the user's settings
quiet() { grep -v -e propagateSizeHints -e XDG_RUNTIME_DIR || true; }
startup() { # build, cache: one start of the window (builds before bench_startup asked the product itself)
    if [[ -x "$1/tests/bench/bench_startup" ]]; then
        LAYERGUARD_DB="$2" /usr/bin/time -f "%e s %M KB" "$1/tests/bench/bench_startup" 2>&1 | quiet | tr '\n' ' '
    else
        LAYERGUARD_DB="$2" LG_STARTUP_PROBE=1 /usr/bin/time -f "%e s %M KB" "$1/app/entry/layerguard" 2>&1 | quiet \
            | tr '\n' ' '
    fi
}
for which in old new; do
    build=$old
    [[ $which == new ]] && build=$new
    "$build/tests/bench/bench_gen_cache" "$work/$which-year.sqlite" 365 200 >/dev/null
done
for i in $(seq "$runs"); do
    for which in old new; do
        build=$old
        [[ $which == new ]] && build=$new
        rm -f "$work/$which-large.sqlite"*
        echo "-- $which, run $i"
        echo "B4 $("$build/tests/bench/bench_gen_cache" "$work/$which-large.sqlite" 365 "$findings" | tail -1)"
        /usr/bin/time -f "B5 peak RSS %M KB" "$build/tests/bench/bench_dashboard" "$work/$which-large.sqlite" 2>&1 \
            | quiet | grep -E "^B5 (first paint|peak|scroll)"
        echo "B8 year cache: $(startup "$build" "$work/$which-year.sqlite")"
        echo "B8 large cache: $(startup "$build" "$work/$which-large.sqlite")"
    done
done
