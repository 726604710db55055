#!/usr/bin/python3
"""Bearer token issuer for the registry testbed (tests/testbed/registry.sh, TESTBED.md "Registry").

Implements the Docker registry token flow as docker-registry 2.8 (distribution) consumes it:

  GET  /token?service=S&scope=T:NAME:ACTIONS[&scope=...]   HTTP basic credentials required
  POST /token  (form: grant_type=password|refresh_token, username, password | refresh_token,
                service, scope (space separated), client_id, access_type=offline)   the OAuth2 form
                containerd uses when it holds credentials

-> 200 {"token": JWT, "access_token": JWT, "expires_in": N, "issued_at": RFC 3339}
   (+ "refresh_token" for access_type=offline / grant_type=refresh_token)
   401 without credentials or with wrong ones (anonymous tokens are never issued),
   400 for another service or an unsupported grant_type.

The JWT is RS256, its header carries `x5c` = [the signing certificate, base64 DER], which the
registry verifies against auth.token.rootcertbundle (the testbed CA). Claims: iss, sub, aud
(= service), exp, nbf, iat, jti, access = [{type, name, actions}].

Grants, for a known user with the right password: repository:NAME:{pull,push,delete,*} as requested
(anything else requested is dropped: the token then lacks it and the registry answers
insufficient_scope), registry:catalog:* as requested. Only what was requested is granted, so a token
for one repository is refused by the registry for another one.

Knob for the "expired token" tests: while the file given by --expire-file exists, every token issued
is already expired (exp 10 min in the past, beyond the registry's 60 s leeway):
  - file empty (or anything but "stale"): expires_in is negative (-600), issued_at is now, i.e. the
    issuer tells the truth and a careful client can notice;
  - file content "stale": expires_in is the normal value, issued_at is now, exp is in the past, i.e.
    only the registry's 401 (error="invalid_token") tells the client.

Knob for the "insufficient_scope" test: while the file given by --max-scopes-file exists, a token grants
at most N repository scopes (N is the file's content, 1 when empty), the first N requested, as a token
service with a per-token limit does; the registry then answers the others' requests with 401
error="insufficient_scope". N = 0: a request for more than one repository is refused (400), as by a
service that takes one scope per request.

Every request is logged as one JSON line in --log (time, method ("GET", or "POST <grant_type>"), user, service,
requested scopes,
granted access, status, expired), so tests can assert which scopes a client asked for.
"""
import argparse
import base64
import datetime
import hashlib
import http.server
import json
import os
import secrets
import ssl
import threading
import time
import urllib.parse

from testbed_http import Server, run, serve

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

