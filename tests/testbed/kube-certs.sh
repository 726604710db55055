#!/usr/bin/env bash
# Creates the PKI of the Kubernetes test API server (TESTBED.md, Kubernetes) in DIR:
#   ca.crt/ca.key          test CA
#   server.crt/server.key  server cert signed by the CA (IP:127.0.0.1, DNS:localhost, DNS:kube.layerguard.test)
#   client.crt/client.key  client cert CN=alice, O=layerguard:admins, signed by the CA
#   other-ca.crt/.key      an unrelated CA, for "wrong CA" tests
# Idempotent: does nothing when DIR/ca.crt exists. EC P-256 keys keep it fast.
set -euo pipefail
dir=${1:?usage: kube-certs.sh DIR}
[[ -f "$dir/ca.crt" ]] && exit 0
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.pki.XXXX")
trap 'rm -rf "$tmp"' EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() { # ca NAME CN
    key "$tmp/$1.key"
    openssl req -x509 -new -key "$tmp/$1.key" -subj "/CN=$2" -days 3650 -sha256 \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$tmp/$1.crt" 2>/dev/null
}

leaf() { # leaf NAME SUBJECT EXTFILE-CONTENT
    key "$tmp/$1.key"
    openssl req -new -key "$tmp/$1.key" -subj "$2" -out "$tmp/$1.csr" 2>/dev/null
    printf '%s\n' "$3" > "$tmp/$1.ext"
    openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
        -days 3650 -sha256 -extfile "$tmp/$1.ext" -out "$tmp/$1.crt" 2>/dev/null
}

ca ca "layerguard-test-kube-ca"
ca other-ca "layerguard-unrelated-ca"
leaf server "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kube.layerguard.test"
leaf client "/O=layerguard:admins/CN=alice" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"

chmod 600 "$tmp"/*.key
for f in ca.key server.crt server.key client.crt client.key other-ca.crt other-ca.key; do mv "$tmp/$f" "$dir/$f"; done
mv "$tmp/ca.crt" "$dir/ca.crt" # last: its presence marks the PKI as complete
