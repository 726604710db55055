// The SQLite cache: migrations, one transaction per scan, damage detection, risk and checklist state.
#include "store.h"

#include "scoring.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include "testsupport.h"

#include <sqlite3.h>

using namespace lg;

class TestStore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void migratesAndUsesWal();
    void writesAndReadsAScan();
    void revisionOneCacheKeepsItsFindings();
    void failedWriteLeavesCacheUnchanged();
    void notADatabaseIsReported();
    void damagedPagesAreReported();
    void newerSchemaIsRefused();
    void diffBetweenScans();
    void acceptedRisksAndExpiry();
    void checklistSurvivesRescans();
    void retentionKeepsNewest();
    void fullDiskKeepsPreviousState();
    void secondInstanceWaitsForTheLock();

private:
    ScanRecord record(const std::vector<std::string>& names);
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
};

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

void TestStore::migratesAndUsesWal()
{
    Store s(m_path.toStdString());
    LG_COMPARE(s.schemaVersion(), 2);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(s.handle(), "PRAGMA journal_mode", -1, &st, nullptr);
    LG_COMPARE(sqlite3_step(st), SQLITE_ROW);
    LG_COMPARE(QByteArray(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))), QByteArray("wal"));
    sqlite3_finalize(st);
    LG_COMPARE(s.integrityCheck(), std::string("ok"));
}

void TestStore::revisionOneCacheKeepsItsFindings()
{
    // A cache written by revision 1 (rule text in every finding row) is migrated without loss.
    {
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(m_path.toUtf8().constData(), &db), SQLITE_OK);
        QFile schema(QStringLiteral(LG_SOURCE_DIR "/resources/db/001_initial.sql"));
        QVERIFY(schema.open(QIODevice::ReadOnly));
        const QByteArray sql = schema.readAll()
            + "INSERT INTO scans VALUES (1, 100, 110, 'layerguard 0.1.0', 'ci', '[]', 1, 80);"
              "INSERT INTO findings VALUES (1, 'fid-1', 'LG-PSS-PRIVILEGED', 'Privileged container', 'orchestrator', "
              "1, "
              "'open', 't', 'Deployment', 'shop', 'web', 'nginx', 'runs privileged', "
              "'[{\"path\":\"spec.privileged\",\"value\":true}]', '[{\"step\":\"Drop it\",\"snippet\":\"x\"}]', "
              "'[\"KSV-0017\"]', '[\"pss-baseline\"]', 'web.yaml:1');"
              "PRAGMA user_version = 1;";
        char* error = nullptr;
        QVERIFY2(sqlite3_exec(db, sql.constData(), nullptr, nullptr, &error) == SQLITE_OK, error);
        sqlite3_close(db);
    }
    Store s(m_path.toStdString());
    LG_COMPARE(s.schemaVersion(), 2);
    const auto fs = s.findings(1);
    QCOMPARE(fs.size(), std::size_t(1));
    LG_COMPARE(fs[0].title, std::string("Privileged container"));
    LG_COMPARE(fs[0].references, (std::vector<std::string> { "KSV-0017" }));
    LG_COMPARE(fs[0].frameworks, (std::vector<std::string> { "pss-baseline" }));
    QCOMPARE(fs[0].remediation.size(), std::size_t(1));
    LG_COMPARE(fs[0].remediation[0].snippet, std::string("x"));
    LG_COMPARE(fs[0].evidence.at(0).path, std::string("spec.privileged"));
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
    LG_COMPARE(info->layers[0].score, std::optional<int>(79)); // an open high caps the layer at 79
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

void TestStore::diffBetweenScans()
{
    Store s(m_path.toStdString());
    const auto a = s.writeScan(record({ "a", "b" }));
    const auto b = s.writeScan(record({ "b", "c" }));
    const auto d = s.diff(a, b);
    LG_COMPARE(d.added.size(), std::size_t(1));
    LG_COMPARE(d.added[0].subject.name, std::string("c"));
    LG_COMPARE(d.resolved.size(), std::size_t(1));
    LG_COMPARE(d.resolved[0].subject.name, std::string("a"));
    LG_COMPARE(int(d.resolved[0].status), int(FindingStatus::Resolved));
    LG_COMPARE(d.unchanged.size(), std::size_t(1));
    LG_COMPARE(*s.previousScanId(b), a);
}

void TestStore::acceptedRisksAndExpiry()
{
    Store s(m_path.toStdString());
    const auto rec = record({ "a", "b" });
    s.writeScan(rec);
    s.acceptRisk({ rec.findings[0].id, "alice", "vendor fix due in Q3", 5000, 100 });
    s.acceptRisk({ rec.findings[1].id, "bob", "expired one", 2000, 100 });
    LG_COMPARE(s.acceptedRisks().size(), std::size_t(2));
    const auto active = s.activeAcceptances(3000);
    LG_COMPARE(active.size(), std::size_t(1));
    QVERIFY(active.count(rec.findings[0].id));
    FindingFilter f;
    f.status = FindingStatus::Accepted;
    LG_COMPARE(s.findings(*s.latestScanId(), f).size(), std::size_t(2)); // latest scan reflects acceptances at once
    // Accepting both highs lifts the cap and the score.
    LG_COMPARE(s.scan(*s.latestScanId())->layers[0].score, std::optional<int>(100));
    s.revokeRisk(rec.findings[1].id);
    LG_COMPARE(s.findings(*s.latestScanId(), f).size(), std::size_t(1));
    LG_COMPARE(s.scan(*s.latestScanId())->layers[0].score, std::optional<int>(79));
}

void TestStore::checklistSurvivesRescans()
{
    Store s(m_path.toStdString());
    const auto rec = record({ "a" });
    s.writeScan(rec);
    s.setChecklistStep(rec.findings[0].id, 0, true, "alice", 1234);
    s.writeScan(record({ "a" }));
    const auto steps = s.checklist(rec.findings[0].id);
    LG_COMPARE(steps.size(), std::size_t(1));
    LG_COMPARE(steps[0].doneBy, std::string("alice"));
    s.setChecklistStep(rec.findings[0].id, 2, true, "bob", 1250);
    const auto all = s.checklists();
    LG_COMPARE(all.size(), std::size_t(1));
    LG_COMPARE(all.at(rec.findings[0].id).size(), std::size_t(2));
    LG_COMPARE(all.at(rec.findings[0].id)[1].doneBy, std::string("bob"));
    s.setChecklistStep(rec.findings[0].id, 0, false, "alice", 1300);
    s.setChecklistStep(rec.findings[0].id, 2, false, "bob", 1300);
    LG_COMPARE(s.checklist(rec.findings[0].id).size(), std::size_t(0));
    LG_COMPARE(s.checklists().size(), std::size_t(0));
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
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(s.handle(), "SELECT count(DISTINCT scan_id) FROM findings", -1, &st, nullptr);
    sqlite3_step(st);
    LG_COMPARE(sqlite3_column_int(st, 0), 2); // cascaded
    sqlite3_finalize(st);
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
#include "tst_store.moc"
