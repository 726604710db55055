#!/usr/bin/env bash
# Proves the Kubernetes API test server (tests/testbed/kube-apiserver.py) speaks the real protocol:
# the real kubectl (/usr/bin/kubectl, the gcloud dispatcher that runs the kubectl minor matching the
# server's /version) lists, pages, authenticates and fails against it the way it does against
# kube-apiserver. Runs kubectl 1.29 (server v1.29.4, the default) and 1.32 (server v1.32.4).
# usage: tests/integration/kube_kubectl.sh [SOURCE_DIR]
set -euo pipefail
src="$(cd "${1:-$(dirname "$0")/../..}" && pwd)"
kubectl=/usr/bin/kubectl
py=/usr/bin/python3
srv="$src/tests/testbed/kube-apiserver.sh"
[[ -x "$kubectl" ]] || { echo "FAIL: $kubectl missing (TESTBED.md)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/lgkube.XXXX)
started=()
cleanup() {
    for d in "${started[@]}"; do "$srv" stop "$d" >/dev/null 2>&1 || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
t0=$SECONDS

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }
start() { # start NAME [server args...] -> sets KC (kubeconfig), LOG, ENV of the instance
    local dir="$tmp/$1"
    shift
    mkdir -p "$dir"
    cp -r "$tmp/pki" "$dir/kube-pki" # one PKI for all instances (kube-certs.sh skips an existing one)
    started+=("$dir")
    "$srv" start "$dir" "$@" >/dev/null
    KC="$dir/kubeconfig" LOG="$dir/kube-requests.log" ENV="$dir/kube.env"
}
k() { "$kubectl" --kubeconfig "$KC" --cache-dir "$tmp/cache" --request-timeout 20s "$@"; }
# expect_fail WHAT TEXT kubectl-args...: kubectl must fail and print TEXT
expect_fail() {
    local what=$1 text=$2
    shift 2
    if k "$@" >"$tmp/out" 2>"$tmp/err"; then fail "$what: kubectl $* succeeded"; fi
    grep -qF -- "$text" "$tmp/err" || fail "$what: expected '$text' from kubectl $*, got: $(cat "$tmp/err")"
    ok "$what: $(head -1 "$tmp/err")"
}
count() { $py -c 'import json,sys; d=json.load(sys.stdin); assert d["kind"]=="List", d["kind"]; print(len(d["items"]))'; }
log_count() { # log_count PATH_REGEX [QUERY_KEY]: requests in the instance's log
    $py - "$LOG" "$1" "${2:-}" <<'EOF'
import json, re, sys
log, path, key = sys.argv[1:]
print(sum(1 for l in open(log) if re.fullmatch(path, (d := json.loads(l))["path"]) and (not key or key in d["query"])))
EOF
}

"$src/tests/testbed/kube-certs.sh" "$tmp/pki"
# What the state holds, read independently of the server.
read -r state_pods state_nodes state_node_versions <<<"$($py - "$src/tests/data/kube/state" <<'EOF'
import glob, sys, yaml
docs = [d for f in sorted(glob.glob(sys.argv[1] + "/*.y*ml")) for d in yaml.safe_load_all(open(f)) if d]
info = {d["metadata"]["name"]: d["status"]["nodeInfo"] for d in docs if d["kind"] == "Node"}
print(sum(d["kind"] == "Pod" for d in docs), len(info),
      ",".join(f"{n}={i['kernelVersion']}/{i['kubeletVersion']}" for n, i in sorted(info.items())))
EOF
)"

