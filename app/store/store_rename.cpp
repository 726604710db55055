// Renaming a target with its history: every stored trace of the name, and the fingerprints derived from it.
#include "core/jsonutil.h"
#include "store/storedb.h"

#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace lg {

using namespace storedb;

namespace {

/** Whether anything in the cache goes by this name: a scan's tallies or sources, a saved connection, an identity. */
bool namesATarget(sqlite3* db, const std::string& name)
{
    Stmt q(db,
        "SELECT EXISTS (SELECT 1 FROM scan_targets WHERE target = ?1) OR EXISTS (SELECT 1 FROM targets WHERE name = "
        "?1) "
        "OR EXISTS (SELECT 1 FROM target_identities WHERE name = ?1) OR EXISTS (SELECT 1 FROM scans s, "
        "json_each(s.sources) j WHERE json_extract(j.value, '$.target') = ?1)");
    q.bind(1, name);
    return q.step() && q.i64(0) != 0;
}

/** The scans holding the target's findings, and the fingerprint each of its findings takes under the new name. */
struct IdMap {
    std::set<std::int64_t> scans;
    std::unordered_map<std::string, std::string> fids; ///< old -> new: only the ones derived from the old name
};

IdMap mapFingerprints(sqlite3* db, const std::string& from, const std::string& to)
{
    IdMap m;
    // An id derived from something else (a bundle's, an older build's) does not change with the name: it stays.
    std::unordered_set<std::string> kept;
    Stmt q(db, "SELECT scan_id, fid, rule, kind, namespace, name, container FROM findings WHERE target = ?1");
    q.bind(1, from);
    while (q.step()) {
        m.scans.insert(q.i64(0));
        std::string fid = q.text(1);
        if (m.fids.count(fid) || kept.count(fid))
            continue;
        const std::string rule = q.text(2);
        Subject subject { from, q.text(3), q.text(4), q.text(5), q.text(6) };
        if (fingerprint(rule, subject) != fid) {
            kept.insert(std::move(fid));
            continue;
        }
        subject.target = to;
        m.fids.emplace(std::move(fid), fingerprint(rule, subject));
    }
    return m;
}

/**
 * The target's findings take the new name and their new fingerprints; what is kept by fingerprint (acceptances,
 * checklist ticks, first sightings) follows the map. Returns how many finding rows moved.
 */
int moveFindings(sqlite3* db, const std::string& from, const std::string& to, const IdMap& ids)
{
    Stmt(db, "CREATE TEMP TABLE IF NOT EXISTS renamed_fids (old TEXT PRIMARY KEY, new TEXT NOT NULL) WITHOUT ROWID")
        .run();
    int moved = 0;
    {
        Stmt(db, "DELETE FROM temp.renamed_fids").run();
        Stmt ins(db, "INSERT INTO temp.renamed_fids VALUES (?1, ?2)");
        for (const auto& [oldFid, newFid] : ids.fids)
            ins.bind(1, oldFid).bind(2, newFid).run();
        Stmt findings(db,
            "UPDATE findings SET target = ?2, fid = coalesce((SELECT m.new FROM temp.renamed_fids m WHERE m.old = "
            "findings.fid), fid) WHERE target = ?1");
        findings.bind(1, from).bind(2, to).run();
        moved = sqlite3_changes(db);
        // a scan's fingerprint index points at its rows: it takes what the row now has
        Stmt(db,
            "UPDATE finding_fids SET fid = (SELECT f.fid FROM findings f WHERE f.rowid = finding_fids.row) WHERE fid "
            "IN "
            "(SELECT old FROM temp.renamed_fids)")
            .run();
        // Kept by fingerprint. A row already under a new fingerprint is a leftover of a target of that name whose
        // scans retention removed: the renamed target's own record replaces it.
        for (const char* table : { "checklist", "finding_first_seen" })
            Stmt(db,
                (std::string("UPDATE OR REPLACE ") + table + " SET fid = (SELECT m.new FROM temp.renamed_fids m WHERE "
                    + "m.old = " + table + ".fid) WHERE fid IN (SELECT old FROM temp.renamed_fids)")
                    .c_str())
                .run();
        Stmt(db,
            "UPDATE risk_acceptances SET fid = (SELECT m.new FROM temp.renamed_fids m WHERE m.old = "
            "risk_acceptances.fid) WHERE fid IN (SELECT old FROM temp.renamed_fids)")
            .run();
    }
    Stmt(db, "DROP TABLE temp.renamed_fids").run();
    return moved;
}

/** Each scan's record of its sources names the target too. */
void renameInSources(sqlite3* db, const std::string& from, const std::string& to)
{
    std::vector<std::pair<std::int64_t, std::vector<SourceStatus>>> changed;
    {
        Stmt q(db,
            "SELECT s.id, s.sources FROM scans s WHERE EXISTS (SELECT 1 FROM json_each(s.sources) j WHERE "
            "json_extract(j.value, '$.target') = ?1)");
        q.bind(1, from);
        while (q.step())
            changed.emplace_back(q.i64(0), sourcesFromJson(q.text(1)));
    }
    Stmt upd(db, "UPDATE scans SET sources = ?2 WHERE id = ?1");
    for (auto& [scanId, sources] : changed) {
        for (auto& src : sources)
            if (src.target == from)
                src.target = to;
        upd.bind(1, scanId).bind(2, dumpJson(sourcesToJson(sources))).run();
    }
}

/** Whether a scan has findings of other targets than `target`. */
bool coversOthers(sqlite3* db, std::int64_t scanId, const std::string& target)
{
    Stmt q(db, "SELECT EXISTS (SELECT 1 FROM findings INDEXED BY findings_scan WHERE scan_id = ?1 AND target <> ?2)");
    q.bind(1, scanId).bind(2, target);
    return q.step() && q.i64(0) != 0;
}

/**
 * A scan of several targets keeps its findings in the default order with the target among its keys (revision 3):
 * its rows are written again, as writeScan lays them out, in the order the new name takes and with their target
 * ranks; its row ids stay one range.
 */
void layOutAgain(sqlite3* db, std::int64_t scanId)
{
    std::string columns, values;
    {
        Stmt info(db, "SELECT name FROM pragma_table_info('findings')");
        while (info.step()) {
            const std::string c = info.text(0);
            columns += (columns.empty() ? "" : ", ") + c;
            values += (values.empty() ? "" : ", ") + (c == "rank_target" ? "dense_rank() OVER (ORDER BY target)" : c);
        }
    }
    std::int64_t last = 0;
    {
        Stmt q(db, "SELECT max(rowid) FROM findings");
        if (q.step())
            last = q.i64(0);
    }
    Stmt copy(db,
        ("INSERT INTO findings (" + columns + ") SELECT " + values
            + " FROM findings WHERE scan_id = ?1 ORDER BY severity, layer, rule, target, namespace, name, container, "
              "kind, fid")
            .c_str());
    copy.bind(1, scanId).run();
    Stmt drop(db, "DELETE FROM findings WHERE scan_id = ?1 AND rowid <= ?2");
    drop.bind(1, scanId).bind(2, last).run();
    Stmt dropFids(db, "DELETE FROM finding_fids WHERE scan_id = ?1");
    dropFids.bind(1, scanId).run();
    Stmt fids(db, "INSERT INTO finding_fids SELECT scan_id, fid, rowid FROM findings WHERE scan_id = ?1 ORDER BY fid");
    fids.bind(1, scanId).run();
}

} // namespace

