#!/usr/bin/env bash
# Two builds taking turns on the same inputs, for a change that must not move the figures (a refactor):
# B1 (a 50,000-pod cluster as clusters look, served once by the API test server), B7 (a PDF of ~10,000 findings)
# and conformance-style rule evaluation of the fixtures. Prints each run's seconds and peak RSS.
# usage: tests/bench/ab_compare.sh OLD_BUILD_DIR NEW_BUILD_DIR [RUNS]   (default 3 runs each, alternating)
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
old=${1:?old build dir}/app/entry/layerguard
new=${2:?new build dir}/app/entry/layerguard
runs=${3:-3}
# shellcheck source=tests/bench/benchlib.sh
source "$here/tests/bench/benchlib.sh"
stop_at_exit kube-apiserver.sh "$work/srv"
mkdir -p "$work/empty"
"$here/tests/testbed/kube-apiserver.sh" start "$work/srv" --state "$work/empty" --synthetic-pods 50000 \
    --pod-bytes 4400 --synthetic-controllers >/dev/null
python3 "$here/tests/bench/gen_manifests.py" 600 "$work/m"
for bin in "$old" "$new"; do # warm both
    "$bin" scan --kubeconfig "$work/srv/kubeconfig" --db "$work/warm.sqlite" --quiet
done
for i in $(seq "$runs"); do
    for which in old new; do
        bin=$old
        [[ $which == new ]] && bin=$new
        rm -f "$work/$which".sqlite*
        measure "B1 $which (run $i)" "$bin" scan --kubeconfig "$work/srv/kubeconfig" --db "$work/$which.sqlite" --quiet
        rm -f "$work/p-$which".sqlite*
        "$bin" scan --manifests "$work/m" --db "$work/p-$which.sqlite" --quiet
        measure "B7 $which (run $i)" "$bin" report --db "$work/p-$which.sqlite" --format pdf --output "$work/$which.pdf"
    done
done
for which in old new; do
    bin=$old
    [[ $which == new ]] && bin=$new
    echo "$which: $("$bin" findings --db "$work/$which.sqlite" --format csv | tail -n +2 | wc -l) findings in B1"
done
