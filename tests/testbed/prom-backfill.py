#!/usr/bin/python3
"""Writes the deterministic OpenMetrics backfill of the Prometheus testbed (TESTBED.md, Prometheus).

usage: prom-backfill.py OUT.om [--end EPOCH]
Prints "START END" (unix seconds of the first and last sample) on stdout.
tests/testbed/prometheus.sh feeds OUT.om to `promtool tsdb create-blocks-from openmetrics` before
Prometheus starts. Only the timestamps depend on the clock: 48 samples per series, one every 60 s,
the last at END (default: the whole minute 3-4 min before now, so that backfilled blocks end before
the first live scrape), the first at START = END - 47 min. Sample i (0..47) is at START + 60 i.
Every value below is a function of i only.

Series (job/instance labels as a scrape of the real exporter would add them) and what they prove:

kube-state-metrics   job="kube-state-metrics", instance="10.0.0.20:8080"
  kube_pod_container_status_restarts_total{namespace="shop",pod="web-0",container="nginx"} = 3 + i
      restarts about once a minute: increase(...[30m]) ~27 at start-up (> 20)      -> FIRES
  kube_pod_container_status_restarts_total{namespace="shop",pod="api-0",container="api"} = 2
      constant: increase(...) == 0                                                  -> does not fire
  kube_pod_container_status_restarts_total{namespace="shop",pod="worker-0",container="worker"} = 1
      constant (its one OOM kill was before the window)                             -> does not fire
  kube_pod_container_status_last_terminated_reason{...,pod="worker-0",container="worker",reason="OOMKilled"} = 1
                                                                                    -> FIRES (OOMKilled)
  kube_pod_container_status_last_terminated_reason{...,pod="api-0",container="api",reason="Completed"} = 1
                                                                                    -> does not fire
  kube_pod_container_status_last_terminated_reason{...,pod="web-0",container="nginx",reason="Error"} = 1
      a crash-looping container's last exit: a reason other than OOMKilled          -> no OOM finding
  kube_pod_container_status_waiting_reason{...,pod="web-0",container="nginx",reason="CrashLoopBackOff"} = 1
      (no waiting_reason series for api-0 / worker-0, as kube-state-metrics does)   -> FIRES for web-0 only
  kube_node_info{node="worker-legacy",kernel_version="5.10.50",container_runtime_version="containerd://1.5.5",
                 kubelet_version="v1.25.3",kubeproxy_version="v1.25.3",os_image="Debian GNU/Linux 10 (buster)",
                 internal_ip="10.0.0.12"} = 1                                       -> FIRES (old kernel,
                                                                           runtime, kubelet)
  kube_node_info{node="worker-current",kernel_version="6.1.0-21-amd64",container_runtime_version="containerd://1.7.13",
                 kubelet_version="v1.29.4",kubeproxy_version="v1.29.4",os_image="Debian GNU/Linux 12 (bookworm)",
                 internal_ip="10.0.0.13"} = 1                                       -> does not fire
Falco, native metrics (0.38+)   job="falco", instance="10.0.0.12:8765"
  falcosecurity_falco_rules_matches_total{priority="5",rule_name="Terminal shell in container",source="syscall",
                                          tag_container="true",...} = i // 3   (0..15)      -> FIRES (notice)
  falcosecurity_falco_rules_matches_total{priority="3",rule_name="Write below etc",...} = 1 + i // 6 (1..8)
                                                                                    -> FIRES (error)
  falcosecurity_falco_rules_matches_total{priority="4",rule_name="Read sensitive file untrusted",...} = 4
      flat counter: matched before the window, increase(...) == 0                   -> does not fire
Falco, falco-exporter   job="falco-exporter", instance="10.0.0.12:9376"
  falco_events{rule="Drop and execute new binary in container",priority="2",hostname="worker-legacy",
               source="syscall",tags="...",k8s_ns_name="shop",k8s_pod_name="cart-0"} = i // 4   -> FIRES (critical)
      falco-exporter writes the priority as the number of Falco's gRPC enum: 0 Emergency, 1 Alert,
      2 Critical, 3 Error, 4 Warning, 5 Notice, 6 Informational, 7 Debug; Falco's own metrics use the same.
node_exporter of a second node that is not scraped live   job="node", instance="10.0.0.12:9100"
  node_uname_info{nodename="worker-legacy",release="5.10.50",sysname="Linux",machine="x86_64",...} = 1
                                                                                    -> FIRES (old kernel)
  node_os_info{id="debian",version_id="10",version_codename="buster",pretty_name="Debian GNU/Linux 10 (buster)",
               name="Debian GNU/Linux",version="10 (buster)"} = 1, node_os_version{id="debian",name=...} = 10
                                                                                    -> FIRES (OS out of support)
  node_filesystem_avail_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} = 3221225472 (3 GiB)
  node_filesystem_size_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} = 107374182400 (100 GiB)
      3 % free                                                                      -> FIRES (disk full)
  node_timex_sync_status = 0, node_timex_maxerror_seconds = 16, node_timex_offset_seconds = 0
                                                                                    -> FIRES (clock unsynced)
  node_vmstat_oom_kill = 2 + i // 10   (2..6)                                       -> FIRES (OOM kills)
  node_systemd_unit_state{name="containerd.service",type="notify",state=S} = 1 for S="failed", 0 for
      activating/active/deactivating/inactive                                       -> FIRES (unit failed)
  node_systemd_unit_state{name="kubelet.service",type="simple",state=S} = 1 for S="active", 0 else
                                                                                    -> does not fire
  up = 1 for i < 38, 0 for i >= 38 (down for the last 10 samples)                  -> FIRES (monitoring gap)
The live node (job="node", instance="127.0.0.1:PORT", prometheus.sh) is the healthy counterpart of
the node_* series. kube_node_info of worker-current has no node_exporter at all (coverage gap).
"""
import argparse
import sys
import time

