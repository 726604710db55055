#!/usr/bin/env bash
# Installs every Debian 12 package that Layerguard's build, the app and its tests need.
# Idempotent and non-interactive: packages already present are not touched.
set -euo pipefail

PACKAGES=(
    # toolchain (clang and its libFuzzer runtime for the fuzz targets)
    build-essential cmake ninja-build ccache pkg-config git clang-14 libclang-rt-14-dev
    # libraries the code links
    qt6-base-dev qt6-charts-dev qt6-pdf-dev libqt6opengl6-dev libgl-dev qtkeychain-qt6-dev
    libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libsqlite3-dev libyaml-cpp-dev libsimdjson-dev zlib1g-dev
    # runtime: fonts for PDF and widgets, offscreen/xcb platform plugins
    fonts-dejavu-core qt6-qpa-plugins
    # tests: reading back exports and caches, validating SARIF against its schema
    sqlite3 poppler-utils python3-jsonschema python3-yaml
    # integration testbed: a real dockerd on a private socket, a busybox image without pulls
    docker.io busybox-static jq curl openssl
    # integration testbed: a real Prometheus and node_exporter, htpasswd for the bcrypt basic-auth hash
    prometheus prometheus-node-exporter apache2-utils
    # integration testbed: a real OCI registry (distribution 2.8); its token issuer signs JWTs with cryptography
    docker-registry python3-cryptography
    # importers: real OpenSCAP (on a debootstrapped bullseye tree, SSG content) and Lynis reports
    openscap-scanner openscap-utils ssg-debian debootstrap lynis
    # the OS keyring the connections manager is tested against: GNOME Keyring on a private D-Bus session
    gnome-keyring dbus-daemon libsecret-tools
    # desktop integration: validating the .desktop entry and AppStream metainfo, building the DEB
    desktop-file-utils appstream dpkg-dev
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
    # The postinst of prometheus, prometheus-node-exporter and docker-registry starts their daemons
    # (0.0.0.0:9090, :9100 and :5000, via invoke-rc.d or systemd); the testbed starts its own on free
    # ports. Deny service starts for the install unless the machine has a policy of its own (container
    # images ship one that does).
    policy=/usr/sbin/policy-rc.d
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\n# installer/install-deps.sh: no service starts while packages install\nexit 101\n' |
            $SUDO tee "$policy" >/dev/null
        $SUDO chmod 755 "$policy"
        remove_policy() { $SUDO rm -f "$policy"; }
        trap remove_policy EXIT
    fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "installer: all ${#PACKAGES[@]} packages present" >&2
fi
