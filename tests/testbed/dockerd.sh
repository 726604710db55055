#!/usr/bin/env bash
# Starts / stops a real dockerd on a private socket for the integration tests (TESTBED.md).
#   dockerd.sh start STATE_DIR   -> writes STATE_DIR/docker.env (LG_DOCKER_SOCK, LG_DOCKER_PID, LG_DOCKER_RUN)
#   dockerd.sh stop STATE_DIR
# No image is pulled: a busybox image is imported from Debian's static busybox.
set -euo pipefail
cmd=${1:?start|stop}
state=${2:?state dir}
mkdir -p "$state"
envfile="$state/docker.env"

api() { curl -sS --fail-with-body --unix-socket "$LG_DOCKER_SOCK" "$@"; }

stop() {
    [[ -f "$envfile" ]] || return 0
    # shellcheck disable=SC1090
    source "$envfile"
    if [[ -S "$LG_DOCKER_SOCK" ]]; then
        for id in $(curl -s --unix-socket "$LG_DOCKER_SOCK" "http://localhost/containers/json?all=1" | jq -r '.[].Id' 2>/dev/null); do
            curl -s -X DELETE --unix-socket "$LG_DOCKER_SOCK" "http://localhost/containers/$id?force=1" >/dev/null || true
        done
    fi
    if kill -0 "$LG_DOCKER_PID" 2>/dev/null; then
        kill "$LG_DOCKER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$LG_DOCKER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$LG_DOCKER_PID" 2>/dev/null || true
    fi
    # dockerd leaves mounts (netns, overlays) under its folders; unmount them before removing.
    { grep -o " $LG_DOCKER_RUN[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$LG_DOCKER_RUN" 2>/dev/null || true
    rm -f "$envfile"
}

start() {
    stop
    command -v dockerd >/dev/null || { echo "dockerd missing: run installer/install-deps.sh" >&2; exit 1; }
    run=$(mktemp -d /tmp/lgd.XXXX)
    mkdir -p "$run/data" "$run/exec" "$run/rootfs/bin" "$run/rootfs/etc" "$run/rootfs/tmp"
    # Runtime wrapper: this VM's bounding set lacks CAP_SYS_RESOURCE, so privileged containers need it dropped.
    cat > "$run/runc-wrap" <<'WRAP'
#!/bin/sh
bundle=""
prev=""
for a in "$@"; do
    [ "$prev" = "--bundle" ] && bundle="$a"
    case "$a" in --bundle=*) bundle="${a#--bundle=}";; esac
    prev="$a"
done
if [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then
    tmp="$bundle/config.json.lg"
    jq '(.process.capabilities // {}) |= with_entries(.value |= map(select(. != "CAP_SYS_RESOURCE")))' \
        "$bundle/config.json" > "$tmp" && mv "$tmp" "$bundle/config.json"
fi
exec /usr/sbin/runc "$@"
WRAP
    chmod +x "$run/runc-wrap"
    sock="$run/docker.sock"
    # dockerd's Prometheus endpoint (scraped by tests/testbed/prometheus.sh as job "docker"): a free port
    metrics=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    dockerd --host "unix://$sock" --data-root "$run/data" --exec-root "$run/exec" --pidfile "$run/dockerd.pid" \
        --storage-driver=overlay2 --iptables=false --ip6tables=false --bridge=none --ip-masq=false --ip-forward=false \
        --shutdown-timeout 2 --add-runtime "lgrunc=$run/runc-wrap" --default-runtime lgrunc \
        --metrics-addr "127.0.0.1:$metrics" >"$run/dockerd.log" 2>&1 &
    pid=$!
    printf 'LG_DOCKER_SOCK=%s\nLG_DOCKER_PID=%s\nLG_DOCKER_RUN=%s\nLG_DOCKER_METRICS=%s\n' "$sock" "$pid" "$run" \
        "127.0.0.1:$metrics" > "$envfile"
    export LG_DOCKER_SOCK="$sock"
    for _ in $(seq 100); do
        [[ -S "$sock" ]] && curl -s --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1 && break
        kill -0 "$pid" 2>/dev/null || { cat "$run/dockerd.log" >&2; echo "dockerd died" >&2; exit 1; }
        sleep 0.1
    done
    # A busybox image from Debian's static binary.
    cp /bin/busybox "$run/rootfs/bin/busybox"
    for tool in sh sleep true ls cat; do ln -sf busybox "$run/rootfs/bin/$tool"; done
    printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$run/rootfs/etc/passwd"
    tar -C "$run/rootfs" -cf - . | api -X POST -H "Content-Type: application/x-tar" --data-binary @- \
        "http://localhost/images/create?fromSrc=-&repo=lg-busybox&tag=1.0" >/dev/null
    echo "dockerd ready on $sock (pid $pid)"
}

case "$cmd" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac
