#!/usr/bin/env bash
# Starts / stops a real Prometheus 2.42 and node_exporter 1.5 on 127.0.0.1 for the integration tests
# (TESTBED.md, Prometheus).
#   prometheus.sh start STATE_DIR [--tls-basic]   -> STATE_DIR/prometheus.env
#   prometheus.sh stop STATE_DIR
# Everything else lives in STATE_DIR/prometheus/ (data, config, logs, PKI) and is removed by stop.
#
# Prometheus scrapes every 1 s: itself (job "prometheus"), node_exporter (job "node") and, when
# LG_DOCKER_METRICS=host:port is set, dockerd's --metrics-addr (job "docker"). Before it starts, the
# deterministic series of prom-backfill.py (kube-state-metrics, Falco, a second node_exporter) are
# written into its TSDB with promtool; they end 3-4 min before the start, so instant queries rely on
# --query.lookback-delta (LG_PROM_LOOKBACK, default 1h instead of Prometheus' 5m) to keep seeing them.
# start returns once count(up==1) >= 2 and a backfilled series answers.
#
# prometheus.env: LG_PROM_MODE (plain|tls-basic), LG_PROM_URL, LG_PROM_PORT, LG_PROM_PID, LG_PROM_DATA,
#   LG_PROM_RUN, LG_PROM_LOG, LG_PROM_CONFIG, LG_PROM_LOOKBACK, LG_PROM_BACKFILL_FILE,
#   LG_PROM_BACKFILL_START, LG_PROM_BACKFILL_END (unix s of the first/last backfilled sample),
#   LG_NODE_EXPORTER_URL, LG_NODE_EXPORTER_PORT, LG_NODE_EXPORTER_PID
# --tls-basic adds --web.config.file with TLS (EC P-256 test CA, server cert for IP:127.0.0.1 and
#   DNS:localhost) and basic auth (bcrypt); LG_PROM_URL is https and the env file also holds
#   LG_PROM_CA, LG_PROM_OTHER_CA (an unrelated CA, for "wrong CA" tests), LG_PROM_USER,
#   LG_PROM_PASSWORD, LG_PROM_WEB_CONFIG.
#
# This VM's clock is not NTP-disciplined (adjtimex reports unsynchronised), so the live node_exporter
# runs without its timex collector and reports synchronised node_timex_* values from a textfile: the
# live node is the healthy counterpart of the backfilled worker-legacy node.
set -euo pipefail
cmd=${1:?start|stop}
state=${2:?state dir}
shift 2
mode=plain
for arg in "$@"; do
    case "$arg" in
    --tls-basic) mode=tls-basic ;;
    *) echo "usage: $0 start|stop STATE_DIR [--tls-basic]" >&2; exit 2 ;;
    esac
done
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$state"
state="$(cd "$state" && pwd)"
envfile="$state/prometheus.env"
run="$state/prometheus"
lookback=${LG_PROM_LOOKBACK:-1h}
prom=/usr/bin/prometheus promtool=/usr/bin/promtool exporter=/usr/bin/prometheus-node-exporter

# shellcheck source=tests/testbed/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stop() {
    if [[ -f "$envfile" ]]; then
        local LG_PROM_PID="" LG_NODE_EXPORTER_PID=""
        # shellcheck disable=SC1090
        source "$envfile"
        [[ -n "$LG_PROM_PID" ]] && terminate "$LG_PROM_PID" prometheus
        [[ -n "$LG_NODE_EXPORTER_PID" ]] && terminate "$LG_NODE_EXPORTER_PID" prometheus-node-exporter
    fi
    rm -rf "$run"
    rm -f "$envfile"
}

fail() { # fail MESSAGE [LOG]: print the log's tail, tear down what was started, exit
    [[ -n "${2:-}" && -f "$2" ]] && tail -n 20 "$2" >&2
    echo "prometheus.sh: $1" >&2
    stop
    exit 1
}

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The env file is rewritten after each step, so that stop finds whatever has been started.
write_env() {
    {
        printf 'LG_PROM_MODE=%s\nLG_PROM_RUN=%s\nLG_PROM_DATA=%s\nLG_PROM_LOOKBACK=%s\n' "$mode" "$run" "$run/data" "$lookback"
        [[ -n "${ne_pid:-}" ]] && printf 'LG_NODE_EXPORTER_URL=http://127.0.0.1:%s\nLG_NODE_EXPORTER_PORT=%s\nLG_NODE_EXPORTER_PID=%s\n' \
            "$ne_port" "$ne_port" "$ne_pid"
        [[ -n "${window:-}" ]] && printf 'LG_PROM_BACKFILL_FILE=%s\nLG_PROM_BACKFILL_START=%s\nLG_PROM_BACKFILL_END=%s\n' \
            "$run/backfill.om" "${window% *}" "${window#* }"
        [[ -n "${prom_pid:-}" ]] && printf 'LG_PROM_URL=%s\nLG_PROM_PORT=%s\nLG_PROM_PID=%s\nLG_PROM_LOG=%s\nLG_PROM_CONFIG=%s\n' \
            "$url" "$prom_port" "$prom_pid" "$run/prometheus.log" "$run/prometheus.yml"
        [[ -n "${password:-}" ]] && printf 'LG_PROM_CA=%s\nLG_PROM_OTHER_CA=%s\nLG_PROM_USER=%s\nLG_PROM_PASSWORD=%s\nLG_PROM_WEB_CONFIG=%s\n' \
            "$run/tls/ca.crt" "$run/tls/other-ca.crt" "$user" "$password" "$run/web-config.yml"
        [[ -n "${password:-}" ]] && printf 'LG_PROM_CLIENT_CERT=%s\nLG_PROM_CLIENT_KEY=%s\nLG_PROM_BAD_CLIENT_CERT=%s\nLG_PROM_BAD_CLIENT_KEY=%s\n' \
            "$run/tls/client.crt" "$run/tls/client.key" "$run/tls/bad-client.crt" "$run/tls/bad-client.key"
        true
    } > "$envfile.tmp"
    mv "$envfile.tmp" "$envfile"
}

