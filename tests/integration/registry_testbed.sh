#!/usr/bin/env bash
# Proves the OCI registry testbed (tests/testbed/registry.sh) with curl: three real docker-registry 2.8
# instances (plain http, TLS + htpasswd, TLS + bearer tokens from registry-token.py), the images that
# registry-push.py seeds into each, the behaviour of distribution 2.8 the connector has to live with
# (Accept negotiation, catalog pagination, token scopes and expiry) and the faults registry.
# usage: tests/integration/registry_testbed.sh [SOURCE_DIR]
set -euo pipefail
src="$(cd "${1:-$(dirname "$0")/../..}" && pwd)"
tb="$src/tests/testbed/registry.sh"
push="$src/tests/testbed/registry-push.py"
tmp=$(mktemp -d /tmp/lgreg.XXXX)
state="$tmp/state"
# shellcheck source=tests/testbed/lib.sh
source "$(dirname "$tb")/lib.sh"
cleanup() {
    "$tb" stop "$state" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
t0=$SECONDS
# shellcheck source=tests/integration/checks.sh
source "$src/tests/integration/checks.sh"

OCI=application/vnd.oci.image.manifest.v1+json
INDEX=application/vnd.oci.image.index.v1+json
V2=application/vnd.docker.distribution.manifest.v2+json
LIST=application/vnd.docker.distribution.manifest.list.v2+json
ALL="$OCI, $INDEX, $V2, $LIST"

start_ms=$(($(date +%s%N) / 1000000))
"$tb" start "$state" >"$tmp/start.out" 2>&1 || fail "testbed did not start: $(cat "$tmp/start.out")"
ok "started in $(($(date +%s%N) / 1000000 - start_ms)) ms: $(cat "$tmp/start.out")"
# shellcheck disable=SC1091
source "$state/registry.env"
images="$state/registry-images.json"
for v in LG_REG_PLAIN_URL LG_REG_BASIC_URL LG_REG_TOKEN_URL LG_REG_CA LG_REG_OTHER_CA LG_REG_USER LG_REG_PASSWORD \
    LG_REG_TOKEN_REALM LG_REG_TOKEN_SERVICE LG_REG_ISSUER_EXPIRE_FILE LG_REG_CANARY LG_REG_FAULTS_URL \
    LG_REG_PLAIN_PID LG_REG_BASIC_PID LG_REG_TOKEN_PID LG_REG_ISSUER_PID LG_REG_FAULTS_PID LG_REG_DOCKER_CONFIG \
    LG_REG_IMAGES LG_REG_ISSUER_LOG LG_REG_COSIGN_PUB; do
    [[ -n "${!v:-}" ]] || fail "registry.env lacks $v"
done
[[ "$LG_REG_PLAIN_URL" == http://127.0.0.1:* && "$LG_REG_BASIC_URL" == https://127.0.0.1:* &&
    "$LG_REG_TOKEN_URL" == https://127.0.0.1:* ]] || fail "URLs: $LG_REG_PLAIN_URL $LG_REG_BASIC_URL $LG_REG_TOKEN_URL"
ok "registry.env complete (plain $LG_REG_PLAIN_URL, basic $LG_REG_BASIC_URL, token $LG_REG_TOKEN_URL)"

C=(--cacert "$LG_REG_CA")
creds=(-u "$LG_REG_USER:$LG_REG_PASSWORD")
code() { curl -s -o /dev/null -w '%{http_code}' "$@" || true; }
token() { # token SCOPE... -> a JWT from the issuer (basic credentials)
    local args=() s
    for s in "$@"; do args+=(--data-urlencode "scope=$s"); done
    curl -sS --fail-with-body "${C[@]}" "${creds[@]}" -G "$LG_REG_TOKEN_REALM" \
        --data-urlencode "service=$LG_REG_TOKEN_SERVICE" "${args[@]}" | jq -r .token
}
scope_of() { # the scope a /v2/ path needs for reading
    case "$1" in
    /v2/_catalog*) echo 'registry:catalog:*' ;;
    /v2/*/manifests/* | /v2/*/blobs/* | /v2/*/tags/list*) echo "repository:$(sed -E 's#^/v2/(.*)/(manifests|blobs|tags)/.*#\1#' <<<"$1"):pull" ;;
    esac
}
rget() { # rget plain|basic|token PATH [curl args...]: GET with the registry's auth, body on stdout
    local reg=$1 path=$2
    shift 2
    case "$reg" in
    plain) curl -sS --fail-with-body "$LG_REG_PLAIN_URL$path" "$@" ;;
    basic) curl -sS --fail-with-body "${C[@]}" "${creds[@]}" "$LG_REG_BASIC_URL$path" "$@" ;;
    token) curl -sS --fail-with-body "${C[@]}" -H "Authorization: Bearer $(token "$(scope_of "$path")")" "$LG_REG_TOKEN_URL$path" "$@" ;;
    esac
}
recorded() { # recorded REGISTRY REPO TAG FIELD
    jq -r --arg r "$2" --arg t "$3" ".registries.$1.images[] | select(.repo == \$r and .tag == \$t) | .$4" "$images"
}

