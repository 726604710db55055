// Targets: their scans, the names identities go by, saved connections.
#include "core/jsonutil.h"
#include "store/storedb.h"
#include <algorithm>

namespace lg {

using namespace storedb;

std::vector<LayerScore> Store::targetLayerScores(std::int64_t scanId, const std::string& target) const
{
    Stmt q(m_db, (std::string(kLayerColumns) + "scan_targets WHERE scan_id = ?1 AND target = ?2").c_str());
    q.bind(1, scanId).bind(2, target);
    return readLayerScores(q);
}

std::vector<LayerScore> Store::targetLayerScoresAt(
    std::int64_t scanId, const std::string& target, std::int64_t asOf) const
{
    std::vector<LayerScore> layers = targetLayerScores(scanId, target);
    moveToAsOf(layers, scanId, asOf, target);
    return layers;
}

std::optional<std::string> Store::targetNameFor(const std::string& identity) const
{
    Stmt q(m_db, "SELECT name FROM target_identities WHERE identity = ?1");
    q.bind(1, identity);
    if (q.step())
        return q.text(0);
    return std::nullopt;
}

void Store::rememberTargetName(const std::string& identity, const std::string& name, bool givenByUser)
{
    Stmt q(m_db,
        givenByUser ? "INSERT OR REPLACE INTO target_identities (identity, name) VALUES (?1, ?2)"
                    : "INSERT OR IGNORE INTO target_identities (identity, name) VALUES (?1, ?2)");
    q.bind(1, identity).bind(2, name).run();
}

std::map<std::string, std::string> Store::renamedTargets() const
{
    std::map<std::string, std::string> out;
    Stmt q(m_db, "SELECT substr(identity, ?2), name FROM target_identities WHERE substr(identity, 1, ?1) = ?3");
    q.bind(1, std::int64_t(kRenamedPrefix.size())).bind(2, std::int64_t(kRenamedPrefix.size() + 1));
    q.bind(3, std::string(kRenamedPrefix));
    while (q.step())
        out[q.text(0)] = q.text(1);
    return out;
}

std::vector<std::string> Store::scannedTargets() const
{
    std::vector<std::string> out;
    Stmt q(m_db, "SELECT DISTINCT target FROM scan_targets ORDER BY target");
    while (q.step())
        out.push_back(q.text(0));
    return out;
}

std::optional<std::int64_t> Store::latestScanOf(const std::string& target) const
{
    Stmt q(m_db, "SELECT max(scan_id) FROM scan_targets WHERE target = ?1");
    q.bind(1, target);
    if (q.step() && !q.isNull(0))
        return q.i64(0);
    return std::nullopt;
}

std::optional<std::int64_t> Store::previousScanOf(const std::string& target, std::int64_t scanId) const
{
    Stmt q(m_db, "SELECT max(scan_id) FROM scan_targets WHERE target = ?1 AND scan_id < ?2");
    q.bind(1, target).bind(2, scanId);
    if (q.step() && !q.isNull(0))
        return q.i64(0);
    return std::nullopt;
}

void Store::saveTarget(const SavedTarget& t)
{
    Stmt q(m_db,
        "INSERT INTO targets(name, kind, config, created_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, config = excluded.config");
    q.bind(1, t.name).bind(2, t.kind).bind(3, dumpJson(t.config)).bind(4, t.createdAt).run();
}

bool Store::removeTarget(const std::string& name)
{
    Stmt q(m_db, "DELETE FROM targets WHERE name = ?1");
    q.bind(1, name).run();
    return sqlite3_changes(m_db) > 0;
}

std::vector<SavedTarget> Store::targets() const
{
    std::vector<SavedTarget> out;
    Stmt q(m_db, "SELECT name, kind, config, created_at FROM targets ORDER BY name");
    while (q.step())
        out.push_back({ q.text(0), q.text(1), parseOr(q.text(2), nlohmann::json::object()), q.i64(3) });
    return out;
}

std::optional<SavedTarget> Store::target(const std::string& name) const
{
    Stmt q(m_db, "SELECT name, kind, config, created_at FROM targets WHERE name = ?1");
    q.bind(1, name);
    if (!q.step())
        return std::nullopt;
    return SavedTarget { q.text(0), q.text(1), parseOr(q.text(2), nlohmann::json::object()), q.i64(3) };
}

} // namespace lg
