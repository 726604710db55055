#!/usr/bin/python3
"""Kubernetes API test server for Layerguard's integration tests (TESTBED.md, Kubernetes).

Serves a read-only cluster state over TLS the way kube-apiserver does: discovery (legacy and
aggregated), lists with limit/continue paging, single objects, meta.k8s.io Tables, Status errors,
x509 / bearer / basic authentication, SelfSubjectAccessReview and SelfSubjectReview (JSON or
protobuf bodies). Every object is serialized once at start; list pages are joined from bytes.
Validated against the real kubectl by tests/integration/kube_kubectl.sh.
"""
import argparse
import base64
import bisect
import datetime
import hashlib
import json
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml

FIXED_TIME = "2026-01-01T00:00:00Z"
UID_NS = uuid.uuid5(uuid.NAMESPACE_DNS, "kube.layerguard.test")
JSON = "application/json"
RW = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

# group, version, resource, kind, namespaced, short names, categories, subresources
_RESOURCES = """
- v1 namespaces Namespace 0 ns - status,finalize
- v1 nodes Node 0 no - status
- v1 pods Pod 1 po all status,log
- v1 services Service 1 svc all status
- v1 serviceaccounts ServiceAccount 1 sa - token
- v1 secrets Secret 1 - - -
- v1 configmaps ConfigMap 1 cm - -
- v1 endpoints Endpoints 1 ep - -
- v1 persistentvolumes PersistentVolume 0 pv - status
- v1 persistentvolumeclaims PersistentVolumeClaim 1 pvc - status
- v1 limitranges LimitRange 1 limits - -
- v1 resourcequotas ResourceQuota 1 quota - status
apps v1 deployments Deployment 1 deploy all status,scale
apps v1 replicasets ReplicaSet 1 rs all status,scale
apps v1 statefulsets StatefulSet 1 sts all status,scale
apps v1 daemonsets DaemonSet 1 ds all status
authentication.k8s.io v1 selfsubjectreviews SelfSubjectReview 0 - - -
authorization.k8s.io v1 selfsubjectaccessreviews SelfSubjectAccessReview 0 - - -
batch v1 jobs Job 1 - all status
batch v1 cronjobs CronJob 1 cj all status
networking.k8s.io v1 networkpolicies NetworkPolicy 1 netpol - -
networking.k8s.io v1 ingresses Ingress 1 ing - status
node.k8s.io v1 runtimeclasses RuntimeClass 0 - - -
policy v1 poddisruptionbudgets PodDisruptionBudget 1 pdb - status
rbac.authorization.k8s.io v1 clusterrolebindings ClusterRoleBinding 0 - - -
rbac.authorization.k8s.io v1 clusterroles ClusterRole 0 - - -
rbac.authorization.k8s.io v1 rolebindings RoleBinding 1 - - -
rbac.authorization.k8s.io v1 roles Role 1 - - -
"""
REVIEWS = {"selfsubjectreviews", "selfsubjectaccessreviews"}
GENERATION_KINDS = {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "Ingress",
                    "NetworkPolicy", "PodDisruptionBudget"}
FIELD_SELECTORS = {"pods": ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                            "spec.serviceAccountName", "status.phase", "status.podIP"],
                   "secrets": ["type"], "nodes": ["spec.unschedulable"], "namespaces": ["status.phase"]}
REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
           406: "NotAcceptable", 409: "Conflict", 410: "Expired", 413: "RequestEntityTooLarge",
           422: "Invalid", 429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}


class Res:
    """One API resource as discovery describes it."""

    def __init__(self, line):
        g, self.version, self.plural, self.kind, nsd, short, cat, sub = line.split()
        self.group = "" if g == "-" else g
        self.namespaced = nsd == "1"
        self.short = [] if short == "-" else short.split(",")
        self.categories = [] if cat == "-" else cat.split(",")
        self.sub = [] if sub == "-" else sub.split(",")
        self.gv = f"{self.group}/{self.version}" if self.group else self.version
        self.verbs = ["create"] if self.plural in REVIEWS else [v for v in RW if not (
            v == "deletecollection" and self.kind == "Namespace")]
        self.qualified = f"{self.plural}.{self.group}" if self.group else self.plural

    def sub_kind(self, sub):  # (group, version, kind, verbs) of a subresource
        return {"scale": ("autoscaling", "v1", "Scale", ["get", "patch", "update"]), "log": ("", "v1", "Pod", ["get"]),
                "token": ("authentication.k8s.io", "v1", "TokenRequest", ["create"]),
                "status": (self.group, self.version, self.kind, ["get", "patch", "update"])}.get(
            sub, (self.group, self.version, self.kind, ["update"]))


RESOURCES = [Res(line) for line in _RESOURCES.strip().splitlines()]
BY_PATH = {(r.gv, r.plural): r for r in RESOURCES}
BY_KIND = {(r.group, r.kind): r for r in RESOURCES}
GROUP_ORDER = list(dict.fromkeys(r.group for r in RESOURCES))


class ApiError(Exception):
    def __init__(self, code, message, details=None, reason=None):
        super().__init__(message)
        self.code, self.message, self.details, self.reason = code, message, details, reason or REASONS.get(code)

    def body(self):
        st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": self.message,
              "reason": self.reason}
        if self.details:
            st["details"] = self.details
        st["code"] = self.code
        return dumps(st)


def dumps(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def short_hash(text, n, alphabet="bcdfghjklmnpqrstvwxz2456789"):
    """Deterministic k8s-style random suffix (the alphabet of apimachinery's rand.String)."""
    digest = hashlib.sha1(text.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:n])


def make_uid(kind, ns, name):
    return str(uuid.uuid5(UID_NS, f"{kind}/{ns}/{name}"))


def ip_for(prefix, text):
    d = hashlib.sha1(text.encode()).digest()
    return f"{prefix}.{d[0]}.{d[1] % 254 + 1}"


class Entry:
    """A stored object: its sort key, what selectors need, and the serialized list item."""
    __slots__ = ("key", "labels", "fields", "data")

    def __init__(self, ns, name, labels, fields, data):
        self.key, self.labels, self.fields, self.data = (ns, name), labels or {}, fields, data


class Store:
    def __init__(self, res):
        self.res, self.entries, self.keys = res, [], []

    def finish(self):
        self.entries.sort(key=lambda e: e.key)
        self.keys = [e.key for e in self.entries]

    def span(self, ns):
        """Index range of one namespace (entries are sorted by namespace, then name)."""
        if ns is None:
            return 0, len(self.entries)
        return bisect.bisect_left(self.keys, (ns,)), bisect.bisect_left(self.keys, (ns + "\0",))


# ----------------------------------------------------------------------------- state loading
def read_state(paths):
    docs = []
    for path in paths:
        files = [path]
        if os.path.isdir(path):
            files = sorted(os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs
                           if f.endswith((".yaml", ".yml", ".json")))
        for f in files:
            with open(f, encoding="utf-8") as fh:
                text = fh.read()
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            try:
                found = [json.loads(text)] if f.endswith(".json") else list(yaml.load_all(text, Loader=loader))
            except (ValueError, yaml.YAMLError) as exc:
                raise ValueError(f"{f}: {exc}") from None
            # A JSON round trip copies YAML aliases (shared objects) and turns YAML timestamps into strings.
            docs += [json.loads(json.dumps(d, default=yaml_scalar)) for d in found if d]
    out = []
    while docs:
        d = docs.pop(0)
        if isinstance(d, dict) and str(d.get("kind", "")).endswith("List") and isinstance(d.get("items"), list):
            docs[0:0] = d["items"]
        elif isinstance(d, dict) and d.get("kind"):
            out.append(d)
    return out


def yaml_scalar(value):
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def order_meta(meta):
    first = ["name", "generateName", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
             "deletionTimestamp", "labels", "annotations", "ownerReferences", "finalizers", "managedFields"]
    return {k: meta[k] for k in first + sorted(meta) if k in meta}


def ordered(obj):
    """Key order of the real server: metadata, spec/data..., status."""
    out = {"metadata": order_meta(obj["metadata"])}
    out.update((k, v) for k, v in obj.items() if k not in ("kind", "apiVersion", "metadata", "status"))
    if "status" in obj:
        out["status"] = obj["status"]
    return out


