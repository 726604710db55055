// The SQLite cache: opening, one transaction per scan, damage detection, limits; the helpers the other files of
// this test share (tst_store.h lists them).
#include "tst_store.h"

#include "core/scoring.h"

#include <QFile>
#include <QTest>

#include "testsupport.h"

#include <algorithm>
#include <map>
#include <tuple>

using namespace lg;

void TestStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_path = m_dir->filePath(QStringLiteral("cache.sqlite"));
}

ScanRecord TestStore::record(const std::vector<std::string>& names)
{
    ScanRecord r;
    r.startedAt = 1000;
    r.finishedAt = 1001;
    r.toolVersion = "test";
    r.tallies[Layer::Orchestrator].scanned = true;
    r.tallies[Layer::Orchestrator].evaluated = 10;
    r.tallies[Layer::Orchestrator].evaluatedWeight = 60;
    for (const auto& n : names) {
        Finding f;
        f.rule = "LG-PSS-PRIVILEGED";
        f.title = "Privileged container";
        f.layer = Layer::Orchestrator;
        f.severity = Severity::High;
        f.subject = { "t", "Pod", "ns", n, "c" };
        f.id = fingerprint(f.rule, f.subject);
        f.message = "privileged " + n;
        f.evidence.push_back({ "spec.containers[0].securityContext.privileged", true });
        f.remediation.push_back({ "Set privileged to false", "privileged: false" });
        f.references = { "KSV-0017" };
        r.findings.push_back(f);
        Resource res;
        res.kind = "Pod";
        res.name = n;
        res.target = "t";
        r.resources.push_back(res);
    }
    tallyFindings(r.tallies, r.findings);
    r.outcomes["LG-PSS-PRIVILEGED"] = { 10, int(names.size()), 0, 0 };
    return r;
}

QByteArray pragma(sqlite3* db, const char* name)
{
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, (std::string("PRAGMA ") + name).c_str(), -1, &st, nullptr);
    QByteArray value;
    if (sqlite3_step(st) == SQLITE_ROW)
        value = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return value;
}

ScanRecord scrambled(int n, bool distinct)
{
    ScanRecord r;
    r.startedAt = 2000;
    r.finishedAt = 2001;
    r.toolVersion = "test";
    for (int i = 0; i < n; ++i) {
        const int k = (i * 37) % n;
        Finding f;
        f.rule = "LG-R" + std::to_string(k % 7);
        f.title = k % 7 == 3 ? "Needle title" : "Rule " + std::to_string(k % 7);
        f.layer = kAllLayers[std::size_t(k % 5)];
        f.severity = Severity(k % 4);
        f.status = k % 11 == 0 ? FindingStatus::Accepted : FindingStatus::Open;
        f.subject = { "target-" + std::to_string(k % 3), k % 2 ? "Pod" : "Deployment", "ns" + std::to_string(k % 4),
            "n" + std::to_string(k % 9), "" };
        if (distinct) {
            f.subject.name = "svc-00042-db4fkl9s26-" + std::to_string((k * 7919) % (n / 2));
            f.message = "Container app of Pod svc-00042-" + std::to_string((k * 104729) % (n / 3));
            if (k % 4 == 0)
                f.message.push_back('\0');
        }
        f.id = fingerprint(f.rule + std::to_string(k), f.subject);
        if (!distinct)
            f.message = "msg " + std::to_string((k * 13) % 17);
        r.tallies[f.layer].scanned = true;
        r.findings.push_back(std::move(f));
    }
    return r;
}

bool defaultLess(const Finding& a, const Finding& b)
{
    return std::tuple(int(a.severity), std::string(toString(a.layer)), a.rule, a.subject.target, a.subject.namespace_,
               a.subject.name, a.subject.container, a.subject.kind, a.id)
        < std::tuple(int(b.severity), std::string(toString(b.layer)), b.rule, b.subject.target, b.subject.namespace_,
            b.subject.name, b.subject.container, b.subject.kind, b.id);
}

void TestStore::migratesAndUsesWal()
{
    Store s(m_path.toStdString());
    LG_COMPARE(s.schemaVersion(), 9);
    LG_COMPARE(pragma(s.handle(), "journal_mode"), QByteArray("wal"));
    LG_COMPARE(pragma(s.handle(), "page_size"), QByteArray("32768")); // a new cache: large pages for bulk writes
    LG_COMPARE(s.integrityCheck(), std::string("ok"));
}

