#!/usr/bin/env bash
# Secrets canary: canary secrets go through every connector, and none comes out. Sources, each with its own
# secrets: manifests (a Deployment's env and annotation), a real dockerd (a container's env and label),
# the Kubernetes API test server (the bearer token; a Secret object whose value must never be read), the
# real docker-registry with htpasswd (the password; an image whose Env holds a secret), the real Prometheus
# behind TLS and basic auth (the password), and an imported kube-bench report (a secret in an audit output).
# Then the cache file (and its WAL), every command's output and log, every export format of every scan,
# and the text every window and finding detail shows are searched for every canary: none may appear.
# usage: tests/integration/secrets_canary.sh SOURCE_DIR LAYERGUARD_BINARY DASHBOARD_TEST   (LG_DOCKER_ENV set)
set -euo pipefail
src="$(cd "$1" && pwd)"
bin=$2
dashboard=$3
tb="$src/tests/testbed"
tmp=$(mktemp -d /tmp/lgcanary.XXXX)
export QT_QPA_PLATFORM=offscreen
cleanup() {
    "$tb/kube-apiserver.sh" stop "$tmp/kube" >/dev/null 2>&1 || true
    "$tb/kube-apiserver.sh" stop "$tmp/kube-echo" >/dev/null 2>&1 || true
    "$tb/registry.sh" stop "$tmp/reg" >/dev/null 2>&1 || true
    "$tb/prometheus.sh" stop "$tmp/prom" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
# shellcheck source=tests/integration/checks.sh
source "$src/tests/integration/checks.sh"
out="$tmp/out"
mkdir -p "$out" "$tmp/kube" "$tmp/reg" "$tmp/prom"
db="$tmp/canary.sqlite"

# --- the sources and their canaries ----------------------------------------------------------------------
c_manifest="canary-manifest-$(openssl rand -hex 8)"
c_annotation="canary-annotation-$(openssl rand -hex 8)"
c_docker="canary-docker-$(openssl rand -hex 8)"
c_label="canary-label-$(openssl rand -hex 8)"
c_import="canary-import-$(openssl rand -hex 8)"
c_connstr="canary-connstr-$(openssl rand -hex 8)"
c_nested="canary-nested-$(openssl rand -hex 8)"
c_imagelabel="canary-imagelabel-$(openssl rand -hex 8)"
c_url="canary-url-$(openssl rand -hex 8)"
canaries=("$c_manifest" "$c_annotation" "$c_docker" "$c_label" "$c_import" "$c_connstr" "$c_nested" "$c_imagelabel"
    "$c_url")
# Settings (window layout, recent files) go here, and are searched too.
export XDG_CONFIG_HOME="$tmp/config"

mkdir -p "$tmp/manifests"
cat >"$tmp/manifests/app.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: billing
  namespace: shop
  annotations: {deploy-token: "token=$c_annotation"}
spec:
  selector: {matchLabels: {app: billing}}
  template:
    metadata: {labels: {app: billing}}
    spec:
      containers:
      - name: billing
        image: shop/billing:1.4
        env:
        - {name: DB_PASSWORD, value: "$c_manifest"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: billing-config, namespace: shop}
data:
  DATABASE_URL: "postgres://admin:$c_connstr@db.shop:5432/billing"
---
apiVersion: v1
kind: ConfigMap
metadata: {name: billing-app, namespace: shop}
data:
  app.yaml: |
    db:
      host: db.shop
      password: $c_nested
YAML

# shellcheck disable=SC1090
source "${LG_DOCKER_ENV:?the dockerd fixture sets LG_DOCKER_ENV}"
dapi() { curl -sS --fail-with-body --unix-socket "$LG_DOCKER_SOCK" "$@"; }
cid=$(dapi -X POST -H 'Content-Type: application/json' "http://localhost/containers/create?name=canary-$$" \
    -d "{\"Image\": \"lg-busybox:1.0\", \"Cmd\": [\"sleep\", \"600\"], \"Env\": [\"API_TOKEN=$c_docker\"],
         \"Labels\": {\"secret\": \"$c_label\"}, \"HostConfig\": {\"NetworkMode\": \"none\"}}" | jq -r .Id)
dapi -X POST "http://localhost/containers/$cid/start" >/dev/null
# An image whose label holds a secret (committed from the container, with the label as a change).
label_change=$(jq -rn --arg v "$c_imagelabel" '"LABEL db_password=" + $v | @uri')
dapi -X POST "http://localhost/commit?container=$cid&repo=lg-canary-image&tag=1.0&changes=$label_change" >/dev/null
trap 'dapi -X DELETE "http://localhost/containers/$cid?force=1" >/dev/null 2>&1 || true
      dapi -X DELETE "http://localhost/images/lg-canary-image:1.0?force=1" >/dev/null 2>&1 || true; cleanup' EXIT

"$tb/kube-apiserver.sh" start "$tmp/kube" >/dev/null
# shellcheck disable=SC1091
source "$tmp/kube/kube.env"
canaries+=("$LG_KUBE_TOKEN" "canary-secret-LG-123" "Y2FuYXJ5LXNlY3JldC1MRy0xMjM=") # the Secret's value, plain and base64

# A second API server that quotes the bearer token back in its refusals ("User \"<token>\" cannot list pods").
"$tb/kube-apiserver.sh" start "$tmp/kube-echo" --hostile echo-token --forbid pods >/dev/null
echo_kubeconfig=$(sed -n 's/^LG_KUBE_KUBECONFIG=//p' "$tmp/kube-echo/kube.env")
canaries+=("$(sed -n 's/^LG_KUBE_TOKEN=//p' "$tmp/kube-echo/kube.env")")

"$tb/registry.sh" start "$tmp/reg" >/dev/null
# shellcheck disable=SC1091
source "$tmp/reg/registry.env"
canaries+=("$LG_REG_PASSWORD" "$LG_REG_CANARY")

"$tb/prometheus.sh" start "$tmp/prom" --tls-basic >/dev/null
# shellcheck disable=SC1091
source "$tmp/prom/prometheus.env"
canaries+=("$LG_PROM_PASSWORD")

/usr/bin/python3 - "$src/tests/data/importers/kube-bench-node.json" "$tmp/kube-bench.json" "$c_import" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc[0]["tests"][0]["results"][0]["actual_value"] = "DB_PASSWORD=" + sys.argv[3]
doc[0]["tests"][0]["results"][0]["status"] = "FAIL"
json.dump(doc, open(sys.argv[2], "w"))
PY

# --- scans: everything the CLI prints goes to the logs that are searched ----------------------------------
run() { # NAME ARGS...: runs layerguard, keeps stdout and stderr
    local name=$1
    shift
    "$bin" "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" || fail "layerguard $* failed: $(tail -n 5 "$out/$name.stderr")"
}
# The registry (its own CA) first; then everything else in one scan, the one the windows show.
DOCKER_CONFIG="$LG_REG_DOCKER_CONFIG" run scan-1 scan --db "$db" --registry "$LG_REG_BASIC_URL" --ca-file "$LG_REG_CA"
LAYERGUARD_PROM_PASSWORD="$LG_PROM_PASSWORD" run scan-2 scan --db "$db" --manifests "$tmp/manifests" \
    --docker "unix://$LG_DOCKER_SOCK" --kubeconfig "$LG_KUBE_KUBECONFIG" --context testbed \
    --import "$tmp/kube-bench.json" --prometheus "$LG_PROM_URL" --ca-file "$LG_PROM_CA" --prom-user "$LG_PROM_USER"
ok "2 scans through the registry (htpasswd), manifests, dockerd, the API server, an import and Prometheus (TLS + basic)"
# A third: the echoing API server, and a registry URL with credentials in it (refused, stored without them).
# A failed source makes the exit 1 even when the rest is stored (--allow-partial).
"$bin" scan --db "$db" --kubeconfig "$echo_kubeconfig" --context testbed \
    --registry "http://alice:$c_url@127.0.0.1:9/" --allow-partial >"$out/scan-3.stdout" 2>"$out/scan-3.stderr" &&
    fail "scan 3 passed with a refused source"
[[ $("$bin" history --db "$db" --format json | jq length) == 3 ]] || fail "scan 3 was not stored: $(cat "$out/scan-3.stderr")"
grep -q "carries credentials" "$out/scan-3.stderr" || fail "the registry URL with credentials was not refused"
ok "a third scan: an API server that echoes the token, and a registry URL with credentials"

# The secrets did reach the connectors (masked), so a clean result below means something.
run findings-all findings --db "$db" --scan 2 --format json
for key in DB_PASSWORD actual_value "canary-$$" DATABASE_URL app.yaml db_password; do # env, import, container, ConfigMap, image label
    grep -q "$key" "$out/findings-all.stdout" || fail "scan 2 shows no trace of $key: the canary never reached a rule"
done
run findings-reg findings --db "$db" --scan 1 --format json
grep -q "DB_PASSWORD" "$out/findings-reg.stdout" || fail "the registry image's secret Env was not judged"
ok "the secret-bearing fields were read and judged (their names appear, masked)"

# --- every export of every scan ----------------------------------------------------------------------------
for scan in 1 2 3; do
    for f in json csv sarif junit pdf; do
        run "report-$scan-$f" report --db "$db" --scan "$scan" --format "$f" -o "$out/report-$scan.$f"
    done
    pdftotext "$out/report-$scan.pdf" "$out/report-$scan.pdf.txt"
    for f in table json csv; do
        run "findings-$scan-$f" findings --db "$db" --scan "$scan" --format "$f"
    done
done
run history history --db "$db" --format json
run diff diff 1 2 --db "$db" --format json
run check cache check --db "$db"
ok "every export of every scan written ($(find "$out" -type f | wc -l) files)"

# --- the search ---------------------------------------------------------------------------------------------
files=("$db" "$out"/*)
[[ -f "$db-wal" ]] && files+=("$db-wal")
leaks=0
for c in "${canaries[@]}"; do
    [[ ${#c} -ge 8 ]] || fail "a canary is too short to search for: '$c'"
    if grep -a -l -F -- "$c" "${files[@]}" >"$tmp/hits" 2>/dev/null; then
        leaks=$((leaks + 1))
        echo "LEAK: a canary (${c:0:10}…) is in: $(tr '\n' ' ' <"$tmp/hits")" >&2
    fi
done
((leaks == 0)) || fail "$leaks canaries leaked"
ok "${#canaries[@]} canaries, ${#files[@]} files (cache, logs, exports): 0 leaks"

# --- the windows --------------------------------------------------------------------------------------------
LG_CANARY_DB="$db" LG_CANARY_SETTINGS="$XDG_CONFIG_HOME" LG_CANARIES="$(printf '%s\n' "${canaries[@]}")" "$dashboard" windowsShowNoSecret \
    >"$tmp/window.log" 2>&1 || { cat "$tmp/window.log" >&2; fail "a window shows a secret"; }
grep -q "checked" "$tmp/window.log" || { cat "$tmp/window.log" >&2; fail "the window check did not run"; }
ok "windows: $(grep -o 'checked [0-9]* texts and [0-9]* finding details' "$tmp/window.log"), 0 leaks"

# --- the settings the windows wrote ---------------------------------------------------------------------------
mapfile -t settings < <(find "$XDG_CONFIG_HOME" -type f 2>/dev/null)
((${#settings[@]} > 0)) || fail "the windows wrote no settings under XDG_CONFIG_HOME: the search would prove nothing"
for c in "${canaries[@]}"; do
    ! grep -a -q -F -- "$c" "${settings[@]}" || fail "a canary (${c:0:10}…) is in the settings"
done
ok "${#settings[@]} settings files: 0 leaks"
echo "$passed passed, 0 failed"
