#!/usr/bin/python3
"""A hosted-registry front (Docker Hub / GHCR / ECR-like) before a real docker-registry (tests/testbed/registry.sh).

Three HTTPS servers in one process, all with the testbed's server certificate (IP:127.0.0.1, DNS:localhost):

  front     https://127.0.0.1:P/v2/...   forwards every request to --upstream (method, path, query, body,
            Accept, Range, Content-Type and the client's Authorization unchanged), except:
              every Nth /v2/ request, whatever it is (--every N, default 7; 0 = never; while --every-file
                exists its number instead)   429 TOOMANYREQUESTS, Retry-After: 1, ratelimit-limit: 100;w=21600,
                ratelimit-remaining: 0;w=21600 (as Docker Hub)
              GET|HEAD /v2/_catalog   --catalog-status (404, or 401 with a registry:catalog:* challenge)
                {"errors": [{"code": "UNSUPPORTED", "message": "catalog listing is not supported"}]}, never the list
              GET|HEAD /v2/NAME/blobs/DIGEST   asked upstream first (HEAD, the client's Authorization): upstream's
                answer when not 200 (401 challenge, 404), else 307 to the redirect host
              GET|HEAD /v2/NAME/manifests/REF   the same, by digest, with --redirect-manifests or while
                --redirect-manifests-file exists; otherwise forwarded
            upstream's WWW-Authenticate Bearer realm is rewritten to the auth host (same path), upstream
            Location headers to the front
  redirect  https://localhost:R/{blobs,manifests}/NAME/DIGEST?exp=UNIX&sig=HMAC   a CDN / S3 signed URL:
              any Authorization header   400 InvalidArgument (S3: only one auth mechanism allowed)
              signature not matching method, path and exp   403 SignatureDoesNotMatch; exp passed   403 AccessDenied
              else the content, fetched from upstream with the front's own credentials (--upstream-user and
              --upstream-password or --upstream-credentials FILE of user:password; basic or bearer, as
              upstream challenges), Range passed on; 502 when upstream refuses those credentials
  auth      https://127.0.0.1:A/PATH   GET|POST proxied to upstream's real realm (learnt from upstream's
            /v2/ challenge at start), query string, body and Authorization unchanged (like auth.docker.io)

Every request is logged as a JSON line {"time", "server", "host", "method", "path", "status", "authorization"}:
front and auth to --log, redirect to --redirect-log; authorization only says whether the header came, never
its value. --ready-file gets "FRONT_PORT REDIRECT_PORT AUTH_PORT" once all three listen. Bodies are relayed
whole (Content-Length), not streamed: the testbed's images are small.
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import secrets
import ssl
import threading
import time
import urllib.parse

from testbed_http import Server, run, serve

FORWARDED = ("Accept", "Authorization", "Content-Type", "Range", "If-None-Match")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authenticate",
              "content-length"}
ALL_MANIFESTS = ", ".join(["application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
                           "application/vnd.docker.distribution.manifest.v2+json",
                           "application/vnd.docker.distribution.manifest.list.v2+json"])
CONTENT = re.compile(r"^/v2/(?P<name>.+)/(?P<kind>blobs|manifests)/(?P<ref>[^/]+)$")
SIGNED = re.compile(r"^/(?P<kind>blobs|manifests)/(?P<name>.+)/(?P<digest>sha256:[0-9a-f]{64})$")
URL_LIFETIME = 600  # seconds a redirect stays valid


def challenge_params(header):
    """'Bearer realm="x",service="y"' -> ("bearer", {"realm": "x", "service": "y"})"""
    scheme, _, rest = header.partition(" ")
    return scheme.lower(), dict(re.findall(r'(\w+)="([^"]*)"', rest))


class Upstream:
    """Requests to the real registry (and its realm), and the front's own credentials for the redirect host."""

    def __init__(self, args):
        self.url = urllib.parse.urlsplit(args.upstream)
        self.context = ssl.create_default_context(cafile=args.upstream_ca)
        user, password = args.upstream_user, args.upstream_password
        if args.upstream_credentials:
            with open(args.upstream_credentials) as f:
                user, _, password = f.readline().rstrip("\n").partition(":")
        self.basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode() if user else None
        self.tokens = {}  # scope -> (authorization, expiry)
        self.lock = threading.Lock()
        self.realm = None  # the real Bearer realm, from the /v2/ challenge
        status, headers, _ = self.request("GET", "/v2/")
        self.challenge = headers.get("WWW-Authenticate", "")
        scheme, params = challenge_params(self.challenge)
        if scheme == "bearer":
            self.realm = urllib.parse.urlsplit(params["realm"])
        print(f"upstream {args.upstream}: /v2/ {status}, realm {params.get('realm')}", flush=True)

    def request(self, method, target, headers=None, body=None, origin=None):
        """-> (status, headers (an http.client.HTTPMessage), body bytes); HEAD has no body"""
        origin = origin or self.url
        if origin.scheme == "https":
            conn = http.client.HTTPSConnection(origin.hostname, origin.port, context=self.context, timeout=60)
        else:
            conn = http.client.HTTPConnection(origin.hostname, origin.port, timeout=60)
        try:
            conn.request(method, target, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read() if method != "HEAD" else b""
            return resp.status, resp.headers, data
        finally:
            conn.close()

    def fetch(self, method, target, headers):
        """a request with the front's own credentials: basic, or a bearer token for the challenged scope"""
        key = target.split("/blobs/")[0].split("/manifests/")[0]  # one credential per repository
        for attempt in range(2):
            with self.lock:
                auth, expiry = self.tokens.get(key, (None, 0))
            status, resp_headers, data = self.request(
                method, target, {**headers, "Authorization": auth} if auth and expiry > time.time() else headers)
            if status != 401 or attempt or not self.basic:
                break
            scheme, params = challenge_params(resp_headers.get("WWW-Authenticate", ""))
            if scheme == "basic":
                auth, expiry = self.basic, time.time() + 3600
            elif scheme == "bearer":
                query = urllib.parse.urlencode({k: v for k, v in params.items() if k in ("service", "scope")})
                realm = urllib.parse.urlsplit(params["realm"])
                s, _, body = self.request("GET", f"{realm.path}?{query}", {"Authorization": self.basic}, origin=realm)
                if s != 200:
                    break
                answer = json.loads(body)
                auth = "Bearer " + (answer.get("token") or answer.get("access_token"))
                expiry = time.time() + int(answer.get("expires_in") or 60) - 10
            else:
                break
            with self.lock:
                self.tokens[key] = (auth, expiry)
        return status, resp_headers, data


class Front:
    def __init__(self, args, upstream):
        self.args = args
        self.upstream = upstream
        self.key = secrets.token_bytes(32)
        self.count = 0
        self.lock = threading.Lock()
        self.logs = {name: open(path, "a", buffering=1) if path else None
                     for name, path in (("front", args.log), ("redirect", args.redirect_log))}
        self.ports = {}

    def log(self, server, handler, status):
        f = self.logs["redirect" if server == "redirect" else "front"]
        if f:
            entry = {"time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
                     "server": server, "host": handler.headers.get("Host"), "method": handler.command,
                     "path": handler.path, "status": status, "authorization": "Authorization" in handler.headers}
            with self.lock:
                f.write(json.dumps(entry) + "\n")

    def rate_limited(self):
        every = self.args.every
        if self.args.every_file:
            try:
                with open(self.args.every_file) as f:
                    every = int(f.read().strip() or 0)
            except (OSError, ValueError):
                pass
        with self.lock:
            self.count += 1
            return every > 0 and self.count % every == 0

    def redirect_manifests(self):
        return self.args.redirect_manifests or bool(self.args.redirect_manifests_file and
                                                   os.path.exists(self.args.redirect_manifests_file))

    def sign(self, method, path, exp):
        return hmac.new(self.key, f"{method}\n{path}\n{exp}".encode(), hashlib.sha256).hexdigest()

    def signed_url(self, method, kind, name, digest):
        path = f"/{kind}/{name}/{digest}"
        exp = int(time.time()) + URL_LIFETIME
        return f"https://localhost:{self.ports['redirect']}{path}?exp={exp}&sig={self.sign(method, path, exp)}"

    def rewrite(self, name, value):
        """upstream's headers as the front shows them"""
        if name.lower() == "www-authenticate" and self.upstream.realm:
            scheme, params = challenge_params(value)
            if scheme == "bearer" and "realm" in params:
                realm = urllib.parse.urlsplit(params["realm"])
                new = f"https://127.0.0.1:{self.ports['auth']}{realm.path}" + (f"?{realm.query}" if realm.query else "")
                return value.replace(f'realm="{params["realm"]}"', f'realm="{new}"')
        if name.lower() == "location":
            base = f"{self.upstream.url.scheme}://{self.upstream.url.netloc}"
            if value.startswith(base):
                return f"https://127.0.0.1:{self.ports['front']}" + value[len(base):]
        return value


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "layerguard-registry-front/1"
    front: Front = None

    def log_message(self, *args):
        pass

    def log_request(self, code="-", size="-"):
        self.front.log(self.server.name, self, int(code) if str(code).isdigit() else code)

    def reply(self, status, body=b"", headers=(), content_type="application/json", length=None):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def errors(self, status, code, message, headers=()):
        self.reply(status, json.dumps({"errors": [{"code": code, "message": message}]}).encode(),
                   [("Docker-Distribution-API-Version", "registry/2.0"), *headers])

    def s3_error(self, status, code, message):
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
                f'<RequestId>{secrets.token_hex(8).upper()}</RequestId></Error>').encode()
        self.reply(status, body, content_type="application/xml")

    def relay(self, status, headers, data, head_length=None):
        """an upstream answer to the client (headers rewritten, body re-framed with Content-Length)"""
        out = [(k, self.front.rewrite(k, v)) for k, v in headers.items() if k.lower() not in HOP_BY_HOP]
        length = headers.get("Content-Length", "0") if self.command == "HEAD" else None
        self.reply(status, data, out, content_type=None, length=length)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def do_GET(self):
        getattr(self, "serve_" + self.server.name)()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    # --- front ---------------------------------------------------------------------------------------
    def serve_front(self):
        front, up = self.front, self.front.upstream
        url = urllib.parse.urlsplit(self.path)
        if not url.path.startswith("/v2"):
            self.errors(404, "NOT_FOUND", "not found")
            return
        if front.rate_limited():
            self.errors(429, "TOOMANYREQUESTS", "You have reached your pull rate limit. You may increase the limit "
                        "by authenticating and upgrading: https://www.docker.com/increase-rate-limit",
                        [("Retry-After", "1"), ("ratelimit-limit", "100;w=21600"),
                         ("ratelimit-remaining", "0;w=21600"), ("docker-ratelimit-source", "127.0.0.1")])
            return
        headers = {k: self.headers[k] for k in FORWARDED if k in self.headers}
        if url.path == "/v2/_catalog" and self.command in ("GET", "HEAD"):
            extra = []
            if front.args.catalog_status == 401 and up.challenge:  # as Docker Hub: a token never grants it
                scope = ',scope="registry:catalog:*"' if up.realm else ""
                extra = [("WWW-Authenticate", front.rewrite("WWW-Authenticate", up.challenge) + scope)]
            self.errors(front.args.catalog_status, "UNSUPPORTED", "catalog listing is not supported", extra)
            return
        m = CONTENT.match(url.path)
        if m and self.command in ("GET", "HEAD") and (m["kind"] == "blobs" or front.redirect_manifests()):
            # The hosted registry checks the client's authorization, then sends it to storage.
            status, resp_headers, _ = up.request("HEAD", self.path, headers)
            digest = resp_headers.get("Docker-Content-Digest") or m["ref"]
            if status != 200 or not digest.startswith("sha256:"):
                self.relay(*up.request(self.command, self.path, headers))  # with upstream's error body
                return
            extra = [("Location", front.signed_url(self.command, m["kind"], m["name"], digest)),
                     ("Docker-Distribution-API-Version", "registry/2.0"), ("Docker-Content-Digest", digest)]
            self.reply(307, b"", extra, content_type=None)
            return
        self.relay(*up.request(self.command, self.path, headers, self.body()))

    # --- redirect (CDN / S3 signed URL) --------------------------------------------------------------
    def serve_redirect(self):
        front = self.front
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        m = SIGNED.match(url.path)
        if "Authorization" in self.headers:
            self.s3_error(400, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                          "parameter, Signature query string parameter or the Authorization header should be specified")
            return
        if self.command not in ("GET", "HEAD") or not m:
            self.s3_error(405 if m else 404, "MethodNotAllowed" if m else "NoSuchKey", "not found")
            return
        sig = front.sign(self.command, url.path, query.get("exp", ""))
        if not hmac.compare_digest(sig, query.get("sig", "")):
            self.s3_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match "
                          "the signature you provided.")
            return
        if not query["exp"].isdigit() or int(query["exp"]) < time.time():
            self.s3_error(403, "AccessDenied", "Request has expired")
            return
        headers = {"Accept": ALL_MANIFESTS} if m["kind"] == "manifests" else {}
        if "Range" in self.headers:
            headers["Range"] = self.headers["Range"]
        status, resp_headers, data = front.upstream.fetch(self.command, f"/v2/{m['name']}/{m['kind']}/{m['digest']}",
                                                          headers)
        if status not in (200, 206):
            self.s3_error(502 if status == 401 else 404, "NoSuchKey", f"upstream answered {status}")
            return
        out = [(k, resp_headers[k]) for k in ("Content-Range", "Accept-Ranges", "ETag", "Docker-Content-Digest")
               if k in resp_headers]
        ctype = resp_headers.get("Content-Type", "application/octet-stream")
        self.reply(status, data, out, ctype, resp_headers.get("Content-Length") if self.command == "HEAD" else None)

    # --- auth (the realm on another host) ------------------------------------------------------------
    def serve_auth(self):
        realm = self.front.upstream.realm
        if realm is None:
            self.errors(404, "NOT_FOUND", "upstream has no bearer realm")
            return
        headers = {k: self.headers[k] for k in ("Authorization", "Content-Type", "Accept") if k in self.headers}
        self.relay(*self.front.upstream.request(self.command, self.path, headers, self.body(), origin=realm))


