#include "core/jsonutil.h"
#include "store/storedb.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <future>
#include <set>
#include <thread>
#include <unordered_map>

namespace lg {

using namespace storedb;

Store::Store(const std::string& path, OpenMode mode)
    : m_path(path)
{
    const QFileInfo info(QString::fromStdString(path));
    if (mode == OpenMode::Existing && !info.exists())
        throw StoreError(
            StoreError::Kind::Io, "no cache at " + path, "run `layerguard scan` first, or name the cache with --db");
    // A cache cut to nothing has lost its scans: never taken for a new, empty one.
    if (info.exists() && info.isFile() && info.size() == 0)
        throw StoreError(StoreError::Kind::Corrupt, "the cache " + path + " is empty (0 bytes): its scans are gone",
            "`layerguard cache reset` keeps the empty file as a backup and starts a new cache; restore it from a "
            "backup if you have one");
    if (info.exists() && !info.isWritable())
        throw sqliteError(SQLITE_READONLY, "the file is read-only", path);
    if (mode == OpenMode::Create)
        QDir().mkpath(info.absolutePath());
    // NOMUTEX: a Store is used by one thread at a time, so SQLite's per-call locking would only cost time
    const int rc = sqlite3_open_v2(
        path.c_str(), &m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        const std::string msg = m_db ? sqlite3_errmsg(m_db) : "out of memory";
        sqlite3_close(m_db);
        m_db = nullptr;
        throw StoreError(StoreError::Kind::Io, "cannot open the cache " + path + ": " + msg,
            "check that the folder exists and is writable, or choose another file with --db");
    }
    sqlite3_extended_result_codes(m_db, 1);
    sqlite3_busy_timeout(m_db, 5000);
    try {
        // A new cache gets 32 KiB pages (SQLite's default is 4 KiB): a scan writes hundreds of MB in one
        // transaction, and fewer pages split and log less (README, "Benchmarks"). An existing cache keeps its own.
        exec("PRAGMA page_size = 32768");
        // A file that is not a database fails here with SQLITE_NOTADB.
        exec("PRAGMA foreign_keys = ON");
        {
            Stmt q(m_db, "PRAGMA quick_check");
            std::string result;
            while (q.step()) {
                if (!result.empty())
                    result += "; ";
                result += q.text(0);
            }
            if (result != "ok")
                throw StoreError(StoreError::Kind::Corrupt, "the cache " + path + " is damaged: " + result,
                    "run `layerguard cache reset` to move it aside and start a new one");
        }
        exec("PRAGMA journal_mode = WAL");
        exec("PRAGMA synchronous = NORMAL");
        exec("PRAGMA cache_size = -65536"); // up to 64 MiB of pages: a large scan is written without re-reading the
                                            // B-trees
        migrate();
    } catch (const StoreError& e) {
        sqlite3_close(m_db);
        m_db = nullptr;
        if (e.kind() == StoreError::Kind::Corrupt || e.kind() == StoreError::Kind::TooNew)
            throw;
        if (std::string(e.what()).find("not a database") != std::string::npos)
            throw StoreError(StoreError::Kind::Corrupt, "the cache " + path + " is not a Layerguard database",
                "run `layerguard cache reset` to move it aside and start a new one, or pick "
                "another file with --db");
        throw;
    }
}

std::unique_ptr<Store> Store::openReader(const std::string& path)
{
    std::unique_ptr<Store> s(new Store);
    s->m_path = path;
    if (sqlite3_open_v2(path.c_str(), &s->m_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
        const std::string msg = s->m_db ? sqlite3_errmsg(s->m_db) : "out of memory";
        throw StoreError(StoreError::Kind::Io, "cannot read the cache " + path + ": " + msg,
            "check that the file still exists and is readable");
    }
    sqlite3_extended_result_codes(s->m_db, 1);
    sqlite3_busy_timeout(s->m_db, 5000);
    s->exec("PRAGMA temp_store = MEMORY");
    s->exec("PRAGMA cache_size = -16384"); // 16 MiB: several readers share the OS page cache anyway
    return s;
}

void Store::setInterruptFlag(const std::atomic<bool>* flag)
{
    if (!flag) {
        sqlite3_progress_handler(m_db, 0, nullptr, nullptr);
        return;
    }
    sqlite3_progress_handler(
        m_db, 20000,
        [](void* p) -> int {
            return static_cast<const std::atomic<bool>*>(p)->load(std::memory_order_relaxed) ? 1 : 0;
        },
        const_cast<std::atomic<bool>*>(flag));
}

Store::~Store()
{
    if (m_db)
        sqlite3_close(m_db);
}

StoreError Store::error(const std::string& what) const
{
    return StoreError(StoreError::Kind::Io, what + ": " + sqlite3_errmsg(m_db), "check the cache file");
}

void Store::exec(const char* sql) const
{
    char* err = nullptr;
    const int rc = sqlite3_exec(m_db, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        throw sqliteError(rc, msg, m_path);
    }
}

int Store::schemaVersion() const
{
    Stmt q(m_db, "PRAGMA user_version");
    return q.step() ? int(q.i64(0)) : 0;
}

std::int64_t Store::dataVersion() const
{
    Stmt q(m_db, "PRAGMA data_version");
    return q.step() ? q.i64(0) : 0;
}

void Store::migrate()
{
    QDirIterator it(QStringLiteral(":/db"), { QStringLiteral("*.sql") }, QDir::Files);
    std::vector<QString> files;
    while (it.hasNext())
        files.push_back(it.next());
    std::sort(files.begin(), files.end());
    const int current = schemaVersion();
    const int latest = int(files.size());
    if (current > latest)
        throw StoreError(StoreError::Kind::TooNew,
            "the cache " + m_path + " was written by a newer Layerguard (schema " + std::to_string(current)
                + ", this one knows " + std::to_string(latest) + ")",
            "update Layerguard, or use another cache with --db");
    for (int v = current; v < latest; ++v) {
        const std::string sql = readResource(files[std::size_t(v)]);
        Transaction tx(m_db);
        exec(sql.c_str());
        exec(("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
        tx.commit();
    }
}

void Store::applyRetention()
{
    const int keep = retention();
    if (keep <= 0)
        return;
    Stmt del(m_db, "DELETE FROM scans WHERE id NOT IN (SELECT id FROM scans ORDER BY id DESC LIMIT ?1)");
    del.bind(1, std::int64_t(keep)).run();
}

void Store::setRetention(int scans)
{
    Stmt q(m_db, "INSERT OR REPLACE INTO settings(key, value) VALUES ('retention_scans', ?1)");
    q.bind(1, std::to_string(std::max(0, scans))).run();
}

int Store::retention() const
{
    Stmt q(m_db, "SELECT value FROM settings WHERE key = 'retention_scans'");
    return q.step() ? std::atoi(q.text(0).c_str()) : 0;
}

std::string Store::integrityCheck() const
{
    Stmt q(m_db, "PRAGMA integrity_check");
    std::string result;
    while (q.step()) {
        if (!result.empty())
            result += "; ";
        result += q.text(0);
    }
    return result;
}

std::string defaultCachePath()
{
    if (const char* env = std::getenv("LAYERGUARD_DB"); env && *env)
        return env;
    QString dir = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    if (dir.isEmpty())
        dir = QDir::homePath() + QStringLiteral("/.local/share");
    return QString(dir + QStringLiteral("/layerguard/cache.sqlite")).toStdString();
}

std::string moveAsideDamagedCache(const std::string& path)
{
    const QString from = QString::fromStdString(path);
    const QString to = from + QStringLiteral(".damaged-")
        + QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    if (QFile::exists(from) && !QFile::rename(from, to))
        throw StoreError(StoreError::Kind::Io, "cannot move " + path + " aside", "move or delete the file by hand");
    for (const char* suffix : { "-wal", "-shm" }) {
        const QString side = from + QLatin1String(suffix);
        if (QFile::exists(side))
            QFile::rename(side, to + QLatin1String(suffix));
    }
    return to.toStdString();
}

} // namespace lg
