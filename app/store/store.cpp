#include "store.h"
#include "jsonutil.h"

#include "scoring.h"

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

namespace {

/**
 * What an SQLite error means for the user, and the way out. Only an error in Layerguard's own SQL is a bug; a
 * damaged, foreign, read-only, locked or full cache says so.
 */
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

/** A finding's evidence or origin: by reference to scan_texts (revision 5), else its own column. */
std::string textOrRef(const std::string& column)
{
    return "coalesce((SELECT t.text FROM scan_texts t WHERE t.scan_id = f.scan_id AND t.id = f." + column + "_ref), f."
        + column + ")";
}

/**
 * "SELECT <a finding's columns> FROM ...": the rule's own text comes from scan_rules (r), the rest from
 * findings (f). `inStoredOrder` reads a scan's rows through the scan_id index, in their stored (display) order.
 */
/**
 * A finding's status: as the scan recorded it (asOf false), or as of the time bound to ?10 (asOf true): an
 * acceptance counts from the moment it was recorded until it expires or is revoked, whenever the scan ran.
 */
std::string statusSql(bool asOf)
{
    if (!asOf)
        return "f.status";
    return "(CASE WHEN f.status = 'exempted' THEN 'exempted' WHEN f.fid IN (SELECT a.fid FROM risk_acceptances a "
           "WHERE a.accepted_at <= ?10 AND (a.expires_at IS NULL OR a.expires_at > ?10) AND (a.revoked_at IS NULL "
           "OR a.revoked_at > ?10)) THEN 'accepted' ELSE 'open' END)";
}

/**
 * "SELECT <a finding's columns> FROM ...": the rule's own text comes from scan_rules (r), the rest from
 * findings (f). `inStoredOrder` reads a scan's rows through the scan_id index, in their stored (display) order;
 * `asOf` gives statuses as of the time bound to ?10 (see statusSql).
 */
std::string selectFindings(bool inStoredOrder = false, bool asOf = false)
{
    return std::string("SELECT f.fid, f.rule, r.title, f.layer, f.severity, ") + statusSql(asOf)
        + ", f.target, f.kind, f.namespace, f.name, f.container, f.message, " + textOrRef("evidence")
        + ", r.remediation, r.refs, r.frameworks, " + textOrRef("origin")
        + ", (SELECT t.text FROM scan_texts t WHERE t.scan_id = f.scan_id AND t.id = f.exemption_ref), f.scored"
          ", (SELECT fs.first_seen FROM finding_first_seen fs WHERE fs.fid = f.fid)"
        + " FROM findings f " + (inStoredOrder ? "INDEXED BY findings_scan " : "")
        + "JOIN scan_rules r ON r.scan_id = f.scan_id AND r.rule = f.rule";
}

Finding readFinding(const Stmt& q, int base = 0)
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

} // namespace

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
        // transaction, and with 8 times fewer pages its B-trees split and its WAL frames are written 8 times
        // less often (619,000 findings written in 4.7 s instead of 5.7 s). A cache that exists keeps
        // its page size: SQLite ignores this for it.
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

namespace {

/**
 * Dense rank (1-based, BINARY collation) of one text of each of n rows, text(i) giving row i's: the texts are
 * sorted whole, by a 16-byte prefix first, so most comparisons never read them.
 */
template <class Text> std::vector<std::uint32_t> denseRanks(std::size_t n, Text text)
{
    std::vector<std::uint32_t> of(n);
    struct Key {
        std::uint64_t a, b;
        std::uint32_t i;
    };
    std::vector<Key> keys(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::string_view v = text(i);
        keys[i] = { textPrefix(v), textPrefix(v, 8), i };
    }
    const auto less = [&](const Key& x, const Key& y) {
        if (x.a != y.a)
            return x.a < y.a;
        if (x.b != y.b)
            return x.b < y.b;
        return text(x.i) < text(y.i); // whole texts; "a" and "a\0" share a prefix
    };
    std::sort(keys.begin(), keys.end(), less);
    std::uint32_t rank = 0;
    for (std::size_t k = 0; k < n; ++k) {
        if (k == 0 || less(keys[k - 1], keys[k]))
            ++rank;
        of[keys[k].i] = rank;
    }
    return of;
}

/**
 * Dense rank (1-based, BINARY collation) of the pooled texts one field of the kept rows uses, by pool id
 * (0 for a text no kept row uses in that field). A field has few distinct values (rules, names), so this
 * sorts those, not the rows.
 */
std::vector<std::uint32_t> poolRanks(
    const FindingTable& t, const std::vector<bool>& replaced, std::uint32_t FindingTable::Row::*field)
{
    std::vector<std::uint32_t> rank;
    std::vector<std::uint32_t> used;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (replaced[i])
            continue;
        const std::uint32_t id = t.row(i).*field;
        if (id >= rank.size())
            rank.resize(std::max<std::size_t>(id + 1, rank.size() * 2));
        if (rank[id] == 0) {
            rank[id] = 1;
            used.push_back(id);
        }
    }
    std::sort(used.begin(), used.end(), [&](auto a, auto b) { return t.text(a) < t.text(b); });
    for (std::size_t k = 0; k < used.size(); ++k)
        rank[used[k]] = std::uint32_t(k + 1); // pool texts are distinct: each its own rank
    return rank;
}

