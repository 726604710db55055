# Sourced by the benchmark scripts after they set `here` (the source tree).
# shellcheck shell=bash

# The layerguard of a build folder: the one given, else build/release, else build/dev.
layerguard_of() {
    local build=${1:-$here/build/release}
    [[ -x "$build/app/entry/layerguard" ]] || build=$here/build/dev
    echo "$build/app/entry/layerguard"
}

# measure LABEL COMMAND...: runs it (output in $work/out and $work/err), prints seconds and peak RSS, and sets
# <first word of LABEL>_secs for the script's sums.
measure() {
    local label=$1
    shift
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
    local secs kb
    read -r secs kb <"$work/time"
    printf '%-34s %8s s %8s MB\n' "$label" "$secs" "$((kb / 1024))"
    eval "${label%% *}_secs=$secs"
}