# --- plain: anonymous -------------------------------------------------------------------------------
out=$(curl -sS --fail-with-body "$LG_REG_PLAIN_URL/v2/_catalog") || fail "anonymous catalog on plain: $out"
jq -e '.repositories == ["shop/clean", "shop/multi", "shop/root", "shop/web"]' <<<"$out" >/dev/null || fail "plain catalog: $out"
ok "plain: anonymous catalog lists shop/clean, shop/multi, shop/root, shop/web"
[[ $(code "$LG_REG_PLAIN_URL/v2/") == 200 ]] || fail "plain /v2/ not 200 anonymously"
ok "plain: anonymous /v2/ -> 200"

# --- basic: TLS + htpasswd --------------------------------------------------------------------------
hdr=$(curl -s -D - -o /dev/null "${C[@]}" "$LG_REG_BASIC_URL/v2/") || true
[[ "$hdr" == *" 401"* && "$hdr" == *'Basic realm="layerguard-basic"'* ]] || fail "basic without credentials: $hdr"
ok "basic: no credentials -> 401 WWW-Authenticate: Basic realm=\"layerguard-basic\""
[[ $(code "${C[@]}" -u "$LG_REG_USER:wrong" "$LG_REG_BASIC_URL/v2/") == 401 ]] || fail "basic: wrong password not 401"
[[ $(code "${C[@]}" "${creds[@]}" "$LG_REG_BASIC_URL/v2/") == 200 ]] || fail "basic: right password not 200"
ok "basic: wrong password -> 401, right password + --cacert -> 200"
rc=0
curl -s -o /dev/null --cacert "$LG_REG_OTHER_CA" "${creds[@]}" "$LG_REG_BASIC_URL/v2/" || rc=$?
[[ $rc == 60 ]] || fail "basic with the unrelated CA: curl exit $rc, expected 60"
ok "basic: the unrelated CA fails verification (curl exit 60)"
out=$(rget basic /v2/_catalog) || fail "basic catalog: $out"
jq -e '.repositories == ["shop/clean", "shop/multi", "shop/root", "shop/web"]' <<<"$out" >/dev/null || fail "basic catalog: $out"
ok "basic: catalog lists the 4 repositories"

