#pragma once
// The cache's SQLite plumbing, shared by the store's parts (store_*.cpp); nothing outside app/store includes it.

#include "core/scoring.h"
#include "store/store.h"

#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include <QString>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lg::storedb {

/**
 * What an SQLite error means for the user, and the way out. Only an error in Layerguard's own SQL is a bug; a
 * damaged, foreign, read-only, locked or full cache says so.
 */
StoreError sqliteError(int code, const std::string& message, const std::string& path);

/** RAII prepared statement. */
class Stmt {
public:
    Stmt(sqlite3* db, const char* sql)
        : m_db(db)
    {
        if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr) != SQLITE_OK)
            throw sqliteError(sqlite3_extended_errcode(db), sqlite3_errmsg(db), {});
    }
    ~Stmt() { sqlite3_finalize(m_stmt); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    Stmt& bind(int i, std::int64_t v)
    {
        sqlite3_bind_int64(m_stmt, i, v);
        return *this;
    }
    Stmt& bind(int i, const std::string& v)
    {
        sqlite3_bind_text(m_stmt, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Stmt& bind(int i, std::string_view v)
    {
        sqlite3_bind_text(m_stmt, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    /** Binds text that stays alive and unchanged until the next run() or reset(): SQLite does not copy it. */
    Stmt& bindStatic(int i, std::string_view v)
    {
        sqlite3_bind_text(m_stmt, i, v.data(), int(v.size()), SQLITE_STATIC);
        return *this;
    }
    Stmt& bindNull(int i)
    {
        sqlite3_bind_null(m_stmt, i);
        return *this;
    }
    Stmt& bind(int i, std::optional<int> v)
    {
        if (v)
            return bind(i, std::int64_t(*v));
        return bindNull(i);
    }
    /** The judged part of a layer tally: failed weight, accepted weight, score, open counts (8 columns). */
    Stmt& bindJudgement(int first, const LayerTally& t)
    {
        bind(first, std::int64_t(t.failedWeight)).bind(first + 1, std::int64_t(t.acceptedWeight));
        bind(first + 2, layerScore(t));
        for (int i = 0; i < 5; ++i)
            bind(first + 3 + i, std::int64_t(t.openBySeverity[std::size_t(i)]));
        return *this;
    }
    /** Steps once; true when a row is available. Throws on error. */
    bool step()
    {
        const int rc = sqlite3_step(m_stmt);
        if (rc == SQLITE_ROW)
            return true;
        if (rc == SQLITE_DONE)
            return false;
        const int ext = sqlite3_extended_errcode(m_db);
        const std::string msg = sqlite3_errmsg(m_db);
        if (rc == SQLITE_FULL)
            throw StoreError(StoreError::Kind::Full, "the cache is full: " + msg,
                "free disk space or lower the retention (layerguard cache retention N)");
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            throw StoreError(StoreError::Kind::Locked, "the cache is busy: " + msg,
                "another Layerguard is writing; try again when it has finished");
        throw sqliteError(ext, msg, {});
    }
    void run()
    {
        step();
        reset();
    }
    void reset()
    {
        sqlite3_reset(m_stmt);
        sqlite3_clear_bindings(m_stmt);
    }
    [[nodiscard]] std::int64_t i64(int col) const { return sqlite3_column_int64(m_stmt, col); }
    [[nodiscard]] sqlite3_stmt* handle() const { return m_stmt; }
    [[nodiscard]] bool isNull(int col) const { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }
    [[nodiscard]] std::string text(int col) const
    {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
        return p ? std::string(p, std::size_t(sqlite3_column_bytes(m_stmt, col))) : std::string();
    }

private:
    sqlite3* m_db;
    sqlite3_stmt* m_stmt = nullptr;
};

/** RAII transaction: rolls back unless commit() was called. */
class Transaction {
public:
    explicit Transaction(sqlite3* db)
        : m_db(db)
    {
        Stmt(db, "BEGIN IMMEDIATE").step();
    }
    ~Transaction()
    {
        if (!m_done)
            sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit()
    {
        Stmt(m_db, "COMMIT").step();
        m_done = true;
    }

private:
    sqlite3* m_db;
    bool m_done = false;
};

nlohmann::json sourcesToJson(const std::vector<SourceStatus>& sources);
std::vector<SourceStatus> sourcesFromJson(const std::string& text);
nlohmann::json parseOr(const std::string& text, nlohmann::json fallback);
/** A finding's evidence or origin: by reference to scan_texts (revision 5), else its own column. */
std::string textOrRef(const std::string& column);
/**
 * A finding's status: as the scan recorded it (asOf false), or as of the time bound to ?10 (asOf true): an
 * acceptance counts from the moment it was recorded until it expires or is revoked, whenever the scan ran.
 */
std::string statusSql(bool asOf);
/**
 * "SELECT <a finding's columns> FROM ...": the rule's own text comes from scan_rules (r), the rest from
 * findings (f). `inStoredOrder` reads a scan's rows through the scan_id index, in their stored (display) order;
 * `asOf` gives statuses as of the time bound to ?10 (see statusSql).
 */
std::string selectFindings(bool inStoredOrder = false, bool asOf = false);
Finding readFinding(const Stmt& q, int base = 0);
/** A built-in resource (a migration) by its Qt resource path. */
std::string readResource(const QString& path);

constexpr const char* kLayerColumns = "SELECT layer, evaluated, evaluated_weight, failed_weight, accepted_weight, "
                                      "score, critical, high, medium, low, info FROM ";
std::vector<LayerScore> readLayerScores(Stmt& q);

} // namespace lg::storedb
