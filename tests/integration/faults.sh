#!/usr/bin/env bash
# Faults (tests/testbed/fault-server.py) in a scan that also has a healthy source (the demo lab): 503 in
# bursts (absorbed by the transport's retries when short, a clear error when not), 500, a connection cut
# mid-body, a body trickled byte by byte (timeout), a body far larger than any answer. Each failure: a
# clear error naming the source and what happened, the cache exactly as it was (no scan, integrity ok);
# with --allow-partial the healthy source is stored and the failed one recorded.
# The continue token expiring mid-list and the bearer token expiring mid-scan are proven against the
# Kubernetes test server (tst_kubernetes) and the registry token issuer (tst_registry).
# usage: tests/integration/faults.sh SOURCE_DIR LAYERGUARD_BINARY
set -euo pipefail
src="$(cd "$1" && pwd)"
bin=$2
tmp=$(mktemp -d /tmp/lgfault.XXXX)
export QT_QPA_PLATFORM=offscreen
/usr/bin/python3 "$src/tests/testbed/fault-server.py" "$tmp/port" 2>"$tmp/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [[ -s $tmp/port ]] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$tmp/port")"
# shellcheck source=tests/integration/checks.sh
source "$src/tests/integration/checks.sh"
db="$tmp/cache.sqlite"
"$bin" scan --demo --db "$db" --quiet || fail "the baseline demo scan failed"
scans() { "$bin" history --db "$db" --format json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
before=$(scans)

# A short burst of 503 is passing trouble: the retries absorb it and the scan is stored.
"$bin" scan --demo --prometheus "$url/burst2" --db "$db" --quiet 2>"$tmp/burst2.err" \
    || fail "a 2-request burst of 503 failed the scan: $(cat "$tmp/burst2.err")"
before=$((before + 1))
[[ $(scans) == "$before" ]] || fail "the scan after a short burst was not stored"
ok "2 x 503 then answers: retried, scan stored"

# Each fault: exit 1, the source and the reason named, the cache unchanged and sound.
check() { # MODE EXPECTED-TEXT TIMEOUT
    local mode=$1 want=$2 start=$SECONDS
    if "$bin" scan --demo --prometheus "$url/$mode" --timeout "$3" --db "$db" --quiet 2>"$tmp/$mode.err"; then
        fail "$mode: the scan succeeded"
    fi
    grep -q "prometheus" "$tmp/$mode.err" || fail "$mode: the error does not name the source: $(cat "$tmp/$mode.err")"
    grep -qi -- "$want" "$tmp/$mode.err" || fail "$mode: the error does not say '$want': $(cat "$tmp/$mode.err")"
    grep -q "what to do" "$tmp/$mode.err" || fail "$mode: no hint"
    [[ $(scans) == "$before" ]] || fail "$mode: a scan was stored although a source failed"
    "$bin" cache check --db "$db" >/dev/null || fail "$mode: the cache is damaged"
    ok "$mode: '$(grep -m1 -o "failed: .*" "$tmp/$mode.err" | cut -c9-100)…' in $((SECONDS - start)) s, cache unchanged"
}
check burst50 "503" 10
check err500 "500" 10
check cut "transfer closed\|partial\|did not answer" 10
check trickle "timed out\|timeout" 3
check huge "larger than" 30

# --allow-partial: the healthy source is stored, the failed one recorded with its error.
"$bin" scan --demo --prometheus "$url/cut" --allow-partial --db "$db" --quiet 2>/dev/null && fail "exit 0 with a failed source"
[[ $(scans) == $((before + 1)) ]] || fail "--allow-partial did not store the healthy source"
n=$("$bin" findings --db "$db" --format json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
((n > 0)) || fail "--allow-partial stored no finding of the demo lab"
ok "--allow-partial: the demo lab's $n findings stored, the cut source recorded as failed"
echo "$passed passed, 0 failed"
