#!/usr/bin/env bash
# Proves the Prometheus testbed (tests/testbed/prometheus.sh): a real Prometheus 2.42 scraping a real
# node_exporter and a dockerd-like metrics endpoint, with the backfilled series of prom-backfill.py
# queryable through the HTTP API the connector uses; and the same in the --tls-basic mode (TLS with a
# test CA, basic auth). Both instances start concurrently.
# usage: tests/integration/prom_testbed.sh [SOURCE_DIR]
set -euo pipefail
src="$(cd "${1:-$(dirname "$0")/../..}" && pwd)"
tb="$src/tests/testbed/prometheus.sh"
tmp=$(mktemp -d /tmp/lgprom.XXXX)
fake_pid=""
# shellcheck source=tests/testbed/lib.sh
source "$(dirname "$tb")/lib.sh"
cleanup() {
    "$tb" stop "$tmp/plain" >/dev/null 2>&1 || true
    "$tb" stop "$tmp/tls" >/dev/null 2>&1 || true
    if [[ -n "$fake_pid" ]] && alive "$fake_pid"; then kill "$fake_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
t0=$SECONDS
# shellcheck source=tests/integration/checks.sh
source "$src/tests/integration/checks.sh"

# A stand-in for dockerd's --metrics-addr endpoint (job "docker"); the real dockerd works the same way.
cat > "$tmp/docker-metrics.txt" <<'EOF'
# HELP engine_daemon_engine_info The information related to the engine and the OS it is running on
# TYPE engine_daemon_engine_info gauge
engine_daemon_engine_info{architecture="x86_64",graphdriver="overlay2",kernel="6.1.0-21-amd64",os="Debian GNU/Linux 12 (bookworm)",os_type="linux",version="20.10.24+dfsg1"} 1
EOF
/usr/bin/python3 - "$tmp/docker-metrics.txt" "$tmp/docker.port" <<'EOF' >/dev/null 2>&1 &
import http.server, sys
body = open(sys.argv[1], "rb").read()
class Metrics(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/metrics" else 404)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Metrics)
open(sys.argv[2], "w").write(str(server.server_address[1]))
server.serve_forever()
EOF
fake_pid=$!
for _ in $(seq 100); do [[ -s "$tmp/docker.port" ]] && break; sleep 0.05; done
[[ -s "$tmp/docker.port" ]] || fail "fake docker metrics endpoint did not start"

# Both testbeds at once (they pick their own free ports).
LG_DOCKER_METRICS="127.0.0.1:$(cat "$tmp/docker.port")" "$tb" start "$tmp/plain" >"$tmp/plain.out" 2>&1 &
plain_start=$!
"$tb" start "$tmp/tls" --tls-basic >"$tmp/tls.out" 2>&1 &
tls_start=$!
wait "$plain_start" || fail "plain testbed did not start: $(cat "$tmp/plain.out")"
wait "$tls_start" || fail "tls-basic testbed did not start: $(cat "$tmp/tls.out")"
ok "started in $((SECONDS - t0)) s: $(cat "$tmp/plain.out")"
ok "started: $(cat "$tmp/tls.out")"

# --- plain mode ------------------------------------------------------------------------------------
# shellcheck disable=SC1091
source "$tmp/plain/prometheus.env"
get() { # get PROMQL [extra curl args] -> the API answer (GET /api/v1/query)
    local promql=$1
    shift
    curl -sS --fail-with-body -G "$LG_PROM_URL/api/v1/query" --data-urlencode "query=$promql" "$@"
}
# expect PROMQL JQ_FILTER WHAT: the answer must satisfy the jq filter (applied to .data.result)
expect() {
    local out
    out=$(get "$1") || fail "$3: query '$1' failed: $out"
    jq -e ".status == \"success\"" <<<"$out" >/dev/null || fail "$3: $out"
    jq -e ".data.result | $2" <<<"$out" >/dev/null || fail "$3: '$1' returned $(jq -c .data.result <<<"$out")"
    ok "$3"
}
# The testbed is ready once two targets are up; the third (the fake docker endpoint) is up after its first scrape,
# which a loaded machine may delay by a few of the 1 s scrape intervals: wait for it, up to 15 s.
for _ in $(seq 60); do
    [[ $(get 'count(up==1)' | jq -r '.data.result[0].value[1] // 0') -ge 3 ]] && break
    sleep 0.25
done
live_instance="127.0.0.1:${LG_NODE_EXPORTER_PORT}"
release=$(uname -r)

expect 'count(up==1)' '.[0].value[1] | tonumber >= 3' "count(up==1) >= 3 (prometheus, node, docker)"
expect 'up' "[.[] | select(.metric.job == \"docker\")] | length == 1 and .[0].value[1] == \"1\"" \
    "job docker (LG_DOCKER_METRICS) scraped"
expect 'node_uname_info' "length == 2 and
    any(.[]; .metric.instance == \"$live_instance\" and .metric.release == \"$release\" and .metric.job == \"node\") and
    any(.[]; .metric.instance == \"10.0.0.12:9100\" and .metric.nodename == \"worker-legacy\" and .metric.release == \"5.10.50\")" \
    "node_uname_info: live node ($release) and backfilled worker-legacy (5.10.50)"
expect 'increase(kube_pod_container_status_restarts_total[30m])' '
    (.[] | select(.metric.pod == "web-0" and .metric.namespace == "shop" and .metric.container == "nginx") | .value[1] | tonumber > 20) and
    (.[] | select(.metric.pod == "api-0") | .value[1] == "0") and length == 3' \
    "increase(restarts[30m]): shop/web-0 > 20, shop/api-0 == 0"
# Pinned at the last backfilled sample the window holds exactly 31 samples: no extrapolation.
out=$(get 'increase(kube_pod_container_status_restarts_total{pod="web-0"}[30m])' --data-urlencode "time=$LG_PROM_BACKFILL_END")
jq -e '.data.result[0].value[1] == "30"' <<<"$out" >/dev/null || fail "pinned increase: $out"
ok "increase(restarts{pod=web-0}[30m]) at time=LG_PROM_BACKFILL_END is exactly 30"
expect 'kube_pod_container_status_last_terminated_reason{reason="OOMKilled"}' \
    'length == 1 and .[0].metric.pod == "worker-0" and .[0].metric.container == "worker"' "OOMKilled: shop/worker-0/worker only"
expect 'kube_pod_container_status_waiting_reason' \
    'length == 1 and .[0].metric.pod == "web-0" and .[0].metric.reason == "CrashLoopBackOff"' "CrashLoopBackOff: shop/web-0 only"
expect 'kube_node_info' '[.[] | .metric | "\(.node) \(.kernel_version) \(.container_runtime_version) \(.kubelet_version)"] | sort ==
    ["worker-current 6.1.0-21-amd64 containerd://1.7.13 v1.29.4", "worker-legacy 5.10.50 containerd://1.5.5 v1.25.3"]' \
    "kube_node_info: worker-legacy and worker-current"
expect 'increase(falcosecurity_falco_rules_matches_total[30m]) > 0' '[.[] | .metric | "\(.rule_name)/\(.priority)/\(.source)/\(.k8s_pod_name)"] | sort ==
    ["Terminal shell in container/5/syscall/null", "Write below etc/3/syscall/null"]' \
    "Falco's own metrics (rule_name, numeric priority, no pod labels): two rules fire"
expect 'increase(falcosecurity_falco_rules_matches_total{rule_name="Read sensitive file untrusted"}[30m])' \
    'length == 1 and .[0].value[1] == "0" and .[0].metric.priority == "4"' "Falco: flat counter does not increase"
expect 'increase(falco_events[30m])' \
    'length == 1 and .[0].metric.priority == "2" and .[0].metric.k8s_pod_name == "cart-0" and (.[0].value[1] | tonumber > 0)' \
    "Falco (falco_events, falco-exporter): increases"
os_id=$(sed -n 's/^ID="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release)
os_version_id=$(sed -n 's/^VERSION_ID="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release)
expect 'node_os_info' "length == 2 and
    any(.[]; .metric.instance == \"$live_instance\" and .metric.id == \"$os_id\" and .metric.version_id == \"$os_version_id\") and
    any(.[]; .metric.instance == \"10.0.0.12:9100\" and .metric.id == \"debian\" and .metric.version_id == \"10\")" \
    "node_os_info: live node ($os_id $os_version_id) and worker-legacy (debian 10)"
expect 'node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes' "
    (.[] | select(.metric.instance == \"10.0.0.12:9100\") | .value[1] == \"0.03\") and
    (.[] | select(.metric.instance == \"$live_instance\") | .value[1] | tonumber > 0.03)" "filesystem: legacy 3 % free, live node more"
expect 'node_timex_sync_status' "
    (.[] | select(.metric.instance == \"10.0.0.12:9100\") | .value[1] == \"0\") and
    (.[] | select(.metric.instance == \"$live_instance\") | .value[1] == \"1\")" "timex: legacy unsynchronised, live synchronised"
expect 'increase(node_vmstat_oom_kill{instance="10.0.0.12:9100"}[30m])' '.[0].value[1] | tonumber > 0' "oom_kill increases on worker-legacy"
expect 'node_systemd_unit_state == 1' '[.[] | "\(.metric.name)=\(.metric.state)"] | sort == ["containerd.service=failed", "kubelet.service=active"]' \
    "systemd: containerd.service failed, kubelet.service active"
expect 'up{job="node"}' "length == 2 and
    (.[] | select(.metric.instance == \"10.0.0.12:9100\") | .value[1] == \"0\") and
    (.[] | select(.metric.instance == \"$live_instance\") | .value[1] == \"1\")" "up: worker-legacy down (gap), live node up"
out=$(curl -sS --fail-with-body -G "$LG_PROM_URL/api/v1/query_range" --data-urlencode 'query=kube_pod_container_status_restarts_total{pod="web-0"}' \
    --data-urlencode "start=$LG_PROM_BACKFILL_START" --data-urlencode "end=$LG_PROM_BACKFILL_END" --data-urlencode step=60)
jq -e '.data.result[0].values | length == 48 and .[0][1] == "3" and .[47][1] == "50"' <<<"$out" >/dev/null ||
    fail "query_range over the backfill: $(jq -c '.data.result[0].values | [length, .[0], .[-1]]' <<<"$out")"
ok "query_range over the backfill window: 48 samples, 3 .. 50"

# A long query goes by POST (form body): here ~18 KB of alternatives in a regex.
pods=$(seq -f 'pod-%04g' 1 2000 | paste -sd '|')
long="kube_pod_container_status_restarts_total{namespace=\"shop\",pod=~\"web-0|${pods}\"}"
out=$(curl -sS --fail-with-body -X POST "$LG_PROM_URL/api/v1/query" --data-urlencode "query=$long")
jq -e '.status == "success" and (.data.result | length == 1 and .[0].metric.pod == "web-0")' <<<"$out" >/dev/null ||
    fail "POST long query: $(head -c 300 <<<"$out")"
ok "POST /api/v1/query with a ${#long}-byte query"

code=$(curl -sS -o "$tmp/bad.json" -w '%{http_code}' -G "$LG_PROM_URL/api/v1/query" --data-urlencode 'query=foo(')
[[ "$code" == 400 ]] || fail "query=foo( answered HTTP $code: $(cat "$tmp/bad.json")"
jq -e '.status == "error" and .errorType == "bad_data" and (.error | length > 0)' "$tmp/bad.json" >/dev/null ||
    fail "query=foo( body: $(cat "$tmp/bad.json")"
ok "query=foo( -> HTTP 400 bad_data: $(jq -r .error "$tmp/bad.json")"
curl -sf -o "$tmp/node.metrics" "$LG_NODE_EXPORTER_URL/metrics" || fail "node_exporter /metrics"
grep -q '^node_uname_info{' "$tmp/node.metrics" || fail "node_exporter /metrics has no node_uname_info"
ok "node_exporter serves $LG_NODE_EXPORTER_URL/metrics"

# --- tls-basic mode --------------------------------------------------------------------------------
# shellcheck disable=SC1091
source "$tmp/tls/prometheus.env"
[[ "$LG_PROM_URL" == https://127.0.0.1:* ]] || fail "LG_PROM_URL is $LG_PROM_URL"
status() { curl -s -o /dev/null -w '%{http_code}' "$@" "$LG_PROM_URL/api/v1/query?query=up" || true; }
[[ $(status --cacert "$LG_PROM_CA" -u "$LG_PROM_USER:wrong-$LG_PROM_PASSWORD") == 401 ]] || fail "wrong password not rejected"
ok "tls-basic: wrong password -> 401"
[[ $(status --cacert "$LG_PROM_CA") == 401 ]] || fail "missing credentials not rejected"
ok "tls-basic: no credentials -> 401"
rc=0
curl -s -o /dev/null -u "$LG_PROM_USER:$LG_PROM_PASSWORD" --cacert "$LG_PROM_OTHER_CA" "$LG_PROM_URL/-/ready" || rc=$?
[[ $rc == 60 ]] || fail "unrelated CA: curl exit $rc, expected 60 (peer certificate cannot be authenticated)"
ok "tls-basic: an unrelated CA fails verification (curl exit 60)"
get() {
    local promql=$1
    shift
    curl -sS --fail-with-body --cacert "$LG_PROM_CA" -u "$LG_PROM_USER:$LG_PROM_PASSWORD" -G "$LG_PROM_URL/api/v1/query" \
        --data-urlencode "query=$promql" "$@"
}
expect 'count(up==1)' '.[0].value[1] | tonumber >= 2' "tls-basic: right password + --cacert -> success, count(up==1) >= 2 (self-scrape over TLS+auth)"
expect 'increase(kube_pod_container_status_restarts_total{pod="web-0"}[30m])' '.[0].value[1] | tonumber > 20' "tls-basic: backfill queryable"

# --- teardown --------------------------------------------------------------------------------------
pids=()
for d in plain tls; do
    # shellcheck disable=SC1090
    source "$tmp/$d/prometheus.env"
    pids+=("$LG_PROM_PID" "$LG_NODE_EXPORTER_PID")
    "$tb" stop "$tmp/$d"
    [[ ! -e "$tmp/$d/prometheus.env" && ! -e "$tmp/$d/prometheus" ]] || fail "stop left files in $tmp/$d"
done
for p in "${pids[@]}"; do alive "$p" && fail "pid $p still running after stop"; done
ok "stop: ${#pids[@]} daemons gone, state dirs empty"

echo "PASS: Prometheus testbed ($((SECONDS - t0)) s)"
echo "$passed passed, 0 failed"
