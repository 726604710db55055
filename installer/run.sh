#!/usr/bin/env bash
# One command on a fresh Debian 12: install what is missing, build, start Layerguard.
# With no saved connection and an empty cache the dashboard scans the embedded demo lab.
# Extra arguments go to layerguard (e.g. `installer/run.sh scan --manifests ./k8s`).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/installer/install-deps.sh"
cmake -S "$here" -B "$here/build/release" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLG_BUILD_TESTS=OFF >/dev/null
cmake --build "$here/build/release" --parallel "$(nproc)"
bin="$here/build/release/app/entry/layerguard"
if [[ $# -gt 0 ]]; then
    exec "$bin" "$@"
fi
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" && -z "${QT_QPA_PLATFORM:-}" ]]; then
    echo "No display found: running the demo scan headless instead of opening the dashboard." >&2
    "$bin" scan --demo
    exec "$bin" findings --severity high
fi
exec "$bin"
