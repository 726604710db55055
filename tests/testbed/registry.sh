#!/usr/bin/env bash
# Starts / stops the OCI registry testbed for the registry connector's integration tests (TESTBED.md,
# Registry): three real docker-registry 2.8 (distribution) instances and a misbehaving one on 127.0.0.1.
#   registry.sh start STATE_DIR   -> STATE_DIR/registry.env, STATE_DIR/registry-images.json,
#                                    STATE_DIR/docker-config/config.json
#   registry.sh stop STATE_DIR
# Everything else lives in STATE_DIR/registry/ (storage, configs, logs, PKI) and is removed by stop.
#
#   plain  http, no auth: anonymous catalog and pulls (the "bad" registry)
#   basic  https (EC P-256 test CA, server cert IP:127.0.0.1 DNS:localhost) + htpasswd (bcrypt)
#   token  https + auth.token: bearer tokens from registry-token.py (https, same CA, RS256 JWTs with
#          an x5c header verified against the test CA as rootcertbundle)
#   faults registry-faults.py, plain http: broken/app with tags gone (404), badjson, cut (short body)
#   front  registry-front.py before token: a hosted registry (Docker Hub-like): realm on another port,
#          blobs 307 to signed URLs on https://localhost:PORT (rejects Authorization), 429 on every 7th
#          /v2/ request, _catalog 404 UNSUPPORTED; its upstream credentials are LG_REG_USER's
# start pushes the standard images (registry-push.py seed) into plain, basic and token and returns when
# they are pullable: shop/clean:1.0 (Docker v2, cosign signature tag sha256-<hex>.sig), shop/root:1.0
# (OCI, root, DB_PASSWORD=$LG_REG_CANARY, 2021), shop/multi:2.0 (OCI index amd64+arm64), shop/web:latest.
#
# registry.env: LG_REG_RUN, LG_REG_CANARY, LG_REG_CA, LG_REG_OTHER_CA, LG_REG_USER, LG_REG_PASSWORD,
#   LG_REG_PLAIN_URL/_PORT/_PID/_LOG, LG_REG_BASIC_URL/_PORT/_PID/_LOG, LG_REG_TOKEN_URL/_PORT/_PID/_LOG,
#   LG_REG_ISSUER_URL, LG_REG_ISSUER_PID, LG_REG_TOKEN_REALM, LG_REG_TOKEN_SERVICE, LG_REG_TOKEN_ISSUER,
#   LG_REG_ISSUER_LOG (JSON lines, one per token request), LG_REG_ISSUER_EXPIRE_FILE (while it exists
#   every token is issued expired; content "stale": expires_in still looks valid),
#   LG_REG_ISSUER_MAX_SCOPES_FILE (while it exists a token grants at most N repositories, N its content),
#   LG_REG_FAULTS_URL, LG_REG_FAULTS_PID, LG_REG_FAULTS_LOG, LG_REG_DOCKER_CONFIG (a DOCKER_CONFIG dir
#   with auths for basic and token), LG_REG_IMAGES (registry-images.json), LG_REG_COSIGN_KEY,
#   LG_REG_COSIGN_PUB (the key pair the signature is made with),
#   LG_REG_FRONT_URL/_PORT/_PID/_LOG (JSON lines, front and realm requests), LG_REG_FRONT_REALM,
#   LG_REG_FRONT_REDIRECT_URL (https://localhost:PORT), LG_REG_FRONT_REDIRECT_LOG (JSON lines {host, method,
#   path, status, authorization: bool}), LG_REG_FRONT_EVERY (7: every Nth /v2/ request is a 429),
#   LG_REG_FRONT_EVERY_FILE (while it exists its number replaces LG_REG_FRONT_EVERY, 0: never),
#   LG_REG_FRONT_REDIRECT_MANIFESTS_FILE (while it exists manifests are redirected too)
# LG_REG_TOKEN_EXPIRES_IN (default 300) sets the issuer's token lifetime.
set -euo pipefail
cmd=${1:?start|stop}
state=${2:?state dir}
(($# == 2)) || { echo "usage: $0 start|stop STATE_DIR" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$state"
state="$(cd "$state" && pwd)"
envfile="$state/registry.env"
run="$state/registry"
registry=/usr/bin/docker-registry py=/usr/bin/python3
canary=lg-canary-REGISTRY-5f3a9c
service=layerguard-registry
issuer=layerguard-test-token-issuer
front_every=7

# shellcheck source=tests/testbed/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stop() {
    if [[ -f "$envfile" ]]; then
        local LG_REG_PLAIN_PID="" LG_REG_BASIC_PID="" LG_REG_TOKEN_PID="" LG_REG_ISSUER_PID="" LG_REG_FAULTS_PID=""
        local LG_REG_FRONT_PID=""
        # shellcheck disable=SC1090
        source "$envfile"
        local p
        for p in "$LG_REG_PLAIN_PID" "$LG_REG_BASIC_PID" "$LG_REG_TOKEN_PID"; do
            [[ -n "$p" ]] && terminate "$p" docker-registry
        done
        for p in "$LG_REG_FRONT_PID" "$LG_REG_ISSUER_PID" "$LG_REG_FAULTS_PID"; do
            [[ -n "$p" ]] && terminate "$p" python3
        done
    fi
    rm -rf "$run" "$state/docker-config"
    rm -f "$envfile" "$state/registry-images.json"
}

fail() { # fail MESSAGE [LOG]: print the log's tail, tear down what was started, exit
    [[ -n "${2:-}" && -f "$2" ]] && tail -n 20 "$2" >&2
    echo "registry.sh: $1" >&2
    stop
    exit 1
}

# Set as the servers come up (write_env writes what is set, the *_pid through ${!name}).
# shellcheck disable=SC2034
{
    started="" user="" password="" seeded=""
    plain_port="" plain_pid="" basic_port="" basic_pid="" token_port="" token_pid=""
    issuer_port="" issuer_pid="" faults_port="" faults_pid=""
    front_port="" front_pid="" front_redirect_port="" front_auth_port=""
}

free_port() {
    $py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The env file is rewritten after each step, so that stop finds whatever has been started.
write_env() {
    {
        printf 'LG_REG_RUN=%s\nLG_REG_CANARY=%s\n' "$run" "$canary"
        [[ -n "${password:-}" ]] && printf 'LG_REG_CA=%s\nLG_REG_OTHER_CA=%s\nLG_REG_USER=%s\nLG_REG_PASSWORD=%s\n' \
            "$run/tls/ca.crt" "$run/tls/other-ca.crt" "$user" "$password"
        [[ -n "${password:-}" ]] && printf 'LG_REG_COSIGN_KEY=%s\nLG_REG_COSIGN_PUB=%s\n' "$run/tls/cosign.key" "$run/tls/cosign.pub"
        local name upper port_var pid_var scheme
        for name in plain basic token; do
            upper=${name^^} port_var=${name}_port pid_var=${name}_pid scheme=https
            [[ $name == plain ]] && scheme=http
            [[ -n "${!pid_var:-}" ]] && printf 'LG_REG_%s_URL=%s://127.0.0.1:%s\nLG_REG_%s_PORT=%s\nLG_REG_%s_PID=%s\nLG_REG_%s_LOG=%s\n' \
                "$upper" "$scheme" "${!port_var}" "$upper" "${!port_var}" "$upper" "${!pid_var}" "$upper" "$run/$name/registry.log"
        done
        [[ -n "${issuer_pid:-}" ]] && printf 'LG_REG_ISSUER_PID=%s\n' "$issuer_pid"
        [[ -n "${faults_pid:-}" ]] && printf 'LG_REG_FAULTS_PID=%s\n' "$faults_pid"
        [[ -n "${issuer_port:-}" ]] && printf 'LG_REG_ISSUER_URL=%s\nLG_REG_TOKEN_REALM=%s\nLG_REG_TOKEN_SERVICE=%s\nLG_REG_TOKEN_ISSUER=%s\nLG_REG_ISSUER_LOG=%s\nLG_REG_ISSUER_EXPIRE_FILE=%s\nLG_REG_ISSUER_MAX_SCOPES_FILE=%s\n' \
            "https://127.0.0.1:$issuer_port" "https://127.0.0.1:$issuer_port/token" "$service" "$issuer" \
            "$run/issuer/requests.log" "$run/issuer/expire-tokens" "$run/issuer/max-scopes"
        [[ -n "${faults_port:-}" ]] && printf 'LG_REG_FAULTS_URL=http://127.0.0.1:%s\nLG_REG_FAULTS_LOG=%s\n' \
            "$faults_port" "$run/faults/requests.log"
        [[ -n "${front_pid:-}" ]] && printf 'LG_REG_FRONT_PID=%s\n' "$front_pid"
        [[ -n "${front_auth_port:-}" ]] && printf 'LG_REG_FRONT_URL=%s\nLG_REG_FRONT_PORT=%s\nLG_REG_FRONT_LOG=%s\nLG_REG_FRONT_REALM=%s\nLG_REG_FRONT_REDIRECT_URL=%s\nLG_REG_FRONT_REDIRECT_LOG=%s\nLG_REG_FRONT_EVERY=%s\nLG_REG_FRONT_EVERY_FILE=%s\nLG_REG_FRONT_REDIRECT_MANIFESTS_FILE=%s\n' \
            "https://127.0.0.1:$front_port" "$front_port" "$run/front/requests.log" "https://127.0.0.1:$front_auth_port/token" \
            "https://localhost:$front_redirect_port" "$run/front/redirect.log" "$front_every" "$run/front/every" \
            "$run/front/redirect-manifests"
        [[ -n "${seeded:-}" ]] && printf 'LG_REG_DOCKER_CONFIG=%s\nLG_REG_IMAGES=%s\n' "$state/docker-config" "$state/registry-images.json"
        true
    } > "$envfile.tmp"
    mv "$envfile.tmp" "$envfile"
}

make_tls() { # CA, unrelated CA, server cert (IP:127.0.0.1, DNS:localhost), token signing cert, cosign key
    local d="$run/tls"
    make_pki "$d" registry
    # The token signing key (RS256) and its certificate from the test CA: it travels in the JWT's x5c.
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/token-signing.key" 2>/dev/null
    openssl req -new -key "$d/token-signing.key" -subj "/CN=$issuer" -out "$d/token-signing.csr" 2>/dev/null
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" > "$d/token-signing.ext"
    openssl x509 -req -in "$d/token-signing.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 3650 \
        -sha256 -extfile "$d/token-signing.ext" -out "$d/token-signing.crt" 2>/dev/null
    # The cosign-style signature of shop/clean is made with this key (ECDSA P-256, as cosign's).
    pki_key "$d/cosign.key"
    openssl pkey -in "$d/cosign.key" -pubout -out "$d/cosign.pub" 2>/dev/null
    chmod 600 "$d"/*.key
    user=layerguard
    password=$(openssl rand -hex 16)
    local hash
    hash=$(htpasswd -Bbn "$user" "$password") # "user:$2y$05$...", then an empty line
    printf '%s\n' "${hash%%$'\n'*}" > "$run/htpasswd"
    printf '%s:%s\n' "$user" "$password" > "$run/issuer/credentials"
    chmod 600 "$run/htpasswd" "$run/issuer/credentials"
}

write_config() { # write_config NAME PORT: the docker-registry configuration of instance NAME
    local name=$1 port=$2 dir="$run/$1"
    {
        cat <<EOF
version: 0.1
log:
  # warnings and errors only, no access log: logging every request costs the registry more CPU than
  # answering it, and the benchmark (tests/bench/b3_registry.sh) measures the client
  level: warn
  accesslog:
    disabled: true
  formatter: text
  fields:
    instance: $name
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: $(openssl rand -hex 16)
  headers:
    X-Content-Type-Options: [nosniff]
EOF
        if [[ "$name" != plain ]]; then
            cat <<EOF
  tls:
    certificate: $run/tls/server.crt
    key: $run/tls/server.key
EOF
        fi
        case "$name" in
        basic)
            cat <<EOF
auth:
  htpasswd:
    realm: layerguard-basic
    path: $run/htpasswd
EOF
            ;;
        token)
            cat <<EOF
auth:
  token:
    realm: https://127.0.0.1:$issuer_port/token
    service: $service
    issuer: $issuer
    rootcertbundle: $run/tls/ca.crt
EOF
            ;;
        esac
        cat <<EOF
health:
  storagedriver:
    enabled: false
EOF
    } > "$dir/config.yml"
}

start_registry() { # start_registry NAME: picks a free port (retried when taken), waits for /v2/
    local name=$1 dir="$run/$1" attempt port pid scheme=https code=""
    [[ "$name" == plain ]] && scheme=http
    mkdir -p "$dir/data"
    for attempt in 1 2 3; do
        port=$(free_port)
        write_config "$name" "$port"
        # REGISTRY_* variables would override the configuration file.
        local unset_vars=() v
        for v in $(compgen -e); do [[ "$v" == REGISTRY_* ]] && unset_vars+=(-u "$v"); done
        env "${unset_vars[@]}" "$registry" serve "$dir/config.yml" </dev/null >"$dir/registry.log" 2>&1 &
        pid=$!
        printf -v "${name}_port" %s "$port"
        printf -v "${name}_pid" %s "$pid"
        write_env
        for _ in $(seq 200); do
            code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$run/tls/ca.crt" "$scheme://127.0.0.1:$port/v2/" || true)
            [[ "$code" == 200 || "$code" == 401 ]] && break
            alive "$pid" || break
            sleep 0.05
        done
        alive "$pid" && break
        grep -q "address already in use" "$dir/registry.log" && ((attempt < 3)) && continue
        fail "docker-registry $name died" "$dir/registry.log"
    done
    [[ "$code" == 200 || "$code" == 401 ]] || fail "docker-registry $name not answering /v2/ after 10 s" "$dir/registry.log"
}

start_python() { # start_python NAME SCRIPT ARGS...: a server that binds port 0 and writes its ready file
    local name=$1 script=$2 dir="$run/$1" pid
    shift 2
    mkdir -p "$dir"
    rm -f "$dir/port"
    $py "$here/$script" --port 0 --ready-file "$dir/port" --log "$dir/requests.log" "$@" \
        </dev/null >"$dir/server.log" 2>&1 &
    pid=$!
    printf -v "${name}_pid" %s "$pid"
    write_env
    for _ in $(seq 200); do
        [[ -s "$dir/port" ]] && break
        alive "$pid" || fail "$script died" "$dir/server.log"
        sleep 0.05
    done
    [[ -s "$dir/port" ]] || fail "$script not ready after 10 s" "$dir/server.log"
    printf -v "${name}_port" %s "$(cat "$dir/port")"
    write_env
}

elapsed() { echo "$(($(date +%s%N) / 1000000 - t0))ms"; }

start() {
    stop
    for b in "$registry" "$py" /usr/bin/htpasswd /usr/bin/openssl /usr/bin/curl; do
        [[ -x "$b" ]] || { echo "$b missing: run installer/install-deps.sh" >&2; exit 1; }
    done
    $py -c 'import cryptography' 2>/dev/null || { echo "python3-cryptography missing: run installer/install-deps.sh" >&2; exit 1; }
    t0=$(($(date +%s%N) / 1000000))
    # Whatever ends start early (set -e, set -u) tears down what it had started.
    trap '[[ -n "$started" ]] || stop' EXIT
    mkdir -p "$run/issuer"
    write_env
    make_tls
    write_env

    start_python issuer registry-token.py --tls-cert "$run/tls/server.crt" --tls-key "$run/tls/server.key" \
        --signing-key "$run/tls/token-signing.key" --signing-cert "$run/tls/token-signing.crt" \
        --credentials "$run/issuer/credentials" --issuer "$issuer" --service "$service" \
        --expires-in "${LG_REG_TOKEN_EXPIRES_IN:-300}" --expire-file "$run/issuer/expire-tokens" \
        --max-scopes-file "$run/issuer/max-scopes"
    start_python faults registry-faults.py
    local name
    for name in plain basic token; do start_registry "$name"; done
    # The hosted-registry front needs the token registry's challenge (its realm) to start.
    start_python front registry-front.py --tls-cert "$run/tls/server.crt" --tls-key "$run/tls/server.key" \
        --upstream "https://127.0.0.1:$token_port" --upstream-ca "$run/tls/ca.crt" \
        --upstream-credentials "$run/issuer/credentials" --every "$front_every" --every-file "$run/front/every" \
        --redirect-manifests-file "$run/front/redirect-manifests" --redirect-log "$run/front/redirect.log"
    read -r front_port front_redirect_port front_auth_port <<<"$front_port" # the ready file: "FRONT REDIRECT AUTH"
    write_env

    # DOCKER_CONFIG for the connector: credentials of the two registries that need them.
    mkdir -p "$state/docker-config"
    local auth
    auth=$(printf '%s:%s' "$user" "$password" | base64 -w0)
    cat > "$state/docker-config/config.json.tmp" <<EOF
{
  "auths": {
    "127.0.0.1:$basic_port": {"auth": "$auth"},
    "127.0.0.1:$token_port": {"auth": "$auth"}
  }
}
EOF
    chmod 600 "$state/docker-config/config.json.tmp"
    mv "$state/docker-config/config.json.tmp" "$state/docker-config/config.json"

    local ready_at
    ready_at=$(elapsed)
    # CA, credentials, canary and cosign key from the env file (no password on a command line).
    $py "$here/registry-push.py" --env "$envfile" seed --out "$state/registry-images.json" \
        "plain=http://127.0.0.1:$plain_port" "basic=https://127.0.0.1:$basic_port" \
        "token=https://127.0.0.1:$token_port" 2>"$run/seed.log" || fail "pushing the images failed" "$run/seed.log"
    seeded=1
    write_env
    started=1
    echo "registry testbed ready after $(elapsed) (servers up after $ready_at; $(tail -n 1 "$run/seed.log")):" \
        "plain http://127.0.0.1:$plain_port, basic https://127.0.0.1:$basic_port, token https://127.0.0.1:$token_port" \
        "(issuer https://127.0.0.1:$issuer_port), faults http://127.0.0.1:$faults_port," \
        "front https://127.0.0.1:$front_port (redirects https://localhost:$front_redirect_port, realm https://127.0.0.1:$front_auth_port)"
}

case "$cmd" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac
