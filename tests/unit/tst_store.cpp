// The SQLite cache: migrations, one transaction per scan, damage detection, risk and checklist state.
#include "store/store.h"

#include "core/scoring.h"

#include <QFile>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>

#include "testsupport.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <tuple>

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
    void findingListsAreSortedAndFilteredInSql_data();
    void findingListsAreSortedAndFilteredInSql();
    void revisionTwoCacheIsLaidOutForTheTable();
    void acceptedRisksAndExpiry();
    void revisionFiveAcceptancesAreKept();
    void revisionSixScansJoinTheEstate();
    void estateIsTheLatestOfEachTarget();
    void checklistSurvivesRescans();
    void retentionKeepsNewest();
    void ageDeadlinesAndTimeToRemediate();
    void evidenceAndOriginAreStoredOnce();
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

namespace {
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
} // namespace

void TestStore::migratesAndUsesWal()
{
    Store s(m_path.toStdString());
    LG_COMPARE(s.schemaVersion(), 9);
    LG_COMPARE(pragma(s.handle(), "journal_mode"), QByteArray("wal"));
    LG_COMPARE(pragma(s.handle(), "page_size"), QByteArray("32768")); // a new cache: large pages for bulk writes
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
    LG_COMPARE(s.schemaVersion(), 9);
    const auto fs = s.findings(1);
    QCOMPARE(fs.size(), std::size_t(1));
    LG_COMPARE(fs[0].title, std::string("Privileged container"));
    LG_COMPARE(fs[0].references, (std::vector<std::string> { "KSV-0017" }));
    LG_COMPARE(fs[0].frameworks, (std::vector<std::string> { "pss-baseline" }));
    QCOMPARE(fs[0].remediation.size(), std::size_t(1));
    LG_COMPARE(fs[0].remediation[0].snippet, std::string("x"));
    LG_COMPARE(fs[0].evidence.at(0).path, std::string("spec.privileged"));
    LG_COMPARE(fs[0].origin, std::string("web.yaml:1")); // rows from before revision 5 keep their own texts
    LG_COMPARE(pragma(s.handle(), "page_size"), QByteArray("4096")); // a cache that exists keeps its pages
    const std::int64_t next = s.writeScan(record({ "after-migration" }));
    LG_COMPARE(s.findings(next).size(), std::size_t(1));
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

namespace {
/**
 * Findings in a scrambled order, with ties on every key. With `distinct`, names and messages are nearly all
 * different and share long prefixes (as a real scan's do), and some messages differ only by a trailing NUL.
 */
ScanRecord scrambled(int n, bool distinct = false)
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

/** The default order, computed here independently of the Store. */
bool defaultLess(const Finding& a, const Finding& b)
{
    return std::tuple(int(a.severity), std::string(toString(a.layer)), a.rule, a.subject.target, a.subject.namespace_,
               a.subject.name, a.subject.container, a.subject.kind, a.id)
        < std::tuple(int(b.severity), std::string(toString(b.layer)), b.rule, b.subject.target, b.subject.namespace_,
            b.subject.name, b.subject.container, b.subject.kind, b.id);
}
} // namespace

void TestStore::findingListsAreSortedAndFilteredInSql_data()
{
    QTest::addColumn<int>("sort");
    QTest::addColumn<bool>("descending");
    QTest::addColumn<QString>("search");
    QTest::addColumn<unsigned>("chips");
    QTest::addColumn<int>("findings");
    for (int sort = 0; sort <= int(FindingSort::Age); ++sort)
        for (bool desc : { false, true }) {
            QTest::addRow("sort %d%s", sort, desc ? " desc" : "") << sort << desc << QString() << 0x1fU << 400;
            QTest::addRow("sort %d%s, search, chips", sort, desc ? " desc" : "")
                << sort << desc << QStringLiteral("NEEDLE") << 0x5U << 400;
        }
    QTest::addRow("search for a LIKE wildcard is literal") << 0 << false << QStringLiteral("%") << 0x1fU << 400;
    // Thousands of distinct names and messages: many distinct pooled texts, and messages sorted by prefix.
    for (int sort = 0; sort <= int(FindingSort::Message); ++sort)
        QTest::addRow("sort %d, many distinct texts", sort) << sort << false << QString() << 0x1fU << 3000;
}

void TestStore::findingListsAreSortedAndFilteredInSql()
{
    QFETCH(int, sort);
    QFETCH(bool, descending);
    QFETCH(QString, search);
    QFETCH(unsigned, chips);
    QFETCH(int, findings);
    Store s(m_path.toStdString());
    const auto rec = scrambled(findings, findings > 400);
    const auto scanId = s.writeScan(rec);
    FindingQuery q;
    q.scanId = scanId;
    q.sort = FindingSort(sort);
    q.descending = descending;
    q.filter.search = search.toStdString();
    q.filter.severities = chips;
    const auto ids = s.findingRowIds(q);
    const auto got = s.findingsByRowId(scanId, ids.data(), ids.size());

    // The same list computed here: filter, default order, then a stable sort by the key.
    std::vector<Finding> want;
    const std::string needle = search.toLower().toStdString();
    for (const auto& f : rec.findings) {
        if (((chips >> int(f.severity)) & 1U) == 0)
            continue;
        std::string hay = f.rule + "\n" + f.title + "\n" + f.subject.kind + "\n" + f.subject.namespace_ + "\n"
            + f.subject.name + "\n" + f.subject.container + "\n" + f.message;
        std::transform(hay.begin(), hay.end(), hay.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        if (!needle.empty() && hay.find(needle) == std::string::npos)
            continue;
        want.push_back(f);
    }
    std::sort(want.begin(), want.end(), defaultLess);
    const auto key = [&](const Finding& f) -> std::string {
        switch (FindingSort(sort)) {
        case FindingSort::Severity:
            return std::to_string(int(f.severity));
        case FindingSort::Rule:
            return f.rule;
        case FindingSort::Resource:
            return f.subject.kind + '\1' + f.subject.namespace_ + '\1' + f.subject.name + '\1' + f.subject.container;
        case FindingSort::Target:
            return f.subject.target;
        case FindingSort::Status:
            return f.status == FindingStatus::Accepted ? "0" : "1"; // accepted first, as the words sort
        case FindingSort::Message:
            return f.message;
        case FindingSort::Age:
            return {}; // one scan: all first seen together (ageDeadlinesAndTimeToRemediate sorts by age)
        }
        return {};
    };
    std::stable_sort(want.begin(), want.end(),
        [&](const Finding& a, const Finding& b) { return descending ? key(b) < key(a) : key(a) < key(b); });
    QCOMPARE(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        LG_COMPARE(got[i].id, want[i].id);
    if (search == QStringLiteral("%"))
        QCOMPARE(got.size(), std::size_t(0));
    if (search.isEmpty() && chips == 0x1f)
        QCOMPARE(got.size(), rec.findings.size());
    // The chips' counts ignore the chips.
    const auto counts = s.severityCounts(q);
    std::array<int, 5> wantCounts {};
    for (const auto& f : rec.findings) {
        std::string hay = f.rule + "\n" + f.title + "\n" + f.subject.kind + "\n" + f.subject.namespace_ + "\n"
            + f.subject.name + "\n" + f.subject.container + "\n" + f.message;
        std::transform(hay.begin(), hay.end(), hay.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        if (needle.empty() || hay.find(needle) != std::string::npos)
            wantCounts[std::size_t(f.severity)]++;
    }
    QCOMPARE(counts, wantCounts);
}

void TestStore::revisionTwoCacheIsLaidOutForTheTable()
{
    // A revision-2 cache (findings in any order, no ranks): revision 3 lays each scan out in display order
    // with ranks, and the lists come out as from a new cache.
    const auto rec = scrambled(120);
    {
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(m_path.toUtf8().constData(), &db), SQLITE_OK);
        QByteArray sql;
        for (const char* file : { "001_initial.sql", "002_rule_text_per_scan.sql" }) {
            QFile f(QStringLiteral(LG_SOURCE_DIR "/resources/db/") + QLatin1String(file));
            QVERIFY(f.open(QIODevice::ReadOnly));
            sql += f.readAll();
        }
        sql += "INSERT INTO scans VALUES (1, 100, 110, 'layerguard 0.1.0', 'ci', '[]', 1, 80);";
        for (const auto& f : rec.findings) // scan order: scrambled
            sql += QStringLiteral(
                "INSERT OR IGNORE INTO scan_rules VALUES (1, '%1', '%2', '[]', '[]', '[]');"
                "INSERT INTO findings VALUES (1, '%3', '%1', '%4', %5, '%6', '%7', '%8', '%9', '%10', "
                "'', '%11', '[]', '');")
                       .arg(QString::fromStdString(f.rule), QString::fromStdString(f.title),
                           QString::fromStdString(f.id), QString::fromLatin1(toString(f.layer).data()))
                       .arg(int(f.severity))
                       .arg(QString::fromLatin1(toString(f.status).data()), QString::fromStdString(f.subject.target),
                           QString::fromStdString(f.subject.kind), QString::fromStdString(f.subject.namespace_),
                           QString::fromStdString(f.subject.name), QString::fromStdString(f.message))
                       .toUtf8();
        sql += "PRAGMA user_version = 2;";
        char* error = nullptr;
        QVERIFY2(sqlite3_exec(db, sql.constData(), nullptr, nullptr, &error) == SQLITE_OK, error);
        sqlite3_close(db);
    }
    Store s(m_path.toStdString());
    LG_COMPARE(s.schemaVersion(), 9);
    std::vector<Finding> want = rec.findings;
    std::sort(want.begin(), want.end(), defaultLess);
    FindingQuery q;
    q.scanId = 1;
    const auto ids = s.findingRowIds(q); // the default view: the row range itself
    const auto got = s.findingsByRowId(1, ids.data(), ids.size());
    QCOMPARE(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        LG_COMPARE(got[i].id, want[i].id);
    QVERIFY(s.findingsByRowId(2, ids.data(), 1).at(0).id.empty()); // not a row of that scan
    q.sort = FindingSort::Message;
    const auto byMessage = s.findingsByRowId(1, s.findingRowIds(q).data(), want.size());
    for (std::size_t i = 1; i < byMessage.size(); ++i)
        QVERIFY(byMessage[i - 1].message <= byMessage[i].message);
    const auto firstOpen
        = std::find_if(want.begin(), want.end(), [](const Finding& f) { return f.status == FindingStatus::Open; });
    LG_COMPARE(s.topFindings(1, 3).at(0).id, firstOpen->id);
    // Revision 4 indexed the migrated fingerprints: each one leads to its row, and a risk accepted on a
    // migrated finding marks that row.
    for (const auto& w : want) {
        const auto row = s.findingRowId(1, w.id);
        QVERIFY(row);
        LG_COMPARE(s.findingsByRowId(1, &*row, 1).at(0).id, w.id);
    }
    LG_COMPARE(s.latestScanId(), std::optional<std::int64_t>(1));
    AcceptedRisk migrated;
    migrated.fid = firstOpen->id;
    migrated.owner = "alice";
    migrated.reason = "migrated";
    migrated.createdAt = 100;
    s.acceptRisk(migrated);
    const std::int64_t acceptedRow = s.findingRowId(1, firstOpen->id).value_or(-1);
    LG_COMPARE(s.findingsByRowId(1, &acceptedRow, 1, 200).at(0).status, FindingStatus::Accepted);
    LG_COMPARE(s.integrityCheck(), std::string("ok"));
}

void TestStore::acceptedRisksAndExpiry()
{
    // An acceptance applies from the moment it is recorded until it expires or is revoked: a stored scan's
    // statuses and scores never change, the posture as of a moment follows the acceptances in force then.
    Store s(m_path.toStdString());
    const auto rec = record({ "a", "b" }); // two open highs, written at t = 1001
    const std::int64_t scanId = s.writeScan(rec);
    const auto stored = s.scan(scanId)->layers.at(0);
    auto accept = [&](const Finding& f, std::int64_t at, std::optional<std::int64_t> expires) {
        AcceptedRisk r;
        r.fid = f.id;
        r.owner = "alice";
        r.reason = "vendor fix due in Q3";
        r.createdAt = at;
        r.expiresAt = expires;
        r.acceptedBy = "bob";
        s.acceptRisk(r);
    };
    accept(rec.findings[0], 2000, 5000);
    accept(rec.findings[1], 2000, 3000);
    LG_COMPARE(s.acceptedRisks().size(), std::size_t(2));
    LG_COMPARE(s.acceptedRisks()[0].acceptedBy, std::string("bob"));
    // The stored scan is as it was written: both open, the same score.
    LG_COMPARE(s.scan(scanId)->layers.at(0).score, stored.score);
    FindingFilter accepted;
    accepted.status = FindingStatus::Accepted;
    LG_COMPARE(s.findings(scanId, accepted).size(), std::size_t(0));
    // Before the acceptances: nothing accepted; while both are in force: both accepted and the score rises.
    auto at = [&](std::int64_t t) {
        FindingFilter f = accepted;
        f.asOf = t;
        return s.findings(scanId, f).size();
    };
    LG_COMPARE(at(1500), std::size_t(0));
    LG_COMPARE(at(2500), std::size_t(2));
    const auto both = s.layerScoresAt(scanId, 2500).at(0);
    QVERIFY(*both.score > *stored.score);
    LG_COMPARE(both.tally.acceptedWeight, stored.tally.acceptedWeight + 12);
    LG_COMPARE(both.tally.openBySeverity[1], 0);
    // From its expiry on, b counts as open again without any rescan.
    LG_COMPARE(at(3500), std::size_t(1));
    const auto one = s.layerScoresAt(scanId, 3500).at(0);
    QVERIFY(*one.score<*both.score&& * one.score> * stored.score);
    LG_COMPARE(one.tally.openBySeverity[1], 1);
    LG_COMPARE(s.activeAcceptances(3500).size(), std::size_t(1));
    // A revocation ends a's acceptance from then on; revoking what is not in force says so.
    QVERIFY(s.revokeRisk(rec.findings[0].id, "carol", 4000));
    LG_COMPARE(at(3900), std::size_t(1));
    LG_COMPARE(at(4100), std::size_t(0));
    QVERIFY(!s.revokeRisk(rec.findings[0].id, "carol", 4200));
    QVERIFY(!s.revokeRisk(rec.findings[1].id, "carol", 4200)); // expired: nothing in force
    LG_COMPARE(s.layerScoresAt(scanId, 4100).at(0).score, stored.score);
    LG_COMPARE(s.scan(scanId)->layers.at(0).score, stored.score);
    // A scan written while an acceptance is in force records it; the acceptance's owner comes with the finding.
    accept(rec.findings[0], 4500, std::nullopt);
    ScanRecord later = record({ "a", "b" });
    later.startedAt = 5000;
    later.finishedAt = 5001;
    for (auto& f : later.findings)
        if (f.id == rec.findings[0].id)
            f.status = FindingStatus::Accepted;
    const std::int64_t laterId = s.writeScan(later);
    const auto laterAccepted = s.findings(laterId, accepted);
    QCOMPARE(laterAccepted.size(), std::size_t(1));
    QVERIFY(laterAccepted[0].acceptance);
    LG_COMPARE(laterAccepted[0].acceptance->owner, std::string("alice"));
    LG_COMPARE(laterAccepted[0].acceptance->by, std::string("bob"));
    // The latest scan is shown as of now, an older one as recorded.
    LG_COMPARE(s.statusTime(laterId, 9999), std::int64_t(9999));
    LG_COMPARE(s.statusTime(scanId, 9999), std::int64_t(0));
}

void TestStore::revisionFiveAcceptancesAreKept()
{
    // A revision-5 cache's accepted risks become the acceptance log with their owner, reason, time and expiry.
    {
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(m_path.toUtf8().constData(), &db), SQLITE_OK);
        QByteArray sql;
        for (const char* file : { "001_initial.sql", "002_rule_text_per_scan.sql", "003_findings_in_display_order.sql",
                 "004_fingerprints_in_their_own_order.sql", "005_texts_by_reference.sql" }) {
            QFile schema(QStringLiteral(LG_SOURCE_DIR "/resources/db/") + QLatin1String(file));
            QVERIFY(schema.open(QIODevice::ReadOnly));
            sql += schema.readAll();
        }
        sql += "INSERT INTO accepted_risks VALUES ('fid-1', 'alice', 'vendor fix', 5000, 1000);"
               "PRAGMA user_version = 5;";
        char* error = nullptr;
        QVERIFY2(sqlite3_exec(db, sql.constData(), nullptr, nullptr, &error) == SQLITE_OK, error);
        sqlite3_close(db);
    }
    Store s(m_path.toStdString());
    LG_COMPARE(s.schemaVersion(), 9);
    const auto risks = s.acceptedRisks();
    QCOMPARE(risks.size(), std::size_t(1));
    LG_COMPARE(risks[0].owner, std::string("alice"));
    LG_COMPARE(risks[0].reason, std::string("vendor fix"));
    LG_COMPARE(risks[0].createdAt, std::int64_t(1000));
    LG_COMPARE(risks[0].expiresAt, std::optional<std::int64_t>(5000));
    QVERIFY(!risks[0].revokedAt);
    QVERIFY(risks[0].activeAt(2000));
    QVERIFY(!risks[0].activeAt(6000));
}

void TestStore::revisionSixScansJoinTheEstate()
{
    // Revision 6 kept one tally per layer: a scan of one target gives it to that target, a scan of several to
    // one target named after all of them; a failed source is never part of it.
    {
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(m_path.toUtf8().constData(), &db), SQLITE_OK);
        QByteArray sql;
        for (const char* file : { "001_initial.sql", "002_rule_text_per_scan.sql", "003_findings_in_display_order.sql",
                 "004_fingerprints_in_their_own_order.sql", "005_texts_by_reference.sql",
                 "006_exemptions_and_acceptance_log.sql" }) {
            QFile schema(QStringLiteral(LG_SOURCE_DIR "/resources/db/") + QLatin1String(file));
            QVERIFY(schema.open(QIODevice::ReadOnly));
            sql += schema.readAll();
        }
        sql += R"(INSERT INTO scans (id, started_at, finished_at, tool_version, run_by, sources, resources, overall_score)
                  VALUES (1, 100, 110, 'v', '', '[{"target":"alpha","kind":"manifests","location":"a","ok":true}]', 1, 50),
                         (2, 200, 210, 'v', '', '[{"target":"beta","kind":"docker","location":"b","ok":true},
                                                  {"target":"gamma","kind":"host","location":"g","ok":false}]', 1, 70),
                         (3, 300, 310, 'v', '', '[{"target":"beta","kind":"docker","location":"b","ok":true},
                                                  {"target":"alpha","kind":"manifests","location":"a","ok":true}]', 1, 90);
                  INSERT INTO scan_layers VALUES (1, 'orchestrator', 10, 60, 30, 0, 50, 0, 5, 0, 0, 0),
                                                 (2, 'runtime', 10, 60, 18, 0, 70, 0, 3, 0, 0, 0),
                                                 (3, 'runtime', 10, 60, 6, 0, 90, 0, 1, 0, 0, 0);
                  INSERT INTO finding_fids VALUES (3, 'aa', 7), (1, 'aa', 1), (2, 'bb', 5), (3, 'bb', 8);
                  PRAGMA user_version = 6;)";
        char* error = nullptr;
        QVERIFY2(sqlite3_exec(db, sql.constData(), nullptr, nullptr, &error) == SQLITE_OK, error);
        sqlite3_close(db);
    }
    Store s(m_path.toStdString());
    LG_COMPARE(s.schemaVersion(), 9);
    LG_COMPARE(s.scannedTargets(), (std::vector<std::string> { "alpha", "alpha + beta", "beta" }));
    const auto e = s.estate(1000, {}, 0);
    QCOMPARE(e.targets.size(), std::size_t(3));
    LG_COMPARE(e.targets[0].target, std::string("alpha"));
    LG_COMPARE(e.targets[0].scanId, std::int64_t(1));
    LG_COMPARE(e.targets[0].score, std::optional<int>(50));
    LG_COMPARE(e.targets[2].target, std::string("beta"));
    LG_COMPARE(e.targets[2].scanId, std::int64_t(2)); // gamma failed in scan 2: beta alone
    LG_COMPARE(e.targets[2].kind, std::string("docker"));
    // revision 9: a finding's first sighting is the first scan that had it
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(s.handle(),
        "SELECT group_concat(fid || ':' || first_seen || ':' || first_scan, ' ') FROM "
        "(SELECT * FROM finding_first_seen ORDER BY fid)",
        -1, &st, nullptr);
    QCOMPARE(sqlite3_step(st), SQLITE_ROW);
    LG_COMPARE(
        std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))), std::string("aa:110:1 bb:210:2"));
    sqlite3_finalize(st);
}

// Targets scanned at different times: each keeps its latest scan; the estate adds their tallies; a target's
// history is its own; stale after the age given.
void TestStore::estateIsTheLatestOfEachTarget()
{
    Store s(m_path.toStdString());
    auto scanOf = [&](const std::string& target, std::int64_t at, long failedWeight, int high) {
        ScanRecord r;
        r.startedAt = at;
        r.finishedAt = at + 1;
        r.toolVersion = "test";
        r.sources = { { target, "manifests", "/x", true, {}, {} } };
        auto& t = r.tallies[Layer::Orchestrator];
        t.scanned = true;
        t.evaluated = 10;
        t.evaluatedWeight = 60;
        t.failedWeight = failedWeight;
        t.openBySeverity[std::size_t(Severity::High)] = high;
        r.targetTallies[target][Layer::Orchestrator] = t;
        return s.writeScan(r);
    };
    const auto a1 = scanOf("alpha", 1000, 30, 5); // alpha 50
    const auto b1 = scanOf("beta", 2000, 0, 0); // beta 100
    const auto a2 = scanOf("alpha", 3000, 12, 2); // alpha 80
    auto e = s.estate(3001 + 86400, {}, 86400);
    QCOMPARE(e.targets.size(), std::size_t(2));
    LG_COMPARE(e.targets[0].scanId, a2);
    LG_COMPARE(e.targets[0].previousScanId, std::optional<std::int64_t>(a1));
    LG_COMPARE(e.targets[0].score, std::optional<int>(80));
    LG_COMPARE(e.targets[1].scanId, b1);
    LG_COMPARE(e.targets[1].stale, true); // 2001 + 1 day < now
    LG_COMPARE(e.targets[0].stale, false);
    // together: (60 + 60) evaluated, 12 failed: 90
    QCOMPARE(e.layers.size(), std::size_t(1));
    LG_COMPARE(e.layers[0].score, std::optional<int>(90));
    LG_COMPARE(e.layers[0].tally.openBySeverity[std::size_t(Severity::High)], 2);
    LG_COMPARE(e.score, std::optional<int>(90));
    // the estate over time: alpha alone 50, then alpha 50 + beta 100 = 75, then alpha 80 + beta 100 = 90
    const auto h = s.estateHistory();
    QCOMPARE(h.size(), std::size_t(3));
    LG_COMPARE(h[0].score, std::optional<int>(50));
    LG_COMPARE(h[1].score, std::optional<int>(75));
    LG_COMPARE(h[2].score, std::optional<int>(90));
    const auto own = s.estateHistory("alpha");
    QCOMPARE(own.size(), std::size_t(2));
    LG_COMPARE(own[1].score, std::optional<int>(80));
    LG_COMPARE(s.estate(5000, "beta").targets.size(), std::size_t(1));
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
    for (const char* table : { "findings", "finding_fids", "scan_texts" }) {
        sqlite3_stmt* st = nullptr;
        const std::string sql = std::string("SELECT count(DISTINCT scan_id) FROM ") + table;
        sqlite3_prepare_v2(s.handle(), sql.c_str(), -1, &st, nullptr);
        sqlite3_step(st);
        QVERIFY2(sqlite3_column_int(st, 0) == 2, table); // cascaded
        sqlite3_finalize(st);
    }
}