make_tls() { # CA, server cert (IP:127.0.0.1, DNS:localhost), unrelated CA, password and its bcrypt hash
    local d="$run/tls" hash
    make_pki "$d" prometheus
    # Client certificates for mutual TLS: one from the test CA (accepted), one from the unrelated CA
    # (refused in the handshake: proves the client really presents its certificate).
    for client in client:ca bad-client:other-ca; do
        local name=${client%%:*} issuer=${client#*:}
        pki_key "$d/$name.key"
        openssl req -new -key "$d/$name.key" -subj "/CN=layerguard-$name" -out "$d/$name.csr" 2>/dev/null
        printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" "extendedKeyUsage=clientAuth" \
            > "$d/$name.ext"
        openssl x509 -req -in "$d/$name.csr" -CA "$d/$issuer.crt" -CAkey "$d/$issuer.key" -CAcreateserial -days 3650 \
            -sha256 -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null
    done
    chmod 600 "$d"/*.key
    user=layerguard
    password=$(openssl rand -hex 16)
    printf '%s' "$password" > "$d/password"
    chmod 600 "$d/password"
    if command -v htpasswd >/dev/null; then
        hash=$(htpasswd -nbB -C 10 "$user" "$password") # "user:$2y$10$...", then an empty line
        hash=${hash%%$'\n'*}
        hash=${hash#"$user":}
    elif /usr/bin/python3 -c 'import bcrypt' 2>/dev/null; then
        hash=$(/usr/bin/python3 -c 'import bcrypt, sys; print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(10)).decode())' "$password")
    else
        fail "neither htpasswd (apache2-utils) nor python3-bcrypt: run installer/install-deps.sh"
    fi
    cat > "$run/web-config.yml" <<EOF
tls_server_config:
  cert_file: $d/server.crt
  key_file: $d/server.key
  client_auth_type: VerifyClientCertIfGiven
  client_ca_file: $d/ca.crt
basic_auth_users:
  $user: '$hash'
EOF
}

write_config() { # the scrape config for Prometheus on $prom_port
    local self_auth=""
    if [[ "$mode" == tls-basic ]]; then
        self_auth="
    scheme: https
    tls_config: {ca_file: '$run/tls/ca.crt'}
    basic_auth: {username: '$user', password_file: '$run/tls/password'}"
    fi
    cat > "$run/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus$self_auth
    static_configs: [{targets: ['127.0.0.1:$prom_port']}]
  - job_name: node
    static_configs: [{targets: ['127.0.0.1:$ne_port']}]
EOF
    if [[ -n "${LG_DOCKER_METRICS:-}" ]]; then
        cat >> "$run/prometheus.yml" <<EOF
  - job_name: docker
    static_configs: [{targets: ['$LG_DOCKER_METRICS']}]
EOF
    fi
}

curl_prom() { curl -sS --max-time 5 "${auth[@]}" "$@"; }
query() { # query PROMQL -> first value, or nothing
    curl_prom "$url/api/v1/query" --data-urlencode "query=$1" 2>/dev/null | jq -r '.data.result[0].value[1] // empty' 2>/dev/null || true
}
elapsed() { echo "$(($(date +%s%N) / 1000000 - t0))ms"; }

start() {
    stop
    for b in "$prom" "$promtool" "$exporter"; do
        [[ -x "$b" ]] || { echo "$b missing: run installer/install-deps.sh" >&2; exit 1; }
    done
    [[ -z "${LG_DOCKER_METRICS:-}" || "$LG_DOCKER_METRICS" =~ ^[^/[:space:]]+:[0-9]+$ ]] ||
        { echo "LG_DOCKER_METRICS must be host:port, not '$LG_DOCKER_METRICS'" >&2; exit 2; }
    t0=$(($(date +%s%N) / 1000000))
    mkdir -p "$run/data" "$run/textfile"
    auth=()
    write_env

    # node_exporter. A port taken between free_port and the bind is retried with another one.
    printf '%s\n' "# HELP node_timex_sync_status Is clock synchronized to a reliable server (1 = yes, 0 = no)." \
        "# TYPE node_timex_sync_status gauge" "node_timex_sync_status 1" \
        "# HELP node_timex_maxerror_seconds Maximum error in seconds." \
        "# TYPE node_timex_maxerror_seconds gauge" "node_timex_maxerror_seconds 0.000512" \
        "# HELP node_timex_offset_seconds Time offset in between local system and reference clock." \
        "# TYPE node_timex_offset_seconds gauge" "node_timex_offset_seconds 0" > "$run/textfile/timex.prom"
    local attempt
    for attempt in 1 2 3; do
        ne_port=$(free_port)
        "$exporter" --web.listen-address="127.0.0.1:$ne_port" --no-collector.systemd --no-collector.timex \
            --collector.textfile.directory="$run/textfile" </dev/null >"$run/node-exporter.log" 2>&1 &
        ne_pid=$!
        write_env
        for _ in $(seq 100); do
            curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$ne_port/metrics" && break
            alive "$ne_pid" || break
            sleep 0.05
        done
        alive "$ne_pid" && break
        grep -q "address already in use" "$run/node-exporter.log" && ((attempt < 3)) && continue
        fail "node_exporter died" "$run/node-exporter.log"
    done
    curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$ne_port/metrics" || fail "node_exporter not answering" "$run/node-exporter.log"

    # Backfill, then TLS material, then Prometheus.
    window=$(/usr/bin/python3 "$here/prom-backfill.py" "$run/backfill.om")
    "$promtool" tsdb create-blocks-from openmetrics -q "$run/backfill.om" "$run/data" >"$run/promtool.log" 2>&1 ||
        fail "promtool backfill failed" "$run/promtool.log"
    write_env
    local scheme=http
    if [[ "$mode" == tls-basic ]]; then
        make_tls
        scheme=https
        auth=(--cacert "$run/tls/ca.crt" -u "$user:$password")
    fi
    local web=()
    [[ "$mode" == tls-basic ]] && web=(--web.config.file="$run/web-config.yml")
    for attempt in 1 2 3; do
        prom_port=$(free_port)
        url="$scheme://127.0.0.1:$prom_port"
        write_config
        "$prom" --config.file="$run/prometheus.yml" --storage.tsdb.path="$run/data" \
            --storage.tsdb.retention.time=30d --query.lookback-delta="$lookback" \
            --web.listen-address="127.0.0.1:$prom_port" "${web[@]}" </dev/null >"$run/prometheus.log" 2>&1 &
        prom_pid=$!
        write_env
        for _ in $(seq 300); do
            curl_prom -f -o /dev/null "$url/-/ready" 2>/dev/null && break
            alive "$prom_pid" || break
            sleep 0.05
        done
        alive "$prom_pid" && break
        grep -q "address already in use" "$run/prometheus.log" && ((attempt < 3)) && continue
        fail "prometheus died" "$run/prometheus.log"
    done
    curl_prom -f -o /dev/null "$url/-/ready" 2>/dev/null || fail "prometheus not ready after 15 s" "$run/prometheus.log"
    local ready_at up="" restarts="" docker=1
    ready_at=$(elapsed)
    # Scrape targets are applied in 5 s steps: wait on the data, not on /-/ready.
    for _ in $(seq 300); do
        up=$(query 'count(up==1)')
        restarts=$(query 'count(kube_pod_container_status_restarts_total{namespace="shop",pod="web-0"})')
        [[ -n "${LG_DOCKER_METRICS:-}" ]] && docker=$(query 'count(up{job="docker"})')
        [[ "${up:-0}" -ge 2 && "${restarts:-0}" -ge 1 && "${docker:-0}" -ge 1 ]] && break
        alive "$prom_pid" || fail "prometheus died" "$run/prometheus.log"
        sleep 0.1
    done
    [[ "${up:-0}" -ge 2 ]] || fail "count(up==1) is '${up}' after 30 s, expected >= 2" "$run/prometheus.log"
    [[ "${restarts:-0}" -ge 1 ]] || fail "backfilled series not queryable" "$run/prometheus.log"
    [[ "${docker:-0}" -ge 1 ]] || fail "no up{job=\"docker\"} after 30 s" "$run/prometheus.log"
    docker=""
    [[ -n "${LG_DOCKER_METRICS:-}" ]] && docker=", docker target up=$(query 'max(up{job="docker"})')"
    echo "prometheus ready on $url (pid $prom_pid, /-/ready after $ready_at, targets up after $(elapsed)$docker)," \
        "node_exporter on http://127.0.0.1:$ne_port (pid $ne_pid), backfill ${window% *}..${window#* }"
}

case "$cmd" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop STATE_DIR [--tls-basic]" >&2; exit 2 ;;
esac