TargetRename Store::renameTarget(const std::string& from, const std::string& to)
{
    if (to.empty())
        throw std::invalid_argument("a target needs a name");
    if (to == from)
        throw std::invalid_argument("the target is already called " + to);
    Transaction tx(m_db);
    if (!namesATarget(m_db, from))
        throw std::invalid_argument("no target is called " + from);
    // Two targets under one name would mix their findings for good: a rename never merges.
    if (namesATarget(m_db, to))
        throw std::invalid_argument(to + " already names another target; choose a name no target has");
    TargetRename out;
    const IdMap ids = mapFingerprints(m_db, from, to);
    out.fingerprints = int(ids.fids.size());
    out.findings = moveFindings(m_db, from, to, ids);
    for (const char* sql :
        { "UPDATE scan_targets SET target = ?2 WHERE target = ?1", "UPDATE resources SET target = ?2 WHERE target = ?1",
            "UPDATE target_identities SET name = ?2 WHERE name = ?1" }) {
        Stmt q(m_db, sql);
        q.bind(1, from).bind(2, to).run();
    }
    {
        Stmt q(m_db, "UPDATE targets SET name = ?2 WHERE name = ?1");
        q.bind(1, from).bind(2, to).run();
        out.savedConnection = sqlite3_changes(m_db) > 0;
    }
    renameInSources(m_db, from, to);
    {
        // The old name keeps pointing here: a later scan or import that still says it joins this target
        // (Store::renamedTargets); the new name stops being an alias of anything.
        Stmt drop(m_db, "DELETE FROM target_identities WHERE identity = ?1");
        drop.bind(1, std::string(kRenamedPrefix) + to).run();
        Stmt alias(m_db, "INSERT OR REPLACE INTO target_identities (identity, name) VALUES (?1, ?2)");
        alias.bind(1, std::string(kRenamedPrefix) + from).bind(2, to).run();
    }
    for (const std::int64_t scanId : ids.scans)
        if (coversOthers(m_db, scanId, to))
            layOutAgain(m_db, scanId);
    {
        Stmt q(m_db, "SELECT count(DISTINCT scan_id) FROM scan_targets WHERE target = ?1");
        q.bind(1, to);
        if (q.step())
            out.scans = int(q.i64(0));
    }
    tx.commit();
    return out;
}

} // namespace lg