checks() { # the main checks against one instance; $1 = the server version
    local version=$1 versions
    versions=$(k version -o json | $py -c 'import json,sys; d=json.load(sys.stdin); print(d["serverVersion"]["gitVersion"], d["clientVersion"]["gitVersion"])')
    [[ "$versions" == "$version "* ]] || fail "kubectl version: expected server $version, got $versions"
    ok "[$version] kubectl version: server $version, client ${versions#* } (the dispatcher runs the server's minor)"

    n=$(k get pods -A -o json | count)
    [[ "$n" == "$state_pods" ]] || fail "get pods -A: $n items, the state has $state_pods pods"
    ok "[$version] get pods -A -o json: $n pods"

    : >"$LOG"
    n=$(k get pods -A -o json --chunk-size=2 | count)
    [[ "$n" == "$state_pods" ]] || fail "get pods -A --chunk-size=2: $n items, expected $state_pods"
    pages=$(log_count /api/v1/pods continue)
    [[ "$pages" -ge $(((state_pods + 1) / 2 - 1)) ]] || fail "--chunk-size=2: only $pages requests carried continue"
    ok "[$version] get pods -A --chunk-size=2: $n pods over $((pages + 1)) pages"

    k get pods -A >"$tmp/table" # Table output (no -o)
    head -1 "$tmp/table" | grep -qE '^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE' || fail "table header: $(head -1 "$tmp/table")"
    [[ $(($(wc -l <"$tmp/table") - 1)) == "$state_pods" ]] || fail "table rows: $(cat "$tmp/table")"
    grep -qE '^shop +web-[a-z0-9]+-[a-z0-9]+ +1/1 +Running' "$tmp/table" || fail "table row of shop/web: $(cat "$tmp/table")"
    ok "[$version] get pods -A (server-side Table): $state_pods rows"

    k get nodes -o json >"$tmp/nodes"
    [[ $(count <"$tmp/nodes") == "$state_nodes" ]] || fail "get nodes: $(count <"$tmp/nodes") items, expected $state_nodes"
    served=$($py -c '
import json, sys
info = {i["metadata"]["name"]: i["status"]["nodeInfo"] for i in json.load(sys.stdin)["items"]}
print(",".join(n + "=" + i["kernelVersion"] + "/" + i["kubeletVersion"] for n, i in sorted(info.items())))' <"$tmp/nodes")
    [[ "$served" == "$state_node_versions" ]] || fail "get nodes: served '$served', the state says '$state_node_versions'"
    ok "[$version] get nodes -o json: $served"

    names=$(k get deployments -n shop -o json | $py -c 'import json,sys; print(" ".join(sorted(i["metadata"]["name"] for i in json.load(sys.stdin)["items"])))')
    [[ "$names" == "api web" ]] || fail "get deployments -n shop: '$names'"
    ok "[$version] get deployments -n shop -o json: $names"

    k get clusterrolebindings -o json | $py -c '
import json, sys
d = json.load(sys.stdin)
b = {i["metadata"]["name"]: i for i in d["items"]}
assert b["prometheus-admin"]["roleRef"]["name"] == "cluster-admin", b
assert b["prometheus-admin"]["subjects"][0]["name"] == "prometheus"' || fail "get clusterrolebindings"
    ok "[$version] get clusterrolebindings -o json: prometheus-admin -> cluster-admin"

    k api-resources >"$tmp/res"
    for r in "pods +po +v1 +true +Pod" "deployments +deploy +apps/v1 +true +Deployment" \
        "clusterrolebindings +rbac.authorization.k8s.io/v1 +false +ClusterRoleBinding" "networkpolicies +netpol +networking.k8s.io/v1"; do
        grep -qE "^$r" "$tmp/res" || fail "api-resources lacks '$r': $(cat "$tmp/res")"
    done
    ok "[$version] api-resources: $(($(wc -l <"$tmp/res") - 1)) resources"

    [[ "$(k auth can-i list pods)" == yes ]] || fail "auth can-i list pods"
    ok "[$version] auth can-i list pods: yes"

    groups=$(k --context testbed-cert auth whoami -o json | $py -c 'import json,sys; u=json.load(sys.stdin)["status"]["userInfo"]; print(u["username"], *u["groups"])')
    [[ "$groups" == "alice layerguard:admins system:authenticated" ]] || fail "client certificate auth: whoami says '$groups'"
    [[ $(k --context testbed-cert get pods -n shop -o json | count) -gt 0 ]] || fail "client certificate auth: no pods"
    ok "[$version] client certificate auth: $groups"

    expect_fail "[$version] wrong token" "error: You must be logged in to the server (Unauthorized)" --token not-the-token get pods -A
    # (kubectl prompts for a user name when the kubeconfig user has no credentials: ask with curl)
    # shellcheck disable=SC1090
    source "$ENV"
    body=$(curl -sS --cacert "$LG_KUBE_PKI/ca.crt" -w ' %{http_code}' "$LG_KUBE_SERVER/api/v1/pods")
    [[ "$body" == '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401} 401' ]] ||
        fail "no credentials: $body"
    ok "[$version] no credentials: 401 Status Unauthorized"
    expect_fail "[$version] wrong CA" "x509: certificate signed by unknown authority" \
        --certificate-authority "$tmp/pki/other-ca.crt" get pods -A
    expect_fail "[$version] unknown pod" 'Error from server (NotFound): pods "NOSUCH" not found' get pod NOSUCH -n shop

    [[ $(log_count '.*/secrets.*') == 0 ]] || fail "somebody listed secrets"
}

# --- kubectl 1.29 against the default server version, then kubectl 1.32
start main
checks v1.29.4
# the request log records every request; this test never asked for secrets, the log proves it
k get secret db-credentials -n shop -o json | grep -q 'Y2FuYXJ5LXNlY3JldC1MRy0xMjM=' || fail "get secret: canary data missing"
[[ $(log_count /api/v1/namespaces/shop/secrets/db-credentials) == 1 ]] || fail "the log lacks the secret request"
ok "request log records the one secret read"

# a malformed request or a silent TLS client must not hurt the server; SIGTERM ends it cleanly
# shellcheck disable=SC1090
source "$ENV"
printf 'NOT HTTP\r\n\r\n' | timeout 5 openssl s_client -quiet -connect "127.0.0.1:$LG_KUBE_PORT" >/dev/null 2>&1 || true
printf 'GET / HTTP/1.1\r\n\r\n' | timeout 2 bash -c "cat > /dev/tcp/127.0.0.1/$LG_KUBE_PORT" 2>/dev/null || true
exec 9<>"/dev/tcp/127.0.0.1/$LG_KUBE_PORT" # an idle connection that never handshakes
[[ $(k get ns -o json | count) -ge 4 ]] || fail "server unusable after malformed requests"
exec 9>&-
kill -TERM "$LG_KUBE_PID"
alive() { [[ "$(ps -o stat= -p "$1" 2>/dev/null)" == [^Z]* ]]; } # a zombie waits for init to reap it
for _ in $(seq 50); do alive "$LG_KUBE_PID" || break; sleep 0.05; done
alive "$LG_KUBE_PID" && fail "server ignored SIGTERM"
[[ ! -e "$tmp/main/kube.port" ]] || fail "server left its ready file behind"
! grep -q Traceback "$tmp/main/kube-apiserver.log" || fail "server printed a traceback: $(cat "$tmp/main/kube-apiserver.log")"
ok "garbage, plain HTTP and idle connections survived; SIGTERM exits"

start v132 --version v1.32.4
checks v1.32.4

# --- failures: 403 from --forbid, 410 from --expire-continue, injected 5xx
start faults --version v1.32.4 --forbid roles --expire-continue 1 --fail services=500 --fail nodes=503
expect_fail "410 on the first continue" "Error from server (Expired): The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter." \
    get pods -A -o json --chunk-size=2
# kubectl does not retry a list whose continue token expired: it exits 1 and still prints the
# items of the pages it had (here the first page of 2).
[[ $(count <"$tmp/out") == 2 ]] || fail "410: kubectl printed $(count <"$tmp/out") items before the error, expected 2"
ok "410: kubectl gives up after printing the first page (2 items), no retry"
[[ $(log_count /api/v1/pods continue) == 1 ]] || fail "410: kubectl retried the expired continue"
n=$(k get pods -A -o json --chunk-size=2 | count) # only the first continue expires
[[ "$n" == "$state_pods" ]] || fail "after 410: $n pods"
expect_fail "403 list" 'Error from server (Forbidden): roles.rbac.authorization.k8s.io is forbidden: User "alice" cannot list resource "roles" in API group "rbac.authorization.k8s.io" at the cluster scope' \
    get roles -A
expect_fail "403 get" 'roles.rbac.authorization.k8s.io "secret-reader" is forbidden: User "alice" cannot get resource "roles" in API group "rbac.authorization.k8s.io" in the namespace "shop"' \
    get role secret-reader -n shop
[[ "$(k auth can-i list roles || true)" == no ]] || fail "auth can-i list roles should say no"
ok "auth can-i list roles: no"
expect_fail "injected 500" "Error from server (InternalError): Internal error occurred: injected failure for services" get services -A
expect_fail "injected 503" "Error from server (ServiceUnavailable): the server is currently unable to handle the request" get nodes

# --- synthetic pods: 2000 beside the state's, listed in pages of 500
start synth --synthetic-pods 2000
s0=$(date +%s.%N)
n=$(k get pods -A -o json --chunk-size=500 | count)
secs=$($py -c "import sys; print(f'{$(date +%s.%N) - $s0:.1f}')")
[[ "$n" == $((2000 + state_pods)) ]] || fail "synthetic: $n pods, expected $((2000 + state_pods))"
ok "synthetic: kubectl listed $n pods in ${secs}s ($(log_count /api/v1/pods continue) continue requests)"
# shellcheck disable=SC1090
source "$ENV"
curl -sS --cacert "$LG_KUBE_PKI/ca.crt" -H "Authorization: Bearer $LG_KUBE_TOKEN" \
    "$LG_KUBE_SERVER/api/v1/namespaces/synth-001/pods?limit=100" | $py -c '
import json, sys
items = json.load(sys.stdin)["items"]
sizes = [len(json.dumps(i, separators=(",", ":"))) for i in items]
avg = sum(sizes) / len(sizes)
assert 4300 <= avg <= 4600, avg
owned = sum(1 for i in items if i["metadata"].get("ownerReferences"))
assert len(items) // 2 < owned < len(items), owned
print(f"ok   synthetic pods: {avg:.0f} B on average, {owned}/{len(items)} owned by a ReplicaSet")'

echo "PASS: kube-apiserver.py agrees with kubectl ($((SECONDS - t0)) s)"
