# Shared by the testbed scripts (sourced): process checks that survive this VM's late reaping of zombies.

# Alive and not a zombie: once start's shell has exited, init reaps the stopped daemons only later.
alive() { [[ "$(ps -o stat= -p "$1" 2>/dev/null)" == [^Z]* ]]; }

terminate() { # terminate PID NAME: only while PID still runs NAME (a stale env file must not kill a reused PID)
    alive "$1" || return 0
    [[ "$(ps -o comm= -p "$1" 2>/dev/null)" == "${2:0:15}" ]] || return 0
    kill "$1" 2>/dev/null || true
    for _ in $(seq 100); do alive "$1" || return 0; sleep 0.05; done
    echo "$2 (pid $1) ignored SIGTERM for 5 s, killing it" >&2
    kill -9 "$1" 2>/dev/null || true
    for _ in $(seq 20); do alive "$1" || return 0; sleep 0.05; done
}

pki_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

make_pki() { # make_pki DIR NAME: test CA, an unrelated CA and a server cert for IP:127.0.0.1, DNS:localhost
    local d=$1 name=$2 ca
    mkdir -p "$d"
    for ca in ca other-ca; do
        pki_key "$d/$ca.key"
        openssl req -x509 -new -key "$d/$ca.key" -subj "/CN=layerguard-test-$name-$ca" -days 3650 -sha256 \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -out "$d/$ca.crt" 2>/dev/null
    done
    pki_key "$d/server.key"
    openssl req -new -key "$d/server.key" -subj "/CN=$name" -out "$d/server.csr" 2>/dev/null
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
        "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" > "$d/server.ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 3650 -sha256 \
        -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null
}
