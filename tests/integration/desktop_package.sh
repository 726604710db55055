#!/usr/bin/env bash
# Desktop integration: the .desktop entry and AppStream metainfo validate, and CPack builds a DEB that
# carries the binary, the desktop files and the icon, with dependencies found by dpkg-shlibdeps.
# usage: desktop_package.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=${1:?source dir}
build=${2:?build dir}
fail() { echo "FAIL: $*" >&2; exit 1; }
desktop-file-validate "$src/installer/desktop/io.layerguard.Layerguard.desktop" || fail "desktop-file-validate"
appstreamcli validate --no-net "$src/installer/desktop/io.layerguard.Layerguard.metainfo.xml" || fail "appstreamcli validate"
# The version is set once (CMakeLists.txt); the newest release the metainfo describes is that version.
version=$(sed -n 's/^project(Layerguard VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
newest=$(grep -o '<release version="[^"]*"' "$src/installer/desktop/io.layerguard.Layerguard.metainfo.xml" | head -1 | cut -d'"' -f2)
[[ -n "$version" && "$newest" == "$version" ]] || fail "metainfo's newest release is $newest, the project's version $version"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log" >&2; fail "cpack"; }
deb=$(ls "$work"/layerguard_*.deb 2>/dev/null | head -1)
[[ -n "$deb" ]] || fail "no .deb produced"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libqt6widgets6 libqt6charts6 libcurl4 libsqlite3-0 libyaml-cpp0.7 libsimdjson; do
    [[ "$depends" == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/layerguard ./usr/share/applications/io.layerguard.Layerguard.desktop \
    ./usr/share/metainfo/io.layerguard.Layerguard.metainfo.xml \
    ./usr/share/icons/hicolor/scalable/apps/io.layerguard.Layerguard.svg; do
    grep -qF "$f" <<<"$contents" || fail "$f missing from the package"
done
echo "ok: $(basename "$deb") ($(du -h "$deb" | cut -f1)), Depends: $depends"
