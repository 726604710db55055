# Sourced by the benchmark scripts after they set `here` (the source tree).
# shellcheck shell=bash

# A scratch folder for the run, removed at exit together with the testbeds started into it (stop_at_exit).
work=$(mktemp -d)
at_exit=()
stop_at_exit() { at_exit+=("$1" "$2"); } # stop_at_exit TESTBED_SCRIPT STATE_DIR
cleanup() {
    local i
    for ((i = 0; i < ${#at_exit[@]}; i += 2)); do
        "$here/tests/testbed/${at_exit[i]}" stop "${at_exit[i + 1]}" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

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
