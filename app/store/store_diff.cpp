// Comparing scans: what is new, resolved or changed, and the top risks.
#include "core/jsonutil.h"
#include "store/storedb.h"
#include <algorithm>
#include <set>

namespace lg {

using namespace storedb;

namespace {

/**
 * A finding of the older scan that the newer one lacks is resolved only where the newer scan looked: not when its
 * rule could not evaluate anything there for want of data (an option turned off, a file unreadable).
 */
std::string lookedAt(const char* rowColumn)
{
    return std::string(" AND NOT EXISTS (SELECT 1 FROM findings lf JOIN rule_results rr ON rr.scan_id = ?2 AND "
                       "rr.rule = lf.rule WHERE lf.rowid = f.")
        + rowColumn + " AND rr.evaluated = 0 AND rr.not_observed > 0)";
}

} // namespace

std::set<std::string> Store::rulesNotObserved(std::int64_t scanId) const
{
    std::set<std::string> out;
    Stmt q(m_db, "SELECT rule FROM rule_results WHERE scan_id = ?1 AND evaluated = 0 AND not_observed > 0");
    q.bind(1, scanId);
    while (q.step())
        out.insert(q.text(0));
    return out;
}

ScanDiff Store::diff(std::int64_t scanA, std::int64_t scanB) const
{
    ScanDiff d;
    const auto blind = rulesNotObserved(scanB);
    const auto a = findings(scanA);
    const auto b = findings(scanB);
    std::set<std::string> idsA, idsB;
    for (const auto& f : a)
        idsA.insert(f.id);
    for (const auto& f : b)
        idsB.insert(f.id);
    for (const auto& f : b)
        (idsA.count(f.id) ? d.unchanged : d.added).push_back(f);
    for (const auto& f : a) {
        if (!idsB.count(f.id) && !blind.count(f.rule)) {
            Finding r = f;
            r.status = FindingStatus::Resolved;
            d.resolved.push_back(std::move(r));
        }
    }
    return d;
}

ScanDiffSummary Store::diffSummary(std::int64_t scanA, std::int64_t scanB, int limit, const std::string& target) const
{
    ScanDiffSummary d;
    // "In X, not in Y", by fingerprint through finding_fids; rows in X's stored (display) order. With a target,
    // only its findings count (a fingerprint includes its target, so the other side needs no filter).
    const auto side = [&](std::int64_t x, std::int64_t y, int& count, std::vector<Finding>& first, bool resolving) {
        const std::string kNotIn = std::string(" WHERE f.scan_id = ?1 AND NOT EXISTS (SELECT 1 FROM finding_fids o "
                                               "WHERE o.scan_id = ?2 AND o.fid = f.fid)");
        const std::string notInFids = kNotIn + (resolving ? lookedAt("row") : "");
        const std::string notInFindings = kNotIn + (resolving ? lookedAt("rowid") : "");
        if (target.empty()) {
            // the count reads the narrow fingerprint table only; the first rows come from findings
            Stmt c(m_db, (std::string("SELECT count(*) FROM finding_fids f") + notInFids).c_str());
            c.bind(1, x).bind(2, y);
            count = c.step() ? int(c.i64(0)) : 0;
        } else {
            Stmt c(m_db, ("SELECT count(*) FROM findings f" + notInFindings + " AND f.target = ?4").c_str());
            c.bind(1, x).bind(2, y).bind(4, target);
            count = c.step() ? int(c.i64(0)) : 0;
        }
        Stmt q(m_db,
            (selectFindings(true) + notInFindings + (target.empty() ? "" : " AND f.target = ?4")
                + " ORDER BY f.rowid LIMIT ?3")
                .c_str());
        q.bind(1, x).bind(2, y).bind(3, std::int64_t(limit));
        if (!target.empty())
            q.bind(4, target);
        while (q.step())
            first.push_back(readFinding(q));
    };
    side(scanB, scanA, d.added, d.addedFirst, false);
    side(scanA, scanB, d.resolved, d.resolvedFirst, true);
    for (auto& f : d.resolvedFirst)
        f.status = FindingStatus::Resolved;
    if (target.empty()) {
        Stmt total(m_db, "SELECT findings FROM scans WHERE id = ?1"); // counted when the scan was written
        total.bind(1, scanB);
        d.unchanged = (total.step() ? int(total.i64(0)) : 0) - d.added;
    } else {
        Stmt total(m_db, "SELECT count(*) FROM findings WHERE scan_id = ?1 AND target = ?2");
        total.bind(1, scanB).bind(2, target);
        d.unchanged = (total.step() ? int(total.i64(0)) : 0) - d.added;
    }
    return d;
}

std::vector<Finding> Store::topFindings(
    std::int64_t scanId, int limit, std::int64_t asOf, const std::string& target) const
{
    // Rows are stored most severe first (revision 3), so this reads about `limit` rows, not the scan.
    Stmt q(m_db,
        (selectFindings(true, asOf != 0) + " WHERE f.scan_id = ?1 AND " + statusSql(asOf != 0) + " = 'open'"
            + (target.empty() ? "" : " AND f.target = ?3") + " ORDER BY f.rowid LIMIT ?2")
            .c_str());
    q.bind(1, scanId).bind(2, std::int64_t(limit));
    if (!target.empty())
        q.bind(3, target);
    if (asOf != 0)
        q.bind(10, asOf);
    std::vector<Finding> out;
    while (q.step())
        out.push_back(readFinding(q));
    return out;
}

} // namespace lg
