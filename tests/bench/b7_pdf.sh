#!/usr/bin/env bash
# B7 (BENCH.md): a PDF report of about 10,000 findings. Prints seconds, file size and peak memory.
# usage: tests/bench/b7_pdf.sh [BUILD_DIR]   (default build/release, else build/dev)
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=tests/bench/benchlib.sh
source "$here/tests/bench/benchlib.sh"
bin=$(layerguard_of "${1:-}")
python3 "$here/tests/bench/gen_manifests.py" "${LG_B7_PODS:-600}" "$work/m"
"$bin" scan --manifests "$work/m" --db "$work/c.sqlite" --quiet
findings=$("$bin" findings --db "$work/c.sqlite" --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
best=""
for run in 1 2 3 4 5; do
    /usr/bin/time -f "%e %M" -o "$work/time" "$bin" report --format pdf -o "$work/r.pdf" --db "$work/c.sqlite" 2>/dev/null
    read -r secs kb < "$work/time"
    echo "run $run: ${secs} s, peak RSS $((kb / 1024)) MB"
    best="$best $secs"
done
median=$(echo "$best" | tr ' ' '\n' | grep . | sort -n | sed -n 3p)
size=$(stat -c %s "$work/r.pdf")
pages=$(pdfinfo "$work/r.pdf" | awk '/^Pages:/ {print $2}')
echo "B7: $findings findings, $pages pages, median ${median} s, $((size / 1024)) KiB (target: <= 3 s, <= 10 MB)"
