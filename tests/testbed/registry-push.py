#!/usr/bin/python3
"""Pushes crafted images into a registry with raw HTTP (no engine, no skopeo) for the registry testbed
(tests/testbed/registry.sh, TESTBED.md "Registry").

  registry-push.py [OPTIONS] seed NAME=URL [NAME=URL ...] [--out registry-images.json]
      the standard set, identical images in every registry (only the signature payload names its
      registry): shop/clean:1.0 (Docker v2, User 10001, recent, healthcheck, cosign-signed),
      shop/root:1.0 (OCI manifest without mediaType, root, DB_PASSWORD=<canary>, 2021, ADD of a URL),
      shop/multi:2.0 (OCI index: linux/amd64 User app, linux/arm64 root), shop/web:latest (Docker v2,
      clean, unsigned)
  registry-push.py [OPTIONS] repoint URL REPO TAG [--out registry-images.json]
      pushes a different image (a label changes) under REPO:TAG so that the tag's digest changes
  registry-push.py [OPTIONS] tag URL REPO TAG NEW_TAG
      puts REPO:TAG's manifest (the same bytes, so the same digest) under NEW_TAG too: two tags, one image
  registry-push.py [OPTIONS] bulk URL N [--threads T] [--prefix bench/img-]
      N small distinct images PREFIX0001:1.0 ... (own config each, one shared layer, mounted)

OPTIONS: --ca FILE (TLS trust), --user U --password P (basic auth, or the credentials for the token
issuer), --env FILE (a registry.env: LG_REG_CA, LG_REG_USER, LG_REG_PASSWORD, LG_REG_CANARY,
LG_REG_COSIGN_KEY are taken from it unless given), --canary VALUE, --cosign-key PEM (EC P-256 key the
signature is made with; without it the signature is a random blob).

Auth: on 401 the WWW-Authenticate challenge decides: Basic -> the credentials; Bearer realm,service,
scope -> a token from the realm (GET with basic credentials, scope repository:NAME:pull,push), cached
per repository and fetched again on the next 401.
"""
import argparse
import base64
import concurrent.futures
import datetime
import gzip
import hashlib
import http.client
import io
import json
import os
import re
import secrets
import ssl
import sys
import tarfile
import threading
import time
import urllib.parse

DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
COSIGN_LAYER = "application/vnd.dev.cosign.simplesigning.v1+json"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_CANARY = "lg-canary-REGISTRY-5f3a9c"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def dumps(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def today() -> datetime.datetime:
    """Midnight UTC: the "recent" created dates derive from it, so digests are stable within a day."""
    return datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def rfc3339(t: datetime.datetime) -> str:
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class PushError(Exception):
    pass


# --- HTTP client -------------------------------------------------------------------------------------

class Registry:
    """One registry base URL; a keep-alive connection per thread; basic or bearer auth on demand."""

    def __init__(self, url, user=None, password=None, ca=None):
        u = urllib.parse.urlsplit(url.rstrip("/"))
        if u.scheme not in ("http", "https") or not u.hostname:
            raise PushError(f"not a registry URL: {url}")
        self.url = f"{u.scheme}://{u.netloc}"
        self.scheme, self.netloc = u.scheme, u.netloc
        self.user, self.password = user, password
        self.context = ssl.create_default_context(cafile=ca) if u.scheme == "https" else None
        self.local = threading.local()
        self.lock = threading.Lock()
        self.mode = None  # None (anonymous so far), "basic" or "bearer"
        self.bearer = None  # (realm, service)
        self.tokens = {}  # scope -> token
        self.requests = 0

    # connections
    def _connection(self, scheme, netloc):
        conns = self.local.__dict__.setdefault("conns", {})
        key = (scheme, netloc)
        if key not in conns:
            if scheme == "https":
                conns[key] = http.client.HTTPSConnection(netloc, timeout=60, context=self.context)
            else:
                conns[key] = http.client.HTTPConnection(netloc, timeout=60)
        return conns[key]

    def _raw(self, method, url, headers, body):
        """one request on this thread's keep-alive connection, retried once on a stale connection"""
        u = urllib.parse.urlsplit(url)
        scheme, netloc = (u.scheme, u.netloc) if u.scheme else (self.scheme, self.netloc)
        target = u.path + ("?" + u.query if u.query else "")
        for attempt in (1, 2):
            conn = self._connection(scheme, netloc)
            try:
                conn.request(method, target, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                with self.lock:
                    self.requests += 1
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                return resp.status, resp.headers, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest):
                conn.close()
                if attempt == 2:
                    raise

    # auth
    def _basic(self):
        if self.user is None:
            raise PushError(f"{self.url} asks for credentials: give --user/--password")
        return "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()

    @staticmethod
    def _challenge(header):
        scheme, _, rest = (header or "").strip().partition(" ")
        params = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        return scheme.lower(), params

    def _token(self, scope, force=False):
        with self.lock:
            if not force and scope in self.tokens:
                return self.tokens[scope]
            realm, service = self.bearer
        query = urllib.parse.urlencode([("service", service)] + [("scope", one) for one in scope.split(" ") if one])
        status, headers, data = self._raw("GET", realm + ("&" if "?" in realm else "?") + query,
                                          {"Authorization": self._basic()}, None)
        if status != 200:
            raise PushError(f"token issuer {realm} answered {status}: {data[:200]!r}")
        body = json.loads(data)
        token = body.get("token") or body.get("access_token")
        with self.lock:
            self.tokens[scope] = token
        return token

    def _auth(self, scope):
        if self.mode == "basic":
            return {"Authorization": self._basic()}
        if self.mode == "bearer" and scope:
            return {"Authorization": "Bearer " + self._token(scope)}
        return {}

    def request(self, method, path, body=None, headers=None, scope=None, expect=None):
        """path is /v2/... or an absolute URL (upload Location); scope names the token needed"""
        url = path if path.startswith("http") else self.url + path
        hdrs = dict(headers or {})
        if body is not None:
            hdrs.setdefault("Content-Length", str(len(body)))
        elif method in ("PUT", "POST", "PATCH"):
            hdrs["Content-Length"] = "0"
        for attempt in (1, 2, 3):
            status, rh, data = self._raw(method, url, {**hdrs, **self._auth(scope)}, body)
            if status != 401 or attempt == 3:
                break
            kind, params = self._challenge(rh.get("WWW-Authenticate"))
            if kind == "basic":
                if self.mode == "basic":
                    break  # wrong credentials
                self.mode = "basic"
            elif kind == "bearer":
                with self.lock:
                    self.mode = "bearer"
                    self.bearer = (params["realm"], params.get("service", ""))
                # Our scope (pull,push for the repository) covers what a push needs; without one
                # (e.g. the catalog) take the challenge's; insufficient_scope adds the challenge's.
                challenged = params.get("scope", "")
                if not scope:
                    scope = challenged
                elif params.get("error") == "insufficient_scope" and challenged:
                    scope = " ".join(dict.fromkeys(scope.split(" ") + challenged.split(" ")))
                self._token(scope, force=attempt > 1 or params.get("error") == "invalid_token")
            else:
                break
        if expect and status not in expect:
            raise PushError(f"{method} {url} -> {status}: {data[:300]!r}")
        return status, rh, data

    # distribution API
    def blob_exists(self, repo, digest):
        status, _, _ = self.request("HEAD", f"/v2/{repo}/blobs/{digest}", scope=push_scope(repo))
        return status == 200

    def put_blob(self, repo, data, mount_from=None, check=True, scope=None):
        digest = sha256(data)
        scope = scope or push_scope(repo)
        if mount_from:
            # A cross-repository mount needs pull on the source as well.
            if f"repository:{mount_from}:" not in scope:
                scope += f" repository:{mount_from}:pull"
            status, rh, _ = self.request("POST", f"/v2/{repo}/blobs/uploads/?mount={digest}&from={mount_from}",
                                         scope=scope, expect=(201, 202))
            if status == 201:
                return digest
        else:
            if check and self.blob_exists(repo, digest):
                return digest
            status, rh, _ = self.request("POST", f"/v2/{repo}/blobs/uploads/", scope=scope, expect=(202,))
        location = rh.get("Location")
        if not location:
            raise PushError(f"upload for {repo} without Location")
        if not location.startswith("http"):
            location = self.url + location
        sep = "&" if "?" in location else "?"
        self.request("PUT", f"{location}{sep}digest={urllib.parse.quote(digest)}", body=data,
                     headers={"Content-Type": "application/octet-stream"}, scope=scope, expect=(201,))
        return digest

    def put_manifest(self, repo, ref, body, media_type, scope=None):
        digest = sha256(body)
        _, rh, _ = self.request("PUT", f"/v2/{repo}/manifests/{ref}", body=body,
                                headers={"Content-Type": media_type}, scope=scope or push_scope(repo), expect=(201,))
        got = rh.get("Docker-Content-Digest")
        if got and got != digest:
            raise PushError(f"{repo}:{ref}: registry computed {got}, expected {digest}")
        return digest

    def manifest_digest(self, repo, ref):
        accept = ", ".join((OCI_MANIFEST, OCI_INDEX, DOCKER_V2, "application/vnd.docker.distribution.manifest.list.v2+json"))
        status, rh, _ = self.request("HEAD", f"/v2/{repo}/manifests/{ref}", headers={"Accept": accept},
                                     scope=f"repository:{repo}:pull")
        return rh.get("Docker-Content-Digest") if status == 200 else None


def push_scope(repo):
    return f"repository:{repo}:pull,push"


# --- image building ----------------------------------------------------------------------------------

def make_layer(files):
    """files: [(path, bytes, mode)] -> (gzip bytes, diff_id). Deterministic."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = set()
        for path, _, _ in files:
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:i]))
        for d in sorted(dirs):
            info = tarfile.TarInfo(d + "/")
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1700000000
            tar.addfile(info)
        for path, data, mode in files:
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), mode, 1700000000
            tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, compresslevel=6, mtime=0), sha256(tar_bytes)


BASE_LAYER = make_layer([
    ("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001:app:/app:/sbin/nologin\n", 0o644),
    ("etc/group", b"root:x:0:\napp:x:10001:\n", 0o644),
    ("etc/os-release", b'NAME="Layerguard Test OS"\nID=lgtest\nVERSION_ID="1.0"\n', 0o644),
])
APP_LAYER = make_layer([
    ("app/server", b"#!/bin/sh\n# layerguard registry testbed: a stand-in for a web server\nexec sleep 3600\n", 0o755),
    ("app/config.yaml", b"listen: 0.0.0.0:8080\nlog_level: info\n", 0o644),
])
TOOL_LAYER = make_layer([
    ("opt/tool/bin/tool", b"#!/bin/sh\necho tool 0.9 (downloaded by ADD from https://example.com/tool.tgz)\n", 0o755),
])
ARM_LAYER = make_layer([
    ("app/server", b"#!/bin/sh\n# arm64 build of the stand-in server\nexec sleep 3600\n", 0o755),
])


class Image:
    """A single-platform image: config + layers, as Docker v2 or OCI."""

    def __init__(self, config: dict, layers, oci: bool, manifest_media_type_field=True, annotations=None):
        self.config = dumps(config)
        self.layers = layers
        self.oci = oci
        manifest = {"schemaVersion": 2}
        if not oci or manifest_media_type_field:
            manifest["mediaType"] = OCI_MANIFEST if oci else DOCKER_V2
        manifest["config"] = {"mediaType": OCI_CONFIG if oci else DOCKER_CONFIG, "size": len(self.config),
                              "digest": sha256(self.config)}
        manifest["layers"] = [{"mediaType": OCI_LAYER if oci else DOCKER_LAYER, "size": len(blob),
                               "digest": sha256(blob)} for blob, _ in layers]
        if annotations:
            manifest["annotations"] = annotations
        self.manifest = dumps(manifest)
        self.media_type = OCI_MANIFEST if oci else DOCKER_V2
        self.digest = sha256(self.manifest)

    def push(self, reg: Registry, repo, ref, check=True):
        for blob, _ in self.layers:
            reg.put_blob(repo, blob, check=check)
        reg.put_blob(repo, self.config, check=check)
        return reg.put_manifest(repo, ref, self.manifest, self.media_type)


def image_config(*, arch="amd64", created, user=None, env=(PATH_ENV,), cmd=None, entrypoint=None,
                 healthcheck=None, labels=None, layers, history, workdir=None, exposed=None, variant=None):
    cfg = {"Env": list(env)}
    if user is not None:
        cfg["User"] = user
    if entrypoint:
        cfg["Entrypoint"] = entrypoint
    if cmd:
        cfg["Cmd"] = cmd
    if workdir:
        cfg["WorkingDir"] = workdir
    if exposed:
        cfg["ExposedPorts"] = {p: {} for p in exposed}
    if healthcheck:
        cfg["Healthcheck"] = healthcheck
    if labels:
        cfg["Labels"] = labels
    config = {"architecture": arch, "os": "linux"}
    if variant:
        config["variant"] = variant
    config.update({"created": created, "config": cfg,
                   "rootfs": {"type": "layers", "diff_ids": [diff for _, diff in layers]},
                   "history": history})
    return config


HEALTHCHECK = {"Test": ["CMD", "/app/server", "--healthcheck"], "Interval": 30_000_000_000,
               "Timeout": 5_000_000_000, "StartPeriod": 10_000_000_000, "Retries": 3}


def clean_image(now, labels_extra=None, name="clean"):
    created = rfc3339(now - datetime.timedelta(days=2))
    labels = {"org.opencontainers.image.title": f"shop/{name}", "org.opencontainers.image.version": "1.0",
              "org.opencontainers.image.source": "https://git.example.com/shop/" + name}
    labels.update(labels_extra or {})
    layers = [BASE_LAYER, APP_LAYER]
    history = [
        {"created": created, "created_by": "/bin/sh -c #(nop) ADD file:4b1e2f0c9d8a7b6c in / "},
        {"created": created, "created_by": "/bin/sh -c #(nop) COPY dir:9a8b7c6d5e4f3a2b in /app "},
        {"created": created, "created_by": "/bin/sh -c #(nop) WORKDIR /app", "empty_layer": True},
        {"created": created, "created_by": "/bin/sh -c #(nop)  HEALTHCHECK &{[\"CMD\" \"/app/server\" \"--healthcheck\"]}",
         "empty_layer": True},
        {"created": created, "created_by": "/bin/sh -c #(nop)  USER 10001", "empty_layer": True},
        {"created": created, "created_by": "/bin/sh -c #(nop)  ENTRYPOINT [\"/app/server\"]", "empty_layer": True},
    ]
    cfg = image_config(created=created, user="10001", entrypoint=["/app/server"], workdir="/app",
                       exposed=["8080/tcp"], healthcheck=HEALTHCHECK, labels=labels, layers=layers, history=history)
    return Image(cfg, layers, oci=False)


def root_image(canary):
    created = "2021-03-01T00:00:00Z"
    layers = [BASE_LAYER, TOOL_LAYER]
    history = [
        {"created": created, "created_by": "/bin/sh -c #(nop) ADD file:4b1e2f0c9d8a7b6c in / "},
        {"created": created, "created_by": "/bin/sh -c #(nop) ADD https://example.com/tool.tgz /opt/"},
        {"created": created, "created_by": f"/bin/sh -c #(nop)  ENV DB_PASSWORD={canary}", "empty_layer": True},
        {"created": created, "created_by": "/bin/sh -c #(nop)  CMD [\"/opt/tool/bin/tool\"]", "empty_layer": True},
    ]
    cfg = image_config(created=created, env=(PATH_ENV, f"DB_PASSWORD={canary}"), cmd=["/opt/tool/bin/tool"],
                       layers=layers, history=history)
    # As skopeo / umoci write it: no mediaType in the body, the type is only in Content-Type.
    return Image(cfg, layers, oci=True, manifest_media_type_field=False)


def multi_images(now):
    created = rfc3339(now - datetime.timedelta(days=5))
    amd_layers = [BASE_LAYER, APP_LAYER]
    amd = image_config(created=created, user="app", entrypoint=["/app/server"], healthcheck=HEALTHCHECK,
                       layers=amd_layers, history=[
                           {"created": created, "created_by": "ADD file:4b1e2f0c9d8a7b6c in / # buildkit"},
                           {"created": created, "created_by": "COPY app /app # buildkit"},
                           {"created": created, "created_by": "USER app", "comment": "buildkit.dockerfile.v0",
                            "empty_layer": True}])
    arm_layers = [BASE_LAYER, ARM_LAYER]
    arm = image_config(arch="arm64", variant="v8", created=created, entrypoint=["/app/server"], layers=arm_layers,
                       history=[
                           {"created": created, "created_by": "ADD file:4b1e2f0c9d8a7b6c in / # buildkit"},
                           {"created": created, "created_by": "COPY app /app # buildkit"}])
    return [(Image(amd, amd_layers, oci=True), {"architecture": "amd64", "os": "linux"}),
            (Image(arm, arm_layers, oci=True), {"architecture": "arm64", "os": "linux", "variant": "v8"})]


def web_image(now):
    created = rfc3339(now - datetime.timedelta(days=1))
    layers = [BASE_LAYER, APP_LAYER]
    history = [
        {"created": created, "created_by": "/bin/sh -c #(nop) ADD file:4b1e2f0c9d8a7b6c in / "},
        {"created": created, "created_by": "/bin/sh -c #(nop) COPY dir:9a8b7c6d5e4f3a2b in /app "},
        {"created": created, "created_by": "/bin/sh -c #(nop)  USER 10001", "empty_layer": True},
    ]
    cfg = image_config(created=created, user="10001", cmd=["/app/server", "--port", "8080"], exposed=["8080/tcp"],
                       healthcheck=HEALTHCHECK, labels={"org.opencontainers.image.title": "shop/web"},
                       layers=layers, history=history)
    return Image(cfg, layers, oci=False)


def cosign_signature(reference, digest, key_pem):
    """A cosign-style signature manifest (as `cosign sign` writes it) for the image DIGEST."""
    payload = dumps({"critical": {"identity": {"docker-reference": reference},
                                  "image": {"docker-manifest-digest": digest},
                                  "type": "cosign container image signature"},
                     "optional": {"creator": "layerguard registry testbed"}})
    if key_pem:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        key = serialization.load_pem_private_key(key_pem, password=None)
        signature = base64.b64encode(key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()
    else:
        signature = base64.b64encode(secrets.token_bytes(70)).decode()
    config = dumps({"architecture": "", "created": "0001-01-01T00:00:00Z",
                    "history": [{"created": "0001-01-01T00:00:00Z"}], "os": "", "config": {},
                    "rootfs": {"type": "layers", "diff_ids": [sha256(payload)]}})
    manifest = dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                      "config": {"mediaType": OCI_CONFIG, "size": len(config), "digest": sha256(config)},
                      "layers": [{"mediaType": COSIGN_LAYER, "size": len(payload), "digest": sha256(payload),
                                  "annotations": {"dev.cosignproject.cosign/signature": signature}}]})
    return payload, config, manifest


# --- commands ----------------------------------------------------------------------------------------

def registry_from(args, url):
    return Registry(url, args.user, args.password, args.ca)


def seed_one(args, name, url, now):
    reg = registry_from(args, url)
    host = urllib.parse.urlsplit(url).netloc
    records = []

    def record(repo, tag, digest, media_type, **extra):
        records.append({"repo": repo, "tag": tag, "digest": digest, "mediaType": media_type, **extra})

    clean = clean_image(now)
    clean.push(reg, "shop/clean", "1.0")
    record("shop/clean", "1.0", clean.digest, DOCKER_V2, config=sha256(clean.config), signed=True)
    payload, sig_config, sig_manifest = cosign_signature(f"{host}/shop/clean", clean.digest, args.cosign_key_pem)
    reg.put_blob("shop/clean", payload)
    reg.put_blob("shop/clean", sig_config)
    sig_tag = "sha256-" + clean.digest.split(":", 1)[1] + ".sig"
    sig_digest = reg.put_manifest("shop/clean", sig_tag, sig_manifest, OCI_MANIFEST)
    record("shop/clean", sig_tag, sig_digest, OCI_MANIFEST, signs=clean.digest, payload=sha256(payload))

    root = root_image(args.canary)
    root.push(reg, "shop/root", "1.0")
    record("shop/root", "1.0", root.digest, OCI_MANIFEST, config=sha256(root.config), signed=False)

    children = []
    for image, platform in multi_images(now):
        image.push(reg, "shop/multi", image.digest)  # by digest: untagged children, as buildx does
        children.append({"mediaType": OCI_MANIFEST, "size": len(image.manifest), "digest": image.digest,
                         "platform": platform, "config": sha256(image.config)})
    index = dumps({"schemaVersion": 2, "mediaType": OCI_INDEX,
                   "manifests": [{k: v for k, v in c.items() if k != "config"} for c in children]})
    index_digest = reg.put_manifest("shop/multi", "2.0", index, OCI_INDEX)
    record("shop/multi", "2.0", index_digest, OCI_INDEX, signed=False,
           manifests=[{"platform": "/".join(filter(None, (c["platform"]["os"], c["platform"]["architecture"],
                                                           c["platform"].get("variant")))),
                       "digest": c["digest"], "config": c["config"]} for c in children])

    web = web_image(now)
    web.push(reg, "shop/web", "latest")
    record("shop/web", "latest", web.digest, DOCKER_V2, config=sha256(web.config), signed=False)
    return {"url": reg.url, "images": records, "requests": reg.requests}


def load_out(path):
    if path and os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {}


def write_out(path, doc):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def cmd_seed(args):
    now = today()
    targets = []
    for spec in args.registries:
        name, sep, url = spec.partition("=")
        if not sep:
            name, url = spec, spec
        targets.append((name, url))
    t0 = time.monotonic()
    results = {}
    with concurrent.futures.ThreadPoolExecutor(len(targets)) as pool:
        futures = {name: pool.submit(seed_one, args, name, url, now) for name, url in targets}
        for name, fut in futures.items():
            results[name] = fut.result()
    doc = {"canary": args.canary, "pushed_at": rfc3339(datetime.datetime.now(datetime.timezone.utc)),
           "registries": results}
    if args.out:
        write_out(args.out, doc)
    else:
        json.dump(doc, sys.stdout, indent=2)
        print()
    total = sum(r["requests"] for r in results.values())
    print(f"seeded {len(targets)} registries ({total} requests) in {time.monotonic() - t0:.2f} s", file=sys.stderr)


def cmd_repoint(args):
    reg = registry_from(args, args.url)
    previous = reg.manifest_digest(args.repo, args.tag)
    now = today()
    stamp = datetime.datetime.now(datetime.timezone.utc).isoformat() + "-" + secrets.token_hex(4)
    name = args.repo.rsplit("/", 1)[-1]
    image = clean_image(now, {"org.layerguard.testbed.repointed": stamp}, name=name)
    image.push(reg, args.repo, args.tag)
    result = {"url": reg.url, "repo": args.repo, "tag": args.tag, "previous": previous, "digest": image.digest,
              "mediaType": DOCKER_V2, "config": sha256(image.config)}
    if args.out and os.path.exists(args.out):
        doc = load_out(args.out)
        for entry in doc.get("registries", {}).values():
            if entry.get("url") == reg.url:
                for img in entry["images"]:
                    if img["repo"] == args.repo and img["tag"] == args.tag:
                        img.update(digest=image.digest, mediaType=DOCKER_V2, config=sha256(image.config),
                                   signed=False, repointed_from=previous)
        write_out(args.out, doc)
    print(json.dumps(result))


def cmd_tag(args):
    reg = registry_from(args, args.url)
    accept = ", ".join((OCI_MANIFEST, OCI_INDEX, DOCKER_V2, "application/vnd.docker.distribution.manifest.list.v2+json"))
    _, rh, body = reg.request("GET", f"/v2/{args.repo}/manifests/{args.tag}", headers={"Accept": accept},
                              scope=f"repository:{args.repo}:pull", expect=(200,))
    digest = reg.put_manifest(args.repo, args.new_tag, body, rh.get("Content-Type"))
    print(json.dumps({"url": reg.url, "repo": args.repo, "tags": [args.tag, args.new_tag], "digest": digest}))


def cmd_bulk(args):
    reg = registry_from(args, args.url)
    t0 = time.monotonic()
    created = rfc3339(today() - datetime.timedelta(days=1))
    layer, diff_id = make_layer([("bench/data.txt", b"layerguard bulk benchmark layer\n", 0o644)])
    first = f"{args.prefix}{1:04d}"

    def build(i):
        cfg = image_config(created=created, user="1000", cmd=["/bench/run"], layers=[(layer, diff_id)],
                           labels={"org.layerguard.bench.index": str(i)},
                           history=[{"created": created, "created_by": "COPY data.txt /bench/ # buildkit"}])
        return Image(cfg, [(layer, diff_id)], oci=False)

    def push(i):
        repo = f"{args.prefix}{i:04d}"
        image = build(i)
        if i == 1:
            reg.put_blob(repo, layer)
            scope = None
        else:
            scope = f"{push_scope(repo)} repository:{first}:pull"  # one token per image
            reg.put_blob(repo, layer, mount_from=first, scope=scope)
        reg.put_blob(repo, image.config, check=False, scope=scope)
        reg.put_manifest(repo, args.tag, image.manifest, DOCKER_V2, scope=scope)
        return {"repo": repo, "tag": args.tag, "digest": image.digest}

    results = [push(1)] if args.count >= 1 else []
    with concurrent.futures.ThreadPoolExecutor(args.threads) as pool:
        results += list(pool.map(push, range(2, args.count + 1)))
    elapsed = time.monotonic() - t0
    if args.out:
        write_out(args.out, {"url": reg.url, "images": results})
    rate = len(results) / elapsed if elapsed else 0
    print(f"bulk: pushed {len(results)} images to {reg.url} in {elapsed:.2f} s ({rate:.0f} images/s, "
          f"{reg.requests} requests, {args.threads} threads)")


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            key, sep, value = line.rstrip("\n").partition("=")
            if sep:
                env[key] = value
    return env


def main():
    # The common options are accepted before and after the command (SUPPRESS: a subparser's default
    # must not overwrite what was given before the command).
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("--ca", help="CA file for https registries")
    common.add_argument("--user")
    common.add_argument("--password")
    common.add_argument("--env", help="registry.env to take LG_REG_CA/USER/PASSWORD/CANARY/COSIGN_KEY from")
    common.add_argument("--canary")
    common.add_argument("--cosign-key", help="PEM EC P-256 private key for the signature")
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], parents=[common],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("seed", parents=[common], help="push the standard set into NAME=URL registries")
    s.add_argument("registries", nargs="+", metavar="NAME=URL")
    s.add_argument("--out", help="registry-images.json to write")
    s.set_defaults(func=cmd_seed)
    r = sub.add_parser("repoint", parents=[common], help="push a different image under REPO:TAG")
    r.add_argument("url")
    r.add_argument("repo")
    r.add_argument("tag")
    r.add_argument("--out", help="registry-images.json to update")
    r.set_defaults(func=cmd_repoint)
    t = sub.add_parser("tag", parents=[common], help="put REPO:TAG's manifest under NEW_TAG too")
    t.add_argument("url")
    t.add_argument("repo")
    t.add_argument("tag")
    t.add_argument("new_tag")
    t.set_defaults(func=cmd_tag)
    b = sub.add_parser("bulk", parents=[common], help="push N small distinct images")
    b.add_argument("url")
    b.add_argument("count", type=int)
    b.add_argument("--threads", type=int, default=8)
    b.add_argument("--prefix", default="bench/img-")
    b.add_argument("--tag", default="1.0")
    b.add_argument("--out", help="JSON file of the digests pushed")
    b.set_defaults(func=cmd_bulk)
    args = p.parse_args()

    env = read_env(args.env) if getattr(args, "env", None) else {}

    def pick(option, key):
        value = getattr(args, option, None)
        return value if value is not None else (env.get(key) or os.environ.get(key) or None)

    args.ca = pick("ca", "LG_REG_CA")
    args.user = pick("user", "LG_REG_USER")
    args.password = pick("password", "LG_REG_PASSWORD")
    args.canary = pick("canary", "LG_REG_CANARY") or DEFAULT_CANARY
    args.cosign_key = pick("cosign_key", "LG_REG_COSIGN_KEY")
    args.cosign_key_pem = None
    if args.cosign_key:
        with open(args.cosign_key, "rb") as f:
            args.cosign_key_pem = f.read()
    try:
        args.func(args)
    except (PushError, OSError, ssl.SSLError) as e:
        print(f"registry-push.py: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