void TestStore::writesAndReadsAScan()
{
    Store s(m_path.toStdString());
    const auto id = s.writeScan(record({ "a", "b" }));
    const auto info = s.scan(id);
    QVERIFY(info);
    LG_COMPARE(info->resources, 2);
    LG_COMPARE(info->layers.size(), std::size_t(1));
    LG_COMPARE(info->layers[0].score, std::optional<int>(80)); // two highs (12) of 60: 100 * (1 - 12 / 60)
    const auto findings = s.findings(id);
    LG_COMPARE(findings.size(), std::size_t(2));
    LG_COMPARE(findings[0].evidence.at(0).value, nlohmann::json(true));
    LG_COMPARE(findings[0].remediation.at(0).snippet, std::string("privileged: false"));
    FindingFilter f;
    f.search = "PRIVILEGED B";
    LG_COMPARE(s.findings(id, f).size(), std::size_t(1));
    f = {};
    f.layer = Layer::Host;
    LG_COMPARE(s.findings(id, f).size(), std::size_t(0));
    LG_COMPARE(s.ruleOutcomes(id)["LG-PSS-PRIVILEGED"].evaluated, 10);

    // A fingerprint given twice is stored once, the last one winning; it is found by its fingerprint.
    auto twice = record({ "a", "b" });
    twice.findings.push_back(twice.findings[0]);
    twice.findings.back().message = "the later copy";
    const auto id2 = s.writeScan(twice);
    const auto stored = s.findings(id2);
    LG_COMPARE(stored.size(), std::size_t(2));
    const auto copy
        = std::find_if(stored.begin(), stored.end(), [&](const Finding& x) { return x.id == twice.findings[0].id; });
    QVERIFY(copy != stored.end());
    LG_COMPARE(copy->message, std::string("the later copy"));
    for (const auto& x : stored) {
        const auto row = s.findingRowId(id2, x.id);
        QVERIFY(row);
        LG_COMPARE(s.findingsByRowId(id2, &*row, 1).at(0).id, x.id);
    }
    QVERIFY(!s.findingRowId(id2, "no-such-fingerprint"));
}

