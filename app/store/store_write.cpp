// Writing one scan, in one transaction.
#include "core/jsonutil.h"
#include "store/findinglayout.h"
#include "store/storedb.h"
#include <algorithm>
#include <unordered_map>

namespace lg {

using namespace storedb;

namespace {

/** Each scanned layer's judgement, for the scan and per target. */
void writeTallies(sqlite3* db, std::int64_t scanId, const ScanRecord& scan)
{
    Stmt insLayer(db, "INSERT INTO scan_layers VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    for (const auto& [layer, t] : scan.tallies) {
        if (!t.scanned)
            continue;
        insLayer.bind(1, scanId).bind(2, toString(layer)).bind(3, std::int64_t(t.evaluated));
        insLayer.bind(4, std::int64_t(t.evaluatedWeight)).bindJudgement(5, t).run();
    }

    Stmt insTarget(db, "INSERT INTO scan_targets VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    for (const auto& [target, layers] : scan.targetTallies) {
        for (const auto& [layer, t] : layers) {
            if (!t.scanned)
                continue;
            insTarget.bind(1, scanId).bind(2, target).bind(3, toString(layer)).bind(4, std::int64_t(t.evaluated));
            insTarget.bind(5, std::int64_t(t.evaluatedWeight)).bindJudgement(6, t).run();
        }
    }
}

/** Per rule what it evaluated, and the identity of every resource the scan saw. */
void writeOutcomes(sqlite3* db, std::int64_t scanId, const ScanRecord& scan)
{
    Stmt insOutcome(db,
        "INSERT INTO rule_results (scan_id, rule, evaluated, failed, not_applicable, exempted, not_observed) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    for (const auto& [rule, o] : scan.outcomes) {
        insOutcome.bind(1, scanId).bind(2, rule).bind(3, std::int64_t(o.evaluated)).bind(4, std::int64_t(o.failed));
        insOutcome.bind(5, std::int64_t(o.notApplicable)).bind(6, std::int64_t(o.exempted));
        insOutcome.bind(7, std::int64_t(o.notObserved)).run();
    }

    Stmt insRes(db, "INSERT INTO resources VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    for (const auto& r : scan.resources) {
        insRes.bind(1, scanId).bind(2, r.target).bind(3, toString(r.layer)).bind(4, r.kind).bind(5, r.namespace_);
        insRes.bind(6, r.name).bind(7, r.origin).run();
    }
}

void writeRules(
    sqlite3* db, std::int64_t scanId, const ScanRecord& scan, const FindingTable& table, const FindingLayout& layout)
{
    // Rule text once per rule; the findings carry only what differs between them.
    Stmt insRule(db, "INSERT OR IGNORE INTO scan_rules VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    std::set<std::uint32_t> rulesWritten;
    for (const std::uint32_t i : layout.byFid) {
        const std::uint32_t ruleId = table.row(i).rule;
        if (!rulesWritten.insert(ruleId).second)
            continue;
        const std::string ruleName(table.text(ruleId));
        const FindingTable::RuleText& text = table.ruleText(ruleId);
        const auto it = scan.rules.find(ruleName);
        const Rule* rule = it == scan.rules.end() ? nullptr : it->second;
        const auto& remediation = rule ? rule->remediation : text.remediation;
        nlohmann::json steps = nlohmann::json::array();
        for (const auto& st : remediation) {
            nlohmann::json s = { { "step", st.text } };
            if (!st.snippet.empty())
                s["snippet"] = st.snippet;
            steps.push_back(std::move(s));
        }
        insRule.bind(1, scanId).bind(2, ruleName).bind(3, text.title).bind(4, dumpJson(steps));
        insRule.bind(5, dumpJson(rule ? rule->references : text.references));
        insRule.bind(6, dumpJson(rule ? rule->frameworks : text.frameworks)).run();
    }
}

void writeTexts(sqlite3* db, std::int64_t scanId, const FindingTable& table, const FindingLayout& layout)
{
    // Evidence and origin repeat across findings (revision 5): each text once, the rows refer to it by its
    // number in the table's pool.
    std::vector<bool> used(table.poolSize());
    for (const std::uint32_t i : layout.order) {
        used[table.row(i).evidence] = true;
        used[table.row(i).origin] = true;
        if (table.row(i).exemption != FindingTable::kNoText)
            used[table.row(i).exemption] = true;
    }
    Stmt insText(db, "INSERT INTO scan_texts VALUES (?1, ?2, ?3)");
    for (std::uint32_t id = 0; id < used.size(); ++id)
        if (used[id])
            insText.bind(1, scanId).bind(2, std::int64_t(id)).bindStatic(3, table.text(id)).run();
}

/** The findings in the layout's order; returns the row id of each, by its index in the table. */
std::vector<std::int64_t> writeFindings(
    sqlite3* db, std::int64_t scanId, const FindingTable& table, const FindingLayout& layout)
{
    Stmt insFinding(db,
        "INSERT INTO findings (scan_id, fid, rule, layer, severity, status, target, kind, namespace, name, container, "
        "message, evidence, origin, rank_rule, rank_resource, rank_target, rank_message, evidence_ref, origin_ref, "
        "exemption_ref, scored) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, '', '', ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)");
    std::vector<std::int64_t> rowOf(table.size());
    for (std::size_t n = 0; n < layout.order.size(); ++n) {
        const std::uint32_t i = layout.order[n];
        const FindingTable::Row& r = table.row(i);
        insFinding.bind(1, scanId).bindStatic(2, table.fid(i)).bindStatic(3, table.text(r.rule));
        insFinding.bindStatic(4, toString(r.layer)).bind(5, std::int64_t(r.severity));
        insFinding.bindStatic(6, toString(r.status)).bindStatic(7, table.text(r.target));
        insFinding.bindStatic(8, table.text(r.kind)).bindStatic(9, table.text(r.ns)).bindStatic(10, table.text(r.name));
        insFinding.bindStatic(11, table.text(r.container)).bindStatic(12, table.message(i));
        for (std::size_t k = 0; k < 4; ++k)
            insFinding.bind(13 + int(k), layout.ranks[n][k]);
        insFinding.bind(17, std::int64_t(r.evidence)).bind(18, std::int64_t(r.origin));
        if (r.exemption != FindingTable::kNoText)
            insFinding.bind(19, std::int64_t(r.exemption));
        else
            insFinding.bindNull(19);
        insFinding.bind(20, std::int64_t(r.scored ? 1 : 0));
        insFinding.run();
        rowOf[i] = sqlite3_last_insert_rowid(db);
    }
    return rowOf;
}

} // namespace

std::int64_t Store::writeScan(const ScanRecord& scan)
{
    Transaction tx(m_db);
    Stmt insScan(m_db,
        "INSERT INTO scans(started_at, finished_at, tool_version, run_by, sources, resources, overall_score) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    insScan.bind(1, scan.startedAt).bind(2, scan.finishedAt).bind(3, scan.toolVersion).bind(4, scan.runBy);
    insScan.bind(5, dumpJson(sourcesToJson(scan.sources))).bind(6, std::int64_t(scan.resources.size()));
    insScan.bind(7, overallScore(scan.tallies)).run();
    const std::int64_t scanId = sqlite3_last_insert_rowid(m_db);

    writeTallies(m_db, scanId, scan);
    writeOutcomes(m_db, scanId, scan);

    // The findings in compact form (a scan's are already; those given as Finding objects are pooled here).
    FindingTable given;
    if (scan.table.empty() && !scan.findings.empty())
        for (const auto& f : scan.findings)
            given.append(f);
    const FindingTable& table = scan.table.empty() ? given : scan.table;

    // One finding per fingerprint (the scanner already merged copies; here the last in the record is kept), in
    // the dashboard's default order: row ids then follow it, so the default view of a million findings is a
    // sequential read, and every other sort keeps it for ties. Plain INSERTs: INSERT OR REPLACE over unique
    // indexes made SQLite copy every page each row changed into a statement journal on disk first.
    const FindingLayout layout = layOut(table);

    writeRules(m_db, scanId, scan, table, layout);
    writeTexts(m_db, scanId, table, layout);
    const std::vector<std::int64_t> rowOf = writeFindings(m_db, scanId, table, layout);
    Stmt insFid(m_db, "INSERT INTO finding_fids VALUES (?1, ?2, ?3)");
    for (const std::uint32_t i : layout.byFid)
        insFid.bind(1, scanId).bindStatic(2, table.fid(i)).bind(3, rowOf[i]).run();
    {
        // a fingerprint seen for the first time starts its age now; one seen before keeps its first sighting
        Stmt first(m_db,
            "INSERT OR IGNORE INTO finding_first_seen (fid, first_seen, first_scan) SELECT fid, ?2, ?1 FROM "
            "finding_fids WHERE scan_id = ?1");
        first.bind(1, scanId).bind(2, scan.finishedAt).run();
    }
    {
        Stmt count(m_db, "UPDATE scans SET findings = ?2 WHERE id = ?1");
        count.bind(1, scanId).bind(2, std::int64_t(layout.order.size())).run();
    }
    applyRetention();
    tx.commit();
    return scanId;
}

} // namespace lg