class TLSServer(Server):
    """One of the front's three hosts (front, redirect, auth), named so the handler knows which it plays."""

    def __init__(self, name, address, context):
        self.name = name
        super().__init__(address, Handler, context, timeout=60)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0, help="the front's port (redirect and auth: any free port)")
    p.add_argument("--ready-file", help='written with "FRONT REDIRECT AUTH" ports once listening')
    p.add_argument("--tls-cert", required=True)
    p.add_argument("--tls-key", required=True)
    p.add_argument("--upstream", required=True, help="the real registry, e.g. https://127.0.0.1:5001")
    p.add_argument("--upstream-ca", help="CA bundle for upstream and its realm")
    p.add_argument("--upstream-user")
    p.add_argument("--upstream-password")
    p.add_argument("--upstream-credentials", help="file with one user:password line (keeps it off the command line)")
    p.add_argument("--every", type=int, default=7, help="answer every Nth /v2/ request with 429 (0: never)")
    p.add_argument("--every-file", help="while this file exists its number replaces --every")
    p.add_argument("--catalog-status", type=int, choices=(401, 404), default=404)
    p.add_argument("--redirect-manifests", action="store_true", help="redirect manifest GET/HEAD too")
    p.add_argument("--redirect-manifests-file", help="while this file exists, as --redirect-manifests")
    p.add_argument("--log", help="JSON lines log of the front and auth hosts")
    p.add_argument("--redirect-log", help="JSON lines log of the redirect host")
    args = p.parse_args()

    Handler.front = front = Front(args, Upstream(args))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    servers = [TLSServer("front", ("127.0.0.1", args.port), context),
               TLSServer("redirect", ("127.0.0.1", 0), context),
               TLSServer("auth", ("127.0.0.1", 0), context)]
    for s in servers:
        front.ports[s.name] = s.server_address[1]
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    serve(servers[0], args.ready_file,
          f"{front.ports['front']} {front.ports['redirect']} {front.ports['auth']}\n",
          f"registry front on https://127.0.0.1:{front.ports['front']} (redirects to https://localhost:"
          f"{front.ports['redirect']}, realm on https://127.0.0.1:{front.ports['auth']}) for {args.upstream}")


if __name__ == "__main__":
    run(main)
