// Finding queries: one scan's or the estate's rows, windowed and sorted for the dashboard, counted, grouped.
#include "core/jsonutil.h"
#include "store/storedb.h"

#include <QDateTime>
#include <algorithm>
#include <set>
#include <unordered_map>

namespace lg {

using namespace storedb;

namespace {

/** The SQL of a group's key (findings table as f). */
const char* groupKeySql(FindingGroupBy by)
{
    switch (by) {
    case FindingGroupBy::Rule:
        return "f.rule";
    case FindingGroupBy::Resource:
        return "f.kind || '/' || f.namespace || '/' || f.name";
    case FindingGroupBy::Namespace:
        return "f.namespace";
    case FindingGroupBy::Target:
        return "f.target";
    case FindingGroupBy::None:
        break;
    }
    return "''";
}

/**
 * The WHERE conditions of a filter after the scan condition, with parameters ?2.. (bound by bindFilter);
 * needs scan_rules as r when the filter searches.
 */
std::string filterSql(const FindingFilter& filter, bool withGroup)
{
    std::string sql;
    if (filter.layer)
        sql += " AND f.layer = ?2";
    if (filter.minSeverity)
        sql += " AND f.severity <= ?3";
    if ((filter.severities & 0x1f) != 0x1f)
        sql += " AND ((?6 >> f.severity) & 1)";
    if (filter.status)
        sql += " AND " + statusSql(filter.asOf != 0) + " = ?4";
    if (!filter.search.empty())
        // LIKE per column (case-insensitive, no concatenation, no lower() copies); rule titles matched once.
        sql += " AND (f.message LIKE ?5 ESCAPE '\\' OR f.name LIKE ?5 ESCAPE '\\' OR f.rule LIKE ?5 ESCAPE '\\' "
               "OR f.namespace LIKE ?5 ESCAPE '\\' OR f.kind LIKE ?5 ESCAPE '\\' OR f.container LIKE ?5 ESCAPE "
               "'\\' OR f.rule IN (SELECT rule FROM scan_rules WHERE scan_id = ?1 AND title LIKE ?5 ESCAPE '\\'))";
    if (withGroup && filter.groupBy != FindingGroupBy::None)
        sql += std::string(" AND ") + groupKeySql(filter.groupBy) + " = ?7";
    if (!filter.target.empty())
        sql += " AND f.target = ?11";
    // Times and deadlines are computed numbers, written into the SQL (no text from outside goes there).
    const std::string firstSeen = "(SELECT fs.first_seen FROM finding_first_seen fs WHERE fs.fid = f.fid)";
    if (filter.firstSeenBefore)
        sql += " AND " + firstSeen + " < " + std::to_string(*filter.firstSeenBefore);
    if (filter.overdueAt) {
        std::string cases;
        for (std::size_t s = 0; s < 5; ++s)
            if (filter.slaDays[s] > 0)
                cases += " WHEN " + std::to_string(s) + " THEN "
                    + std::to_string(*filter.overdueAt - std::int64_t(filter.slaDays[s]) * 86400);
        sql += cases.empty() ? std::string(" AND 0")
                             : " AND " + statusSql(filter.asOf != 0) + " = 'open' AND " + firstSeen
                + " < (CASE f.severity" + cases + " ELSE -1 END)";
    }
    return sql;
}

void bindFilter(Stmt& q, const FindingFilter& filter, bool withGroup)
{
    if (filter.layer)
        q.bind(2, toString(*filter.layer));
    if (filter.minSeverity)
        q.bind(3, std::int64_t(*filter.minSeverity));
    if (filter.status)
        q.bind(4, toString(*filter.status));
    if (!filter.search.empty()) {
        std::string pattern = "%";
        for (char c : filter.search) {
            if (c == '%' || c == '_' || c == '\\')
                pattern += '\\';
            pattern += c;
        }
        q.bind(5, pattern + "%");
    }
    if ((filter.severities & 0x1f) != 0x1f)
        q.bind(6, std::int64_t(filter.severities & 0x1f));
    if (withGroup && filter.groupBy != FindingGroupBy::None)
        q.bind(7, filter.groupKey);
    if (!filter.target.empty())
        q.bind(11, filter.target);
    if (filter.asOf != 0)
        q.bind(10, filter.asOf);
}

} // namespace

std::vector<Finding> Store::findings(std::int64_t scanId, const FindingFilter& filter) const
{
    // Stored in display order (revision 3): the scan's rows in row id order need no sort.
    const std::string sql = selectFindings(true, filter.asOf != 0) + " WHERE f.scan_id = ?1" + filterSql(filter, true)
        + " ORDER BY f.rowid";
    Stmt q(m_db, sql.c_str());
    q.bind(1, scanId);
    bindFilter(q, filter, true);
    std::vector<Finding> out;
    while (q.step())
        out.push_back(readFinding(q));
    attachAcceptances(out, filter.asOf != 0 ? filter.asOf : scanTime(scanId));
    return out;
}

std::int64_t Store::scanTime(std::int64_t scanId) const
{
    Stmt q(m_db, "SELECT finished_at FROM scans WHERE id = ?1");
    q.bind(1, scanId);
    return q.step() ? q.i64(0) : 0;
}

void Store::attachAcceptances(std::vector<Finding>& findings, std::int64_t at) const
{
    if (std::none_of(
            findings.begin(), findings.end(), [](const Finding& f) { return f.status == FindingStatus::Accepted; }))
        return;
    const auto active = activeAcceptances(at);
    for (auto& f : findings) {
        if (f.status != FindingStatus::Accepted)
            continue;
        if (auto it = active.find(f.id); it != active.end())
            f.acceptance = AcceptanceInfo { it->second.owner, it->second.reason, it->second.acceptedBy,
                it->second.createdAt, it->second.expiresAt };
    }
}

std::vector<std::int64_t> Store::findingRowIds(const FindingQuery& query, const std::atomic<bool>* cancel) const
{
    const auto cancelled = [cancel] { return cancel && cancel->load(std::memory_order_relaxed); };
    std::vector<std::pair<std::int64_t, std::int64_t>> rows; // (key, row id)
    if (query.parts.empty()) {
        std::vector<std::int64_t> whole;
        if (!rowKeys(query, cancel, rows, &whole))
            return whole; // the whole scan in its stored order, or nothing (cancelled)
    } else {
        // Several (scan, target) parts: each part's keys, then one sort. Ranks are per scan, so rule, resource and
        // message orders are exact within a target and interleave across targets; severity is exact throughout.
        for (const auto& [scanId, target] : query.parts) {
            FindingQuery part = query;
            part.parts.clear();
            part.scanId = scanId;
            part.filter.target = target;
            if (!rowKeys(part, cancel, rows, nullptr) && cancelled())
                return {};
        }
    }
    if (cancelled())
        return {};
    // Ties keep the default order: the row id, ascending, whichever way the key goes.
    if (query.descending)
        std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
    else
        std::sort(rows.begin(), rows.end());
    std::vector<std::int64_t> ids;
    ids.reserve(rows.size());
    for (const auto& r : rows)
        ids.push_back(r.second);
    return ids;
}

namespace {

/** The SQL of a sort's key; every key is an integer the rows carry or a value their fingerprint has. */
std::string sortKeySql(FindingSort sort, bool statusAsOf)
{
    switch (sort) {
    case FindingSort::Severity:
        return "f.severity";
    case FindingSort::Rule:
        return "f.rank_rule";
    case FindingSort::Resource:
        return "f.rank_resource";
    case FindingSort::Target:
        return "f.rank_target";
    case FindingSort::Status:
        return statusSql(statusAsOf) + " = 'open'"; // accepted and exempted first
    case FindingSort::Message:
        return "f.rank_message";
    case FindingSort::Age: // by first sighting: the oldest first
        return "(SELECT fs.first_seen FROM finding_first_seen fs WHERE fs.fid = f.fid)";
    }
    return "f.severity";
}

} // namespace

bool Store::rowKeys(const FindingQuery& query, const std::atomic<bool>* cancel,
    std::vector<std::pair<std::int64_t, std::int64_t>>& rows, std::vector<std::int64_t>* whole) const
{
    // A scan's findings are written in one transaction, so their row ids are one range, in the default
    // order (revision 3), and each row carries its rank by every other sort key: the list is read without an
    // SQL sort and sorted here by (integer key, row id).
    std::int64_t lo = 0;
    std::int64_t hi = -1;
    {
        Stmt q(m_db,
            "SELECT (SELECT rowid FROM findings INDEXED BY findings_scan WHERE scan_id = ?1 ORDER BY rowid LIMIT 1), "
            "(SELECT rowid FROM findings INDEXED BY findings_scan WHERE scan_id = ?1 ORDER BY rowid DESC LIMIT 1)");
        q.bind(1, query.scanId);
        if (q.step() && !q.isNull(0)) {
            lo = q.i64(0);
            hi = q.i64(1);
        }
    }
    if (hi < lo)
        return false;
    const FindingFilter& filter = query.filter;
    const bool unfiltered = !filter.layer && !filter.minSeverity && (filter.severities & 0x1f) == 0x1f && !filter.status
        && filter.search.empty() && filter.groupBy == FindingGroupBy::None && filter.target.empty()
        && !filter.firstSeenBefore && !filter.overdueAt;
    if (whole && unfiltered && query.sort == FindingSort::Severity && !query.descending) {
        // The default view: the scan's whole row range when no row is missing from it (the first paint of a
        // million findings reads no row).
        Stmt c(m_db, "SELECT findings FROM scans WHERE id = ?1");
        c.bind(1, query.scanId);
        if (c.step() && c.i64(0) == hi - lo + 1) {
            whole->resize(std::size_t(hi - lo + 1));
            for (std::size_t i = 0; i < whole->size(); ++i)
                (*whole)[i] = lo + std::int64_t(i);
            return false;
        }
    }
    const std::string key = sortKeySql(query.sort, filter.asOf != 0);
    // Without a search or group, everything asked for is in findings_list: read that narrow index, not
    // the rows. Otherwise the scan's row range is read in order.
    // A status as of now reads each row's fingerprint, which the narrow index does not hold.
    const bool statusNow = filter.asOf != 0 && (filter.status || filter.overdueAt || query.sort == FindingSort::Status);
    const bool narrow = filter.search.empty() && filter.groupBy == FindingGroupBy::None && !statusNow
        && !filter.firstSeenBefore && query.sort != FindingSort::Age;
    std::string sql = "SELECT f.rowid, " + key + " FROM findings f";
    sql += narrow ? " INDEXED BY findings_list WHERE f.scan_id = ?1"
                  : " WHERE f.rowid BETWEEN ?8 AND ?9 AND +f.scan_id = ?1";
    sql += filterSql(filter, true);
    Stmt q(m_db, sql.c_str());
    q.bind(1, query.scanId);
    if (!narrow)
        q.bind(8, lo).bind(9, hi);
    bindFilter(q, filter, true);

    const auto cancelled = [cancel] { return cancel && cancel->load(std::memory_order_relaxed); };
    while (q.step()) {
        rows.emplace_back(q.i64(1), q.i64(0));
        if ((rows.size() & 0x3fff) == 0 && cancelled())
            return false;
    }
    return !cancelled();
}

std::array<int, 5> Store::severityCounts(const FindingQuery& query) const
{
    FindingFilter filter = query.filter;
    filter.severities = 0x1f;
    filter.minSeverity.reset();
    const bool narrow = filter.search.empty() && filter.groupBy == FindingGroupBy::None
        && !(filter.asOf != 0 && (filter.status || filter.overdueAt)) && !filter.firstSeenBefore;
    Stmt q(m_db,
        (std::string("SELECT f.severity, count(*) FROM findings f") + (narrow ? " INDEXED BY findings_list" : "")
            + " WHERE f.scan_id = ?1" + filterSql(filter, true) + " GROUP BY f.severity")
            .c_str());
    std::array<int, 5> out {};
    const auto parts = query.parts.empty()
        ? std::vector<std::pair<std::int64_t, std::string>> { { query.scanId, filter.target } }
        : query.parts;
    for (const auto& [scanId, target] : parts) {
        FindingFilter f = filter;
        f.target = target;
        q.reset();
        q.bind(1, scanId);
        bindFilter(q, f, true);
        while (q.step())
            out[std::size_t(std::clamp<std::int64_t>(q.i64(0), 0, 4))] += int(q.i64(1));
    }
    return out;
}

std::vector<Finding> Store::findingsByRowId(
    std::int64_t scanId, const std::int64_t* rowIds, std::size_t count, std::int64_t asOf) const
{
    // scanId 0: the rows may belong to several scans (a query over the estate's parts)
    Stmt q(m_db, (selectFindings(false, asOf != 0) + " WHERE f.rowid = ?1 AND (?2 = 0 OR f.scan_id = ?2)").c_str());
    std::vector<Finding> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        q.bind(1, rowIds[i]).bind(2, scanId);
        if (asOf != 0)
            q.bind(10, asOf);
        out.push_back(q.step() ? readFinding(q) : Finding {});
        q.reset();
    }
    attachAcceptances(out, asOf != 0 ? asOf : (scanId != 0 ? scanTime(scanId) : QDateTime::currentSecsSinceEpoch()));
    return out;
}

