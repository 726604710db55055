#!/usr/bin/python3
"""A hostile registry for the connector's trust tests (issue 22; TESTBED.md). Plain HTTP on 127.0.0.1.

One behaviour per run, chosen with --mode:

  catalog-loop   the catalog's Link header points back at the page it is on: a listing that never ends
  tags-loop      the same for a repository's tag list
  tags-html      tags/list answers 200 with an HTML sign-in page instead of a tag list
  realm-http     every /v2/ request is challenged with a Bearer realm on http://localhost:PORT/token: the
                 same server under another host name, so the password would travel in clear to another host
  referrers      three repositories: sbom/app (an SBOM referrer only), signed/app (a Notation signature
                 referrer) and a-noref/app (404 on the referrers API, as a registry without it answers)

Every request is appended to --log as a JSON line {"method", "path", "status", "authorization"}, where
authorization says only whether the header came (never its value). The port goes to --ready-file.
"""
import argparse
import hashlib
import json
import urllib.parse

from testbed_http import LoggedHandler, Server, registry_reply, run, serve

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


CONFIG = json.dumps({
    "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
    "config": {"User": "10001", "Cmd": ["/app"]},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]},
    "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "COPY app /app"}],
}).encode()
MANIFEST = json.dumps({
    "schemaVersion": 2, "mediaType": OCI_MANIFEST,
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": len(CONFIG), "digest": digest(CONFIG)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": 1024, "digest": "sha256:" + "1" * 64}],
}).encode()


def referrer(artifact_type: str, annotations=None) -> dict:
    d = {"mediaType": OCI_MANIFEST, "digest": "sha256:" + hashlib.sha256(artifact_type.encode()).hexdigest(),
         "size": 512, "artifactType": artifact_type}
    if annotations:
        d["annotations"] = annotations
    return d


REFERRERS = {
    "sbom/app": [referrer("application/spdx+json"),
                 referrer("application/vnd.dev.sigstore.bundle.v0.3+json",
                          {"dev.sigstore.bundle.predicateType": "https://slsa.dev/provenance/v1"})],
    "signed/app": [referrer("application/vnd.cncf.notary.signature")],
}
REPOSITORIES = ["a-noref/app", "sbom/app", "signed/app"]


class Handler(LoggedHandler):
    server_version = "layerguard-hostile-registry/1"
    mode = ""

    def log_request(self, code="-", size="-"):
        self.log_line(json.dumps({"method": self.command, "path": self.path, "status": self.status_of(code),
                                  "authorization": "Authorization" in self.headers}))

    def reply(self, status, body: bytes, content_type="application/json", extra=()):
        registry_reply(self, status, body, content_type, extra)

    def not_found(self, code="NAME_UNKNOWN"):
        self.reply(404, json.dumps({"errors": [{"code": code, "message": "unknown"}]}).encode())

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        port = self.server.server_address[1]
        if self.mode == "realm-http":
            if path == "/token":
                self.reply(200, json.dumps({"token": "hostile-token", "expires_in": 300}).encode())
            else:
                self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                           extra=[("WWW-Authenticate",
                                   f'Bearer realm="http://localhost:{port}/token",service="hostile"')])
            return
        if path in ("/v2/", "/v2"):
            self.reply(200, b"{}")
        elif path == "/v2/_catalog":
            repos = ["loop/app"] if self.mode in ("catalog-loop", "tags-loop", "tags-html") else REPOSITORIES
            extra = [("Link", '</v2/_catalog?n=100&last=loop%2Fapp>; rel="next"')] if self.mode == "catalog-loop" else []
            self.reply(200, json.dumps({"repositories": repos}).encode(), extra=extra)
        elif path.endswith("/tags/list"):
            repo = path[len("/v2/"):-len("/tags/list")]
            if self.mode == "tags-html":
                self.reply(200, b"<!doctype html><html><body><form>Sign in to continue</form></body></html>",
                           "text/html; charset=utf-8")
            elif self.mode == "tags-loop":
                self.reply(200, json.dumps({"name": repo, "tags": ["v1"]}).encode(),
                           extra=[("Link", f'</v2/{repo}/tags/list?n=500&last=v1>; rel="next"')])
            else:
                self.reply(200, json.dumps({"name": repo, "tags": ["v1"]}).encode())
        elif "/manifests/" in path:
            self.reply(200, MANIFEST, OCI_MANIFEST, [("Docker-Content-Digest", digest(MANIFEST))])
        elif path.endswith("/blobs/" + digest(CONFIG)):
            self.reply(200, CONFIG, "application/octet-stream")
        elif "/referrers/" in path:
            repo = path[len("/v2/"):path.index("/referrers/")]
            if repo not in REFERRERS:
                self.not_found()
            else:
                self.reply(200, json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX,
                                            "manifests": REFERRERS[repo]}).encode(), OCI_INDEX)
        else:
            self.not_found()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--mode", required=True,
                   choices=["catalog-loop", "tags-loop", "tags-html", "realm-http", "referrers"])
    p.add_argument("--ready-file")
    p.add_argument("--log")
    args = p.parse_args()
    Handler.mode = args.mode
    if args.log:
        Handler.log_file = open(args.log, "a")
    server = Server(("127.0.0.1", args.port), Handler)
    serve(server, args.ready_file)


if __name__ == "__main__":
    run(main)
