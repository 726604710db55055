// The cache's schema revisions: caches written by older versions open, migrated without loss.
#include "tst_store.h"

#include <QFile>
#include <QTest>

#include "testsupport.h"

#include <algorithm>

using namespace lg;

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
