#!/usr/bin/env bash
# Real reports made on this machine by the real tools (tests/testbed/importers.sh: oscap on a bullseye
# tree, a short Lynis audit) imported with `layerguard import`; the counts the tools wrote are read back
# from the files with an independent parser (Python) and must equal the findings Layerguard stored.
# usage: tests/integration/importers_real.sh SOURCE_DIR LAYERGUARD_BINARY
set -euo pipefail
src="$(cd "${1:-$(dirname "$0")/../..}" && pwd)"
bin=${2:-$src/build/dev/app/entry/layerguard}
tmp=$(mktemp -d /tmp/lgimp.XXXX)
trap 'rm -rf "$tmp"' EXIT
export QT_QPA_PLATFORM=offscreen
# shellcheck source=tests/integration/checks.sh
source "$src/tests/integration/checks.sh"

rc=0
"$src/tests/testbed/importers.sh" "$tmp/out" >"$tmp/paths" || rc=$?
[[ $rc == 77 ]] && exit 77
[[ $rc == 0 ]] || fail "tests/testbed/importers.sh failed ($rc)"

# Expected findings by severity, from the tool's own file: XCCDF rule-results (fail by its severity,
# unknown counted as medium; notchecked/error/unknown results as info to review), Lynis warnings
# (medium) and suggestions (low) except its LYNIS/NONE notices.
expect() {
    /usr/bin/python3 - "$1" <<'PY'
import collections, sys, xml.etree.ElementTree as ET
path = sys.argv[1]
c = collections.Counter()
if path.endswith('.dat'):
    for line in open(path, encoding='utf-8', errors='replace'):
        key, _, value = line.rstrip('\n').partition('=')
        if key in ('warning[]', 'suggestion[]') and value.split('|')[0] not in ('LYNIS', 'NONE', ''):
            c['medium' if key == 'warning[]' else 'low'] += 1
else:
    ns = '{http://checklists.nist.gov/xccdf/1.2}'
    for _, el in ET.iterparse(path):
        if el.tag != ns + 'rule-result':
            continue
        result = el.find(ns + 'result').text
        sev = el.get('severity', 'unknown')
        if result == 'fail':
            c[{'high': 'high', 'medium': 'medium', 'low': 'low', 'info': 'low'}.get(sev, 'medium')] += 1
        elif result in ('notchecked', 'error', 'unknown'):
            c['info'] += 1
        el.clear()
print(' '.join(f'{k}={c[k]}' for k in sorted(c)))
PY
}
stored() {
    "$bin" findings --db "$1" --format json | /usr/bin/python3 -c '
import collections, json, sys
c = collections.Counter(f["severity"] for f in json.load(sys.stdin) if f["rule"].startswith(sys.argv[1]))
print(" ".join(f"{k}={c[k]}" for k in sorted(c)))' "$2"
}

for f in openscap-results.xml openscap-arf.xml lynis-report.dat; do
    file="$tmp/out/$f"
    [[ -s $file ]] || fail "importers.sh wrote no $f"
    db="$tmp/$f.sqlite"
    "$bin" import "$file" --db "$db" --quiet || fail "layerguard import $f failed"
    prefix=OSCAP-
    [[ $f == lynis* ]] && prefix=LYNIS-
    want=$(expect "$file")
    got=$(stored "$db" "$prefix")
    [[ -n $want && $want == "$got" ]] || fail "$f: the tool wrote [$want], layerguard stored [$got]"
    ok "$f: findings by severity match the tool's own results ($got)"
    "$bin" history --db "$db" --format json | /usr/bin/python3 -c '
import json, sys
scan = json.load(sys.stdin)[-1]
assert scan["layers"]["host"] is not None, scan' || fail "$f: the host layer has no score"
    ok "$f: the host layer is scored"
done

# The XCCDF references (rule id, CIS Controls) are kept on the findings.
"$bin" findings --db "$tmp/openscap-results.xml.sqlite" --format json | /usr/bin/python3 -c '
import json, sys
for f in json.load(sys.stdin):
    assert f["references"][0].startswith("xccdf_org.ssgproject.content_rule_"), f["references"]
    assert f["resource"]["kind"] == "Host" and f["resource"]["name"], f["resource"]' \
    || fail "OpenSCAP findings lost their rule ids or host"
ok "OpenSCAP findings keep the XCCDF rule id and name the scanned system"

# Results and ARF of the same evaluation give the same findings (same fingerprints).
ids() { "$bin" findings --db "$1" --format json | /usr/bin/python3 -c 'import json,sys; print(sorted(f["id"] for f in json.load(sys.stdin)))'; }
[[ $(ids "$tmp/openscap-results.xml.sqlite") == "$(ids "$tmp/openscap-arf.xml.sqlite")" ]] \
    || fail "XCCDF results and ARF of one evaluation gave different findings"
ok "XCCDF results and ARF of one evaluation give the same findings"

# The PDF report has the imported results.
"$bin" report --db "$tmp/openscap-results.xml.sqlite" --format pdf -o "$tmp/r.pdf" >/dev/null
pdftotext "$tmp/r.pdf" "$tmp/r.txt"
grep -q "Results imported from other tools" "$tmp/r.txt" || fail "the PDF has no imported results section"
grep -q "OSCAP-" "$tmp/r.txt" || fail "the PDF does not list the OpenSCAP findings"
ok "the PDF report lists the imported results"
# From the CLI, a bad file among good ones: exit 1, the file named, nothing stored.
if "$bin" import "$tmp/out/openscap-results.xml" "$src/tests/data/importers/truncated-arf.xml" --db "$tmp/bad.sqlite" \
    2>"$tmp/bad.err"; then fail "a truncated report was imported"; fi
grep -q "truncated-arf.xml" "$tmp/bad.err" || fail "the error does not name the file: $(cat "$tmp/bad.err")"
[[ $("$bin" history --db "$tmp/bad.sqlite" --format json) == "[]" ]] || fail "a failed import stored a scan"
ok "a truncated file among good ones: exit 1, the file named, nothing stored"
echo "$passed passed, 0 failed"
