#!/usr/bin/env bash
# B1/B2 (BENCH.md): `layerguard scan` of a cluster with many pods served by the API test server, beside
# `kubectl get pods -A -o json --chunk-size=500` on the same server in the same run.
# usage: tests/bench/b1_kube.sh [PODS] [POD_BYTES] [BUILD_DIR]   (default 50000 4400 build/release)
# Prints wall time and peak RSS of both, the ratio, and a rescan of the unchanged cluster into the same cache
# (its time and how much the cache grew).
# As clusters look (B1): the server also serves the Deployments and ReplicaSets owning the pods, 1 workload in 20
# left as bare pods, so the scanner judges most pods once per workload, through their Deployment.
# LG_B1_BARE=1 (B1-bare): only the pods, every one judged (none has a controller the server lists).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
pods=${1:-50000}
bytes=${2:-4400}
# shellcheck source=tests/bench/benchlib.sh
source "$here/tests/bench/benchlib.sh"
bin=$(layerguard_of "${3:-}")
stop_at_exit kube-apiserver.sh "$work/srv"
mkdir -p "$work/empty"
controllers=(--synthetic-controllers)
[[ "${LG_B1_BARE:-0}" == 1 ]] && controllers=()
"$here/tests/testbed/kube-apiserver.sh" start "$work/srv" --state "$work/empty" --synthetic-pods "$pods" \
    --pod-bytes "$bytes" "${controllers[@]}" >/dev/null
kubeconfig="$work/srv/kubeconfig"

measure "layerguard scan (warm-up)" "$bin" scan --kubeconfig "$kubeconfig" --db "$work/warm.sqlite" --quiet
measure "layerguard scan" "$bin" scan --kubeconfig "$kubeconfig" --db "$work/c.sqlite" --quiet
findings=$("$bin" findings --db "$work/c.sqlite" --format csv | tail -n +2 | wc -l)
size() { du -cb "$work"/c.sqlite* | tail -1 | cut -f1; }
first=$(size)
scan_secs=$layerguard_secs
measure "layerguard rescan (unchanged)" "$bin" scan --kubeconfig "$kubeconfig" --db "$work/c.sqlite" --quiet
second=$(size)
measure "kubectl get pods -A -o json" /usr/bin/kubectl --kubeconfig "$kubeconfig" get pods -A -o json --chunk-size=500
items=$(jq '.items | length' "$work/out")
[[ "$items" -eq "$pods" ]] || { echo "kubectl saw $items pods, expected $pods" >&2; exit 1; }
echo "pods: $pods (~$bytes B each), findings stored: $findings"
awk -v a="$first" -v b="$second" 'BEGIN { printf "cache: %.1f MB after the first scan, +%.1f MB (%.0f %%) after the rescan\n", a / 1e6, (b - a) / 1e6, 100 * (b - a) / a }'
awk -v a="$scan_secs" -v b="$kubectl_secs" 'BEGIN { printf "layerguard is %.1fx faster than kubectl\n", b / a }'
