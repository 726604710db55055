#!/usr/bin/env bash
# Writes real reports of the host tools the importers read, made on this machine:
#   importers.sh [OUT_DIR]   -> prints the paths it wrote (OUT_DIR defaults to a new temporary folder)
#   OUT_DIR/openscap-results.xml   oscap XCCDF 1.2 results (the Benchmark with its TestResult)
#   OUT_DIR/openscap-arf.xml       the same scan as an ARF asset-report-collection
#   OUT_DIR/lynis-report.dat       Lynis report, with warning[] and suggestion[] lines
# Exits 77 (skipped) when a tool or root is missing. Debian 12's SCAP Security Guide only has content
# for Debian 10/11, so oscap scans a minimal bullseye tree made once by debootstrap and kept in the
# cache (LG_CACHE, default ~/.cache/layerguard-testbed); LG_DEBIAN_MIRROR overrides the mirror.
set -euo pipefail

out=${1:-$(mktemp -d /tmp/lg-importers.XXXXXX)}
cache=${LG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/layerguard-testbed}
mirror=${LG_DEBIAN_MIRROR:-http://deb.debian.org/debian}
root="$cache/bullseye-minbase"
ds=/usr/share/xml/scap/ssg/content/ssg-debian11-ds.xml
profile=xccdf_org.ssgproject.content_profile_standard
# Lynis: a full audit takes 3-6 minutes; these groups and tests take 20-40 s and, on a bare Debian host,
# report a warning (LOGG-2138: no klogd) and several suggestions. --no-plugins skips the Debian
# plugin's walk over every binary.
lynis_groups="authentication logging banners"
lynis_tests="AUTH-9230 AUTH-9286 AUTH-9328 LOGG-2130 LOGG-2138 BANN-7126 BANN-7130"
export PATH="$PATH:/usr/sbin:/sbin"

skip() { echo "importers.sh: skipped: $*" >&2; exit 77; }
took() { echo "importers.sh: $1 took $((SECONDS - $2)) s" >&2; }

missing=()
for tool in oscap oscap-chroot debootstrap lynis; do command -v "$tool" >/dev/null || missing+=("$tool"); done
[[ -f $ds ]] || missing+=("$ds")
((${#missing[@]} == 0)) || skip "missing ${missing[*]} (apt-get install -y openscap-scanner openscap-utils ssg-debian debootstrap lynis)"
[[ $(id -u) == 0 ]] || skip "debootstrap and oscap-chroot need root"
mkdir -p "$out" "$cache"

# Unmounts whatever a failed debootstrap left mounted under $1 (deepest first), then removes it.
remove_tree() {
    { grep -o " $1/[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$1"
}

# The bullseye tree: made once; a partial one (interrupted run) is thrown away.
if [[ ! -f $root/.layerguard-complete ]]; then
    start=$SECONDS
    tmp="$root.partial"
    remove_tree "$tmp"
    remove_tree "$root"
    if ! debootstrap --variant=minbase bullseye "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1; then
        tail -n 20 "$cache/debootstrap.log" >&2
        remove_tree "$tmp"
        echo "importers.sh: debootstrap of bullseye from $mirror failed (log: $cache/debootstrap.log)" >&2
        exit 1
    fi
    touch "$tmp/.layerguard-complete"
    mv "$tmp" "$root"
    took "debootstrap" "$start"
fi

# OpenSCAP: exit 0 = all selected rules passed, 2 = some failed (the usual case), anything else = error.
start=$SECONDS
rm -f "$out/openscap-results.xml" "$out/openscap-arf.xml"
rc=0
oscap-chroot "$root" xccdf eval --profile "$profile" \
    --results "$out/openscap-results.xml" --results-arf "$out/openscap-arf.xml" "$ds" \
    >"$out/openscap.log" 2>&1 || rc=$?
if [[ $rc != 0 && $rc != 2 ]] || [[ ! -s $out/openscap-results.xml || ! -s $out/openscap-arf.xml ]]; then
    tail -n 20 "$out/openscap.log" >&2
    echo "importers.sh: oscap-chroot failed with exit code $rc (log: $out/openscap.log)" >&2
    exit 1
fi
took "oscap (exit $rc)" "$start"

# Lynis: report and log stay in OUT_DIR, not in /var/log.
start=$SECONDS
rm -f "$out/lynis-report.dat" "$out/lynis.log"
lynis audit system --quick --no-colors --no-plugins \
    --report-file "$out/lynis-report.dat" --logfile "$out/lynis.log" \
    --tests-from-group "$lynis_groups" --tests "$lynis_tests" >"$out/lynis-stdout.txt" 2>&1 || {
    tail -n 20 "$out/lynis-stdout.txt" >&2
    echo "importers.sh: lynis failed (output: $out/lynis-stdout.txt)" >&2
    exit 1
}
chmod a+r "$out/lynis-report.dat" "$out/lynis.log"  # Lynis makes them 0640
grep -q '^warning\[\]=' "$out/lynis-report.dat" || echo "importers.sh: note: this host gave no Lynis warning" >&2
grep -q '^suggestion\[\]=' "$out/lynis-report.dat" || echo "importers.sh: note: this host gave no Lynis suggestion" >&2
took "lynis" "$start"

for f in openscap-results.xml openscap-arf.xml openscap.log lynis-report.dat lynis.log lynis-stdout.txt; do
    echo "$out/$f"
done
