#!/usr/bin/env bash
# One command on a fresh Debian 12: install what is missing, then every test there is:
#   1. the suite (unit, rule fixtures, peer conformance, integration against the real testbeds, CLI,
#      SARIF schema, widgets, fuzz-input replays), built with warnings as errors;
#   2. the same suite built with AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. every libFuzzer target for LG_FUZZ_SECONDS (default 30) each.
# LG_QUICK=1 runs only the first (for a quick local check); LG_PRESET picks its preset.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/installer/install-deps.sh"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export QT_QPA_PLATFORM=offscreen

suite() {
    local preset=$1
    echo "== test suite: preset $preset"
    cmake --preset "$preset" -S "$here" >/dev/null
    cmake --build "$here/build/$preset" --parallel "$(nproc)"
    (cd "$here/build/$preset" && ctest --output-on-failure --timeout 900 -j "$(nproc)")
}

suite "${LG_PRESET:-dev}"
if [[ ${LG_QUICK:-0} != 1 ]]; then
    suite dev-asan
    echo "== fuzzing"
    "$here/tests/fuzz/run.sh" "${LG_FUZZ_SECONDS:-30}"
fi