void TestStore::failedWriteLeavesCacheUnchanged()
{
    Store s(m_path.toStdString());
    const auto first = s.writeScan(record({ "a" }));
    // A trigger makes the findings insert fail half-way through the scan's transaction.
    char* err = nullptr;
    LG_COMPARE(sqlite3_exec(s.handle(),
                   "CREATE TEMP TRIGGER boom BEFORE INSERT ON findings WHEN NEW.name = 'c' "
                   "BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
                   nullptr, nullptr, &err),
        SQLITE_OK);
    QVERIFY_THROWS_EXCEPTION(StoreError, s.writeScan(record({ "b", "c" })));
    LG_COMPARE(s.scans().size(), std::size_t(1));
    LG_COMPARE(*s.latestScanId(), first);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(s.handle(), "SELECT count(*) FROM findings", -1, &st, nullptr);
    sqlite3_step(st);
    LG_COMPARE(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    sqlite3_prepare_v2(s.handle(), "SELECT count(*) FROM resources", -1, &st, nullptr);
    sqlite3_step(st);
    LG_COMPARE(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
}

void TestStore::notADatabaseIsReported()
{
    QFile f(m_path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray(8192, 'x'));
    f.close();
    try {
        Store s(m_path.toStdString());
        QFAIL("opened a file that is not a database");
    } catch (const StoreError& e) {
        LG_COMPARE(int(e.kind()), int(StoreError::Kind::Corrupt));
        QVERIFY2(QString::fromStdString(e.hint()).contains(QStringLiteral("cache reset")), e.hint().c_str());
    }
    // The way out: move it aside and start again.
    const auto aside = moveAsideDamagedCache(m_path.toStdString());
    QVERIFY(QFile::exists(QString::fromStdString(aside)));
    Store fresh(m_path.toStdString());
    LG_COMPARE(fresh.scans().size(), std::size_t(0));
}

void TestStore::damagedPagesAreReported()
{
    {
        Store s(m_path.toStdString());
        for (int i = 0; i < 20; ++i) {
            std::vector<std::string> names;
            for (int n = 0; n < 50; ++n)
                names.push_back("pod-" + std::to_string(i) + "-" + std::to_string(n));
            s.writeScan(record(names));
        }
        char* err = nullptr;
        sqlite3_exec(s.handle(), "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, &err);
    }
    // Overwrite pages in the middle of the file with garbage, keeping the header intact.
    QFile f(m_path);
    QVERIFY(f.open(QIODevice::ReadWrite));
    const qint64 size = f.size();
    QVERIFY(size > 64 * 1024);
    f.seek(size / 2);
    f.write(QByteArray(16384, '\xAB'));
    f.close();
    try {
        Store s(m_path.toStdString());
        const std::string result = s.integrityCheck();
        QVERIFY2(result != "ok", "damage not detected");
    } catch (const StoreError& e) {
        LG_COMPARE(int(e.kind()), int(StoreError::Kind::Corrupt));
    }
}

void TestStore::newerSchemaIsRefused()
{
    {
        Store s(m_path.toStdString());
        char* err = nullptr;
        sqlite3_exec(s.handle(), "PRAGMA user_version = 99", nullptr, nullptr, &err);
    }
    try {
        Store s(m_path.toStdString());
        QFAIL("opened a newer cache");
    } catch (const StoreError& e) {
        LG_COMPARE(int(e.kind()), int(StoreError::Kind::TooNew));
    }
}

void TestStore::retentionKeepsNewest()
{
    Store s(m_path.toStdString());
    s.setRetention(2);
    for (int i = 0; i < 5; ++i)
        s.writeScan(record({ "a" }));
    const auto scans = s.scans();
    LG_COMPARE(scans.size(), std::size_t(2));
    LG_COMPARE(scans.back().id, std::int64_t(5));
    for (const char* table : { "findings", "finding_fids", "scan_texts" }) {
        sqlite3_stmt* st = nullptr;
        const std::string sql = std::string("SELECT count(DISTINCT scan_id) FROM ") + table;
        sqlite3_prepare_v2(s.handle(), sql.c_str(), -1, &st, nullptr);
        sqlite3_step(st);
        QVERIFY2(sqlite3_column_int(st, 0) == 2, table); // cascaded
        sqlite3_finalize(st);
    }
}

void TestStore::evidenceAndOriginAreStoredOnce()
{
    // 300 findings over 30 resources with three kinds of evidence: 3 evidence texts and 30 origins are kept,
    // once each, and every finding reads back with its own.
    ScanRecord rec = record({});
    for (int i = 0; i < 300; ++i) {
        Finding f;
        f.rule = i % 2 ? "LG-PSS-PRIVILEGED" : "LG-PSS-HOST-PID";
        f.title = "t";
        f.subject = { "t", "Pod", "ns", "pod-" + std::to_string(i % 30), "c" + std::to_string(i) };
        f.id = fingerprint(f.rule, f.subject);
        f.message = "m " + std::to_string(i);
        f.evidence = { { "spec.x", i % 3 } };
        if (i % 3 == 2)
            f.evidence.push_back({ "password", "***" });
        f.origin = "https://10.0.0.1:6443/api/v1/namespaces/ns/pods/pod-" + std::to_string(i % 30);
        rec.findings.push_back(f);
    }
    Store s(m_path.toStdString());
    const auto id = s.writeScan(rec);
    const auto count = [&](const char* sql) {
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(s.handle(), sql, -1, &st, nullptr);
        sqlite3_step(st);
        const int n = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return n;
    };
    LG_COMPARE(count("SELECT count(*) FROM scan_texts"), 33);
    LG_COMPARE(count("SELECT count(*) FROM findings WHERE evidence != '' OR origin != ''"), 0);
    LG_COMPARE(count("SELECT count(*) FROM findings WHERE evidence_ref IS NULL OR origin_ref IS NULL"), 0);
    std::map<std::string, const Finding*> given;
    for (const auto& f : rec.findings)
        given[f.id] = &f;
    const auto stored = s.findings(id);
    LG_COMPARE(stored.size(), std::size_t(300));
    for (const auto& f : stored) {
        const Finding* g = given.at(f.id);
        LG_COMPARE(f.origin, g->origin);
        LG_COMPARE(toJson(f).at("evidence"), toJson(*g).at("evidence"));
    }
    // a second scan has its own texts; deleting the first (retention) takes its texts with it
    s.setRetention(1);
    s.writeScan(rec);
    LG_COMPARE(count("SELECT count(*) FROM scan_texts"), 33);
    LG_COMPARE(s.findings(*s.latestScanId()).size(), std::size_t(300));
}

void TestStore::fullDiskKeepsPreviousState()
{
    Store s(m_path.toStdString());
    s.writeScan(record({ "a" }));
    char* err = nullptr;
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(s.handle(), "PRAGMA page_count", -1, &st, nullptr);
    sqlite3_step(st);
    const int pages = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    // Cap the file just above its current size: a big scan cannot fit.
    const std::string cap = "PRAGMA max_page_count = " + std::to_string(pages + 2);
    LG_COMPARE(sqlite3_exec(s.handle(), cap.c_str(), nullptr, nullptr, &err), SQLITE_OK);
    std::vector<std::string> many;
    for (int i = 0; i < 2000; ++i)
        many.push_back("pod-" + std::to_string(i));
    try {
        s.writeScan(record(many));
        QFAIL("a scan larger than the cap was written");
    } catch (const StoreError& e) {
        LG_COMPARE(int(e.kind()), int(StoreError::Kind::Full));
    }
    LG_COMPARE(s.scans().size(), std::size_t(1));
    LG_COMPARE(s.integrityCheck(), std::string("ok"));
}

void TestStore::secondInstanceWaitsForTheLock()
{
    Store a(m_path.toStdString());
    Store b(m_path.toStdString());
    a.writeScan(record({ "a" }));
    b.writeScan(record({ "b" }));
    LG_COMPARE(a.scans().size(), std::size_t(2));
    // While one instance holds the write lock, the other fails cleanly after the busy timeout
    // instead of corrupting anything.
    char* err = nullptr;
    LG_COMPARE(sqlite3_exec(a.handle(), "BEGIN IMMEDIATE", nullptr, nullptr, &err), SQLITE_OK);
    sqlite3_busy_timeout(b.handle(), 100);
    try {
        b.writeScan(record({ "c" }));
        QFAIL("wrote while another instance held the lock");
    } catch (const StoreError& e) {
        LG_COMPARE(int(e.kind()), int(StoreError::Kind::Locked));
    }
    sqlite3_exec(a.handle(), "ROLLBACK", nullptr, nullptr, &err);
    b.writeScan(record({ "c" }));
    LG_COMPARE(b.scans().size(), std::size_t(3));
}

QTEST_GUILESS_MAIN(TestStore)