/** How writeScan lays a scan's findings out (see 003_ and 004_ in resources/db). */
struct FindingLayout {
    std::vector<std::uint32_t> order; ///< rows kept, in display order
    std::vector<std::array<std::int64_t, 4>> ranks; ///< by position in `order`: rule, resource, target, message
    std::vector<std::uint32_t> byFid; ///< rows kept, in fingerprint order
};

/**
 * One finding per fingerprint (the last given wins), in the dashboard's default order (severity, layer,
 * rule, target, namespace, name, container, kind, fingerprint), with the dense ranks the table sorts by.
 * Every pooled text is ranked once per distinct value, so the sorts compare integers; the message ranks,
 * the costliest, are computed on a second thread meanwhile.
 */
FindingLayout layOut(const FindingTable& t)
{
    const std::size_t n = t.size();
    FindingLayout out;
    // std::async: its future waits for the thread however this function ends, and rethrows what it threw
    auto messages
        = std::async(std::launch::async, [&] { return denseRanks(n, [&](std::size_t i) { return t.message(i); }); });

    // Fingerprint order; of equal fingerprints only the last is kept.
    const std::vector<std::uint32_t> byFid = t.fingerprintOrder();
    std::vector<std::uint32_t> fidRank(n);
    std::vector<bool> replaced(n);
    out.byFid.reserve(n);
    for (std::size_t k = 0; k < n; ++k) {
        const std::uint32_t i = byFid[k];
        fidRank[i] = std::uint32_t(k);
        if (k + 1 < n && t.fid(byFid[k + 1]) == t.fid(i))
            replaced[i] = true;
        else
            out.byFid.push_back(i);
    }

    using Row = FindingTable::Row;
    const auto rule = poolRanks(t, replaced, &Row::rule);
    const auto target = poolRanks(t, replaced, &Row::target);
    const auto kind = poolRanks(t, replaced, &Row::kind);
    const auto ns = poolRanks(t, replaced, &Row::ns);
    const auto name = poolRanks(t, replaced, &Row::name);
    const auto container = poolRanks(t, replaced, &Row::container);
    std::array<std::uint64_t, kAllLayers.size()> layerOrder {}; // layers sort by name
    {
        std::array<Layer, kAllLayers.size()> byName = kAllLayers;
        std::sort(byName.begin(), byName.end(), [](Layer a, Layer b) { return toString(a) < toString(b); });
        for (std::size_t i = 0; i < byName.size(); ++i)
            layerOrder[std::size_t(byName[i])] = i;
    }
    struct Key {
        std::array<std::uint64_t, 4> k;
        std::uint32_t i;
    };
    std::vector<Key> keys;
    keys.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        if (replaced[i])
            continue;
        const Row& r = t.row(i);
        keys.push_back({ { (std::uint64_t(r.severity) << 61) | (layerOrder[std::size_t(r.layer)] << 58) | rule[r.rule],
                             (std::uint64_t(target[r.target]) << 32) | ns[r.ns],
                             (std::uint64_t(name[r.name]) << 32) | container[r.container],
                             (std::uint64_t(kind[r.kind]) << 32) | fidRank[i] },
            i });
    }
    std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return a.k < b.k; });
    out.order.resize(keys.size());
    out.ranks.resize(keys.size());
    for (std::size_t p = 0; p < keys.size(); ++p) {
        const Row& r = t.row(keys[p].i);
        out.order[p] = keys[p].i;
        out.ranks[p][0] = rule[r.rule];
        out.ranks[p][2] = target[r.target];
    }
    // Resource rank: dense over (kind, namespace, name, container).
    for (std::size_t p = 0; p < keys.size(); ++p) {
        const Row& r = t.row(out.order[p]);
        keys[p] = { { (std::uint64_t(kind[r.kind]) << 32) | ns[r.ns],
                        (std::uint64_t(name[r.name]) << 32) | container[r.container], 0, 0 },
            std::uint32_t(p) };
    }
    std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return a.k < b.k; });
    std::int64_t rank = 0;
    for (std::size_t p = 0; p < keys.size(); ++p) {
        if (p == 0 || keys[p - 1].k != keys[p].k)
            ++rank;
        out.ranks[keys[p].i][1] = rank;
    }
    // Message ranks over every row (a replaced row's message may share its text): dense again over the kept.
    const std::vector<std::uint32_t> messageRank = messages.get();
    {
        std::vector<std::uint32_t> used(n + 1);
        for (const std::uint32_t i : out.order)
            used[messageRank[i]] = 1;
        std::uint32_t dense = 0;
        for (auto& u : used)
            u = u ? ++dense : 0;
        for (std::size_t p = 0; p < out.order.size(); ++p)
            out.ranks[p][3] = used[messageRank[out.order[p]]];
    }
    return out;
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

    Stmt insLayer(m_db, "INSERT INTO scan_layers VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    for (const auto& [layer, t] : scan.tallies) {
        if (!t.scanned)
            continue;
        insLayer.bind(1, scanId).bind(2, toString(layer)).bind(3, std::int64_t(t.evaluated));
        insLayer.bind(4, std::int64_t(t.evaluatedWeight)).bindJudgement(5, t).run();
    }

    Stmt insTarget(m_db, "INSERT INTO scan_targets VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    for (const auto& [target, layers] : scan.targetTallies) {
        for (const auto& [layer, t] : layers) {
            if (!t.scanned)
                continue;
            insTarget.bind(1, scanId).bind(2, target).bind(3, toString(layer)).bind(4, std::int64_t(t.evaluated));
            insTarget.bind(5, std::int64_t(t.evaluatedWeight)).bindJudgement(6, t).run();
        }
    }

    Stmt insOutcome(m_db,
        "INSERT INTO rule_results (scan_id, rule, evaluated, failed, not_applicable, exempted, not_observed) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    for (const auto& [rule, o] : scan.outcomes) {
        insOutcome.bind(1, scanId).bind(2, rule).bind(3, std::int64_t(o.evaluated)).bind(4, std::int64_t(o.failed));
        insOutcome.bind(5, std::int64_t(o.notApplicable)).bind(6, std::int64_t(o.exempted));
        insOutcome.bind(7, std::int64_t(o.notObserved)).run();
    }

    Stmt insRes(m_db, "INSERT INTO resources VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    for (const auto& r : scan.resources) {
        insRes.bind(1, scanId).bind(2, r.target).bind(3, toString(r.layer)).bind(4, r.kind).bind(5, r.namespace_);
        insRes.bind(6, r.name).bind(7, r.origin).run();
    }

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

    // Rule text once per rule; the findings carry only what differs between them.
    Stmt insRule(m_db, "INSERT OR IGNORE INTO scan_rules VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
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
    // Evidence and origin repeat across findings (revision 5): each text once, the rows refer to it by its
    // number in the table's pool.
    {
        std::vector<bool> used(table.poolSize());
        for (const std::uint32_t i : layout.order) {
            used[table.row(i).evidence] = true;
            used[table.row(i).origin] = true;
            if (table.row(i).exemption != FindingTable::kNoText)
                used[table.row(i).exemption] = true;
        }
        Stmt insText(m_db, "INSERT INTO scan_texts VALUES (?1, ?2, ?3)");
        for (std::uint32_t id = 0; id < used.size(); ++id)
            if (used[id])
                insText.bind(1, scanId).bind(2, std::int64_t(id)).bindStatic(3, table.text(id)).run();
    }
    Stmt insFinding(m_db,
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
        rowOf[i] = sqlite3_last_insert_rowid(m_db);
    }
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

namespace {
// The columns scan_layers and scan_targets share, as layer scores in layer order.
constexpr const char* kLayerColumns = "SELECT layer, evaluated, evaluated_weight, failed_weight, accepted_weight, "
                                      "score, critical, high, medium, low, info FROM ";

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
} // namespace

std::vector<LayerScore> Store::layerScores(std::int64_t scanId) const
{
    Stmt q(m_db, (std::string(kLayerColumns) + "scan_layers WHERE scan_id = ?1").c_str());
    q.bind(1, scanId);
    return readLayerScores(q);
}

namespace {
constexpr const char* kScanColumns
    = "SELECT id, started_at, finished_at, tool_version, run_by, sources, resources, overall_score FROM scans";

ScanInfo readScan(const Stmt& q)
{
    ScanInfo s;
    s.id = q.i64(0);
    s.startedAt = q.i64(1);
    s.finishedAt = q.i64(2);
    s.toolVersion = q.text(3);
    s.runBy = q.text(4);
    s.sources = sourcesFromJson(q.text(5));
    s.resources = int(q.i64(6));
    if (!q.isNull(7))
        s.overallScore = int(q.i64(7));
    return s;
}
} // namespace

std::vector<ScanInfo> Store::scans() const
{
    std::vector<ScanInfo> out;
    Stmt q(m_db, (std::string(kScanColumns) + " ORDER BY id").c_str());
    while (q.step())
        out.push_back(readScan(q));
    for (auto& s : out)
        s.layers = layerScores(s.id);
    return out;
}

std::optional<ScanInfo> Store::scan(std::int64_t id) const
{
    Stmt q(m_db, (std::string(kScanColumns) + " WHERE id = ?1").c_str());
    q.bind(1, id);
    if (!q.step())
        return std::nullopt;
    ScanInfo s = readScan(q);
    s.layers = layerScores(s.id);
    return s;
}

std::optional<ScanInfo> Store::scanAt(std::int64_t id, std::int64_t asOf) const
{
    auto s = scan(id);
    if (!s || asOf == 0)
        return s;
    s->layers = layerScoresAt(id, asOf);
    std::map<Layer, LayerTally> tallies;
    for (const auto& ls : s->layers)
        tallies[ls.layer] = ls.tally;
    s->overallScore = overallScore(tallies);
    return s;
}

std::optional<std::int64_t> Store::latestScanId() const
{
    Stmt q(m_db, "SELECT max(id) FROM scans");
    if (q.step() && !q.isNull(0))
        return q.i64(0);
    return std::nullopt;
}

std::optional<std::int64_t> Store::previousScanId(std::int64_t id) const
{
    Stmt q(m_db, "SELECT max(id) FROM scans WHERE id < ?1");
    q.bind(1, id);
    if (q.step() && !q.isNull(0))
        return q.i64(0);
    return std::nullopt;
}

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
    std::string key;
    switch (query.sort) {
    case FindingSort::Severity:
        key = "f.severity";
        break;
    case FindingSort::Rule:
        key = "f.rank_rule";
        break;
    case FindingSort::Resource:
        key = "f.rank_resource";
        break;
    case FindingSort::Target:
        key = "f.rank_target";
        break;
    case FindingSort::Status:
        key = statusSql(filter.asOf != 0) + " = 'open'"; // accepted and exempted first
        break;
    case FindingSort::Message:
        key = "f.rank_message";
        break;
    case FindingSort::Age: // by first sighting: the oldest first
        key = "(SELECT fs.first_seen FROM finding_first_seen fs WHERE fs.fid = f.fid)";
        break;
    }
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

std::map<std::string, std::string> Store::lastOrigins(const std::string& target, const std::string& kind) const
{
    Stmt q(m_db,
        "SELECT name, origin FROM resources WHERE target = ?1 AND kind = ?2 AND scan_id = "
        "(SELECT MAX(scan_id) FROM resources WHERE target = ?1 AND kind = ?2)");
    q.bind(1, target).bind(2, kind);
    std::map<std::string, std::string> out;
    while (q.step())
        out[q.text(0)] = q.text(1);
    return out;
}

std::map<std::string, RuleOutcome> Store::ruleOutcomes(std::int64_t scanId) const
{
    std::map<std::string, RuleOutcome> out;
    Stmt q(m_db,
        "SELECT rule, evaluated, failed, not_applicable, exempted, not_observed FROM rule_results WHERE scan_id = ?1");
    q.bind(1, scanId);
    while (q.step())
        out[q.text(0)] = { int(q.i64(1)), int(q.i64(2)), int(q.i64(3)), int(q.i64(4)), int(q.i64(5)) };
    return out;
}

ScanDiff Store::diff(std::int64_t scanA, std::int64_t scanB) const
{
    ScanDiff d;
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
        if (!idsB.count(f.id)) {
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
    const auto side = [&](std::int64_t x, std::int64_t y, int& count, std::vector<Finding>& first) {
        constexpr const char* kNotIn = " WHERE f.scan_id = ?1 AND NOT EXISTS (SELECT 1 FROM finding_fids o WHERE "
                                       "o.scan_id = ?2 AND o.fid = f.fid)";
        if (target.empty()) {
            // the count reads the narrow fingerprint table only; the first rows come from findings
            Stmt c(m_db, (std::string("SELECT count(*) FROM finding_fids f") + kNotIn).c_str());
            c.bind(1, x).bind(2, y);
            count = c.step() ? int(c.i64(0)) : 0;
        } else {
            Stmt c(m_db, (std::string("SELECT count(*) FROM findings f") + kNotIn + " AND f.target = ?4").c_str());
            c.bind(1, x).bind(2, y).bind(4, target);
            count = c.step() ? int(c.i64(0)) : 0;
        }
        Stmt q(m_db,
            (selectFindings(true) + kNotIn + (target.empty() ? "" : " AND f.target = ?4")
                + " ORDER BY f.rowid LIMIT ?3")
                .c_str());
        q.bind(1, x).bind(2, y).bind(3, std::int64_t(limit));
        if (!target.empty())
            q.bind(4, target);
        while (q.step())
            first.push_back(readFinding(q));
    };
    side(scanB, scanA, d.added, d.addedFirst);
    side(scanA, scanB, d.resolved, d.resolvedFirst);
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
