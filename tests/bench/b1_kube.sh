#!/usr/bin/env bash
# B1/B2 (BENCH.md): `layerguard scan` of a cluster with many pods served by the API test server, beside
# `kubectl get pods -A -o json --chunk-size=500` on the same server in the same run.
# usage: tests/bench/b1_kube.sh [PODS] [POD_BYTES] [BUILD_DIR]   (default 50000 4400 build/release)
# Prints wall time and peak RSS of both, and the ratio.
# LG_B1_CONTROLLERS=1 also serves the Deployments and ReplicaSets owning the pods, as in a real cluster: the
# pods are then judged once per workload, through their Deployment.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
pods=${1:-50000}
bytes=${2:-4400}
build=${3:-$here/build/release}
[[ -x "$build/app/entry/layerguard" ]] || build=$here/build/dev
bin="$build/app/entry/layerguard"
work=$(mktemp -d)
cleanup() { "$here/tests/testbed/kube-apiserver.sh" stop "$work/srv" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/empty"
# Only the synthetic pods: every one is a bare pod or owned by a ReplicaSet the server does not serve,
# so every pod is evaluated (the worst case: nothing is judged through a controller).
controllers=()
[[ "${LG_B1_CONTROLLERS:-0}" == 1 ]] && controllers=(--synthetic-controllers)
"$here/tests/testbed/kube-apiserver.sh" start "$work/srv" --state "$work/empty" --synthetic-pods "$pods" \
    --pod-bytes "$bytes" "${controllers[@]}" >/dev/null
kubeconfig="$work/srv/kubeconfig"

measure() { # label, command...
    local label=$1
    shift
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
    read -r secs kb <"$work/time"
    printf '%-34s %8s s %8s MB\n' "$label" "$secs" "$((kb / 1024))"
    eval "${label%% *}_secs=$secs"
}
measure "layerguard scan (warm-up)" "$bin" scan --kubeconfig "$kubeconfig" --db "$work/warm.sqlite" --quiet
measure "layerguard scan" "$bin" scan --kubeconfig "$kubeconfig" --db "$work/c.sqlite" --quiet
findings=$("$bin" findings --db "$work/c.sqlite" --format csv | tail -n +2 | wc -l)
measure "kubectl get pods -A -o json" /usr/bin/kubectl --kubeconfig "$kubeconfig" get pods -A -o json --chunk-size=500
items=$(jq '.items | length' "$work/out")
[[ "$items" -eq "$pods" ]] || { echo "kubectl saw $items pods, expected $pods" >&2; exit 1; }
echo "pods: $pods (~$bytes B each), findings stored: $findings"
awk -v a="$layerguard_secs" -v b="$kubectl_secs" 'BEGIN { printf "layerguard is %.1fx faster than kubectl\n", b / a }'
