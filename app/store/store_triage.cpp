// Triage: accepted risks, statuses as of a moment, remediation checklists.
#include "core/jsonutil.h"
#include "store/storedb.h"
#include <algorithm>
#include <set>

namespace lg {

using namespace storedb;

bool Store::knowsFinding(const std::string& fid) const
{
    Stmt q(m_db, "SELECT 1 FROM finding_fids WHERE fid = ?1 LIMIT 1");
    q.bind(1, fid);
    return q.step();
}

void Store::acceptRisk(const AcceptedRisk& risk)
{
    // From this moment on: a stored scan keeps the statuses and scores it was written with.
    Transaction tx(m_db);
    Stmt end(m_db,
        "UPDATE risk_acceptances SET revoked_at = max(?2, accepted_at), revoked_by = ?3 WHERE fid = ?1 AND "
        "revoked_at IS NULL");
    end.bind(1, risk.fid).bind(2, risk.createdAt).bind(3, risk.acceptedBy).run(); // a new acceptance replaces one
    Stmt q(m_db,
        "INSERT INTO risk_acceptances(fid, owner, reason, accepted_by, accepted_at, expires_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    q.bind(1, risk.fid).bind(2, risk.owner).bind(3, risk.reason).bind(4, risk.acceptedBy).bind(5, risk.createdAt);
    if (risk.expiresAt)
        q.bind(6, *risk.expiresAt);
    else
        q.bindNull(6);
    q.run();
    tx.commit();
}

bool Store::revokeRisk(const std::string& fid, const std::string& by, std::int64_t at)
{
    Stmt q(m_db,
        "UPDATE risk_acceptances SET revoked_at = ?2, revoked_by = ?3 WHERE fid = ?1 AND revoked_at IS NULL "
        "AND (expires_at IS NULL OR expires_at > ?2)");
    q.bind(1, fid).bind(2, at).bind(3, by).run();
    return sqlite3_changes(m_db) > 0;
}

std::vector<AcceptedRisk> Store::acceptedRisks() const
{
    std::vector<AcceptedRisk> out;
    Stmt q(m_db,
        "SELECT fid, owner, reason, expires_at, accepted_at, accepted_by, revoked_at, revoked_by FROM "
        "risk_acceptances ORDER BY id");
    while (q.step()) {
        AcceptedRisk r;
        r.fid = q.text(0);
        r.owner = q.text(1);
        r.reason = q.text(2);
        if (!q.isNull(3))
            r.expiresAt = q.i64(3);
        r.createdAt = q.i64(4);
        r.acceptedBy = q.text(5);
        if (!q.isNull(6))
            r.revokedAt = q.i64(6);
        r.revokedBy = q.text(7);
        out.push_back(std::move(r));
    }
    return out;
}

std::map<std::string, AcceptedRisk> Store::activeAcceptances(std::int64_t now) const
{
    std::map<std::string, AcceptedRisk> out;
    for (auto& r : acceptedRisks())
        if (r.activeAt(now))
            out[r.fid] = r; // the latest acceptance wins
    return out;
}

std::vector<LayerScore> Store::layerScoresAt(std::int64_t scanId, std::int64_t asOf) const
{
    std::vector<LayerScore> layers = layerScores(scanId);
    moveToAsOf(layers, scanId, asOf, {});
    return layers;
}

void Store::moveToAsOf(
    std::vector<LayerScore>& layers, std::int64_t scanId, std::int64_t asOf, const std::string& target) const
{
    // The stored tallies, moved by the findings whose acceptance began, ended or expired since the scan. Only
    // fingerprints with an acceptance are read: a few rows, not the scan.
    std::map<Layer, LayerTally> tallies;
    for (const auto& ls : layers)
        tallies[ls.layer] = ls.tally;
    const std::string sql = "SELECT f.layer, f.severity, f.status, f.scored, " + statusSql(true)
        + " FROM finding_fids ff JOIN findings f ON f.rowid = ff.row WHERE ff.scan_id = ?1 AND ff.fid IN (SELECT "
          "fid FROM risk_acceptances)"
        + (target.empty() ? std::string() : std::string(" AND f.target = ?2"));
    Stmt q(m_db, sql.c_str());
    q.bind(1, scanId).bind(10, asOf);
    if (!target.empty())
        q.bind(2, target);
    bool changed = false;
    while (q.step()) {
        const std::string was = q.text(2), now = q.text(4);
        if (was == now || was == "exempted")
            continue;
        changed = true;
        auto& t = tallies[layerFromString(q.text(0)).value_or(Layer::Orchestrator)];
        const auto severity = static_cast<Severity>(std::clamp<std::int64_t>(q.i64(1), 0, 4));
        const long w = q.i64(3) != 0 ? severityWeight(severity) : 0;
        const int sign = now == "accepted" ? 1 : -1; // accepted now: out of the failures, into the accepted
        t.failedWeight -= sign * w;
        t.acceptedWeight += sign * w;
        t.openBySeverity[std::size_t(severity)] -= sign;
    }
    if (changed)
        for (auto& ls : layers) {
            ls.tally = tallies[ls.layer];
            ls.score = layerScore(ls.tally);
        }
}

std::int64_t Store::statusTime(std::int64_t scanId, std::int64_t now) const
{
    const auto latest = latestScanId();
    return latest && *latest == scanId ? now : 0;
}

void Store::setChecklistStep(const std::string& fid, int step, bool done, const std::string& who, std::int64_t when)
{
    if (done) {
        Stmt q(m_db, "INSERT OR REPLACE INTO checklist(fid, step, done_by, done_at) VALUES (?1, ?2, ?3, ?4)");
        q.bind(1, fid).bind(2, std::int64_t(step)).bind(3, who).bind(4, when).run();
    } else {
        Stmt q(m_db, "DELETE FROM checklist WHERE fid = ?1 AND step = ?2");
        q.bind(1, fid).bind(2, std::int64_t(step)).run();
    }
}

std::vector<ChecklistEntry> Store::checklist(const std::string& fid) const
{
    std::vector<ChecklistEntry> out;
    Stmt q(m_db, "SELECT step, done_by, done_at FROM checklist WHERE fid = ?1 ORDER BY step");
    q.bind(1, fid);
    while (q.step())
        out.push_back({ int(q.i64(0)), q.text(1), q.i64(2) });
    return out;
}

std::map<std::string, std::vector<ChecklistEntry>> Store::checklists() const
{
    std::map<std::string, std::vector<ChecklistEntry>> out;
    Stmt q(m_db, "SELECT fid, step, done_by, done_at FROM checklist ORDER BY fid, step");
    while (q.step())
        out[q.text(0)].push_back({ int(q.i64(1)), q.text(2), q.i64(3) });
    return out;
}

} // namespace lg