// A target's findings come and go over 40 daily scans (drawn at random, a fixed seed); what the cache says of
// their age, of what is overdue and of the mean time to remediate is checked against the same figures worked
// out here from the scans alone. Scans 3 and 17 of the target fail: they resolve nothing.
void TestStore::ageDeadlinesAndTimeToRemediate()
{
    Store s(m_path.toStdString());
    s.setRetention(25); // first sightings outlive the scans retention removes
    constexpr int kNames = 30, kScans = 40;
    constexpr std::int64_t kDay = 86400, kStart = 1'700'000'000;
    std::mt19937 rng(20261207);
    std::array<Severity, kNames> severity {};
    for (auto& sv : severity)
        sv = Severity(rng() % 5);
    const std::array<int, 5> sla { 3, 10, 20, 0, 0 };
    std::map<int, std::int64_t> firstSeen, openSince;
    std::array<std::int64_t, 5> total {};
    std::array<int, 5> fixed {};
    const std::int64_t periodFrom = kStart + 16 * kDay; // after the oldest scan kept (index 15)
    std::set<int> present;
    std::int64_t lastAt = 0;
    for (int scan = 0; scan < kScans; ++scan) {
        const std::int64_t at = kStart + scan * kDay;
        lastAt = at;
        ScanRecord r;
        r.startedAt = at - 5;
        r.finishedAt = at;
        r.toolVersion = "test";
        const bool failed = scan == 3 || scan == 17;
        r.sources = { { "t", "manifests", "/x", !failed, failed ? "unreachable" : "", {} } };
        r.sources.push_back({ "other", "manifests", "/y", true, {}, {} });
        std::set<int> now;
        if (!failed)
            for (int n = 0; n < kNames; ++n)
                if (rng() % 100 < (present.count(n) ? 85u : 25u))
                    now.insert(n);
        auto add = [&](const std::string& target, int n) {
            Finding f;
            f.rule = "LG-PSS-PRIVILEGED";
            f.title = "Privileged container";
            f.layer = Layer::Orchestrator;
            f.severity = severity[std::size_t(n)];
            f.subject = { target, "Pod", "ns", "pod-" + std::to_string(n), "c" };
            f.id = fingerprint(f.rule, f.subject);
            f.message = "privileged";
            r.findings.push_back(f);
        };
        for (const int n : now)
            add("t", n);
        add("other", scan % kNames); // another target's findings never count as the target's
        auto& tally = r.targetTallies["other"][Layer::Orchestrator];
        tally.scanned = true;
        tally.evaluated = 1;
        tally.evaluatedWeight = 6;
        if (!failed) {
            auto& mine = r.targetTallies["t"][Layer::Orchestrator];
            mine.scanned = true;
            mine.evaluated = kNames;
            mine.evaluatedWeight = 6 * kNames;
        }
        tallyFindings(r.tallies, r.findings);
        s.writeScan(r);
        if (failed)
            continue;
        for (const int n : now) {
            firstSeen.emplace(n, at);
            openSince.emplace(n, at);
        }
        if (scan == kScans - 25) // the oldest scan retention keeps: what it shows is open since first seen
            for (const int n : now)
                openSince[n] = firstSeen.at(n);
        for (const int n : present)
            if (!now.count(n)) {
                if (at >= periodFrom) {
                    const auto sv = std::size_t(severity[std::size_t(n)]);
                    ++fixed[sv];
                    total[sv] += at - openSince.at(n);
                }
                openSince.erase(n);
            }
        present = now;
    }
    QVERIFY(present.size() > 3);

    // ages: the first sighting, even when the scan it was in is gone
    const auto latest = s.estate(lastAt, "t").targets.at(0).scanId;
    FindingFilter mine;
    mine.target = "t";
    for (const auto& f : s.findings(latest, mine)) {
        const int n = std::stoi(f.subject.name.substr(4));
        LG_COMPARE(f.firstSeen, firstSeen.at(n));
    }
    // overdue 30 days after the last scan and by --older-than
    const std::int64_t when = lastAt + 2 * kDay;
    FindingFilter late = mine;
    late.asOf = when;
    late.overdueAt = when;
    late.slaDays = sla;
    std::set<std::string> expected, got;
    for (const int n : present) {
        const int days = sla[std::size_t(severity[std::size_t(n)])];
        if (days > 0 && when - firstSeen.at(n) > days * kDay)
            expected.insert("pod-" + std::to_string(n));
    }
    for (const auto& f : s.findings(latest, late))
        got.insert(f.subject.name);
    QVERIFY(!expected.empty());
    LG_COMPARE(got, expected);
    FindingQuery q;
    q.scanId = latest;
    q.filter = late;
    const auto counts = s.severityCounts(q);
    LG_COMPARE(std::accumulate(counts.begin(), counts.end(), 0), int(expected.size()));
    FindingFilter old = mine;
    old.firstSeenBefore = kStart + 10 * kDay;
    expected.clear();
    got.clear();
    for (const int n : present)
        if (firstSeen.at(n) < kStart + 10 * kDay)
            expected.insert("pod-" + std::to_string(n));
    for (const auto& f : s.findings(latest, old))
        got.insert(f.subject.name);
    LG_COMPARE(got, expected);

    // the table sorted by age: the oldest first, then as the default order
    FindingQuery byAge;
    byAge.scanId = latest;
    byAge.filter = mine;
    byAge.sort = FindingSort::Age;
    const auto rowIds = s.findingRowIds(byAge);
    const auto sorted = s.findingsByRowId(latest, rowIds.data(), rowIds.size());
    QCOMPARE(sorted.size(), present.size());
    for (std::size_t i = 1; i < sorted.size(); ++i)
        QVERIFY(sorted[i - 1].firstSeen <= sorted[i].firstSeen);
    QVERIFY(sorted.front().firstSeen < sorted.back().firstSeen);

    // time to remediate: intervals that ended in the period
    const auto mttr = s.remediationTimes(periodFrom, lastAt, "t");
    int anyFixed = 0;
    for (std::size_t sv = 0; sv < 5; ++sv) {
        LG_COMPARE(mttr[sv].fixed, fixed[sv]);
        LG_COMPARE(mttr[sv].meanSeconds, fixed[sv] ? total[sv] / fixed[sv] : 0);
        anyFixed += fixed[sv];
    }
    QVERIFY(anyFixed > 5);
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
#include "tst_store.moc"
