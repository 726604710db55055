#!/usr/bin/env bash
# Starts / stops the Kubernetes API test server (kube-apiserver.py) for the integration tests (TESTBED.md).
#   kube-apiserver.sh start STATE_DIR [server args...]
#       -> STATE_DIR/kube.env (LG_KUBE_PORT, LG_KUBE_PID, LG_KUBE_PKI, LG_KUBE_TOKEN, LG_KUBE_LOG,
#          LG_KUBE_SERVER, LG_KUBE_KUBECONFIG) and STATE_DIR/kubeconfig (context `testbed`: bearer token,
#          context `testbed-cert`: client certificate CN=alice O=layerguard:admins)
#   kube-apiserver.sh stop STATE_DIR
# The state is tests/data/kube/state unless the server args name their own --state.
# Examples: ... start DIR --forbid roles --expire-continue 1 --synthetic-pods 2000 --version v1.32.4
set -euo pipefail
cmd=${1:?start|stop}
state=${2:?state dir}
shift 2
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "$here/../.." && pwd)"
mkdir -p "$state"
state="$(cd "$state" && pwd)"
envfile="$state/kube.env"

# shellcheck source=tests/testbed/lib.sh
source "$here/lib.sh"

stop() {
    [[ -f "$envfile" ]] || return 0
    # shellcheck disable=SC1090
    source "$envfile"
    if alive "$LG_KUBE_PID"; then
        kill "$LG_KUBE_PID" 2>/dev/null || true
        for _ in $(seq 50); do alive "$LG_KUBE_PID" || break; sleep 0.05; done
        if alive "$LG_KUBE_PID"; then
            echo "kube-apiserver (pid $LG_KUBE_PID) ignored SIGTERM, killing it" >&2
            kill -9 "$LG_KUBE_PID" 2>/dev/null || true
        fi
    fi
    rm -f "$envfile" "$state/kubeconfig" "$state/kube.port"
}

start() {
    stop
    local pki="$state/kube-pki" log="$state/kube-requests.log" port token pid
    "$here/kube-certs.sh" "$pki"
    token=$(openssl rand -hex 24)
    local args=(--cert "$pki/server.crt" --key "$pki/server.key" --client-ca "$pki/ca.crt"
        --token "$token=alice" --log "$log" --ready-file "$state/kube.port" --port 0)
    [[ " $* " == *" --state "* || " $* " == *" --state="* ]] || args+=(--state "$src/tests/data/kube/state")
    rm -f "$state/kube.port"
    : > "$log"
    # Each list page is a few MB joined and sent: with glibc's defaults every one is a fresh mmap whose
    # pages fault in again (~20 ms of a 22 ms page on this VM). Kept on the heap (32 MiB, the largest mmap
    # threshold mallopt(3) documents; the top kept and padded), a page costs ~3.5 ms: the benchmarks
    # measure the client, not the test server.
    MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 \
        /usr/bin/python3 "$here/kube-apiserver.py" "${args[@]}" "$@" >"$state/kube-apiserver.log" 2>&1 &
    pid=$!
    for _ in $(seq 1200); do # up to 120 s: 50,000 synthetic pods take a few seconds
        [[ -s "$state/kube.port" ]] && break
        alive "$pid" || { cat "$state/kube-apiserver.log" >&2; echo "kube-apiserver died" >&2; exit 1; }
        sleep 0.1
    done
    [[ -s "$state/kube.port" ]] || { kill "$pid"; echo "kube-apiserver not ready after 120 s" >&2; exit 1; }
    port=$(cat "$state/kube.port")
    cat > "$state/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: testbed
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority: $pki/ca.crt
users:
- name: alice-token
  user:
    token: $token
- name: alice-cert
  user:
    client-certificate: $pki/client.crt
    client-key: $pki/client.key
contexts:
- name: testbed
  context: {cluster: testbed, user: alice-token}
- name: testbed-cert
  context: {cluster: testbed, user: alice-cert}
current-context: testbed
EOF
    chmod 600 "$state/kubeconfig"
    printf 'LG_KUBE_PORT=%s\nLG_KUBE_PID=%s\nLG_KUBE_PKI=%s\nLG_KUBE_TOKEN=%s\nLG_KUBE_LOG=%s\nLG_KUBE_SERVER=%s\nLG_KUBE_KUBECONFIG=%s\n' \
        "$port" "$pid" "$pki" "$token" "$log" "https://127.0.0.1:$port" "$state/kubeconfig" > "$envfile"
    echo "kube-apiserver ready on https://127.0.0.1:$port (pid $pid)"
}

case "$cmd" in
start) start "$@" ;;
stop) stop ;;
*) echo "usage: $0 start|stop STATE_DIR [server args...]" >&2; exit 2 ;;
esac