std::optional<std::int64_t> Store::findingRowId(std::int64_t scanId, const std::string& fid) const
{
    Stmt q(m_db, "SELECT row FROM finding_fids WHERE scan_id = ?1 AND fid = ?2");
    q.bind(1, scanId).bind(2, fid);
    if (q.step())
        return q.i64(0);
    return std::nullopt;
}

std::vector<FindingGroup> Store::findingGroups(const FindingQuery& query, FindingGroupBy by) const
{
    if (by == FindingGroupBy::None)
        return {};
    std::string sql = std::string("SELECT ") + groupKeySql(by)
        + ", count(*), min(f.severity), count(DISTINCT f.layer) FROM findings f";
    sql += " WHERE f.scan_id = ?1" + filterSql(query.filter, false) + " GROUP BY 1";
    Stmt q(m_db, sql.c_str());
    std::map<std::string, FindingGroup> byKey; // several parts: one group per key across them
    const auto parts = query.parts.empty()
        ? std::vector<std::pair<std::int64_t, std::string>> { { query.scanId, query.filter.target } }
        : query.parts;
    for (const auto& [scanId, target] : parts) {
        FindingFilter f = query.filter;
        f.target = target;
        q.reset();
        q.bind(1, scanId);
        bindFilter(q, f, false);
        while (q.step()) {
            auto [it, fresh] = byKey.try_emplace(q.text(0), FindingGroup { q.text(0), 0, Severity::Info, 0 });
            it->second.findings += int(q.i64(1));
            it->second.worst
                = std::min(it->second.worst, static_cast<Severity>(std::clamp<std::int64_t>(q.i64(2), 0, 4)));
            it->second.layers = std::max(it->second.layers, int(q.i64(3)));
        }
    }
    std::vector<FindingGroup> out;
    out.reserve(byKey.size());
    for (auto& [key, g] : byKey)
        out.push_back(std::move(g));
    // most severe first, then largest, then by key
    std::sort(out.begin(), out.end(), [](const FindingGroup& a, const FindingGroup& b) {
        return a.worst != b.worst      ? a.worst < b.worst
            : a.findings != b.findings ? a.findings > b.findings
                                       : a.key < b.key;
    });
    return out;
}

} // namespace lg