# --- token: the bearer flow ---------------------------------------------------------------------------
hdr=$(curl -s -D - -o /dev/null "${C[@]}" "$LG_REG_TOKEN_URL/v2/_catalog" | tr -d '\r') || true
challenge=$(grep -i '^www-authenticate:' <<<"$hdr" | cut -d' ' -f2-)
[[ "$hdr" == HTTP/*" 401"* &&
    "$challenge" == "Bearer realm=\"$LG_REG_TOKEN_REALM\",service=\"$LG_REG_TOKEN_SERVICE\",scope=\"registry:catalog:*\"" ]] ||
    fail "token: anonymous catalog: $hdr"
ok "token: anonymous catalog -> 401 $challenge"
[[ $(code "${C[@]}" "$LG_REG_TOKEN_REALM?service=$LG_REG_TOKEN_SERVICE&scope=registry:catalog:*") == 401 ]] ||
    fail "issuer gave an anonymous token"
[[ $(code "${C[@]}" -u "$LG_REG_USER:wrong" "$LG_REG_TOKEN_REALM?service=$LG_REG_TOKEN_SERVICE&scope=registry:catalog:*") == 401 ]] ||
    fail "issuer accepted a wrong password"
ok "token: issuer answers 401 without credentials and with a wrong password"
body=$(curl -sS --fail-with-body "${C[@]}" "${creds[@]}" -G "$LG_REG_TOKEN_REALM" --data-urlencode "service=$LG_REG_TOKEN_SERVICE" \
    --data-urlencode 'scope=registry:catalog:*') || fail "token request: $body"
jq -e '(.token | length > 100) and .token == .access_token and .expires_in == 300 and (.issued_at | test("^20[0-9-]+T[0-9:]+Z$"))' \
    <<<"$body" >/dev/null || fail "token response: $body"
catalog_token=$(jq -r .token <<<"$body")
jwt_header=$(cut -d. -f1 <<<"$catalog_token" | tr '_-' '/+')
while ((${#jwt_header} % 4)); do jwt_header+="="; done
jq -e '.alg == "RS256" and (.x5c | length == 1)' <<<"$(base64 -d <<<"$jwt_header")" >/dev/null || fail "JWT header: $(base64 -d <<<"$jwt_header")"
ok "token: issuer -> {token, access_token, expires_in: 300, issued_at}, RS256 with x5c"
out=$(curl -sS --fail-with-body "${C[@]}" -H "Authorization: Bearer $catalog_token" "$LG_REG_TOKEN_URL/v2/_catalog") ||
    fail "catalog with token: $out"
jq -e '.repositories == ["shop/clean", "shop/multi", "shop/root", "shop/web"]' <<<"$out" >/dev/null || fail "token catalog: $out"
ok "token: Bearer registry:catalog:* -> catalog of the 4 repositories"
root_token=$(token repository:shop/root:pull)
curl -sS --fail-with-body -o "$tmp/root.json" -D "$tmp/root.hdr" "${C[@]}" -H "Authorization: Bearer $root_token" -H "Accept: $ALL" \
    "$LG_REG_TOKEN_URL/v2/shop/root/manifests/1.0" || fail "manifest with repository:shop/root:pull: $(cat "$tmp/root.json")"
grep -qi "^docker-content-digest: $(recorded token shop/root 1.0 digest)" "$tmp/root.hdr" || fail "shop/root digest: $(cat "$tmp/root.hdr")"
ok "token: repository:shop/root:pull -> shop/root:1.0 manifest, digest as recorded"
hdr=$(curl -s -D - -o /dev/null "${C[@]}" -H "Authorization: Bearer $root_token" -H "Accept: $ALL" \
    "$LG_REG_TOKEN_URL/v2/shop/clean/manifests/1.0" | tr -d '\r') || true
[[ "$hdr" == HTTP/*" 401"* && "$hdr" == *'scope="repository:shop/clean:pull",error="insufficient_scope"'* ]] ||
    fail "token for shop/root on shop/clean: $hdr"
ok "token: the shop/root token on shop/clean -> 401 error=\"insufficient_scope\""
hdr=$(curl -s -D - -o /dev/null "${C[@]}" -H "Authorization: Bearer $root_token" "$LG_REG_TOKEN_URL/v2/_catalog" | tr -d '\r') || true
[[ "$hdr" == HTTP/*" 401"* && "$hdr" == *'error="insufficient_scope"'* ]] || fail "repository token on the catalog: $hdr"
ok "token: a repository token on /v2/_catalog -> 401 insufficient_scope (the catalog needs registry:catalog:*)"
oauth=$(curl -sS --fail-with-body "${C[@]}" "$LG_REG_TOKEN_REALM" --data-urlencode grant_type=password \
    --data-urlencode "username=$LG_REG_USER" --data-urlencode "password=$LG_REG_PASSWORD" \
    --data-urlencode "service=$LG_REG_TOKEN_SERVICE" --data-urlencode "scope=repository:shop/web:pull" \
    --data-urlencode client_id=layerguard-test) || fail "OAuth2 POST: $oauth"
[[ $(code "${C[@]}" -H "Authorization: Bearer $(jq -r .access_token <<<"$oauth")" -H "Accept: $ALL" \
    "$LG_REG_TOKEN_URL/v2/shop/web/manifests/latest") == 200 ]] || fail "OAuth2 token refused"
ok "token: OAuth2 POST grant_type=password works too"
jq -se --arg u "$LG_REG_USER" 'any(.[]; .scopes == ["repository:shop/root:pull"] and .status == 200 and .user == $u)' "$LG_REG_ISSUER_LOG" \
    >/dev/null || fail "issuer log lacks the shop/root request: $(cat "$LG_REG_ISSUER_LOG")"
ok "token: the issuer logs each request's scopes ($(wc -l <"$LG_REG_ISSUER_LOG") lines)"

# --- expired tokens -----------------------------------------------------------------------------------
: >"$LG_REG_ISSUER_EXPIRE_FILE"
body=$(curl -sS --fail-with-body "${C[@]}" "${creds[@]}" -G "$LG_REG_TOKEN_REALM" --data-urlencode "service=$LG_REG_TOKEN_SERVICE" \
    --data-urlencode 'scope=registry:catalog:*')
jq -e '.expires_in < 0' <<<"$body" >/dev/null || fail "expire knob: $body"
hdr=$(curl -s -D - -o /dev/null "${C[@]}" -H "Authorization: Bearer $(jq -r .token <<<"$body")" "$LG_REG_TOKEN_URL/v2/_catalog" | tr -d '\r') || true
[[ "$hdr" == HTTP/*" 401"* && "$hdr" == *'error="invalid_token"'* ]] || fail "expired token: $hdr"
ok "expire knob: expires_in $(jq .expires_in <<<"$body"), registry -> 401 error=\"invalid_token\""
echo stale >"$LG_REG_ISSUER_EXPIRE_FILE"
body=$(curl -sS --fail-with-body "${C[@]}" "${creds[@]}" -G "$LG_REG_TOKEN_REALM" --data-urlencode "service=$LG_REG_TOKEN_SERVICE" \
    --data-urlencode 'scope=registry:catalog:*')
jq -e '.expires_in == 300' <<<"$body" >/dev/null || fail "stale knob: $body"
[[ $(code "${C[@]}" -H "Authorization: Bearer $(jq -r .token <<<"$body")" "$LG_REG_TOKEN_URL/v2/_catalog") == 401 ]] ||
    fail "stale token accepted"
ok "expire knob \"stale\": expires_in 300 but the registry -> 401"
rm -f "$LG_REG_ISSUER_EXPIRE_FILE"
[[ $(code "${C[@]}" -H "Authorization: Bearer $(token 'registry:catalog:*')" "$LG_REG_TOKEN_URL/v2/_catalog") == 200 ]] ||
    fail "fresh token after removing the knob"
ok "expire knob removed: fresh tokens work again"

# --- catalog pagination -------------------------------------------------------------------------------
for reg in plain basic token; do
    next="/v2/_catalog?n=1" pages=0 repos=()
    while [[ -n "$next" ]]; do
        rget "$reg" "$next" -D "$tmp/page.hdr" >"$tmp/page.json" || fail "$reg $next: $(cat "$tmp/page.json")"
        mapfile -t -O "${#repos[@]}" repos < <(jq -r '.repositories[]' "$tmp/page.json")
        pages=$((pages + 1))
        link=$(tr -d '\r' <"$tmp/page.hdr" | sed -n 's/^[Ll]ink: <\(.*\)>; rel="next"$/\1/p')
        ((pages == 1)) && { [[ "$link" == "/v2/_catalog?last=shop%2Fclean&n=1" ]] || fail "$reg first Link: '$link'"; }
        next=$link
        ((pages <= 10)) || fail "$reg: pagination does not end"
    done
    [[ "${repos[*]}" == "shop/clean shop/multi shop/root shop/web" && $pages == 4 ]] || fail "$reg pages: $pages, ${repos[*]}"
done
ok "_catalog?n=1: Link: </v2/_catalog?last=shop%2Fclean&n=1>; rel=\"next\", 4 pages, the last without Link (plain, basic, token)"
[[ $(code "$LG_REG_PLAIN_URL/v2/_catalog?n=1001") == 400 ]] || fail "n=1001 accepted"
ok "_catalog?n=1001 -> 400 PAGINATION_NUMBER_INVALID (catalog.maxentries 1000)"

# --- Accept negotiation -------------------------------------------------------------------------------
accept_code() { code -H "Accept: $2" "$LG_REG_PLAIN_URL/v2/$1"; }
[[ $(accept_code shop/root/manifests/1.0 "$V2, $LIST") == 404 ]] || fail "OCI manifest served without OCI Accept"
curl -s "$LG_REG_PLAIN_URL/v2/shop/root/manifests/1.0" -H "Accept: $V2" | jq -e '.errors[0].code == "MANIFEST_UNKNOWN"' >/dev/null ||
    fail "OCI manifest without OCI accept: not MANIFEST_UNKNOWN"
root_digest=$(recorded plain shop/root 1.0 digest)
[[ $(accept_code "shop/root/manifests/$root_digest" "$V2") == 404 ]] || fail "OCI manifest by digest served without OCI Accept"
curl -sS --fail-with-body -D "$tmp/h" -o "$tmp/root.json" -H "Accept: $OCI" "$LG_REG_PLAIN_URL/v2/shop/root/manifests/1.0" ||
    fail "shop/root with OCI Accept"
grep -qi "^content-type: $OCI" "$tmp/h" || fail "shop/root content type: $(cat "$tmp/h")"
[[ "sha256:$(sha256sum <"$tmp/root.json" | cut -d' ' -f1)" == "$root_digest" ]] || fail "shop/root body digest"
jq -e 'has("mediaType") | not' "$tmp/root.json" >/dev/null || fail "shop/root manifest has a mediaType field"
ok "shop/root (OCI, no mediaType in the body): 404 MANIFEST_UNKNOWN without the OCI type in Accept (by tag and by digest), 200 with it"
curl -s -D "$tmp/h" -o /dev/null -H "Accept: $OCI" "$LG_REG_PLAIN_URL/v2/shop/clean/manifests/1.0"
grep -qi '^content-type: application/vnd.docker.distribution.manifest.v1+prettyjws' "$tmp/h" ||
    fail "shop/clean without the v2 type: $(cat "$tmp/h")"
curl -sS --fail-with-body -D "$tmp/h" -o "$tmp/clean.json" -H "Accept: $ALL" "$LG_REG_PLAIN_URL/v2/shop/clean/manifests/1.0"
grep -qi "^content-type: $V2" "$tmp/h" || fail "shop/clean with all types: $(cat "$tmp/h")"
ok "shop/clean (Docker v2): converted to schema1 (v1+prettyjws) without the v2 type in Accept, v2 with it"
[[ $(accept_code shop/multi/manifests/2.0 "$OCI, $V2, $LIST") == 404 ]] || fail "OCI index served without the index type"
curl -sS --fail-with-body -D "$tmp/h" -o "$tmp/multi.json" -H "Accept: $ALL" "$LG_REG_PLAIN_URL/v2/shop/multi/manifests/2.0"
grep -qi "^content-type: $INDEX" "$tmp/h" || fail "shop/multi content type"
jq -e '[.manifests[] | .platform | "\(.os)/\(.architecture)"] == ["linux/amd64", "linux/arm64"]' "$tmp/multi.json" >/dev/null ||
    fail "shop/multi platforms: $(cat "$tmp/multi.json")"
ok "shop/multi (OCI index): 404 without the index type, 200 with it: linux/amd64 + linux/arm64"

# --- image contents (the same in every registry) -------------------------------------------------------
config_of() { # config_of REGISTRY REPO MANIFEST_REF -> config JSON
    local m cfg
    m=$(rget "$1" "/v2/$2/manifests/$3" -H "Accept: $ALL") || return 1
    cfg=$(jq -r .config.digest <<<"$m")
    rget "$1" "/v2/$2/blobs/$cfg" -L
}
month_ago=$(date -u -d '30 days ago' +%Y-%m-%dT%H:%M:%SZ)
for reg in plain basic token; do
    for repo_tag in shop/clean:1.0 shop/root:1.0 shop/multi:2.0 shop/web:latest; do
        repo=${repo_tag%:*} tag=${repo_tag#*:}
        want=$(recorded "$reg" "$repo" "$tag" digest)
        got=$(rget "$reg" "/v2/$repo/manifests/$tag" -H "Accept: $ALL" | sha256sum | cut -d' ' -f1)
        [[ "sha256:$got" == "$want" ]] || fail "$reg $repo_tag: sha256:$got, recorded $want"
    done
    [[ $(recorded "$reg" shop/clean 1.0 digest) == $(recorded plain shop/clean 1.0 digest) ]] || fail "$reg: other images than plain"
    cfg=$(config_of "$reg" shop/clean 1.0) || fail "$reg clean config"
    jq -e --arg m "$month_ago" '.config.User == "10001" and (.config.Healthcheck.Test | length > 0) and .created > $m and
        ([.history[].created_by | select(test("ADD https?://"))] | length == 0)' <<<"$cfg" >/dev/null || fail "$reg clean config: $cfg"
    [[ "$cfg" != *"$LG_REG_CANARY"* ]] || fail "$reg clean config holds the canary"
    cfg=$(config_of "$reg" shop/root 1.0) || fail "$reg root config"
    jq -e --arg c "DB_PASSWORD=$LG_REG_CANARY" '(.config | has("User") | not) and (.config.Env | index($c) != null) and
        (.config.Env | map(select(startswith("PATH="))) | length == 1) and .created == "2021-03-01T00:00:00Z" and
        (.config | has("Healthcheck") | not) and
        ([.history[].created_by] | index("/bin/sh -c #(nop) ADD https://example.com/tool.tgz /opt/") != null)' <<<"$cfg" >/dev/null ||
        fail "$reg root config: $cfg"
    for platform in linux/amd64 linux/arm64/v8; do
        child=$(jq -r --arg p "$platform" '.manifests[] | select(.platform == $p) | .digest' <<<"$(jq ".registries.$reg.images[] | select(.repo == \"shop/multi\")" "$images")")
        cfg=$(config_of "$reg" shop/multi "$child") || fail "$reg multi $platform config"
        case $platform in
        linux/amd64) jq -e --arg m "$month_ago" '.architecture == "amd64" and .config.User == "app" and .created > $m' <<<"$cfg" >/dev/null ;;
        *) jq -e '.architecture == "arm64" and .variant == "v8" and (.config | has("User") | not)' <<<"$cfg" >/dev/null ;;
        esac || fail "$reg multi $platform config: $cfg"
    done
    tags=$(rget "$reg" /v2/shop/web/tags/list)
    jq -e '.tags == ["latest"]' <<<"$tags" >/dev/null || fail "$reg shop/web tags: $tags"
    cfg=$(config_of "$reg" shop/web latest)
    jq -e '.config.User == "10001" and (.config.Healthcheck | type == "object")' <<<"$cfg" >/dev/null || fail "$reg web config: $cfg"
done
ok "plain, basic, token hold the same images with the recorded digests; clean: User 10001, healthcheck, recent;" \
    "root: root user, DB_PASSWORD=canary, 2021-03-01, ADD https://example.com/tool.tgz; multi: amd64 User app, arm64 root; web: only latest"
layer=$(jq -r '.layers[1].digest' "$tmp/root.json")
rget plain "/v2/shop/root/blobs/$layer" -o "$tmp/layer.tgz"
[[ "$(tar -tzf "$tmp/layer.tgz" | tr '\n' ' ')" == "opt/ opt/tool/ opt/tool/bin/ opt/tool/bin/tool " ]] ||
    fail "shop/root second layer: $(tar -tzf "$tmp/layer.tgz")"
ok "shop/root layers are real gzip tars (opt/tool/bin/tool)"

# --- cosign-style signature ---------------------------------------------------------------------------
for reg in plain basic token; do
    clean=$(recorded "$reg" shop/clean 1.0 digest)
    sig_tag="sha256-${clean#sha256:}.sig"
    rget "$reg" /v2/shop/clean/tags/list | jq -e --arg t "$sig_tag" '.tags | sort == (["1.0", $t] | sort)' >/dev/null ||
        fail "$reg shop/clean tags lack $sig_tag"
    sig=$(rget "$reg" "/v2/shop/clean/manifests/$sig_tag" -H "Accept: $ALL")
    jq -e '.mediaType == "application/vnd.oci.image.manifest.v1+json" and
        .layers[0].mediaType == "application/vnd.dev.cosign.simplesigning.v1+json"' <<<"$sig" >/dev/null || fail "$reg signature manifest: $sig"
    rget "$reg" "/v2/shop/clean/blobs/$(jq -r '.layers[0].digest' <<<"$sig")" -L -o "$tmp/payload.json"
    jq -e --arg d "$clean" '.critical.image["docker-manifest-digest"] == $d and .critical.type == "cosign container image signature"' \
        "$tmp/payload.json" >/dev/null || fail "$reg signature payload: $(cat "$tmp/payload.json")"
    jq -r '.layers[0].annotations["dev.cosignproject.cosign/signature"]' <<<"$sig" | base64 -d >"$tmp/payload.sig"
    openssl dgst -sha256 -verify "$LG_REG_COSIGN_PUB" -signature "$tmp/payload.sig" "$tmp/payload.json" >/dev/null ||
        fail "$reg: signature does not verify with LG_REG_COSIGN_PUB"
done
ok "shop/clean signature tag sha256-<hex>.sig in every registry: simplesigning payload names the digest, verifies with LG_REG_COSIGN_PUB"
for repo_tag in shop/root:1.0 shop/multi:2.0 shop/web:latest; do
    d=$(recorded plain "${repo_tag%:*}" "${repo_tag#*:}" digest)
    [[ $(code -H "Accept: $ALL" "$LG_REG_PLAIN_URL/v2/${repo_tag%:*}/manifests/sha256-${d#sha256:}.sig") == 404 ]] ||
        fail "$repo_tag has a signature"
done
ok "shop/root, shop/multi, shop/web are unsigned"

# --- DOCKER_CONFIG ------------------------------------------------------------------------------------
cfg="$LG_REG_DOCKER_CONFIG/config.json"
want=$(printf '%s:%s' "$LG_REG_USER" "$LG_REG_PASSWORD" | base64 -w0)
jq -e --arg b "127.0.0.1:$LG_REG_BASIC_PORT" --arg t "127.0.0.1:$LG_REG_TOKEN_PORT" --arg a "$want" \
    '(.auths | keys | sort) == ([$b, $t] | sort) and .auths[$b].auth == $a and .auths[$t].auth == $a' "$cfg" >/dev/null ||
    fail "docker config: $(cat "$cfg")"
[[ $(stat -c %a "$cfg") == 600 ]] || fail "docker config mode $(stat -c %a "$cfg")"
ok "DOCKER_CONFIG/config.json: auths for 127.0.0.1:$LG_REG_BASIC_PORT and 127.0.0.1:$LG_REG_TOKEN_PORT (mode 600)"

# --- faults registry ----------------------------------------------------------------------------------
F=$LG_REG_FAULTS_URL
[[ $(code "$F/v2/") == 200 ]] || fail "faults /v2/"
curl -sS "$F/v2/_catalog" | jq -e '.repositories == ["broken/app"]' >/dev/null || fail "faults catalog"
curl -sS "$F/v2/broken/app/tags/list" | jq -e '.tags == ["gone", "badjson", "cut"]' >/dev/null || fail "faults tags"
out=$(curl -s -w '\n%{http_code}' -H "Accept: $ALL" "$F/v2/broken/app/manifests/gone")
[[ "${out##*$'\n'}" == 404 ]] || fail "faults gone: $out"
jq -e '.errors[0].code == "MANIFEST_UNKNOWN"' <<<"${out%$'\n'*}" >/dev/null || fail "faults gone: $out"
curl -s -D "$tmp/h" -o "$tmp/bad.json" -H "Accept: $ALL" "$F/v2/broken/app/manifests/badjson"
grep -qi "^content-type: $V2" "$tmp/h" || fail "faults badjson headers: $(cat "$tmp/h")"
grep -q "^HTTP/1.1 200" "$tmp/h" || fail "faults badjson status: $(cat "$tmp/h")"
! jq . "$tmp/bad.json" >/dev/null 2>&1 || fail "faults badjson is valid JSON"
cut_cfg=$(curl -sS -H "Accept: $ALL" "$F/v2/broken/app/manifests/cut" | jq -r .config.digest) || fail "faults cut manifest"
rc=0
curl -s -o "$tmp/cut.bin" "$F/v2/broken/app/blobs/$cut_cfg" || rc=$?
[[ $rc == 18 ]] || fail "faults cut config: curl exit $rc, expected 18 (partial file)"
ok "faults: catalog broken/app, tags gone/badjson/cut; gone -> 404 MANIFEST_UNKNOWN; badjson -> 200 malformed; cut -> body short of Content-Length (curl 18)"

# --- tag re-pointing and bulk, through the token flow -------------------------------------------------
before=$(recorded token shop/clean 1.0 digest)
out=$("$push" --env "$state/registry.env" repoint "$LG_REG_TOKEN_URL" shop/clean 1.0 --out "$images") || fail "repoint: $out"
after=$(jq -r .digest <<<"$out")
[[ $(jq -r .previous <<<"$out") == "$before" && "$after" != "$before" && $(recorded token shop/clean 1.0 digest) == "$after" ]] ||
    fail "repoint: $out"
got=$(curl -s -D - -o /dev/null -I "${C[@]}" -H "Authorization: Bearer $(token repository:shop/clean:pull)" -H "Accept: $ALL" \
    "$LG_REG_TOKEN_URL/v2/shop/clean/manifests/1.0" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
[[ "$got" == "$after" ]] || fail "HEAD after repoint: $got"
ok "repoint (token registry): shop/clean:1.0 ${before:7:12} -> ${after:7:12}, HEAD agrees, registry-images.json updated"
out=$("$push" --env "$state/registry.env" bulk "$LG_REG_TOKEN_URL" 20 --threads 4) || fail "bulk: $out"
n=$(rget token '/v2/_catalog?n=100' | jq '[.repositories[] | select(startswith("bench/img-"))] | length')
[[ $n == 20 ]] || fail "bulk: $n bench repositories"
ok "bulk (token registry, cross-repository mounts): $out"

# --- teardown -----------------------------------------------------------------------------------------
pids=("$LG_REG_PLAIN_PID" "$LG_REG_BASIC_PID" "$LG_REG_TOKEN_PID" "$LG_REG_ISSUER_PID" "$LG_REG_FAULTS_PID")
"$tb" stop "$state"
[[ -z "$(ls -A "$state")" ]] || fail "stop left $(ls -A "$state")"
for p in "${pids[@]}"; do alive "$p" && fail "pid $p still running after stop"; done
ok "stop: ${#pids[@]} servers gone, state dir empty"

echo "PASS: registry testbed ($((SECONDS - t0)) s)"
echo "$passed passed, 0 failed"
