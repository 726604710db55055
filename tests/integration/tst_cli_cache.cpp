// The cache as the CLI keeps it: a malformed manifest, a kill in the middle of a write and a damaged file leave it
// readable, and say what to do.
#include "tst_cli.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTest>

#include "testsupport.h"

#include <sqlite3.h>

#include <csignal>

using nlohmann::json;

void TestCli::malformedYamlFailsAndKeepsCache()
{
    writeFile(QStringLiteral("a.yaml"), kPrivileged);
    LG_COMPARE(lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"), m_db,
                      QStringLiteral("--quiet") })
                   .code,
        0);
    const int scans = scalar(QStringLiteral("SELECT count(*) FROM scans"));
    const int findings = scalar(QStringLiteral("SELECT count(*) FROM findings"));
    writeFile(QStringLiteral("b.yaml"), "apiVersion: v1\nkind: Pod\nmetadata:\n  name: broken\n  labels: {a: [1, 2\n");
    const auto r
        = lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"), m_db });
    LG_COMPARE(r.code, 1);
    QVERIFY2(r.err.contains("b.yaml:"), r.err.constData());
    QVERIFY2(QRegularExpression(QStringLiteral("b\\.yaml:[0-9]+:[0-9]+")).match(QString::fromUtf8(r.err)).hasMatch(),
        r.err.constData());
    QVERIFY(r.err.contains("unchanged"));
    LG_COMPARE(scalar(QStringLiteral("SELECT count(*) FROM scans")), scans);
    LG_COMPARE(scalar(QStringLiteral("SELECT count(*) FROM findings")), findings);
}

void TestCli::sigkillDuringScanKeepsCacheReadable()
{
    // Many pods, so that the scan's write transaction is long; a preloaded shim slows each row further.
    QByteArray big;
    for (int i = 0; i < 1500; ++i) {
        QByteArray pod = kPrivileged;
        pod.replace(QByteArray("name: risky"), QByteArray(QByteArray("name: pod-") + QByteArray::number(i)));
        big += pod + "---\n";
    }
    writeFile(QStringLiteral("big.yaml"), big);
    LG_COMPARE(lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"), m_db,
                      QStringLiteral("--quiet") })
                   .code,
        0);
    const int findingsPerScan = scalar(QStringLiteral("SELECT count(*) FROM findings WHERE scan_id = 1"));
    QVERIFY(findingsPerScan > 1500);

    auto env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("LD_PRELOAD"), QStringLiteral(LG_SLOW_SQLITE));
    env.insert(QStringLiteral("LG_SLOW_SQLITE_US"), QStringLiteral("100"));
    // Under AddressSanitizer the shim is loaded before its runtime, which is harmless here.
    env.insert(QStringLiteral("ASAN_OPTIONS"),
        env.value(QStringLiteral("ASAN_OPTIONS")) + QStringLiteral(":verify_asan_link_order=0"));
    int completed = 1;
    const int kills = qEnvironmentVariableIntValue("LG_KILLS") > 0 ? qEnvironmentVariableIntValue("LG_KILLS") : 8;
    for (int k = 0; k < kills; ++k) {
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(LG_BINARY),
            { QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"), m_db });
        QVERIFY(p.waitForStarted());
        // Wait until the scan is writing, then kill it at a random point of the write.
        QByteArray err;
        while (!err.contains("storing") && p.state() == QProcess::Running) {
            p.waitForReadyRead(50);
            err += p.readAllStandardError();
        }
        QTest::qWait(int(QRandomGenerator::global()->bounded(5, 150)));
        const bool killed = p.state() == QProcess::Running;
        if (killed)
            ::kill(pid_t(p.processId()), SIGKILL);
        p.waitForFinished();
        if (!killed || (p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0))
            ++completed;
        // Every previous scan readable, no half scan visible, integrity ok.
        sqlite3* db = nullptr;
        LG_COMPARE(sqlite3_open(m_db.toLocal8Bit().constData(), &db), SQLITE_OK);
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr);
        LG_COMPARE(sqlite3_step(st), SQLITE_ROW);
        LG_COMPARE(QByteArray(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))), QByteArray("ok"));
        sqlite3_finalize(st);
        sqlite3_close(db);
        LG_COMPARE(scalar(QStringLiteral("SELECT count(*) FROM scans")), completed);
        LG_COMPARE(scalar(QStringLiteral("SELECT count(*) FROM findings")), completed * findingsPerScan);
        LG_COMPARE(scalar(QStringLiteral("SELECT count(*) FROM scans s WHERE NOT EXISTS (SELECT 1 FROM scan_layers l "
                                         "WHERE l.scan_id = s.id)")),
            0);
    }
    const auto r = lg({ QStringLiteral("history"), QStringLiteral("--db"), m_db, QStringLiteral("--format"),
        QStringLiteral("json") });
    LG_COMPARE(r.code, 0);
    LG_COMPARE(int(json::parse(r.out.toStdString()).size()), completed);
    qInfo("%d kills, %d scans completed, cache intact", kills, completed);
}

void TestCli::damagedCacheSaysWhatToDo()
{
    QFile f(m_db);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray(4096, 'z'));
    f.close();
    writeFile(QStringLiteral("a.yaml"), kPrivileged);
    auto r = lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"), m_db });
    LG_COMPARE(r.code, 1);
    QVERIFY2(r.err.contains("cache reset"), r.err.constData());
    r = lg({ QStringLiteral("cache"), QStringLiteral("reset"), QStringLiteral("--db"), m_db });
    LG_COMPARE(r.code, 0);
    LG_COMPARE(lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"), m_db,
                      QStringLiteral("--quiet") })
                   .code,
        0);
    LG_COMPARE(QDir(m_dir->path()).entryList({ QStringLiteral("cache.sqlite.damaged-*") }).size(), 1);
}