SAMPLES = 48
STEP = 60

KSM = {"job": "kube-state-metrics", "instance": "10.0.0.20:8080"}
FALCO = {"job": "falco", "instance": "10.0.0.12:8765"}
FALCO_EXPORTER = {"job": "falco-exporter", "instance": "10.0.0.12:9376"}
LEGACY = {"job": "node", "instance": "10.0.0.12:9100"}
SYSTEMD_STATES = ("activating", "active", "deactivating", "failed", "inactive")


def pod(ns, name, container, **extra):
    return {"namespace": ns, "pod": name, "container": container, **extra}


def const(v):
    return lambda i: v


# (family, type, help, sample name, [(labels, value(i))])
FAMILIES = [
    ("kube_pod_container_status_restarts", "counter",
     "The number of container restarts per container.", "kube_pod_container_status_restarts_total", [
         (pod("shop", "web-0", "nginx"), lambda i: 3 + i),
         (pod("shop", "api-0", "api"), const(2)),
         (pod("shop", "worker-0", "worker"), const(1)),
     ]),
    ("kube_pod_container_status_last_terminated_reason", "gauge",
     "Describes the last reason the container was in terminated state.", None, [
         (pod("shop", "worker-0", "worker", reason="OOMKilled"), const(1)),
         (pod("shop", "api-0", "api", reason="Completed"), const(1)),
         (pod("shop", "web-0", "nginx", reason="Error"), const(1)),
     ]),
    ("kube_pod_container_status_waiting_reason", "gauge",
     "Describes the reason the container is currently in waiting state.", None, [
         (pod("shop", "web-0", "nginx", reason="CrashLoopBackOff"), const(1)),
     ]),
    ("kube_node_info", "gauge", "Information about a cluster node.", None, [
         ({"node": "worker-legacy", "kernel_version": "5.10.50", "os_image": "Debian GNU/Linux 10 (buster)",
           "container_runtime_version": "containerd://1.5.5", "kubelet_version": "v1.25.3",
           "kubeproxy_version": "v1.25.3", "internal_ip": "10.0.0.12"}, const(1)),
         ({"node": "worker-current", "kernel_version": "6.1.0-21-amd64",
           "os_image": "Debian GNU/Linux 12 (bookworm)", "container_runtime_version": "containerd://1.7.13",
           "kubelet_version": "v1.29.4", "kubeproxy_version": "v1.29.4", "internal_ip": "10.0.0.13"}, const(1)),
     ]),
    # As Falco 0.38+ writes them (falco_metrics.cpp): rule_name, the priority as a number, source, one tag_*
    # label per tag, no pod labels: the counters are per Falco instance, that is per node.
    ("falcosecurity_falco_rules_matches", "counter", "https://falco.org/docs/metrics/",
     "falcosecurity_falco_rules_matches_total", [
         ({"priority": "5", "rule_name": "Terminal shell in container", "source": "syscall",
           "tag_container": "true", "tag_shell": "true", "tag_maturity_stable": "true", **FALCO}, lambda i: i // 3),
         ({"priority": "3", "rule_name": "Write below etc", "source": "syscall", "tag_filesystem": "true", **FALCO},
          lambda i: 1 + i // 6),
         ({"priority": "4", "rule_name": "Read sensitive file untrusted", "source": "syscall",
           "tag_filesystem": "true", "tag_T1555": "true", **FALCO}, const(4)),
     ]),
    # As falco-exporter writes them: rule, the priority as the number of Falco's gRPC enum, hostname, source,
    # tags, and the pod's namespace and name. A counter without the _total suffix cannot be typed "counter" in
    # OpenMetrics: "unknown", as Prometheus' own text format would call it untyped.
    ("falco_events", "unknown", None, None, [
         ({"rule": "Drop and execute new binary in container", "priority": "2", "hostname": "worker-legacy",
           "source": "syscall", "tags": "container,mitre_persistence", "k8s_ns_name": "shop",
           "k8s_pod_name": "cart-0", **FALCO_EXPORTER}, lambda i: i // 4),
     ]),
    ("node_uname_info", "gauge", "Labeled system information as provided by the uname system call.", None, [
         ({"domainname": "(none)", "machine": "x86_64", "nodename": "worker-legacy", "release": "5.10.50",
           "sysname": "Linux", "version": "#1 SMP Tue Jul 20 12:00:00 UTC 2021", **LEGACY}, const(1)),
     ]),
    # node_exporter's os collector; it writes empty labels (build_id="", ...) that Prometheus drops.
    ("node_os_info", "gauge", "A metric with a constant '1' value labeled with information about the OS.", None, [
         ({"id": "debian", "name": "Debian GNU/Linux", "pretty_name": "Debian GNU/Linux 10 (buster)",
           "version": "10 (buster)", "version_codename": "buster", "version_id": "10", **LEGACY}, const(1)),
     ]),
    ("node_os_version", "gauge", "Metric containing the major.minor part of the OS version.", None, [
         ({"id": "debian", "name": "Debian GNU/Linux", **LEGACY}, const(10)),
     ]),
    ("node_filesystem_avail_bytes", "gauge", "Filesystem space available to non-root users in bytes.", None, [
         ({"device": "/dev/sda1", "fstype": "ext4", "mountpoint": "/", **LEGACY}, const(3221225472)),
     ]),
    ("node_filesystem_size_bytes", "gauge", "Filesystem size in bytes.", None, [
         ({"device": "/dev/sda1", "fstype": "ext4", "mountpoint": "/", **LEGACY}, const(107374182400)),
     ]),
    ("node_timex_sync_status", "gauge", "Is clock synchronized to a reliable server (1 = yes, 0 = no).",
     None, [(dict(LEGACY), const(0))]),
    ("node_timex_maxerror_seconds", "gauge", "Maximum error in seconds.", None, [(dict(LEGACY), const(16))]),
    ("node_timex_offset_seconds", "gauge", "Time offset in between local system and reference clock.",
     None, [(dict(LEGACY), const(0))]),
    ("node_vmstat_oom_kill", "unknown", "/proc/vmstat information field oom_kill.", None,
     [(dict(LEGACY), lambda i: 2 + i // 10)]),
    ("node_systemd_unit_state", "gauge", "Systemd unit", None,
     [({"name": "containerd.service", "state": s, "type": "notify", **LEGACY}, const(int(s == "failed")))
      for s in SYSTEMD_STATES]
     + [({"name": "kubelet.service", "state": s, "type": "simple", **LEGACY}, const(int(s == "active")))
        for s in SYSTEMD_STATES]),
    ("up", "gauge", None, None, [(dict(LEGACY), lambda i: int(i < 38))]),
]


def labels_text(labels):
    # Label values here hold no quote, backslash or newline; keep the output byte-stable by sorting.
    return "{" + ",".join(f'{k}="{labels[k]}"' for k in sorted(labels)) + "}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--end", type=int, help="unix time of the last sample (default: 3-4 min before now)")
    args = ap.parse_args()
    end = args.end if args.end is not None else int(time.time()) // 60 * 60 - 180
    start = end - (SAMPLES - 1) * STEP
    lines = []
    for family, typ, help_text, sample, series in FAMILIES:
        for labels in (lab for lab, _ in series):
            for k in labels:  # an empty value would be an absent label in Prometheus
                assert labels[k] and '"' not in labels[k] and "\\" not in labels[k], (family, k)
        lines.append(f"# TYPE {family} {typ}")
        if help_text:
            lines.append(f"# HELP {family} {help_text}")
        for labels, value in series:
            name = (sample or family) + labels_text(labels)
            lines += [f"{name} {value(i)} {start + i * STEP}" for i in range(SAMPLES)]
    lines.append("# EOF")
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(start, end)


if __name__ == "__main__":
    sys.exit(main())
