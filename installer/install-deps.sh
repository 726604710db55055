#!/usr/bin/env bash
# Installs every Debian 12 package that Layerguard's build, the app and its tests need.
# Idempotent and non-interactive: packages already present are not touched.
set -euo pipefail

PACKAGES=(
    # toolchain
    build-essential cmake ninja-build ccache pkg-config git
    # libraries the code links
    qt6-base-dev qt6-charts-dev libqt6opengl6-dev libgl-dev
    libcurl4-openssl-dev nlohmann-json3-dev libsqlite3-dev libyaml-cpp-dev libsimdjson-dev
    # runtime: fonts for PDF and widgets, offscreen/xcb platform plugins
    fonts-dejavu-core qt6-qpa-plugins
    # tests: reading back exports and caches, validating SARIF against its schema
    sqlite3 poppler-utils python3-jsonschema python3-yaml
    # integration testbed: a real dockerd on a private socket, a busybox image without pulls
    docker.io busybox-static jq curl openssl
    # benchmarks
    time
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if ((${#missing[@]})); then
    echo "installer: installing ${missing[*]}" >&2
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "installer: all ${#PACKAGES[@]} packages present" >&2
fi
