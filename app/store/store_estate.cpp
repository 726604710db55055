// The estate: each target's latest scan together, its history, remediation times.
#include "core/jsonutil.h"
#include "store/storedb.h"
#include <algorithm>
#include <map>

namespace lg {

using namespace storedb;

namespace {
/** Adds a target's layers into the estate's. */
void addInto(std::map<Layer, LayerTally>& sum, const std::vector<LayerScore>& layers)
{
    for (const auto& ls : layers) {
        auto& t = sum[ls.layer];
        t.scanned = true;
        t.evaluated += ls.tally.evaluated;
        t.evaluatedWeight += ls.tally.evaluatedWeight;
        t.failedWeight += ls.tally.failedWeight;
        t.acceptedWeight += ls.tally.acceptedWeight;
        for (std::size_t i = 0; i < 5; ++i)
            t.openBySeverity[i] += ls.tally.openBySeverity[i];
    }
}
} // namespace

EstatePosture Store::estate(std::int64_t now, const std::string& only, std::int64_t staleAfter) const
{
    EstatePosture e;
    e.staleAfter = staleAfter;
    Stmt q(m_db,
        "SELECT t.target, t.scan_id, s.finished_at, s.sources FROM (SELECT target, max(scan_id) AS scan_id FROM "
        "scan_targets GROUP BY target) t JOIN scans s ON s.id = t.scan_id ORDER BY t.target");
    std::map<Layer, LayerTally> sum;
    while (q.step()) {
        TargetPosture t;
        t.target = q.text(0);
        if (!only.empty() && t.target != only)
            continue;
        t.scanId = q.i64(1);
        t.scannedAt = q.i64(2);
        for (const auto& src : sourcesFromJson(q.text(3)))
            if (src.target == t.target && src.ok) {
                t.kind = src.kind;
                break;
            }
        t.stale = staleAfter > 0 && now - t.scannedAt > staleAfter;
        t.previousScanId = previousScanOf(t.target, t.scanId);
        t.layers = targetLayerScoresAt(t.scanId, t.target, now);
        std::map<Layer, LayerTally> mine;
        addInto(mine, t.layers);
        t.score = overallScore(mine);
        addInto(sum, t.layers);
        e.targets.push_back(std::move(t));
    }
    for (const auto& [layer, tally] : sum)
        e.layers.push_back({ layer, layerScore(tally), tally });
    e.score = overallScore(sum);
    return e;
}

std::array<RemediationTime, 5> Store::remediationTimes(
    std::int64_t from, std::int64_t to, const std::string& only) const
{
    // Only scans that observed a target (a row in scan_targets) say anything about its findings: a scan whose
    // source failed resolves nothing.
    Stmt scans(m_db,
        "SELECT DISTINCT t.target, t.scan_id, s.finished_at FROM scan_targets t JOIN scans s ON s.id = t.scan_id "
        "WHERE (?1 = '' OR t.target = ?1) ORDER BY t.target, s.finished_at, t.scan_id");
    scans.bind(1, only);
    Stmt rows(m_db,
        "SELECT ff.fid, f.severity, (SELECT fs.first_seen FROM finding_first_seen fs WHERE fs.fid = ff.fid) "
        "FROM finding_fids ff JOIN findings f ON f.rowid = ff.row WHERE ff.scan_id = ?1 AND f.target = ?2");
    std::array<std::int64_t, 5> total {};
    std::array<RemediationTime, 5> out {};
    struct Open {
        std::int64_t since;
        int severity;
    };
    std::string target;
    std::unordered_map<std::string, Open> open;
    bool firstScan = false; // the target's oldest scan kept: what it shows has been open since its first sighting
    while (scans.step()) {
        firstScan = scans.text(0) != target;
        if (firstScan) {
            target = scans.text(0);
            open.clear();
        }
        const std::int64_t scanId = scans.i64(1), at = scans.i64(2);
        std::unordered_map<std::string, Open> now;
        rows.reset();
        rows.bind(1, scanId).bind(2, target);
        while (rows.step()) {
            std::string fid = rows.text(0);
            const int severity = int(rows.i64(1));
            std::int64_t since = at;
            if (const auto was = open.find(fid); was != open.end())
                since = was->second.since;
            else if (firstScan && !rows.isNull(2))
                since = std::min(at, rows.i64(2)); // in the oldest scan kept: open since its first sighting
            now.emplace(std::move(fid), Open { since, severity });
        }
        for (const auto& [fid, o] : open)
            if (!now.count(fid) && at >= from && at <= to && o.severity >= 0 && o.severity < 5) {
                ++out[std::size_t(o.severity)].fixed;
                total[std::size_t(o.severity)] += at - o.since;
            }
        open = std::move(now);
    }
    for (std::size_t s = 0; s < 5; ++s)
        if (out[s].fixed > 0)
            out[s].meanSeconds = total[s] / out[s].fixed;
    return out;
}

std::vector<EstatePoint> Store::estateHistory(const std::string& only) const
{
    // Each scan replaces its targets' contribution; the estate after it is the sum of the latest of each.
    std::vector<EstatePoint> out;
    Stmt q(m_db,
        "SELECT t.scan_id, s.finished_at, t.target, t.layer, t.evaluated, t.evaluated_weight, t.failed_weight, "
        "t.accepted_weight FROM scan_targets t JOIN scans s ON s.id = t.scan_id ORDER BY t.scan_id, t.target");
    std::map<std::string, std::map<Layer, LayerTally>> latest;
    std::int64_t scan = -1, at = 0;
    std::set<std::string> replaced; // the targets this scan has replaced so far
    auto close = [&] {
        if (scan < 0)
            return;
        std::map<Layer, LayerTally> sum;
        for (const auto& [target, layers] : latest)
            for (const auto& [layer, t] : layers) {
                auto& s = sum[layer];
                s.scanned = true;
                s.evaluated += t.evaluated;
                s.evaluatedWeight += t.evaluatedWeight;
                s.failedWeight += t.failedWeight;
                s.acceptedWeight += t.acceptedWeight;
            }
        EstatePoint p;
        p.at = at;
        p.scanId = scan;
        p.score = overallScore(sum);
        for (const auto& [layer, t] : sum)
            if (const auto sc = layerScore(t))
                p.layers[layer] = *sc;
        out.push_back(std::move(p));
    };
    while (q.step()) {
        const std::string target = q.text(2);
        if (!only.empty() && target != only)
            continue;
        if (q.i64(0) != scan) {
            close();
            scan = q.i64(0);
            at = q.i64(1);
            replaced.clear();
        }
        if (replaced.insert(target).second)
            latest[target].clear();
        LayerTally t;
        t.scanned = true;
        t.evaluated = int(q.i64(4));
        t.evaluatedWeight = long(q.i64(5));
        t.failedWeight = long(q.i64(6));
        t.acceptedWeight = long(q.i64(7));
        latest[target][layerFromString(q.text(3)).value_or(Layer::Orchestrator)] = t;
    }
    close();
    return out;
}

} // namespace lg