EXPIRED_BY = 600  # seconds in the past, well beyond distribution's 60 s leeway


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def libtrust_key_id(public_key) -> str:
    """docker/libtrust KeyID: base32(sha256(DER SubjectPublicKeyInfo)[:30]) in 12 groups of 4."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    b32 = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(b32[i:i + 4] for i in range(0, 48, 4))


class Issuer:
    def __init__(self, args):
        with open(args.signing_key, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        with open(args.signing_cert, "rb") as f:
            self.cert = x509.load_pem_x509_certificate(f.read())
        self.users = {}
        with open(args.credentials) as f:
            for line in f:
                line = line.rstrip("\n")
                if line and ":" in line:
                    user, password = line.split(":", 1)
                    self.users[user] = password
        self.issuer = args.issuer
        self.service = args.service
        self.expires_in = args.expires_in
        self.expire_file = args.expire_file
        self.max_scopes_file = args.max_scopes_file
        self.header_mode = args.header
        self.refresh_tokens = {}
        self.lock = threading.Lock()
        self.log_file = open(args.log, "a", buffering=1) if args.log else None
        if isinstance(self.key, rsa.RSAPrivateKey):
            self.alg = "RS256"
        elif isinstance(self.key, ec.EllipticCurvePrivateKey):
            self.alg = "ES256"
        else:
            raise SystemExit("signing key must be RSA or EC P-256")

    def log(self, **entry):
        if self.log_file:
            entry = {"time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"), **entry}
            with self.lock:
                self.log_file.write(json.dumps(entry) + "\n")

    def check(self, user, password):
        return user in self.users and secrets.compare_digest(self.users[user].encode(), (password or "").encode())

    @staticmethod
    def parse_scopes(values):
        scopes = []
        for value in values:
            scopes.extend(s for s in value.split(" ") if s)
        return scopes

    def max_repository_scopes(self):
        """the --max-scopes-file limit while that file exists, else None (no limit)"""
        if not self.max_scopes_file:
            return None
        try:
            with open(self.max_scopes_file) as f:
                text = f.read().strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else 1  # "0": one repository per request

    @staticmethod
    def grant(scopes, max_repositories=None):
        """requested scope strings -> the access claim (only what is allowed and requested)"""
        access = {}
        repositories = 0
        for scope in scopes:
            kind, sep, rest = scope.partition(":")
            name, sep2, actions = rest.rpartition(":")
            if not sep or not sep2 or not name:
                continue
            wanted = [a for a in actions.split(",") if a]
            if kind == "repository":
                if max_repositories is not None and (kind, name) not in access and repositories >= max_repositories:
                    continue
                allowed = [a for a in wanted if a in ("pull", "push", "delete", "*")]
                repositories += 1 if allowed and (kind, name) not in access else 0
            elif kind == "registry" and name == "catalog":
                allowed = [a for a in wanted if a == "*"]
            else:
                allowed = []
            if allowed:
                entry = access.setdefault((kind, name), [])
                entry.extend(a for a in allowed if a not in entry)
        return [{"type": k, "name": n, "actions": a} for (k, n), a in access.items()]

    def token(self, user, access):
        now = int(time.time())
        expired = self.expire_file and os.path.exists(self.expire_file)
        stale = False
        if expired:
            try:
                with open(self.expire_file) as f:
                    stale = f.read().strip() == "stale"
            except OSError:
                pass
            exp = now - EXPIRED_BY
            expires_in = self.expires_in if stale else exp - now
        else:
            exp = now + self.expires_in
            expires_in = self.expires_in
        header = {"typ": "JWT", "alg": self.alg}
        if self.header_mode == "x5c":
            header["x5c"] = [base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()]
        else:
            header["kid"] = libtrust_key_id(self.cert.public_key())
        iat = exp - self.expires_in  # now, or long ago for an expired token
        claims = {"iss": self.issuer, "sub": user, "aud": self.service, "exp": exp, "nbf": iat, "iat": iat,
                  "jti": secrets.token_hex(16), "access": access}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode())).encode()
        if self.alg == "RS256":
            sig = self.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature(self.key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        jwt = signing_input.decode() + "." + b64url(sig)
        issued_at = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return jwt, expires_in, issued_at, bool(expired)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall between header and body writes
    server_version = "layerguard-token-issuer/1"
    issuer: Issuer = None

    def log_message(self, *args):
        pass

    def send_json(self, status, body, extra=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def unauthorized(self, message, **log):
        self.issuer.log(status=401, **log)
        self.send_json(401, {"errors": [{"code": "UNAUTHORIZED", "message": message}]},
                       [("WWW-Authenticate", 'Basic realm="layerguard-token-issuer"')])

    def basic_credentials(self):
        auth = self.headers.get("Authorization", "")
        if not auth.lower().startswith("basic "):
            return None, None
        try:
            user, _, password = base64.b64decode(auth[6:].strip(), validate=True).decode().partition(":")
        except Exception:
            return None, None
        return user, password

    def issue(self, method, user, service, scopes, offline=False):
        if service and service != self.issuer.service:
            self.issuer.log(method=method, user=user, service=service, scopes=scopes, status=400)
            self.send_json(400, {"errors": [{"code": "DENIED", "message": f"unknown service {service!r}"}]})
            return
        limit = self.issuer.max_repository_scopes()
        if limit == 0 and sum(1 for s in scopes if s.startswith("repository:")) > 1:
            self.issuer.log(method=method, user=user, service=service, scopes=scopes, status=400)
            self.send_json(400, {"errors": [{"code": "DENIED", "message": "one repository per token request"}]})
            return
        access = Issuer.grant(scopes, limit or None)
        jwt, expires_in, issued_at, expired = self.issuer.token(user, access)
        body = {"token": jwt, "access_token": jwt, "expires_in": expires_in, "issued_at": issued_at}
        if offline:
            refresh = secrets.token_urlsafe(24)
            with self.issuer.lock:
                self.issuer.refresh_tokens[refresh] = user
            body["refresh_token"] = refresh
        self.issuer.log(method=method, user=user, service=service, scopes=scopes, granted=access, status=200,
                        expired=expired)
        self.send_json(200, body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/healthz":
            self.send_json(200, {"ok": True})
            return
        if url.path != "/token":
            self.send_json(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
            return
        query = urllib.parse.parse_qs(url.query)
        scopes = Issuer.parse_scopes(query.get("scope", []))
        service = query.get("service", [""])[0]
        user, password = self.basic_credentials()
        if user is None:
            self.unauthorized("credentials required", method="GET", scopes=scopes, service=service)
            return
        if not self.issuer.check(user, password):
            self.unauthorized("invalid username or password", method="GET", user=user, scopes=scopes, service=service)
            return
        offline = query.get("offline_token", [""])[0] == "true"
        self.issue("GET", user, service, scopes, offline)

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode(errors="replace")) if length else {}
        if url.path != "/token":
            self.send_json(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
            return
        field = lambda k: form.get(k, [""])[0]
        scopes = Issuer.parse_scopes(form.get("scope", []))
        service = field("service")
        grant_type = field("grant_type")
        if grant_type == "password":
            user, password = field("username"), field("password")
            if not user or not self.issuer.check(user, password):
                self.unauthorized("invalid username or password", method="POST", user=user, scopes=scopes,
                                  service=service)
                return
        elif grant_type == "refresh_token":
            with self.issuer.lock:
                user = self.issuer.refresh_tokens.get(field("refresh_token"))
            if user is None:
                self.unauthorized("invalid refresh token", method="POST", scopes=scopes, service=service)
                return
        else:
            self.issuer.log(method="POST", scopes=scopes, service=service, status=400)
            self.send_json(400, {"error": "unsupported_grant_type"})
            return
        self.issue("POST " + grant_type, user, service, scopes, offline=field("access_type") == "offline")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--ready-file", help="written with the port once listening")
    p.add_argument("--tls-cert", required=True)
    p.add_argument("--tls-key", required=True)
    p.add_argument("--signing-key", required=True, help="PEM, RSA (RS256) or EC P-256 (ES256)")
    p.add_argument("--signing-cert", required=True, help="PEM certificate of the signing key (x5c)")
    p.add_argument("--credentials", required=True, help="file of user:password lines")
    p.add_argument("--issuer", required=True)
    p.add_argument("--service", required=True)
    p.add_argument("--expires-in", type=int, default=300, help="token lifetime in seconds (default 300)")
    p.add_argument("--expire-file", help="while this file exists every token is issued already expired")
    p.add_argument("--max-scopes-file", help="while this file exists a token grants at most N repository scopes")
    p.add_argument("--header", choices=("x5c", "kid"), default="x5c",
                   help="how the JWT names its key: x5c chain (default) or libtrust kid")
    p.add_argument("--log", help="JSON lines request log")
    args = p.parse_args()

    Handler.issuer = Issuer(args)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    server = Server(("127.0.0.1", args.port), Handler, context)
    serve(server, args.ready_file, banner=f"token issuer on https://127.0.0.1:{server.server_address[1]}/token")


if __name__ == "__main__":
    run(main)
