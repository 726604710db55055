#!/usr/bin/env bash
# The DEB on a clean Debian 12: CPack builds it, `apt-get install ./layerguard_*.deb` installs it and
# every library it needs into a minimal bookworm tree (debootstrap --variant=minbase, made once and kept
# in the cache, copied fresh for each run), and the installed `layerguard --version` runs there.
# usage: deb_install.sh SOURCE_DIR BUILD_DIR      LG_CACHE, LG_DEBIAN_MIRROR as for tests/testbed/importers.sh
set -euo pipefail
src=${1:?source dir}
build=${2:?build dir}
cache=${LG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/layerguard-testbed}
mirror=${LG_DEBIAN_MIRROR:-http://deb.debian.org/debian}
base="$cache/bookworm-minbase"
debs="$cache/bookworm-debs" # packages apt downloaded before: kept so a rerun needs no download
fail() { echo "FAIL: $*" >&2; exit 1; }
# Only a developer's unprivileged run may skip; under CI the package is always installed and run.
if [[ $(id -u) != 0 ]]; then
    [[ ${CI:-} == true ]] && fail "CI=true but not root: debootstrap and chroot need root (run .ci/run as root)"
    echo "SKIP: debootstrap and chroot need root"
    exit 77
fi
command -v debootstrap >/dev/null || fail "debootstrap is missing (installer/install-deps.sh)"
mkdir -p "$cache" "$debs"
work=$(mktemp -d)
root="$work/root"
cleanup() {
    { grep -o " $work/[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

if [[ ! -f $base/.layerguard-complete ]]; then
    start=$SECONDS
    rm -rf "$base.partial" "$base"
    debootstrap --variant=minbase bookworm "$base.partial" "$mirror" >"$cache/debootstrap-bookworm.log" 2>&1 || {
        tail -n 20 "$cache/debootstrap-bookworm.log" >&2
        rm -rf "$base.partial"
        fail "debootstrap of bookworm from $mirror (log: $cache/debootstrap-bookworm.log)"
    }
    touch "$base.partial/.layerguard-complete"
    mv "$base.partial" "$base"
    echo "debootstrap bookworm: $((SECONDS - start)) s"
fi

(cd "$build" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log" >&2; fail "cpack"; }
deb=$(ls "$work"/pkg/layerguard_*.deb | head -1)

start=$SECONDS
cp -a "$base" "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" # package scripts start no service here
chmod +x "$root/usr/sbin/policy-rc.d"
echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
cp "$deb" "$root/tmp/"
cp "$debs"/*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true
mount -t proc proc "$root/proc"
chroot "$root" apt-get update -qq >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get update in the chroot"; }
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "/tmp/$(basename "$deb")" >>"$work/apt.log" 2>&1 || { tail -n 30 "$work/apt.log" >&2; fail "apt-get install ./$(basename "$deb")"; }
cp "$root"/var/cache/apt/archives/*.deb "$debs/" 2>/dev/null || true
installed=$(chroot "$root" dpkg-query -W -f='${Version}' layerguard)
version=$(chroot "$root" /usr/bin/layerguard --version 2>&1) || fail "the installed layerguard --version: $version"
[[ "$version" == *layerguard* ]] || fail "unexpected --version output: $version"
[[ -f "$root/usr/share/applications/io.layerguard.Layerguard.desktop" ]] || fail "no .desktop entry installed"
echo "ok: apt-get install ./$(basename "$deb") on a clean bookworm ($(chroot "$root" dpkg -l | grep -c '^ii') packages," \
    "$((SECONDS - start)) s); package $installed; installed: $version"
