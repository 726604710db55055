#include "store/storedb.h"

#include <QFile>

#include <algorithm>

namespace lg::storedb {

StoreError sqliteError(int code, const std::string& message, const std::string& path)
{
    const int primary = code & 0xff;
    const std::string cache = path.empty() ? std::string("the cache") : "the cache " + path;
    const bool foreign = message.find("no such table") != std::string::npos
        || message.find("no such column") != std::string::npos || message.find("malformed") != std::string::npos;
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB || foreign)
        return StoreError(StoreError::Kind::Corrupt, cache + " is damaged (" + message + ")",
            "`layerguard cache reset` moves it aside (kept as a backup) and starts a new one");
    if (primary == SQLITE_READONLY || primary == SQLITE_PERM || primary == SQLITE_AUTH || primary == SQLITE_CANTOPEN)
        return StoreError(StoreError::Kind::Io, cache + " cannot be written (" + message + ")",
            "Layerguard writes its cache even to read it (SQLite's WAL): make the file and its folder writable, or "
            "pick another with --db");
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        return StoreError(StoreError::Kind::Locked, cache + " is busy (" + message + ")",
            "another Layerguard is using it; try again when it has finished");
    if (primary == SQLITE_FULL)
        return StoreError(StoreError::Kind::Full, cache + " is full (" + message + ")", "free disk space");
    if (primary == SQLITE_IOERR)
        return StoreError(StoreError::Kind::Io, cache + " could not be read or written (" + message + ")",
            "check the disk and the file; `layerguard cache check` says whether the cache is whole");
    return StoreError(
        StoreError::Kind::Io, "cache query failed: " + message, "this is a bug in Layerguard; please report it");
}

nlohmann::json sourcesToJson(const std::vector<SourceStatus>& sources)
{
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& s : sources) {
        arr.push_back({ { "target", s.target }, { "kind", s.kind }, { "location", s.location }, { "ok", s.ok },
            { "error", s.error }, { "hint", s.hint } });
    }
    return arr;
}

std::vector<SourceStatus> sourcesFromJson(const std::string& text)
{
    std::vector<SourceStatus> out;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_array())
        return out;
    for (const auto& s : j) {
        out.push_back(
            { s.value("target", std::string()), s.value("kind", std::string()), s.value("location", std::string()),
                s.value("ok", true), s.value("error", std::string()), s.value("hint", std::string()) });
    }
    return out;
}

nlohmann::json parseOr(const std::string& text, nlohmann::json fallback)
{
    auto j = nlohmann::json::parse(text, nullptr, false);
    return j.is_discarded() ? fallback : j;
}

std::string textOrRef(const std::string& column)
{
    return "coalesce((SELECT t.text FROM scan_texts t WHERE t.scan_id = f.scan_id AND t.id = f." + column + "_ref), f."
        + column + ")";
}

std::string statusSql(bool asOf)
{
    if (!asOf)
        return "f.status";
    return "(CASE WHEN f.status = 'exempted' THEN 'exempted' WHEN f.fid IN (SELECT a.fid FROM risk_acceptances a "
           "WHERE a.accepted_at <= ?10 AND (a.expires_at IS NULL OR a.expires_at > ?10) AND (a.revoked_at IS NULL "
           "OR a.revoked_at > ?10)) THEN 'accepted' ELSE 'open' END)";
}

std::string selectFindings(bool inStoredOrder, bool asOf)
{
    return std::string("SELECT f.fid, f.rule, r.title, f.layer, f.severity, ") + statusSql(asOf)
        + ", f.target, f.kind, f.namespace, f.name, f.container, f.message, " + textOrRef("evidence")
        + ", r.remediation, r.refs, r.frameworks, " + textOrRef("origin")
        + ", (SELECT t.text FROM scan_texts t WHERE t.scan_id = f.scan_id AND t.id = f.exemption_ref), f.scored"
          ", (SELECT fs.first_seen FROM finding_first_seen fs WHERE fs.fid = f.fid)"
        + " FROM findings f " + (inStoredOrder ? "INDEXED BY findings_scan " : "")
        + "JOIN scan_rules r ON r.scan_id = f.scan_id AND r.rule = f.rule";
}

Finding readFinding(const Stmt& q, int base)
{
    Finding f;
    f.id = q.text(base + 0);
    f.rule = q.text(base + 1);
    f.title = q.text(base + 2);
    f.layer = layerFromString(q.text(base + 3)).value_or(Layer::Orchestrator);
    f.severity = static_cast<Severity>(std::clamp<std::int64_t>(q.i64(base + 4), 0, 4));
    f.status = statusFromString(q.text(base + 5)).value_or(FindingStatus::Open);
    f.subject = { q.text(base + 6), q.text(base + 7), q.text(base + 8), q.text(base + 9), q.text(base + 10) };
    f.message = q.text(base + 11);
    f.evidence = evidenceFromJson(q.text(base + 12));
    for (const auto& s : parseOr(q.text(base + 13), nlohmann::json::array()))
        f.remediation.push_back({ s.value("step", std::string()), s.value("snippet", std::string()) });
    f.references = parseOr(q.text(base + 14), nlohmann::json::array()).get<std::vector<std::string>>();
    f.frameworks = parseOr(q.text(base + 15), nlohmann::json::array()).get<std::vector<std::string>>();
    f.origin = q.text(base + 16);
    if (!q.isNull(base + 17))
        f.exemption = exemptionFromJson(q.text(base + 17));
    f.scored = q.i64(base + 18) != 0;
    f.firstSeen = q.isNull(base + 19) ? 0 : q.i64(base + 19);
    return f;
}

std::string readResource(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        throw StoreError(StoreError::Kind::Io, "missing built-in resource " + path.toStdString(),
            "the Layerguard build is incomplete; rebuild it");
    return f.readAll().toStdString();
}

std::vector<LayerScore> readLayerScores(Stmt& q)
{
    std::vector<LayerScore> out;
    while (q.step()) {
        LayerScore ls;
        ls.layer = layerFromString(q.text(0)).value_or(Layer::Orchestrator);
        ls.tally.scanned = true;
        ls.tally.evaluated = int(q.i64(1));
        ls.tally.evaluatedWeight = long(q.i64(2));
        ls.tally.failedWeight = long(q.i64(3));
        ls.tally.acceptedWeight = long(q.i64(4));
        if (!q.isNull(5))
            ls.score = int(q.i64(5));
        for (int i = 0; i < 5; ++i)
            ls.tally.openBySeverity[std::size_t(i)] = int(q.i64(6 + i));
        out.push_back(ls);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.layer < b.layer; });
    return out;
}

} // namespace lg::storedb