class Cluster:
    """Everything the server serves, built once at start."""

    def __init__(self, args):
        self.args = args
        self.stores = {r.plural: Store(r) for r in RESOURCES if r.plural not in REVIEWS}
        self.rv = 1000
        objs = {}
        for d in read_state(args.state):
            group = d.get("apiVersion", "v1").rpartition("/")[0] if "/" in d.get("apiVersion", "") else ""
            res = BY_KIND.get((group, d["kind"])) or next((r for r in RESOURCES if r.kind == d["kind"]), None)
            meta = d.setdefault("metadata", {})
            if res is None or res.plural in REVIEWS or not meta.get("name"):
                print(f"kube-apiserver: skipping {d.get('apiVersion')}/{d['kind']} {meta.get('name')}", file=sys.stderr)
                continue
            if res.namespaced:
                meta["namespace"] = meta.get("namespace") or "default"
            else:
                meta.pop("namespace", None)
            objs[(res.plural, meta.get("namespace", ""), meta["name"])] = (res, d)
        for (plural, ns, _), _v in list(objs.items()):  # namespaces that objects live in
            if ns and ("namespaces", "", ns) not in objs:
                objs[("namespaces", "", ns)] = (self.stores["namespaces"].res,
                                                {"kind": "Namespace", "metadata": {"name": ns}})
        self.add_namespace_defaults(objs)
        uids = {}
        for (plural, ns, name), (res, d) in objs.items():
            uids[(res.kind, ns, name)] = d["metadata"].setdefault("uid", make_uid(res.kind, ns, name))
        for (_, ns, _), (_, d) in objs.items():  # owner references written without uid point to the owner
            for ref in d["metadata"].get("ownerReferences") or []:
                if isinstance(ref, dict) and not ref.get("uid"):
                    owner = (ref.get("kind"), ns, ref.get("name"))
                    ref["uid"] = uids.get(owner) or make_uid(*owner)
        self.nodes = sorted(n for (p, _, n) in objs if p == "nodes")
        self.node_ips = {}
        self.sas = {(ns, n): d for (p, ns, n), (_, d) in objs.items() if p == "serviceaccounts"}
        order = {r.plural: i for i, r in enumerate(RESOURCES)}
        for k in sorted(objs, key=lambda k: (order[k[0]], k[1], k[2])):
            res, d = objs[k]
            self.add(res, self.defaults(res, d))
        if args.synthetic_pods:
            Synthetic(self, args.synthetic_pods, args.pod_bytes, args.synthetic_controllers).run()
        for s in self.stores.values():
            s.finish()
        self.list_rv = str(self.rv)

    def add_namespace_defaults(self, objs):
        """Namespaces get a `default` ServiceAccount, as the service-account controller creates one."""
        for (p, _, ns) in list(objs):
            if p == "namespaces" and ("serviceaccounts", ns, "default") not in objs:
                objs[("serviceaccounts", ns, "default")] = (
                    self.stores["serviceaccounts"].res,
                    {"kind": "ServiceAccount", "metadata": {"name": "default", "namespace": ns}})

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def add(self, res, obj):
        meta = obj["metadata"]
        ns, name = meta.get("namespace", ""), meta["name"]
        meta.setdefault("uid", make_uid(res.kind, ns, name))
        meta["resourceVersion"] = self.next_rv()
        meta.setdefault("creationTimestamp", FIXED_TIME)
        if res.kind in GENERATION_KINDS:
            meta.setdefault("generation", 1)
        fields = None
        if res.plural in FIELD_SELECTORS:
            fields = {}
            for f in FIELD_SELECTORS[res.plural]:
                v = obj
                for p in f.split("."):
                    v = v.get(p) if isinstance(v, dict) else None
                fields[f] = "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
        self.stores[res.plural].entries.append(Entry(ns, name, meta.get("labels"), fields, dumps(ordered(obj))))

    # ------------------------------------------------------------------ what the server defaults
    def defaults(self, res, d):
        kind = res.kind
        meta, spec = d["metadata"], d.get("spec")
        ident = f"{kind}/{meta.get('namespace', '')}/{meta['name']}"
        if kind == "Namespace":
            meta.setdefault("labels", {}).setdefault("kubernetes.io/metadata.name", meta["name"])
            d.setdefault("spec", {"finalizers": ["kubernetes"]})
            d.setdefault("status", {"phase": "Active"})
        elif kind == "Node":
            self.node_defaults(d)
        elif kind == "Pod":
            self.pod_defaults(d, ident)
        if kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob") and isinstance(spec, dict):
            tmpl = spec.get("jobTemplate", {}).get("spec", {}).get("template") if kind == "CronJob" \
                else spec.get("template")
            if isinstance(tmpl, dict) and isinstance(tmpl.get("spec"), dict):
                self.pod_spec_defaults(tmpl["spec"])
        elif kind in ("Deployment", "ReplicaSet", "StatefulSet") and isinstance(spec, dict):
            n = spec.setdefault("replicas", 1)
            if kind == "Deployment":
                spec.setdefault("strategy", {"type": "RollingUpdate",
                                             "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
                spec.setdefault("revisionHistoryLimit", 10)
                spec.setdefault("progressDeadlineSeconds", 600)
            st = {"observedGeneration": meta.get("generation", 1), "replicas": n, "readyReplicas": n,
                  "availableReplicas": n}
            st.update({"updatedReplicas": n} if kind != "ReplicaSet" else {"fullyLabeledReplicas": n})
            if kind == "StatefulSet":
                st["currentReplicas"] = n
            d.setdefault("status", st)
        elif kind == "DaemonSet":
            n = len(self.nodes)
            d.setdefault("status", {"currentNumberScheduled": n, "desiredNumberScheduled": n, "numberMisscheduled": 0,
                                    "numberReady": n, "numberAvailable": n, "updatedNumberScheduled": n,
                                    "observedGeneration": meta.get("generation", 1)})
        elif kind == "Service":
            spec = d.setdefault("spec", {})
            spec.setdefault("type", "ClusterIP")
            if spec["type"] != "ExternalName":
                spec.setdefault("clusterIP", ip_for("10.96", ident))
                spec.setdefault("clusterIPs", [spec["clusterIP"]])
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
                spec.setdefault("internalTrafficPolicy", "Cluster")
            spec.setdefault("sessionAffinity", "None")
            for i, p in enumerate(spec.get("ports") or []):
                p.setdefault("protocol", "TCP")
                p.setdefault("targetPort", p.get("port"))
                if spec["type"] in ("NodePort", "LoadBalancer"):
                    p.setdefault("nodePort", 30000 + int(hashlib.sha1(f"{ident}/{i}".encode()).hexdigest(), 16) % 2768)
            d.setdefault("status", {"loadBalancer": {}})
        elif kind == "Secret":
            d.setdefault("type", "Opaque")
            for k, v in (d.pop("stringData", None) or {}).items():  # the server folds stringData into data
                d.setdefault("data", {})[k] = base64.b64encode(str(v).encode()).decode()
        elif kind == "Ingress":
            d.setdefault("status", {"loadBalancer": {}})
        return d

    def node_defaults(self, d):
        name = d["metadata"]["name"]
        labels = d["metadata"].setdefault("labels", {})
        for k, v in (("kubernetes.io/hostname", name), ("kubernetes.io/os", "linux"), ("kubernetes.io/arch", "amd64")):
            labels.setdefault(k, v)
        st = d.setdefault("status", {})
        info = st.setdefault("nodeInfo", {})
        h = hashlib.sha1(name.encode()).hexdigest()
        ver = self.args.version.split("-")[0]
        for k, v in (("machineID", h[:32]), ("systemUUID", str(uuid.UUID(h[:32]))),
                     ("bootID", make_uid("boot", "", name)),
                     ("kernelVersion", "6.1.0-21-amd64"), ("osImage", "Debian GNU/Linux 12 (bookworm)"),
                     ("containerRuntimeVersion", "containerd://1.7.13"), ("kubeletVersion", ver),
                     ("kubeProxyVersion", ver), ("operatingSystem", "linux"), ("architecture", "amd64")):
            info.setdefault(k, v)
        ip = ip_for("10.0", name)
        st.setdefault("addresses", [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}])
        self.node_ips[name] = next((a["address"] for a in st["addresses"] if a.get("type") == "InternalIP"), ip)
        cap = {"cpu": "4", "memory": "16365976Ki", "pods": "110", "ephemeral-storage": "102687672Ki"}
        st.setdefault("capacity", cap)
        st.setdefault("allocatable", dict(st["capacity"]))
        st.setdefault("conditions", [{"type": t, "status": s, "reason": r, "lastHeartbeatTime": FIXED_TIME,
                                      "lastTransitionTime": FIXED_TIME} for t, s, r in (
            ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
            ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
            ("PIDPressure", "False", "KubeletHasSufficientPID"), ("Ready", "True", "KubeletReady"))])

    @staticmethod
    def pod_spec_defaults(spec):
        """What the API server's defaulting writes into every pod spec, a Pod's or a workload's template."""
        for k, v in (("restartPolicy", "Always"), ("terminationGracePeriodSeconds", 30), ("dnsPolicy", "ClusterFirst"),
                     ("securityContext", {}), ("schedulerName", "default-scheduler"), ("enableServiceLinks", True)):
            spec.setdefault(k, v)
        if spec.get("serviceAccountName"):  # the deprecated field mirrors the name (v1 conversion)
            spec.setdefault("serviceAccount", spec["serviceAccountName"])
        for c in spec.setdefault("containers", []) + spec.get("initContainers", []):
            img = c.get("image", "")
            latest = "@" not in img and (":" not in img.rsplit("/", 1)[-1] or img.endswith(":latest"))
            c.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
            c.setdefault("resources", {})
            c.setdefault("terminationMessagePath", "/dev/termination-log")
            c.setdefault("terminationMessagePolicy", "File")

    def pod_defaults(self, d, ident):
        meta, spec = d["metadata"], d.setdefault("spec", {})
        containers = spec.setdefault("containers", [])
        if self.nodes:
            spec.setdefault("nodeName", self.nodes[0])
        # admission: the ServiceAccount plugin names the default account, Priority sets priority and preemption
        sa_name = spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
        spec.setdefault("serviceAccount", sa_name)
        for k, v in (("priority", 0), ("preemptionPolicy", "PreemptLowerPriority")):
            spec.setdefault(k, v)
        self.pod_spec_defaults(spec)
        # The ServiceAccount admission plugin mounts a projected API token unless automount is off.
        sa = self.sas.get((meta["namespace"], sa_name), {})
        automount = spec.get("automountServiceAccountToken", sa.get("automountServiceAccountToken", True))
        if automount is not False:
            vol = "kube-api-access-" + short_hash(ident, 5)
            spec.setdefault("volumes", []).append({"name": vol, "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                    "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}})
            for c in containers:
                c.setdefault("volumeMounts", []).append(
                    {"name": vol, "readOnly": True, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"})
        st = d.setdefault("status", {})
        phase = st.setdefault("phase", "Running" if spec.get("nodeName") else "Pending")
        ok = "True" if phase == "Running" else "False"
        st.setdefault("conditions", [{"type": t, "status": s, "lastProbeTime": None, "lastTransitionTime": FIXED_TIME}
                                     for t, s in (("Initialized", "True"), ("Ready", ok), ("ContainersReady", ok),
                                                  ("PodScheduled", "True"))])
        if spec.get("nodeName"):
            host_ip = self.node_ips.get(spec["nodeName"], ip_for("10.0", spec["nodeName"]))
            st.setdefault("hostIP", host_ip)
            st.setdefault("hostIPs", [{"ip": st["hostIP"]}])
            st.setdefault("podIP", host_ip if spec.get("hostNetwork") else ip_for("10.244", ident))
            st.setdefault("podIPs", [{"ip": st["podIP"]}])
        st.setdefault("startTime", meta.get("creationTimestamp", FIXED_TIME))
        st.setdefault("containerStatuses", [{
            "name": c.get("name"), "state": {"running": {"startedAt": FIXED_TIME}} if phase == "Running" else
            {"waiting": {"reason": "ContainerCreating"}}, "lastState": {}, "ready": phase == "Running",
            "restartCount": 0, "image": c.get("image"), "imageID": "", "started": phase == "Running"}
            for c in containers])
        st.setdefault("qosClass", qos_class(containers))


def qos_class(containers):
    res = [c.get("resources") or {} for c in containers]
    if not any(r.get("requests") or r.get("limits") for r in res):
        return "BestEffort"
    for r in res:
        lim, req = r.get("limits") or {}, r.get("requests") or {}
        if not all(k in lim for k in ("cpu", "memory")) or any(req.get(k, lim[k]) != lim[k] for k in ("cpu", "memory")):
            return "Burstable"
    return "Guaranteed"


class Synthetic:
    """N realistic pods (plus their namespaces and nodes), ~B bytes each. Most pods name an owning
    ReplicaSet that is not served, so a client has to judge every pod on its own.

    Each kind of pod is a JSON template with @KEY@ placeholders ("@#KEY@" replaces a whole JSON
    string with a raw number) serialized once; a pod is the template's pieces joined with its values,
    which keeps 50,000 pods well under the start-up budget.
    """
    SIZES = (3, 10, 2, 25, 6, 12, 1, 8, 4, 15)       # replicas per workload, cycled
    SEC = "hhhhhhhhddddduuuuppnn"                      # hardened, default, no limits, privileged, host network
    PART = re.compile(r'"@#([A-Z]+)@"|@([A-Z]+)@')

    def __init__(self, cluster, n, size, controllers=False):
        self.c, self.n, self.size, self.templates = cluster, n, size, {}
        self.controllers = controllers  # also serve the Deployment and ReplicaSet of every owned workload
        self.filler = base64.b64encode(b"".join(hashlib.sha512(str(i).encode()).digest() for i in range(4096))).decode()

    def compile(self, obj):
        parts = self.PART.split(json.dumps(obj, separators=(",", ":")))
        # re.split yields literal, raw-key, key, literal, ...: fold to literal, key, literal, key, ...
        out = [parts[0]]
        for i in range(1, len(parts), 3):
            out += [parts[i] or parts[i + 1], parts[i + 2]]
        return out

    @staticmethod
    def fill(tpl, vals):
        return [p if i % 2 == 0 else vals[p] for i, p in enumerate(tpl)]

    def pod_spec(self, sec, sidecar):
        res_full = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}
        probe = {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "initialDelaySeconds": 5,
                 "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
        main = {"name": "app", "image": "registry.example.com/@NS@/@APP@:1.@MINOR@.0",
                "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                "env": [{"name": "LOG_LEVEL", "value": "info"},
                        {"name": "DB_HOST", "value": "@APP@-db.@NS@.svc.cluster.local"},
                        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "@APP@-db", "key": "password"}}}],
                "resources": res_full, "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}],
                "livenessProbe": probe, "readinessProbe": dict(probe, initialDelaySeconds=2),
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent"}
        spec = {"volumes": [{"name": "config", "configMap": {"name": "@APP@-config", "defaultMode": 420}}],
                "containers": [main], "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
                "dnsPolicy": "ClusterFirst", "serviceAccountName": "default", "serviceAccount": "default",
                "securityContext": {}, "schedulerName": "default-scheduler", "priority": 0,
                "enableServiceLinks": True, "preemptionPolicy": "PreemptLowerPriority"}
        if sec == "h":
            spec["automountServiceAccountToken"] = False
            spec["securityContext"] = {"runAsNonRoot": True, "runAsUser": 10001, "fsGroup": 10001,
                                       "seccompProfile": {"type": "RuntimeDefault"}}
            main["securityContext"] = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                       "capabilities": {"drop": ["ALL"]}}
        elif sec == "u":
            main["resources"] = {"requests": {"cpu": "50m", "memory": "64Mi"}}
        elif sec == "p":
            main["securityContext"] = {"privileged": True, "runAsUser": 0}
            spec["volumes"].append({"name": "host-run", "hostPath": {"path": "/var/run", "type": "Directory"}})
            main["volumeMounts"].append({"name": "host-run", "mountPath": "/host/run"})
        elif sec == "n":
            spec.update(hostNetwork=True, dnsPolicy="ClusterFirstWithHostNet")
            main["securityContext"] = {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}, "runAsNonRoot": False}
        if sidecar:
            spec["containers"].append({
                "name": "log-shipper", "image": "docker.io/fluent/fluent-bit:2.2.@MINOR@",
                "args": ["--config=/fluent-bit/etc/fluent-bit.conf"],
                "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}}],
                "resources": {"requests": {"cpu": "20m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}}
                if sec != "u" else {}, "volumeMounts": [{"name": "config", "mountPath": "/fluent-bit/etc"}],
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent"})
        return spec

    def template(self, sec, sidecar, owned, pending):
        key = (sec, sidecar, owned, pending)
        if key in self.templates:
            return self.templates[key]
        spec = self.pod_spec(sec, sidecar)
        labels = {"app.kubernetes.io/name": "@APP@", "app.kubernetes.io/part-of": "@NS@", "tier": "backend"}
        meta = {"name": "@NAME@", "namespace": "@NS@", "uid": "@UID@", "resourceVersion": "@RV@",
                "creationTimestamp": FIXED_TIME,
                "labels": dict(labels, **{"pod-template-hash": "@HASH@"} if owned else {}),
                "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "8080",
                                "kubectl.kubernetes.io/restartedAt": "2025-12-01T10:00:00Z",
                                "layerguard.test/filler": "@FILLER@"}}
        if owned:
            meta["generateName"] = "@APP@-@HASH@-"
            meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "@APP@-@HASH@",
                                        "uid": "@RSUID@", "controller": True, "blockOwnerDeletion": True}]
        pod_spec = dict(spec, nodeName="@NODE@")
        if sec != "h":
            pod_spec["volumes"].append({"name": "kube-api-access-@TOK@", "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}})
            for c in pod_spec["containers"]:
                c["volumeMounts"].append({"name": "kube-api-access-@TOK@", "readOnly": True,
                                          "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"})
        run = not pending
        status = {"phase": "Pending" if pending else "Running", "conditions": [
            {"type": t, "status": "True" if run or t == "PodScheduled" else "False", "lastProbeTime": None,
             "lastTransitionTime": FIXED_TIME} for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
            "hostIP": "@HOSTIP@", "hostIPs": [{"ip": "@HOSTIP@"}], "podIP": "@PODIP@", "podIPs": [{"ip": "@PODIP@"}],
            "startTime": FIXED_TIME, "containerStatuses": [{
                "name": c["name"], "state": {"running": {"startedAt": FIXED_TIME}} if run else
                {"waiting": {"reason": "ContainerCreating"}}, "lastState": {}, "ready": run,
                "restartCount": "@#RESTARTS@", "image": c["image"], "imageID": "", "containerID":
                    "containerd://@CID@" if run else "", "started": run} for c in pod_spec["containers"]],
            "qosClass": qos_class(pod_spec["containers"])}
        pod = self.compile({"metadata": meta, "spec": pod_spec, "status": status})
        self.templates[key] = pod
        return pod

    def add_controllers(self, ns, app, hsh, labels, replicas, sec, sidecar, minor):
        """The Deployment and ReplicaSet owning a workload's pods, with the pods' template."""
        c = self.c
        spec = json.loads(json.dumps(self.pod_spec(sec, sidecar)).replace("@NS@", ns).replace("@APP@", app)
                          .replace("@MINOR@", minor))
        template = {"metadata": {"labels": {k: v for k, v in labels.items() if k != "pod-template-hash"}},
                    "spec": spec}
        selector = {"matchLabels": {"app.kubernetes.io/name": app}}
        deploy = c.stores["deployments"].res
        c.add(deploy, c.defaults(deploy, {"kind": "Deployment", "metadata": {
            "name": app, "namespace": ns, "labels": {"app.kubernetes.io/name": app}},
            "spec": {"replicas": replicas, "selector": selector, "template": template}}))
        rs = c.stores["replicasets"].res
        c.add(rs, c.defaults(rs, {"kind": "ReplicaSet", "metadata": {
            "name": f"{app}-{hsh}", "namespace": ns, "labels": labels, "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "Deployment", "name": app,
                "uid": make_uid("Deployment", ns, app), "controller": True, "blockOwnerDeletion": True}]},
            "spec": {"replicas": replicas, "selector": selector, "template": template}}))

    def run(self):
        c, n = self.c, self.n
        nodes = [f"synth-node-{i:03d}" for i in range(max(1, min(1000, n // 100)))]
        nns = max(1, round(n / 500))
        namespaces = [f"synth-{i:03d}" for i in range(nns)]
        objs = {}
        for nd in nodes:
            objs[("nodes", "", nd)] = (c.stores["nodes"].res, {"kind": "Node", "metadata": {"name": nd, "labels": {
                "node-role.kubernetes.io/worker": "", "topology.kubernetes.io/zone": f"zone-{ord(nd[-1]) % 3}"}}})
        for ns in namespaces:
            objs[("namespaces", "", ns)] = (c.stores["namespaces"].res, {"kind": "Namespace", "metadata": {
                "name": ns, "labels": {"team": ns}}})
        c.add_namespace_defaults(objs)
        for k in sorted(objs):
            res, d = objs[k]
            c.add(res, c.defaults(res, d))
        host_ips = {nd: c.node_ips[nd] for nd in nodes}
        pods = c.stores["pods"].entries
        made = g = 0
        for ni, ns in enumerate(namespaces):
            quota = n // nns + (1 if ni < n % nns else 0)
            while quota > 0:
                replicas = min(quota, self.SIZES[g % len(self.SIZES)])
                quota -= replicas
                sec, sidecar, owned = self.SEC[g % len(self.SEC)], g % 3 == 0, g % 20 != 5  # 1 workload in 20: bare pods
                app = f"svc-{g:05d}"
                hsh = short_hash(ns + app, 10)
                labels = {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": ns, "tier": "backend"}
                if owned:
                    labels["pod-template-hash"] = hsh
                vals = {"NS": ns, "APP": app, "HASH": hsh, "MINOR": str(g % 40),
                        "RSUID": make_uid("ReplicaSet", ns, f"{app}-{hsh}")}
                if owned and self.controllers:
                    self.add_controllers(ns, app, hsh, labels, replicas, sec, sidecar, vals["MINOR"])
                for r in range(replicas):
                    made += 1
                    pending = made % 97 == 0
                    name = f"{app}-{hsh}-{short_hash(f'{ns}/{app}/{r}', 5)}" if owned else f"{app}-{r}"
                    node = nodes[made % len(nodes)]
                    vals.update(NAME=name, UID=make_uid("Pod", ns, name), RV=c.next_rv(), NODE=node,
                                HOSTIP=host_ips[node], PODIP=host_ips[node] if sec == "n" else ip_for("10.244", name + ns),
                                RESTARTS="3" if made % 13 == 0 else "0", TOK=short_hash(name, 5),
                                CID=hashlib.sha256(name.encode()).hexdigest(), FILLER="")
                    tpl = self.template(sec, sidecar, owned, pending)
                    parts = self.fill(tpl, vals)
                    pad = self.size - sum(map(len, parts))
                    if pad > 0:  # the filler annotation brings the item to the requested size
                        src = self.filler if pad < len(self.filler) else self.filler * (1 + pad // len(self.filler))
                        off = made * 7919 % (len(src) - pad + 1)
                        parts[tpl.index("FILLER")] = src[off:off + pad]
                    pods.append(Entry(ns, name, labels, {
                        "spec.nodeName": node, "spec.restartPolicy": "Always", "spec.schedulerName": "default-scheduler",
                        "spec.serviceAccountName": "default", "status.phase": "Pending" if pending else "Running",
                        "status.podIP": vals["PODIP"]}, "".join(parts).encode()))
                g += 1


# ----------------------------------------------------------------------------- selectors
def parse_label_selector(text):
    """Requirements of a label selector: (key, op, values) with op in = != in notin exists !exists."""
    reqs = []
    for term in re.split(r",(?![^()]*\))", text or ""):
        term = term.strip()
        if not term:
            continue
        m = (re.fullmatch(r"(!?)\s*([\w./-]+)", term) or re.fullmatch(r"([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)", term)
             or re.fullmatch(r"([\w./-]+)\s+(in|notin)\s*\(([^)]*)\)", term))
        if not m:
            raise ApiError(400, f"unable to parse requirement: found '{term}', expected: valid label selector")
        g = m.groups()
        if len(g) == 2:
            reqs.append((g[1], "!exists" if g[0] else "exists", ()))
        elif g[1] in ("in", "notin"):
            reqs.append((g[0], g[1], tuple(v.strip() for v in g[2].split(","))))
        else:
            reqs.append((g[0], "!=" if g[1] == "!=" else "=", (g[2],)))
    return reqs


def labels_match(labels, reqs):
    for key, op, vals in reqs:
        v = labels.get(key)
        if (op == "exists" and v is None or op == "!exists" and v is not None or op in ("=", "in") and v not in vals
                or op == "notin" and v in vals or op == "!=" and v == vals[0]):
            return False
    return True


def parse_field_selector(text, plural):
    allowed = ["metadata.name", "metadata.namespace"] + FIELD_SELECTORS.get(plural, [])
    reqs = []
    for term in filter(None, (t.strip() for t in (text or "").split(","))):
        m = re.fullmatch(r"([\w.]+)\s*(==|=|!=)\s*(.*)", term)
        if not m:
            raise ApiError(400, f"invalid selector: '{text}'; can't understand '{term}'")
        if m.group(1) not in allowed:
            raise ApiError(400, f"field label not supported: {m.group(1)}")
        reqs.append((m.group(1), m.group(2) == "!=", m.group(3)))
    return reqs


def fields_match(e, reqs):
    for key, negate, want in reqs:
        have = {"metadata.name": e.key[1], "metadata.namespace": e.key[0]}.get(key) or (e.fields or {}).get(key, "")
        if (have == want) == negate:
            return False
    return True


# ----------------------------------------------------------------------------- tables
def human_age(ts):
    try:
        s = int(time.time() - datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp())
    except (TypeError, ValueError):
        return "<unknown>"
    m, h = s // 60, s // 3600
    if s < 0:
        return "0s"
    for limit, text in ((120, f"{s}s"), (600, f"{m}m{s % 60}s" if s % 60 else f"{m}m"), (10800, f"{m}m"),
                        (28800, f"{h}h{m % 60}m" if m % 60 else f"{h}h"), (172800, f"{h}h"),
                        (691200, f"{h // 24}d{h % 24}h" if h % 24 else f"{h // 24}d"), (63072000, f"{h // 24}d"),
                        (252288000, f"{h // 8760}y{h % 8760 // 24}d")):
        if s < limit:
            return text
    return f"{h // 8760}y"


def _pod_cells(o):
    st, spec = o.get("status", {}), o.get("spec", {})
    cs = st.get("containerStatuses") or []
    reason = next((c["state"]["waiting"].get("reason") for c in cs if "waiting" in c.get("state", {})), None)
    return [f"{sum(1 for c in cs if c.get('ready'))}/{len(spec.get('containers', []))}", reason or st.get("phase", ""),
            str(sum(c.get("restartCount", 0) for c in cs)), st.get("podIP", "<none>"), spec.get("nodeName", "<none>"),
            "<none>", "<none>"]


def _node_cells(o):
    st, labels = o.get("status", {}), o["metadata"].get("labels", {})
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in st.get("conditions", []))
    roles = ",".join(sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))) or "<none>"
    info = st.get("nodeInfo", {})
    return ["Ready" if ready else "NotReady", roles, info.get("kubeletVersion", ""),
            info.get("osImage", ""), info.get("kernelVersion", ""), info.get("containerRuntimeVersion", "")]


def _deploy_cells(o):
    spec, st = o.get("spec", {}), o.get("status", {})
    return [f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 1)}", st.get("updatedReplicas", 0),
            st.get("availableReplicas", 0)]


# kind: (columns before Age, their cells, columns after Age); priority-1 columns show with -o wide
S, I = "string", "integer"
TABLES = {
    "Pod": ([("Ready", S, 0), ("Status", S, 0), ("Restarts", S, 0)], _pod_cells,
            [("IP", S, 1), ("Node", S, 1), ("Nominated Node", S, 1), ("Readiness Gates", S, 1)]),
    "Node": ([("Status", S, 0), ("Roles", S, 0)], _node_cells,
             [("Version", S, 0), ("OS-Image", S, 1), ("Kernel-Version", S, 1), ("Container-Runtime", S, 1)]),
    "Deployment": ([("Ready", S, 0), ("Up-to-date", I, 0), ("Available", I, 0)], _deploy_cells, []),
    "Namespace": ([("Status", S, 0)], lambda o: [o.get("status", {}).get("phase", "")], []),
}


def table(res, entries, meta, include):
    before, cells, after = TABLES.get(res.kind, ([], lambda o: [], []))
    cols = [("Name", S, 0)] + before + [("Age", S, 0)] + after
    defs = [{"name": n, "type": t, "format": "name" if n == "Name" else "", "description": n, "priority": p}
            for n, t, p in cols]
    rows = []
    for e in entries:
        o = json.loads(e.data)
        vals = cells(o)
        age = human_age(o["metadata"].get("creationTimestamp"))
        row = {"cells": [o["metadata"]["name"]] + vals[:len(before)] + [age] + vals[len(before):]}
        if include == "Object":
            row["object"] = dict({"kind": res.kind, "apiVersion": res.gv}, **o)
        elif include != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]}
        rows.append(row)
    return dumps({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "columnDefinitions": defs,
                  "rows": rows})


# ----------------------------------------------------------------------------- discovery
def storage_hash(r):
    return base64.b64encode(hashlib.sha256(f"{r.gv}/{r.kind}".encode()).digest()[:8]).decode()


def resource_list(gv):
    out = []
    for r in (r for r in RESOURCES if r.gv == gv):
        item = {"name": r.plural, "singularName": r.kind.lower(), "namespaced": r.namespaced, "kind": r.kind,
                "verbs": r.verbs}
        if r.short:
            item["shortNames"] = r.short
        if r.categories:
            item["categories"] = r.categories
        if r.plural not in REVIEWS:
            item["storageVersionHash"] = storage_hash(r)
        out.append(item)
        for sub in r.sub:
            g, v, k, verbs = r.sub_kind(sub)
            sub_item = {"name": f"{r.plural}/{sub}", "singularName": "", "namespaced": r.namespaced, "kind": k,
                        "verbs": verbs}
            if g != r.group or v != r.version:
                sub_item.update(group=g, version=v)
            out.append(sub_item)
    return dumps({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": out})


def aggregated(groups, api_version):
    """apidiscovery.k8s.io APIGroupDiscoveryList (what kubectl >= 1.26 asks for first)."""
    items = []
    for g in groups:
        versions = {}
        for r in (r for r in RESOURCES if r.group == g):
            d = {"resource": r.plural, "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
                 "scope": "Namespaced" if r.namespaced else "Cluster", "singularResource": r.kind.lower(),
                 "verbs": r.verbs}
            if r.short:
                d["shortNames"] = r.short
            if r.categories:
                d["categories"] = r.categories
            if r.sub:
                d["subresources"] = []
                for sub in r.sub:
                    sg, sv, sk, verbs = r.sub_kind(sub)
                    d["subresources"].append({"subresource": sub, "responseKind": {
                        "group": sg, "version": sv, "kind": sk}, "verbs": verbs})
            versions.setdefault(r.version, []).append(d)
        items.append({"metadata": {"name": g, "creationTimestamp": None}, "versions": [
            {"version": v, "resources": rs, "freshness": "Current"} for v, rs in versions.items()]})
    return dumps({"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{api_version}",
                  "metadata": {}, "items": items})


def group_info(g):
    vs = [{"groupVersion": f"{g}/{v}", "version": v} for v in dict.fromkeys(r.version for r in RESOURCES if r.group == g)]
    return {"name": g, "versions": vs, "preferredVersion": vs[0]}


def negotiate(accept, group, as_kind, versions):
    """The version of `as_kind` (e.g. Table in meta.k8s.io) the Accept header asks for before plain JSON, or None.
    Like the real server, the first entry of the client's list that the server can serve wins."""
    for entry in (accept or "").split(","):
        mt, *fields = [f.strip() for f in entry.split(";")]
        p = dict(f.split("=", 1) for f in fields if "=" in f)
        if p.get("as") == as_kind and p.get("g") == group and p.get("v") in versions:
            return p["v"]
        if "as" not in p and mt.lower() in ("application/json", "application/*", "*/*"):
            return None
    return None


def pb_fields(buf):
    """Minimal protobuf reader: {field number: [int or bytes, ...]}."""
    out, i = {}, 0

    def varint():
        nonlocal i
        v = shift = 0
        while buf[i] & 0x80:
            v, i, shift = v | (buf[i] & 0x7F) << shift, i + 1, shift + 7
        i += 1
        return v | buf[i - 1] << shift
    while i < len(buf):
        key = varint()
        wire = key & 7
        if wire not in (0, 1, 2, 5):
            raise ValueError(f"unsupported protobuf wire type {wire}")
        n = varint() if wire == 2 else {1: 8, 5: 4}.get(wire)
        v, i = (varint(), i) if wire == 0 else (buf[i:i + n], i + n)
        out.setdefault(key >> 3, []).append(v)
    return out


def review_from_protobuf(res, body):
    """The spec of a Self*Review sent as protobuf (kubectl >= 1.30 does): the "k8s\\0" envelope holds a
    runtime.Unknown whose field 2 is the object; field 2 of the object is its spec."""
    if not body.startswith(b"k8s\0"):
        raise ValueError("protobuf body without the k8s envelope")
    spec = pb_fields(pb_fields(pb_fields(body[4:])[2][0]).get(2, [b""])[0])

    def text(fields, names):
        return {n: fields[i + 1][0].decode() for i, n in enumerate(names) if fields.get(i + 1, [b""])[0]}
    out = {}
    if 1 in spec:
        out["resourceAttributes"] = text(pb_fields(spec[1][0]), ["namespace", "verb", "group", "version", "resource",
                                                                 "subresource", "name"])
    if 2 in spec:
        out["nonResourceAttributes"] = text(pb_fields(spec[2][0]), ["path", "verb"])
    return {"spec": out} if out else {}


class User:
    def __init__(self, name, groups):
        self.name, self.groups = name, groups + ["system:authenticated"]


ANONYMOUS = User("system:anonymous", [])
ANONYMOUS.groups = ["system:unauthenticated"]
PUBLIC_PATHS = {"version", "healthz", "livez", "readyz"}


# ----------------------------------------------------------------------------- HTTP
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # idle keep-alive connections

    def log_message(self, *args):
        pass

    def send_response(self, code, message=None):  # no Server header, like kube-apiserver
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def do_GET(self):
        self.handle_api(self.command)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def handle_api(self, method):
        srv = self.server
        self.user, self.query, started = None, {}, time.monotonic()
        ctype, headers = JSON, {}
        try:
            body = self.read_body()
            code, payload, *rest = self.route(method, body)
            if rest:
                ctype = rest[0]
        except ApiError as e:
            code, payload = e.code, e.body()
            if code == 401:
                headers["WWW-Authenticate"] = 'Basic realm="kubernetes-master"' if srv.basic else ""
        except (ConnectionError, TimeoutError):
            self.close_connection = True
            return
        except Exception:  # a bug must not kill the server: answer 500 like the real one
            traceback.print_exc()
            code, payload = 500, ApiError(500, "Internal error occurred: the test server failed").body()
        self.send_response(code)
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for k, v in headers.items():
            if v:
                self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)
        srv.log_request_line(method, self.path, self.query, self.user, code, len(payload), started)

    def read_body(self):
        if self.headers.get("Transfer-Encoding"):  # clients of the API send Content-Length
            self.close_connection = True
            raise ApiError(411, "a request body needs Content-Length", reason="LengthRequired")
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise ApiError(400, "invalid Content-Length") from None
        if n > 3 << 20:
            self.close_connection = True
            raise ApiError(413, "Request entity too large: limit is 3145728")
        return self.rfile.read(n) if n > 0 else b""

    # ------------------------------------------------------------------ authentication / authorization
    def authenticate(self):
        srv = self.server
        cert = self.connection.getpeercert() if srv.client_ca else None
        if cert:  # verified by the TLS layer against --client-ca
            subject = [rdn for rdns in cert.get("subject", ()) for rdn in rdns]
            cn = next((v for k, v in subject if k == "commonName"), None)
            if cn:
                return User(cn, [v for k, v in subject if k == "organizationName"])
        auth = self.headers.get("Authorization")
        if auth:
            scheme, _, cred = auth.strip().partition(" ")
            if scheme.lower() == "bearer" and cred.strip() in srv.tokens:
                return srv.tokens[cred.strip()]
            if scheme.lower() == "basic":
                try:
                    user = srv.basic.get(base64.b64decode(cred.strip(), validate=True).decode())
                except ValueError:
                    user = None
                if user:
                    return user
            # hostile: a server that quotes back the credentials it refused
            raise ApiError(401, f"Unauthorized: invalid bearer token {cred.strip()!r}" if "echo-token" in srv.hostile
                           else "Unauthorized")
        if srv.anonymous:
            return ANONYMOUS
        raise ApiError(401, "Unauthorized")

    def allowed(self, plural, group):
        srv = self.server
        if self.user is ANONYMOUS and srv.anonymous != "all":
            return False
        return plural not in srv.forbid and f"{plural}.{group}" not in srv.forbid

    def authorize(self, res, verb, ns, name):
        if self.allowed(res.plural, res.group):
            return
        who = f'{res.qualified}{" %s" % json.dumps(name) if name else ""}'
        where = f'in the namespace "{ns}"' if ns else "at the cluster scope"
        details = {"name": name} if name else {}
        details.update(group=res.group, kind=res.plural)
        user = self.user.name
        if "echo-token" in self.server.hostile:  # hostile: names the caller by the token it sent
            user = (self.headers.get("Authorization") or "").partition(" ")[2] or user
        raise ApiError(403, f'{who} is forbidden: User "{user}" cannot {verb} resource "{res.plural}" '
                            f'in API group "{res.group}" {where}', {k: v for k, v in details.items() if v})

    def check_failure(self, what):
        code = self.server.fail.get(what)
        if code:
            msg = {500: f"Internal error occurred: injected failure for {what}",
                   503: "the server is currently unable to handle the request"}.get(
                code, f"injected failure for {what}")
            raise ApiError(code, msg, {"kind": what} if code not in (500, 503) else None)

    # ------------------------------------------------------------------ routing
    def route(self, method, body):
        srv = self.server
        url = urlsplit(self.path)
        self.query = q = dict(parse_qsl(url.query, keep_blank_values=True))
        parts = [unquote(p) for p in url.path.split("/") if p]
        self.user = self.authenticate()
        head = parts[0] if parts else ""
        is_resource = (head == "api" and len(parts) > 2) or (head == "apis" and len(parts) > 3)
        if not is_resource:
            public = head in PUBLIC_PATHS
            if self.user is ANONYMOUS and srv.anonymous != "all" and not public:
                raise ApiError(403, f'forbidden: User "{self.user.name}" cannot {method.lower()} path "{url.path}"',
                               {}, "Forbidden")
            if method != "GET":
                raise ApiError(405, "the server does not allow this method on the requested resource")
            if head == "version" and len(parts) == 1:
                self.check_failure("version")
                return 200, srv.version_body
            if public and len(parts) == 1:
                return 200, b"ok", "text/plain; charset=utf-8"
            if head in ("api", "apis"):
                self.check_failure("discovery")
                return self.discovery(parts)
            raise ApiError(404, "the server could not find the requested resource", {}, "NotFound")
        if head == "api":
            gv, rest = parts[1], parts[2:]
        else:
            gv, rest = f"{parts[1]}/{parts[2]}", parts[3:]
        ns = None
        if rest[0] == "namespaces" and len(rest) > 2:
            ns, rest = rest[1], rest[2:]
        if gv == "v1" and ns is None and len(rest) == 4 and rest[0] == "nodes" and rest[2:] == ["proxy", "configz"]:
            if method != "GET":
                raise ApiError(405, "the server does not allow this method on the requested resource")
            return self.node_configz(rest[1])
        res = BY_PATH.get((gv, rest[0]))
        if res is None or len(rest) > 3 or (ns is not None and not res.namespaced):
            raise ApiError(404, "the server could not find the requested resource", {}, "NotFound")
        name, sub = (rest + [None, None])[1:3]
        if res.plural in REVIEWS:
            if method != "POST" or name:
                raise ApiError(405, "the server does not allow this method on the requested resource")
            return self.review(res, body, ns)
        if method != "GET" or (sub and sub != "status") or (name and res.namespaced and ns is None):
            if method != "GET":
                raise ApiError(405, "the server does not allow this method on the requested resource")
            raise ApiError(404, "the server could not find the requested resource", {}, "NotFound")
        watch = q.get("watch", "").lower() in ("1", "true")
        self.authorize(res, "watch" if watch else "get" if name else "list", ns, name)
        self.check_failure(res.plural)
        if watch:
            raise ApiError(405, "watch is not supported by the Layerguard test API server")
        table_v = negotiate(self.headers.get("Accept"), "meta.k8s.io", "Table", ("v1", "v1beta1"))
        store = srv.cluster.stores[res.plural]
        if name:
            return self.get_one(res, store, ns or "", name, table_v, q)
        return self.list(res, store, ns, q, url.path, table_v)

    def discovery(self, parts):
        srv = self.server
        agg_v = negotiate(self.headers.get("Accept"), "apidiscovery.k8s.io", "APIGroupDiscoveryList",
                          srv.aggregated_versions)
        if len(parts) == 1 and agg_v:
            ctype = f"application/json;g=apidiscovery.k8s.io;v={agg_v};as=APIGroupDiscoveryList"
            return 200, srv.aggregated[(parts[0], agg_v)], ctype
        if parts == ["api"]:
            return 200, dumps({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": f"{srv.server_address[0]}:{srv.server_address[1]}"}]})
        if parts == ["apis"]:
            return 200, dumps({"kind": "APIGroupList", "apiVersion": "v1",
                               "groups": [group_info(g) for g in GROUP_ORDER if g]})
        gv = "/".join(parts[1:])
        if gv in srv.resource_lists:
            return 200, srv.resource_lists[gv]
        if len(parts) == 2 and parts[0] == "apis" and parts[1] in GROUP_ORDER:
            return 200, dumps(dict({"kind": "APIGroup", "apiVersion": "v1"}, **group_info(parts[1])))
        raise ApiError(404, "the server could not find the requested resource", {}, "NotFound")

    # ------------------------------------------------------------------ node proxy
    # What a kubelet answers on /configz, through the API server's node proxy: the node's annotation
    # testbed.layerguard.io/kubelet-config (JSON) over a hardened default. --forbid nodes/proxy plays a managed
    # control plane that lets nobody through.
    KUBELET_DEFAULT = {"authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": True},
                                          "x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"}},
                       "authorization": {"mode": "Webhook"}, "readOnlyPort": 0, "protectKernelDefaults": True}

    def node_configz(self, name):
        res = BY_PATH[("v1", "nodes")]
        self.authorize(res, "get", None, name)
        store = self.server.cluster.stores["nodes"]
        i = bisect.bisect_left(store.keys, ("", name))
        if i == len(store.keys) or store.keys[i] != ("", name):
            raise ApiError(404, f'nodes "{name}" not found', {"name": name, "kind": "nodes"})
        node = json.loads(store.entries[i].data)
        notes = node.get("metadata", {}).get("annotations", {}) or {}
        if "nodes/proxy" in self.server.forbid:
            raise ApiError(403, f'nodes "{name}" is forbidden: User "{self.user.name}" cannot get resource '
                                f'"nodes/proxy" in API group "" at the cluster scope', {"name": name, "kind": "nodes"},
                           "Forbidden")
        config = dict(self.KUBELET_DEFAULT)
        config.update(json.loads(notes.get("testbed.layerguard.io/kubelet-config", "{}")))
        return 200, dumps({"kubeletconfig": config})

    # ------------------------------------------------------------------ reads
    def get_one(self, res, store, ns, name, table_v, q):
        i = bisect.bisect_left(store.keys, (ns, name))
        if i == len(store.keys) or store.keys[i] != (ns, name):
            raise ApiError(404, f'{res.qualified} "{name}" not found', {"name": name, "group": res.group,
                                                                     "kind": res.plural})
        e = store.entries[i]
        if table_v:
            body = table(res, [e], {"resourceVersion": self.server.cluster.list_rv}, q.get("includeObject"))
            return 200, body, f"application/json;as=Table;v={table_v};g=meta.k8s.io"
        return 200, b'{"kind":"%s","apiVersion":"%s",%s' % (res.kind.encode(), res.gv.encode(), e.data[1:])

    def list(self, res, store, ns, q, path, table_v):
        srv = self.server
        lreqs = parse_label_selector(q.get("labelSelector"))
        freqs = parse_field_selector(q.get("fieldSelector"), res.plural)
        try:
            limit = max(0, int(q.get("limit") or 0))  # like the server: no limit unless positive
        except ValueError:
            raise ApiError(400, f"invalid limit: {q.get('limit')!r}") from None
        lo, hi = store.span(ns)
        rv = srv.cluster.list_rv
        bound = path + "?" + q.get("labelSelector", "") + "&" + q.get("fieldSelector", "")
        if res.plural == "pods" and srv.hostile & {"continue-repeat", "continue-forever", "huge-page"}:
            return self.hostile_pods(res, store, lo, hi, limit, rv, q)
        if q.get("continue"):
            expired = ApiError(410, "The provided continue parameter is too old to display a consistent list result. "
                                    "You can start a new list without the continue parameter.")
            if srv.count_continue():
                raise expired
            try:
                tok = json.loads(base64.urlsafe_b64decode(q["continue"] + "=" * (-len(q["continue"]) % 4)))
                start = tuple(tok["start"])
                if tok.get("v") != "meta.k8s.io/v1" or tok.get("list") != bound or len(start) != 2 or \
                        not all(isinstance(k, str) for k in start) or not isinstance(tok["rv"], int):
                    raise ValueError("continue key is not valid for this list")
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ApiError(400, f"invalid continue token: continue key is not valid: {exc}") from None
            if str(tok["rv"]) != rv:  # minted for another snapshot: the real server's RV was compacted
                raise expired
            lo = max(lo, bisect.bisect_left(store.keys, start, lo, hi))
        items, i = [], lo
        if lreqs or freqs:  # selectors: walk until the page is full, as the real server does
            while i < hi and (not limit or len(items) < limit):
                e = store.entries[i]
                if labels_match(e.labels, lreqs) and fields_match(e, freqs):
                    items.append(e)
                i += 1
        else:
            i = min(hi, lo + limit) if limit else hi
            items = store.entries[lo:i]
        meta = {"resourceVersion": rv}
        if i < hi:
            token = {"v": "meta.k8s.io/v1", "rv": int(rv), "start": list(store.keys[i]), "list": bound}
            meta["continue"] = base64.urlsafe_b64encode(dumps(token)).decode().rstrip("=")
            if not (lreqs or freqs):
                meta["remainingItemCount"] = hi - i
        if srv.page_delay:
            time.sleep(srv.page_delay)
        if table_v:
            return 200, table(res, items, meta, q.get("includeObject")), \
                f"application/json;as=Table;v={table_v};g=meta.k8s.io"
        head = b'{"kind":"%sList","apiVersion":"%s","metadata":%s,"items":[' % (
            res.kind.encode(), res.gv.encode(), dumps(meta))
        return 200, b"".join((head, b",".join([e.data for e in items]), b"]}"))

    def hostile_pods(self, res, store, lo, hi, limit, rv, q):
        """Pod lists that never end, or ignore the limit (--hostile): the client must stop with a reason."""
        srv = self.server
        meta = {"resourceVersion": rv}
        if "huge-page" in srv.hostile:  # a million items in one page, whatever the limit
            head = b'{"kind":"PodList","apiVersion":"v1","metadata":%s,"items":[' % dumps(meta)
            items = b",".join(b'{"metadata":{"name":"p%d","namespace":"flood","uid":"u%d"},"spec":{}}' % (i, i)
                              for i in range(1_000_000))
            return 200, b"".join((head, items, b"]}"))
        entries = store.entries[lo:min(hi, lo + limit) if limit else hi]  # always the first page again
        if "continue-repeat" in srv.hostile:
            meta["continue"] = "c2FtZS10b2tlbg"  # the same token every time
        else:  # continue-forever: a new token every time, nothing new in the pages
            with srv.lock:
                srv.continue_seen += 1
                meta["continue"] = base64.urlsafe_b64encode(b"page-%d" % srv.continue_seen).decode().rstrip("=")
        head = b'{"kind":"PodList","apiVersion":"v1","metadata":%s,"items":[' % dumps(meta)
        return 200, b"".join((head, b",".join([e.data for e in entries]), b"]}"))

    def review(self, res, body, ns):
        try:
            if self.headers.get("Content-Type", "").startswith("application/vnd.kubernetes.protobuf"):
                obj = review_from_protobuf(res, body)
            else:
                obj = json.loads(body or b"{}")
            if not isinstance(obj, dict):
                raise ValueError("not an object")
        except (ValueError, IndexError, KeyError) as exc:
            raise ApiError(400, f"the body of the request was in an unknown format: {exc}") from None
        obj.update(kind=res.kind, apiVersion=res.gv)
        obj.setdefault("metadata", {}).setdefault("creationTimestamp", None)
        u = self.user
        if res.plural == "selfsubjectreviews":
            obj["status"] = {"userInfo": {"username": u.name, "groups": u.groups}}
        elif res.plural == "selfsubjectaccessreviews":
            spec = obj.get("spec")
            attrs = spec.get("resourceAttributes") if isinstance(spec, dict) else None
            ok = self.allowed(attrs.get("resource", ""), attrs.get("group", "")) if isinstance(attrs, dict) else \
                u is not ANONYMOUS or self.server.anonymous == "all"
            obj["status"] = {"allowed": True, "reason": "allowed by the Layerguard test API server"} if ok else \
                {"allowed": False}
        return 201, dumps(obj)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def finish_request(self, request, client_address):
        """TLS handshake in the connection's own thread, so a silent client cannot block accept()."""
        request.settimeout(30)
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as Go's net/http: no Nagle stalls
        try:
            conn = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError) as exc:
            if self.verbose:
                print(f"kube-apiserver: TLS handshake from {client_address[0]} failed: {exc}", file=sys.stderr)
            request.close()
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            conn.close()

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)

    def count_continue(self):
        """True when this request (counted among those carrying `continue`) must expire."""
        with self.lock:
            self.continue_seen += 1
            return self.continue_seen in self.expire_continue

    def log_request_line(self, method, path, query, user, status, size, started):
        if not self.log_file:
            return
        line = json.dumps({"time": round(time.time(), 3), "method": method, "path": urlsplit(path).path,
                           "query": query, "user": user.name if user else None, "status": status, "bytes": size,
                           "ms": round((time.monotonic() - started) * 1000, 1)})
        with self.lock:
            self.log_file.write(line + "\n")
            self.log_file.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--state", action="append", default=[], help="manifest file or folder (repeatable)")
    ap.add_argument("--synthetic-pods", type=int, default=0, metavar="N")
    ap.add_argument("--pod-bytes", type=int, default=4400, metavar="B", help="JSON size of a synthetic pod")
    ap.add_argument("--synthetic-controllers", action="store_true",
                    help="also serve the Deployments and ReplicaSets owning the synthetic pods")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--ready-file", help="receives the port once the server listens")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--client-ca", help="CA of client certificates (requested, not required)")
    ap.add_argument("--token", action="append", default=[], metavar="TOKEN[=USER[,GROUP...]]")
    ap.add_argument("--basic", action="append", default=[], metavar="USER:PASS")
    ap.add_argument("--anonymous", nargs="?", const="public", choices=["public", "all"],
                    help="accept unauthenticated requests as system:anonymous: public = /version and "
                         "health only (the RBAC default), all = everything")
    ap.add_argument("--forbid", action="append", default=[], metavar="RESOURCE", help="list/get answers 403")
    ap.add_argument("--expire-continue", action="append", type=int, default=[], metavar="N",
                    help="the Nth request carrying a continue token answers 410 Expired")
    ap.add_argument("--fail", action="append", default=[], metavar="RESOURCE=CODE",
                    help="answer a Status with CODE (RESOURCE may also be version or discovery)")
    ap.add_argument("--hostile", action="append", default=[],
                    choices=["echo-token", "continue-repeat", "continue-forever", "huge-page"],
                    help="misbehave: quote the caller's token in 401/403 answers; page pods with the same continue "
                         "token, or new ones for ever; send a million pods in one page")
    ap.add_argument("--log", help="append one JSON line per request")
    ap.add_argument("--page-delay-ms", type=int, default=0)
    ap.add_argument("--version", default="v1.29.4", help="gitVersion the server reports")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    m = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)(-.*)?", args.version)
    if not m:
        ap.error("--version must look like v1.29.4")

    t0 = time.monotonic()
    try:
        cluster = Cluster(args)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"kube-apiserver: cannot load the state: {exc}", file=sys.stderr)
        return 2
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)
    ctx.set_alpn_protocols(["http/1.1"])
    if args.client_ca:
        ctx.load_verify_locations(args.client_ca)
        ctx.verify_mode = ssl.CERT_OPTIONAL
    Server.address_family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    srv = Server((args.bind, args.port), Handler)
    srv.ssl_context, srv.cluster, srv.verbose, srv.client_ca = ctx, cluster, args.verbose, args.client_ca
    srv.lock, srv.continue_seen, srv.expire_continue = threading.Lock(), 0, set(args.expire_continue)
    srv.tokens = {}
    for t in args.token:
        tok, _, who = t.partition("=")
        name, *groups = (who or "kube-admin").split(",")
        srv.tokens[tok] = User(name, groups)
    srv.basic = {b: User(b.split(":", 1)[0], []) for b in args.basic}
    srv.anonymous, srv.forbid = args.anonymous, set(args.forbid)
    srv.fail = {k: int(v) for k, _, v in (f.partition("=") for f in args.fail)}
    srv.page_delay = args.page_delay_ms / 1000
    srv.hostile = set(args.hostile)
    srv.log_file = open(args.log, "a", encoding="utf-8") if args.log else None
    major, minor = m.group(1), int(m.group(2))
    srv.version_body = dumps({
        "major": major, "minor": str(minor), "gitVersion": args.version,
        "gitCommit": hashlib.sha1(args.version.encode()).hexdigest(), "gitTreeState": "clean",
        "buildDate": "2024-04-16T15:03:35Z", "goVersion": "go1.22.2", "compiler": "gc", "platform": "linux/amd64"})
    # Aggregated discovery: v2beta1 from 1.26 to 1.32, v2 from 1.30 on.
    srv.aggregated_versions = {v for v, ok in (("v2beta1", 26 <= minor <= 32), ("v2", minor >= 30)) if ok}
    srv.aggregated = {(k, v): aggregated(gs, v) for v in srv.aggregated_versions
                      for k, gs in (("api", [""]), ("apis", [g for g in GROUP_ORDER if g]))}
    srv.resource_lists = {gv: resource_list(gv) for gv in dict.fromkeys(r.gv for r in RESOURCES)}
    port = srv.server_address[1]

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    if args.ready_file:
        tmp = f"{args.ready_file}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(f"{port}\n")
        os.replace(tmp, args.ready_file)
    counts = ", ".join(f"{len(s.entries)} {p}" for p, s in cluster.stores.items() if s.entries)
    print(f"kube-apiserver: {counts} in {time.monotonic() - t0:.1f}s", file=sys.stderr)
    print(f"ready {port}", flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()
        if args.ready_file:
            try:
                os.unlink(args.ready_file)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
