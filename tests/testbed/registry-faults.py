#!/usr/bin/python3
"""A misbehaving registry for the connector's fault tests (tests/testbed/registry.sh, TESTBED.md).

Plain HTTP/1.1 on 127.0.0.1, no auth. Speaks just enough of the distribution API to be listed:

  GET /v2/                              200 {}  (Docker-Distribution-API-Version: registry/2.0)
  GET /v2/_catalog                      200 {"repositories": ["broken/app"]}
  GET /v2/broken/app/tags/list          200 {"name": "broken/app", "tags": ["gone", "badjson", "cut"]}
  GET|HEAD /v2/broken/app/manifests/gone      404 {"errors": [{"code": "MANIFEST_UNKNOWN", ...}]}
  GET|HEAD /v2/broken/app/manifests/badjson   200, Content-Type of a Docker v2 manifest, malformed JSON
  GET|HEAD /v2/broken/app/manifests/cut       200, a valid Docker v2 manifest (also by its digest)
  GET /v2/broken/app/blobs/<cut's config>     200 with a Content-Length twice the bytes written, then
                                              the connection is closed mid-body
  anything else                               404 NAME_UNKNOWN / BLOB_UNKNOWN / MANIFEST_UNKNOWN

Each request is appended to --log as "METHOD PATH STATUS". The port is written to --ready-file.
"""
import argparse
import hashlib
import json
import socket
import urllib.parse

from testbed_http import LoggedHandler, Server, registry_reply, run, serve

V2 = "application/vnd.docker.distribution.manifest.v2+json"
REPO = "broken/app"
TAGS = ["gone", "badjson", "cut"]


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# The config blob the "cut" manifest points at: a plausible image config.
CUT_CONFIG = json.dumps({
    "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
    "config": {"User": "10001", "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "Cmd": ["/app"],
               "Labels": {"org.opencontainers.image.description": "config blob cut short by the faults registry " * 8}},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]},
    "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "/bin/sh -c #(nop) COPY file:app in /"}],
}, indent=2).encode()
CUT_MANIFEST = json.dumps({
    "schemaVersion": 2, "mediaType": V2,
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(CUT_CONFIG),
               "digest": digest(CUT_CONFIG)},
    "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1024,
                "digest": "sha256:" + "1" * 64}],
}, indent=3).encode()
# Cut off in the middle of the config descriptor: not JSON.
BAD_MANIFEST = b'{\n   "schemaVersion": 2,\n   "mediaType": "' + V2.encode() + b'",\n   "config": {\n      "mediaType": "applic'


class Handler(LoggedHandler):
    server_version = "layerguard-faults-registry/1"

    def log_request(self, code="-", size="-"):
        self.log_line(f"{self.command} {self.path} {self.status_of(code)}")

    def reply(self, status, body: bytes, content_type="application/json; charset=utf-8", extra=()):
        registry_reply(self, status, body, content_type, extra)

    def error(self, status, code, message, detail=None):
        err = {"code": code, "message": message}
        if detail is not None:
            err["detail"] = detail
        self.reply(status, json.dumps({"errors": [err]}).encode())

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path in ("/v2/", "/v2"):
            self.reply(200, b"{}")
        elif path == "/v2/_catalog":
            self.reply(200, json.dumps({"repositories": [REPO]}).encode())
        elif path == f"/v2/{REPO}/tags/list":
            self.reply(200, json.dumps({"name": REPO, "tags": TAGS}).encode())
        elif path.startswith(f"/v2/{REPO}/manifests/"):
            ref = path.rsplit("/", 1)[1]
            if ref == "badjson":
                self.reply(200, BAD_MANIFEST, V2, [("Docker-Content-Digest", digest(BAD_MANIFEST))])
            elif ref in ("cut", digest(CUT_MANIFEST)):
                self.reply(200, CUT_MANIFEST, V2, [("Docker-Content-Digest", digest(CUT_MANIFEST))])
            else:
                self.error(404, "MANIFEST_UNKNOWN", "manifest unknown", {"Tag": ref})
        elif path == f"/v2/{REPO}/blobs/{digest(CUT_CONFIG)}":
            if self.command == "HEAD":
                self.reply(200, CUT_CONFIG, "application/octet-stream")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(2 * len(CUT_CONFIG)))
            self.send_header("Docker-Content-Digest", digest(CUT_CONFIG))
            self.end_headers()
            self.wfile.write(CUT_CONFIG[: len(CUT_CONFIG) // 2])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        elif path.startswith(f"/v2/{REPO}/blobs/"):
            self.error(404, "BLOB_UNKNOWN", "blob unknown to registry", path.rsplit("/", 1)[1])
        else:
            self.error(404, "NAME_UNKNOWN", "repository name not known to registry", {"path": path})


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--ready-file")
    p.add_argument("--log")
    args = p.parse_args()
    if args.log:
        Handler.log_file = open(args.log, "a")
    server = Server(("127.0.0.1", args.port), Handler)
    serve(server, args.ready_file, banner=f"faults registry on http://127.0.0.1:{server.server_address[1]}")


if __name__ == "__main__":
    run(main)
