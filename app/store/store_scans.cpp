// Scans and their layer scores.
#include "core/jsonutil.h"
#include "store/storedb.h"

#include <algorithm>

namespace lg {

using namespace storedb;

std::vector<LayerScore> Store::layerScores(std::int64_t scanId) const
{
    Stmt q(m_db, (std::string(kLayerColumns) + "scan_layers WHERE scan_id = ?1").c_str());
    q.bind(1, scanId);
    return readLayerScores(q);
}

namespace {
constexpr const char* kScanColumns
    = "SELECT id, started_at, finished_at, tool_version, run_by, sources, resources, overall_score FROM scans";

ScanInfo readScan(const Stmt& q)
{
    ScanInfo s;
    s.id = q.i64(0);
    s.startedAt = q.i64(1);
    s.finishedAt = q.i64(2);
    s.toolVersion = q.text(3);
    s.runBy = q.text(4);
    s.sources = sourcesFromJson(q.text(5));
    s.resources = int(q.i64(6));
    if (!q.isNull(7))
        s.overallScore = int(q.i64(7));
    return s;
}
} // namespace

std::vector<ScanInfo> Store::scans() const
{
    std::vector<ScanInfo> out;
    Stmt q(m_db, (std::string(kScanColumns) + " ORDER BY id").c_str());
    while (q.step())
        out.push_back(readScan(q));
    for (auto& s : out)
        s.layers = layerScores(s.id);
    return out;
}

std::optional<ScanInfo> Store::scan(std::int64_t id) const
{
    Stmt q(m_db, (std::string(kScanColumns) + " WHERE id = ?1").c_str());
    q.bind(1, id);
    if (!q.step())
        return std::nullopt;
    ScanInfo s = readScan(q);
    s.layers = layerScores(s.id);
    return s;
}

std::optional<ScanInfo> Store::scanAt(std::int64_t id, std::int64_t asOf) const
{
    auto s = scan(id);
    if (!s || asOf == 0)
        return s;
    s->layers = layerScoresAt(id, asOf);
    std::map<Layer, LayerTally> tallies;
    for (const auto& ls : s->layers)
        tallies[ls.layer] = ls.tally;
    s->overallScore = overallScore(tallies);
    return s;
}

std::optional<std::int64_t> Store::latestScanId() const
{
    Stmt q(m_db, "SELECT max(id) FROM scans");
    if (q.step() && !q.isNull(0))
        return q.i64(0);
    return std::nullopt;
}

std::optional<std::int64_t> Store::previousScanId(std::int64_t id) const
{
    Stmt q(m_db, "SELECT max(id) FROM scans WHERE id < ?1");
    q.bind(1, id);
    if (q.step() && !q.isNull(0))
        return q.i64(0);
    return std::nullopt;
}

std::map<std::string, std::string> Store::lastOrigins(const std::string& target, const std::string& kind) const
{
    Stmt q(m_db,
        "SELECT name, origin FROM resources WHERE target = ?1 AND kind = ?2 AND scan_id = "
        "(SELECT MAX(scan_id) FROM resources WHERE target = ?1 AND kind = ?2)");
    q.bind(1, target).bind(2, kind);
    std::map<std::string, std::string> out;
    while (q.step())
        out[q.text(0)] = q.text(1);
    return out;
}

std::map<std::string, RuleOutcome> Store::ruleOutcomes(std::int64_t scanId) const
{
    std::map<std::string, RuleOutcome> out;
    Stmt q(m_db,
        "SELECT rule, evaluated, failed, not_applicable, exempted, not_observed FROM rule_results WHERE scan_id = ?1");
    q.bind(1, scanId);
    while (q.step())
        out[q.text(0)] = { int(q.i64(1)), int(q.i64(2)), int(q.i64(3)), int(q.i64(4)), int(q.i64(5)) };
    return out;
}

} // namespace lg
