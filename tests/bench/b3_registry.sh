#!/usr/bin/env bash
# B3 (BENCH.md): read 1,000 image manifests and configs from the real local registry, plain HTTP and
# TLS + bearer tokens (the slowest of the testbed's modes). Prints wall time and peak RSS of each.
# usage: tests/bench/b3_registry.sh [IMAGES] [BUILD_DIR]   (default 1000 build/release)
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
images=${1:-1000}
# shellcheck source=tests/bench/benchlib.sh
source "$here/tests/bench/benchlib.sh"
bin=$(layerguard_of "${2:-}")
stop_at_exit registry.sh "$work/reg"
# The registry's Go garbage collector dominates its CPU at Go's default (GOGC=100): on 2 cores the
# client then waits for the server. GOGC=400 is what a registry serving many small requests is given;
# LG_B3_GOGC=100 measures the stock setting.
export GOGC=${LG_B3_GOGC:-400}
echo "registry: docker-registry with GOGC=$GOGC"
"$here/tests/testbed/registry.sh" start "$work/reg" >/dev/null
# shellcheck disable=SC1091
source "$work/reg/registry.env"
for mode in ${LG_B3_MODES:-PLAIN TOKEN}; do
    url_var="LG_REG_${mode}_URL"
    url=${!url_var}
    start=$(date +%s.%N)
    /usr/bin/python3 "$here/tests/testbed/registry-push.py" bulk "$url" "$images" --env "$work/reg/registry.env" >/dev/null
    echo "$mode: pushed $images images in $(echo "$(date +%s.%N) - $start" | bc) s"
    times=()
    for run in 1 2 3 4 5; do
        DOCKER_CONFIG=$LG_REG_DOCKER_CONFIG /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$bin" scan --registry "$url" \
            --ca-file "$LG_REG_CA" --repo 'bench/*' --db "$work/c$mode$run.sqlite" --quiet
        read -r secs kb user sys <"$work/time"
        echo "$mode run $run: ${secs} s, peak RSS $((kb / 1024)) MB, CPU ${user} s user + ${sys} s system"
        times+=("$secs")
    done
    echo "$mode median of 5: $(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p) s"
done
echo "B3: $images images (tags list, manifest, config blob each; referrers probed once; tokens for 20 repositories at a time) — target <= 5 s"
