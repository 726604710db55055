// Writes a large Layerguard cache for the dashboard benchmarks (BENCH.md B4, B5, B6, B8):
//   bench_gen_cache FILE HISTORY_SCANS FINDINGS_IN_LATEST
// HISTORY_SCANS scans, one a day, each with a few hundred findings whose count drifts (so the trend has a
// shape), then one last scan with FINDINGS_IN_LATEST findings spread over the built-in rules. Prints the
// time the last scan took to store (B4: writeScan of N findings, indexes included).
#include "core/rule.h"
#include "store/store.h"

#include <QCoreApplication>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

using namespace lg;

namespace {

ScanRecord makeScan(const RuleCatalog& catalog, std::int64_t when, long findings, std::mt19937& rng)
{
    ScanRecord rec;
    rec.startedAt = when;
    rec.finishedAt = when + 40;
    rec.toolVersion = "bench";
    rec.runBy = "bench";
    rec.sources.push_back({ "bench-cluster", "kubernetes", "https://127.0.0.1:6443", true, {}, {} });
    rec.sources.push_back({ "bench-host", "host", "/", true, {}, {} });
    rec.sources.push_back({ "bench-engine", "docker", "unix:///run/docker.sock", true, {}, {} });
    rec.sources.push_back({ "bench-registry", "registry", "https://127.0.0.1:5000", true, {}, {} });
    const auto& rules = catalog.rules();
    std::uniform_int_distribution<std::size_t> pick(0, rules.size() - 1);
    std::uniform_int_distribution<int> ns(0, 199);
    for (long i = 0; i < findings; ++i) {
        const Rule& r = rules[pick(rng)];
        Finding f;
        f.rule = r.id;
        f.title = r.title;
        f.layer = r.layer;
        f.severity = r.severity;
        const std::string nsName = "team-" + std::to_string(ns(rng));
        f.subject = { "bench-cluster", "Pod", nsName, "app-" + std::to_string(i) + "-7d9f8c6b5-x2k4q",
            i % 3 == 0 ? "sidecar" : "main" };
        f.id = fingerprint(f.rule, f.subject);
        f.message = r.title + " (" + f.subject.name + ")";
        f.evidence.push_back({ "spec.containers[0].securityContext.runAsNonRoot", nullptr });
        f.origin = "pods page " + std::to_string(i / 500);
        rec.rules.emplace(r.id, &r);
        auto& t = rec.tallies[r.layer];
        t.scanned = true;
        t.evaluated += 3;
        t.evaluatedWeight += 3L * severityWeight(r.severity);
        t.failedWeight += severityWeight(r.severity);
        t.openBySeverity[std::size_t(r.severity)]++;
        rec.table.append(f); // the compact form a scan hands the store
    }
    for (Layer l : { Layer::Host, Layer::Image, Layer::Runtime, Layer::Registry, Layer::Orchestrator }) {
        auto& t = rec.tallies[l];
        t.scanned = true;
        t.evaluated += 10;
        t.evaluatedWeight += 60;
    }
    rec.targetTallies["bench-cluster"] = rec.tallies; // every finding is the cluster's: the estate is it
    return rec;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv); // the rule catalogue lives in Qt resources
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s FILE HISTORY_SCANS FINDINGS_IN_LATEST\n", argv[0]);
        return 2;
    }
    const std::string path = argv[1];
    const long history = std::atol(argv[2]);
    const long latest = std::atol(argv[3]);
    const RuleCatalog catalog = RuleCatalog::builtin();
    Store store(path);
    std::mt19937 rng(42);
    const std::int64_t day = 86400;
    const std::int64_t start = 1'735'689'600 - history * day; // history ends 2025-01-01
    for (long i = 0; i < history; ++i) {
        const long n = 150 + long(100.0 * (1.0 + std::sin(double(i) / 20.0))) + long(rng() % 40);
        store.writeScan(makeScan(catalog, start + i * day, n, rng));
    }
    auto rec = makeScan(catalog, start + history * day, latest, rng);
    const auto t0 = std::chrono::steady_clock::now();
    store.writeScan(rec);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("stored %ld findings in %.2f s (B4)\n", latest, secs);
    return 0;
}
