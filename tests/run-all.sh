#!/usr/bin/env bash
# One command on a fresh Debian 12: install what is missing, build everything with warnings as
# errors, run every test (unit, rule fixtures, peer conformance, CLI integration, SARIF schema,
# widgets). Set LG_PRESET=dev-asan for the sanitizer build.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
preset="${LG_PRESET:-dev}"
"$here/installer/install-deps.sh"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
cmake --preset "$preset" -S "$here" >/dev/null
cmake --build "$here/build/$preset" --parallel "$(nproc)"
cd "$here/build/$preset"
export QT_QPA_PLATFORM=offscreen
ctest --output-on-failure --timeout 900 -j "$(nproc)"
