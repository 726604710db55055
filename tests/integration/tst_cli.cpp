// The headless CLI as scripts use it (ARCHITECTURE.md "contract — CLI"), run as a real process.
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include "testsupport.h"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <cmath>
#include <csignal>
#include <map>
#include <set>

using nlohmann::json;

class TestCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void scanThenFindingsJsonFollowsTheContract();
    void editScanDiffHistory();
    void malformedYamlFailsAndKeepsCache();
    void sigkillDuringScanKeepsCacheReadable();
    void exitCodes();
    void acceptanceTakesEffectFromNow();
    void damagedCacheSaysWhatToDo();
    void demoCoversThreeLayers();
    void reportsAreWritten();
    void estateIsTheLatestScanOfEachTarget();
    void aTargetIsTheSameHoweverItWasScanned();
    void ageDeadlinesAndTimeToRemediate();
    void windowOpensTheCacheItIsGiven();

private:
    struct Run {
        int code = -1;
        QByteArray out, err;
    };
    Run lg(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment());
    void writeFile(const QString& name, const QByteArray& text);
    int scalar(const QString& sql);

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_db;
    QString m_manifests;
};

namespace {
const QByteArray kPrivileged = R"(apiVersion: v1
kind: Pod
metadata:
  name: risky
  namespace: shop
spec:
  containers:
    - name: app
      image: app:1.0
      securityContext:
        privileged: true
)";

const QByteArray kRestricted = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: hardened
  namespace: shop
spec:
  selector: {matchLabels: {app: h}}
  template:
    metadata: {labels: {app: h}}
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: app
          image: app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
)";
} // namespace

void TestCli::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_db = m_dir->filePath(QStringLiteral("cache.sqlite"));
    m_manifests = m_dir->filePath(QStringLiteral("manifests"));
    QDir().mkpath(m_manifests);
}

TestCli::Run TestCli::lg(const QStringList& args, const QProcessEnvironment& env)
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(LG_BINARY), args);
    if (!p.waitForFinished(120000))
        p.kill();
    return { p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
        p.readAllStandardError() };
}

void TestCli::writeFile(const QString& name, const QByteArray& text)
{
    QFile f(QDir(m_manifests).filePath(name));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
}

int TestCli::scalar(const QString& sql)
{
    sqlite3* db = nullptr;
    sqlite3_open_v2(m_db.toLocal8Bit().constData(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    int v = -1;
    if (sqlite3_prepare_v2(db, sql.toUtf8().constData(), -1, &st, nullptr) == SQLITE_OK
        && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

void TestCli::scanThenFindingsJsonFollowsTheContract()
{
    writeFile(QStringLiteral("pods.yaml"), kPrivileged + "---\n" + kRestricted);
    auto r = lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"), m_db });
    QVERIFY2(r.code == 0, r.err.constData());
    r = lg({ QStringLiteral("findings"), QStringLiteral("--db"), m_db, QStringLiteral("--format"),
        QStringLiteral("json") });
    LG_COMPARE(r.code, 0);
    const json findings = json::parse(r.out.toStdString());
    QVERIFY(findings.is_array() && !findings.empty());
    bool privileged = false;
    for (const auto& f : findings) {
        for (const char* key : { "id", "rule", "title", "layer", "severity", "status", "target", "resource", "message",
                 "evidence", "remediation", "references" })
            QVERIFY2(f.contains(key), key);
        QVERIFY(
            f["resource"].contains("kind") && f["resource"].contains("namespace") && f["resource"].contains("name"));
        const auto refs = f["references"].get<std::vector<std::string>>();
        if (f["resource"]["name"] == "hardened") {
            for (const auto& ref : refs)
                QVERIFY2(!ref.starts_with("PSS-"),
                    ("restricted pod got PSS finding " + f["rule"].get<std::string>()).c_str());
        }
        if (f["rule"] == "LG-PSS-PRIVILEGED" && f["resource"]["name"] == "risky") {
            privileged = true;
            QVERIFY(std::find(refs.begin(), refs.end(), "PSS-baseline:privileged-containers") != refs.end());
            QVERIFY(std::find(refs.begin(), refs.end(), "KSV-0017") != refs.end());
            QVERIFY(std::find(refs.begin(), refs.end(), "KSV017") != refs.end());
            LG_COMPARE(f["layer"], json("orchestrator"));
            LG_COMPARE(f["severity"], json("critical"));
            LG_COMPARE(f["status"], json("open"));
            LG_COMPARE(f["evidence"][0]["path"], json("spec.containers[0].securityContext.privileged"));
            LG_COMPARE(f["evidence"][0]["value"], json(true));
            LG_COMPARE(f["id"].get<std::string>().size(), std::size_t(32));
        }
    }
    QVERIFY(privileged);
}

void TestCli::editScanDiffHistory()
{
    writeFile(QStringLiteral("pods.yaml"), kPrivileged);
    LG_COMPARE(lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"), m_db,
                      QStringLiteral("--quiet") })
                   .code,
        0);
    auto ids1 = lg({ QStringLiteral("findings"), QStringLiteral("--db"), m_db, QStringLiteral("--format"),
        QStringLiteral("json") });
    // Fix the pod, add a new risky one.
    QByteArray fixed = kPrivileged;
    fixed.replace("privileged: true", "privileged: false");
    QByteArray other = kPrivileged;
    other.replace("name: risky", "name: newcomer");
    writeFile(QStringLiteral("pods.yaml"), fixed + "---\n" + other);
    LG_COMPARE(lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"), m_db,
                      QStringLiteral("--quiet") })
                   .code,
        0);
    auto r = lg(
        { QStringLiteral("diff"), QStringLiteral("--db"), m_db, QStringLiteral("--format"), QStringLiteral("json") });
    QVERIFY2(r.code == 0, r.err.constData());
    const json d = json::parse(r.out.toStdString());
    LG_COMPARE(d["from"], json(1));
    LG_COMPARE(d["to"], json(2));
    auto has = [](const json& list, const char* rule, const char* name) {
        for (const auto& f : list)
            if (f["rule"] == rule && f["resource"]["name"] == name)
                return true;
        return false;
    };
    QVERIFY(has(d["resolved"], "LG-PSS-PRIVILEGED", "risky"));
    QVERIFY(has(d["new"], "LG-PSS-PRIVILEGED", "newcomer"));
    QVERIFY(!has(d["new"], "LG-PSS-RUN-AS-NON-ROOT", "risky")); // unchanged findings are not new
    QVERIFY(d["unchanged"].get<int>() > 0);
    // Stable ids: the unchanged finding keeps its id across scans.
    const json before = json::parse(ids1.out.toStdString());
    r = lg({ QStringLiteral("findings"), QStringLiteral("--db"), m_db, QStringLiteral("--format"),
        QStringLiteral("json") });
    const json after = json::parse(r.out.toStdString());
    std::string idBefore, idAfter;
    for (const auto& f : before)
        if (f["rule"] == "LG-PSS-RUN-AS-NON-ROOT")
            idBefore = f["id"];
    for (const auto& f : after)
        if (f["rule"] == "LG-PSS-RUN-AS-NON-ROOT" && f["resource"]["name"] == "risky")
            idAfter = f["id"];
    QVERIFY(!idBefore.empty());
    LG_COMPARE(idAfter, idBefore);

    r = lg({ QStringLiteral("history"), QStringLiteral("--db"), m_db, QStringLiteral("--format"),
        QStringLiteral("json") });
    const json h = json::parse(r.out.toStdString());
    LG_COMPARE(h.size(), std::size_t(2));
    for (const auto& scan : h) {
        QVERIFY(scan["layers"]["orchestrator"].is_number());
        QVERIFY(scan["layers"]["host"].is_null()); // not scanned: no score
    }
    r = lg({ QStringLiteral("diff"), QStringLiteral("1"), QStringLiteral("2"), QStringLiteral("--db"), m_db });
    LG_COMPARE(r.code, 0);
    // The table's head line counts what the two scans' findings say, computed here from their JSON.
    std::set<std::string> a, b;
    for (const auto& f : before)
        a.insert(f["id"].get<std::string>());
    for (const auto& f : after)
        b.insert(f["id"].get<std::string>());
    int added = 0, resolved = 0, unchanged = 0;
    for (const auto& id : b)
        ++(a.count(id) ? unchanged : added);
    for (const auto& id : a)
        resolved += !b.count(id);
    const QString head
        = QStringLiteral("scan 1 -> 2: %1 new, %2 resolved, %3 unchanged").arg(added).arg(resolved).arg(unchanged);
    QVERIFY2(r.out.startsWith(head.toUtf8()), r.out.constData());
    QVERIFY(added > 0 && resolved > 0 && unchanged > 0);
}

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

void TestCli::exitCodes()
{
    // A pod whose worst finding is high (the host's PID namespace): the gate opens at critical, closes at high.
    writeFile(QStringLiteral("a.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: pid, namespace: shop}\n"
        "spec:\n  hostPID: true\n  containers: [{name: app, image: app:1.0}]\n");
    const QStringList base { QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"),
        m_db, QStringLiteral("--quiet") };
    LG_COMPARE(lg(base + QStringList { QStringLiteral("--fail-on"), QStringLiteral("high") }).code, 3);
    LG_COMPARE(lg(base + QStringList { QStringLiteral("--fail-on"), QStringLiteral("critical") }).code, 0);
    writeFile(QStringLiteral("a.yaml"), kPrivileged); // privileged: critical
    LG_COMPARE(lg(base + QStringList { QStringLiteral("--fail-on"), QStringLiteral("critical") }).code, 3);
    LG_COMPARE(lg(base + QStringList { QStringLiteral("--fail-on"), QStringLiteral("severe") }).code, 2);
    LG_COMPARE(lg({ QStringLiteral("scan"), QStringLiteral("--db"), m_db }).code, 2); // no source
    LG_COMPARE(lg({ QStringLiteral("scan"), QStringLiteral("--bogus") }).code, 2);
    LG_COMPARE(lg({ QStringLiteral("findings"), QStringLiteral("--db"), m_db, QStringLiteral("--format"),
                      QStringLiteral("xml") })
                   .code,
        2);
    LG_COMPARE(lg({ QStringLiteral("frobnicate") }).code, 2);
    LG_COMPARE(lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), m_dir->filePath(QStringLiteral("missing")),
                      QStringLiteral("--db"), m_db })
                   .code,
        1);
    LG_COMPARE(lg({ QStringLiteral("findings"), QStringLiteral("--db"), m_db, QStringLiteral("--scan"),
                      QStringLiteral("999") })
                   .code,
        1);
    // An empty folder is no posture, least of all a clean one: said, not stored, exit 1 (3 with --fail-on).
    const QString empty = m_dir->filePath(QStringLiteral("empty"));
    QDir().mkpath(empty);
    const int scans = scalar(QStringLiteral("SELECT count(*) FROM scans"));
    const QStringList emptyScan { QStringLiteral("scan"), QStringLiteral("--manifests"), empty, QStringLiteral("--db"),
        m_db };
    auto r = lg(emptyScan);
    LG_COMPARE(r.code, 1);
    QVERIFY2(r.err.contains("nothing was observed"), r.err.constData());
    LG_COMPARE(lg(emptyScan + QStringList { QStringLiteral("--fail-on"), QStringLiteral("critical") }).code, 3);
    LG_COMPARE(scalar(QStringLiteral("SELECT count(*) FROM scans")), scans);
}

void TestCli::acceptanceTakesEffectFromNow()
{
    writeFile(QStringLiteral("a.yaml"), kPrivileged);
    const QStringList scan { QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"),
        m_db, QStringLiteral("--quiet") };
    LG_COMPARE(lg(scan).code, 0);
    LG_COMPARE(lg(scan).code, 0);
    auto history = [&] {
        return json::parse(lg({ QStringLiteral("history"), QStringLiteral("--db"), m_db, QStringLiteral("--format"),
                                  QStringLiteral("json") })
                               .out.toStdString());
    };
    const json before = history();
    auto findings = [&](const QStringList& extra = {}) {
        return json::parse(lg(QStringList { QStringLiteral("findings"), QStringLiteral("--db"), m_db,
                                  QStringLiteral("--format"), QStringLiteral("json") }
            + extra)
                               .out.toStdString());
    };
    std::string fid;
    for (const auto& f : findings())
        if (f["rule"] == "LG-PSS-PRIVILEGED")
            fid = f["id"];
    QVERIFY(!fid.empty());
    const QString id = QString::fromStdString(fid);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("USER"), QStringLiteral("dana"));
    // Refused: an unknown finding, an expiry in the past (usage: exit 2, a message, nothing recorded).
    auto r
        = lg({ QStringLiteral("accept"), QStringLiteral("0123456789abcdef0123456789abcdef"), QStringLiteral("--owner"),
                 QStringLiteral("ops"), QStringLiteral("--reason"), QStringLiteral("r"), QStringLiteral("--db"), m_db },
            env);
    LG_COMPARE(r.code, 2);
    QVERIFY2(r.err.contains("no finding"), r.err.constData());
    r = lg({ QStringLiteral("accept"), id, QStringLiteral("--owner"), QStringLiteral("ops"), QStringLiteral("--reason"),
               QStringLiteral("r"), QStringLiteral("--expires"), QStringLiteral("2001-01-01"), QStringLiteral("--db"),
               m_db },
        env);
    LG_COMPARE(r.code, 2);
    QVERIFY2(r.err.contains("in the future"), r.err.constData());
    LG_COMPARE(scalar(QStringLiteral("SELECT count(*) FROM risk_acceptances")), 0);
    // Accepted from now on: the latest scan shows it at once, with who and why; no stored score changes.
    r = lg({ QStringLiteral("accept"), id, QStringLiteral("--owner"), QStringLiteral("ops"), QStringLiteral("--reason"),
               QStringLiteral("node agent"), QStringLiteral("--db"), m_db },
        env);
    QVERIFY2(r.code == 0, r.err.constData());
    bool accepted = false;
    for (const auto& f : findings())
        if (f["id"] == fid) {
            accepted = f["status"] == "accepted";
            LG_COMPARE(f["acceptance"]["owner"], json("ops"));
            LG_COMPARE(f["acceptance"]["by"], json("dana"));
            LG_COMPARE(f["acceptance"]["reason"], json("node agent"));
        }
    QVERIFY(accepted);
    for (const auto& f : findings({ QStringLiteral("--scan"), QStringLiteral("1") })) // as it was recorded
        if (f["id"] == fid)
            LG_COMPARE(f["status"], json("open"));
    LG_COMPARE(history(), before);
    // Revoked from now on; a second revoke has nothing to revoke and says so.
    r = lg({ QStringLiteral("revoke"), id, QStringLiteral("--db"), m_db }, env);
    LG_COMPARE(r.code, 0);
    r = lg({ QStringLiteral("revoke"), id, QStringLiteral("--db"), m_db }, env);
    LG_COMPARE(r.code, 2);
    QVERIFY2(r.err.contains("nothing to revoke"), r.err.constData());
    for (const auto& f : findings())
        if (f["id"] == fid)
            LG_COMPARE(f["status"], json("open"));
    LG_COMPARE(history(), before);
    LG_COMPARE(scalar(QStringLiteral("SELECT count(*) FROM risk_acceptances WHERE revoked_by = 'dana'")), 1);
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

void TestCli::demoCoversThreeLayers()
{
    auto r = lg(
        { QStringLiteral("scan"), QStringLiteral("--demo"), QStringLiteral("--db"), m_db, QStringLiteral("--quiet") });
    QVERIFY2(r.code == 0, r.err.constData());
    r = lg({ QStringLiteral("history"), QStringLiteral("--db"), m_db, QStringLiteral("--format"),
        QStringLiteral("json") });
    const json h = json::parse(r.out.toStdString());
    LG_COMPARE(h.size(), std::size_t(1));
    for (const char* layer : { "host", "runtime", "orchestrator" })
        QVERIFY2(h[0]["layers"][layer].is_number(), layer);
    QVERIFY(h[0]["layers"]["image"].is_null());
    r = lg({ QStringLiteral("findings"), QStringLiteral("--db"), m_db, QStringLiteral("--format"),
        QStringLiteral("json") });
    // The demo's database password is in the manifest; it must not reach the cache or the output.
    QVERIFY(!r.out.contains("s3cr3t-demo-password"));
    QFile db(m_db);
    QVERIFY(db.open(QIODevice::ReadOnly));
    QVERIFY(!db.readAll().contains("s3cr3t-demo-password"));
}

void TestCli::reportsAreWritten()
{
    writeFile(QStringLiteral("a.yaml"), kPrivileged);
    LG_COMPARE(lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"), m_db,
                      QStringLiteral("--quiet") })
                   .code,
        0);
    for (const char* fmt : { "json", "csv", "sarif" }) {
        const QString out = m_dir->filePath(QStringLiteral("report.") + QLatin1String(fmt));
        const auto r = lg({ QStringLiteral("report"), QStringLiteral("--format"), QLatin1String(fmt),
            QStringLiteral("-o"), out, QStringLiteral("--db"), m_db });
        QVERIFY2(r.code == 0, r.err.constData());
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.readAll().contains("LG-PSS-PRIVILEGED"));
    }
    LG_COMPARE(lg({ QStringLiteral("report"), QStringLiteral("--format"), QStringLiteral("sarif"),
                      QStringLiteral("--db"), m_db })
                   .code,
        2);
}

// Three targets scanned at different times, one of them failing: the estate is the latest scan of each target
// that succeeded; every number of `posture` equals an independent count over the contract JSON of `findings`;
// `diff` compares each target with its own previous scan; accepting a finding of an older scan shows at once.
void TestCli::estateIsTheLatestScanOfEachTarget()
{
    const QString alpha = m_dir->filePath(QStringLiteral("alpha")), beta = m_dir->filePath(QStringLiteral("beta"));
    QDir().mkpath(alpha);
    QDir().mkpath(beta);
    auto write = [](const QString& file, const QByteArray& text) {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(text);
    };
    auto scanOf = [&](const QString& dir, const QString& target) {
        return lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), dir, QStringLiteral("--target"), target,
            QStringLiteral("--db"), m_db, QStringLiteral("--quiet") });
    };
    write(alpha + QStringLiteral("/pod.yaml"), kPrivileged);
    LG_COMPARE(scanOf(alpha, QStringLiteral("alpha")).code, 0); // scan 1
    write(beta + QStringLiteral("/pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: pid, namespace: shop}\n"
        "spec:\n  hostPID: true\n  containers: [{name: app, image: app:1.0}]\n");
    LG_COMPARE(scanOf(beta, QStringLiteral("beta")).code, 0); // scan 2
    write(alpha + QStringLiteral("/pod.yaml"), kRestricted); // alpha fixed its pod
    LG_COMPARE(scanOf(alpha, QStringLiteral("alpha")).code, 0); // scan 3
    const auto failed = scanOf(m_dir->filePath(QStringLiteral("missing")), QStringLiteral("gamma"));
    LG_COMPARE(failed.code, 1); // not stored

    // The contract JSON of each target's findings, counted here, is what posture must say.
    auto postureJson = [&] {
        const auto r = lg({ QStringLiteral("posture"), QStringLiteral("--format"), QStringLiteral("json"),
            QStringLiteral("--db"), m_db });
        return json::parse(r.out.toStdString());
    };
    auto checkAgainstFindings = [&](const json& posture) {
        std::map<std::string, std::map<std::string, int>> estate; // layer -> severity -> open
        for (const auto& t : posture["targets"]) {
            const auto r = lg({ QStringLiteral("findings"), QStringLiteral("--target"),
                QString::fromStdString(t["target"].get<std::string>()), QStringLiteral("--format"),
                QStringLiteral("json"), QStringLiteral("--db"), m_db });
            std::map<std::string, std::map<std::string, int>> counted;
            for (const auto& f : json::parse(r.out.toStdString()))
                if (f["status"] == "open") {
                    ++counted[f["layer"].get<std::string>()][f["severity"].get<std::string>()];
                    ++estate[f["layer"].get<std::string>()][f["severity"].get<std::string>()];
                }
            for (auto l = t["layers"].begin(); l != t["layers"].end(); ++l)
                for (auto n = (*l)["open"].begin(); n != (*l)["open"].end(); ++n)
                    QVERIFY2(n->get<int>() == counted[l.key()][n.key()],
                        (t["target"].get<std::string>() + " " + l.key() + " " + n.key()).c_str());
        }
        for (auto l = posture["layers"].begin(); l != posture["layers"].end(); ++l)
            for (auto n = (*l)["open"].begin(); n != (*l)["open"].end(); ++n)
                QVERIFY2(n->get<int>() == estate[l.key()][n.key()], ("estate " + l.key() + " " + n.key()).c_str());
    };
    json posture = postureJson();
    LG_COMPARE(posture["targets"].size(), std::size_t(2)); // gamma failed: never part of the estate
    LG_COMPARE(posture["targets"][0]["target"], json("alpha"));
    LG_COMPARE(posture["targets"][0]["scan"], json(3));
    LG_COMPARE(posture["targets"][0]["previous_scan"], json(1));
    LG_COMPARE(posture["targets"][1]["target"], json("beta"));
    LG_COMPARE(posture["targets"][1]["scan"], json(2)); // not replaced by alpha's later scan
    LG_COMPARE(posture["targets"][1]["layers"]["orchestrator"]["open"]["high"].get<int>() > 0, true);
    checkAgainstFindings(posture);
    if (QTest::currentTestFailed())
        return;

    // diff without ids: alpha against its own scan 1; beta has nothing to compare with, and nothing of beta's
    // counts as resolved by alpha's scan.
    auto r = lg(
        { QStringLiteral("diff"), QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--db"), m_db });
    QVERIFY2(r.code == 0, r.err.constData());
    const json d = json::parse(r.out.toStdString());
    LG_COMPARE(d["targets"].size(), std::size_t(1));
    LG_COMPARE(d["targets"][0]["target"], json("alpha"));
    LG_COMPARE(d["from"], json(1));
    LG_COMPARE(d["to"], json(3));
    bool privilegedResolved = false;
    for (const auto& f : d["resolved"]) {
        LG_COMPARE(f["target"], json("alpha"));
        privilegedResolved = privilegedResolved || f["rule"] == "LG-PSS-PRIVILEGED";
    }
    QVERIFY(privilegedResolved);

    // Accepting a finding of beta's (older) scan shows at once in the estate.
    r = lg(
        { QStringLiteral("findings"), QStringLiteral("--target"), QStringLiteral("beta"), QStringLiteral("--severity"),
            QStringLiteral("high"), QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--db"), m_db });
    const json high = json::parse(r.out.toStdString());
    QVERIFY(!high.empty());
    const int before = posture["targets"][1]["layers"]["orchestrator"]["open"]["high"].get<int>();
    LG_COMPARE(lg({ QStringLiteral("accept"), QString::fromStdString(high[0]["id"].get<std::string>()),
                      QStringLiteral("--owner"), QStringLiteral("ops"), QStringLiteral("--reason"),
                      QStringLiteral("known"), QStringLiteral("--db"), m_db })
                   .code,
        0);
    posture = postureJson();
    LG_COMPARE(posture["targets"][1]["layers"]["orchestrator"]["open"]["high"].get<int>(), before - 1);
    checkAgainstFindings(posture);

    // history --target: that target's own scans only.
    r = lg({ QStringLiteral("history"), QStringLiteral("--target"), QStringLiteral("alpha"), QStringLiteral("--format"),
        QStringLiteral("json"), QStringLiteral("--db"), m_db });
    const json h = json::parse(r.out.toStdString());
    LG_COMPARE(h.size(), std::size_t(2));
    LG_COMPARE(h[0]["scan"], json(1));
    LG_COMPARE(h[1]["scan"], json(3));

    // The report of the estate: both targets' findings (as of now), a section per target in the PDF.
    const QString estateJson = m_dir->filePath(QStringLiteral("estate.json"));
    r = lg({ QStringLiteral("report"), QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("-o"),
        estateJson, QStringLiteral("--db"), m_db });
    QVERIFY2(r.code == 0, r.err.constData());
    QFile reportFile(estateJson);
    QVERIFY(reportFile.open(QIODevice::ReadOnly));
    const json report = json::parse(reportFile.readAll().toStdString());
    std::set<std::string> reported, expected;
    for (const auto& f : report["findings"])
        reported.insert(f["id"].get<std::string>());
    for (const char* target : { "alpha", "beta" })
        for (const auto& f :
            json::parse(lg({ QStringLiteral("findings"), QStringLiteral("--target"), QLatin1String(target),
                               QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--db"), m_db })
                            .out.toStdString()))
            expected.insert(f["id"].get<std::string>());
    QVERIFY(!expected.empty());
    LG_COMPARE(reported, expected);
    const QString pdf = m_dir->filePath(QStringLiteral("estate.pdf"));
    r = lg({ QStringLiteral("report"), QStringLiteral("--format"), QStringLiteral("pdf"), QStringLiteral("-o"), pdf,
        QStringLiteral("--db"), m_db });
    QVERIFY2(r.code == 0, r.err.constData());
    QProcess text;
    text.start(QStringLiteral("pdftotext"), { QStringLiteral("-layout"), pdf, QStringLiteral("-") });
    QVERIFY(text.waitForFinished(60000));
    const QString pages = QString::fromUtf8(text.readAllStandardOutput());
    QVERIFY2(pages.contains(QLatin1String("Estate of 2 targets")), qPrintable(pages.left(2000)));
    QVERIFY(pages.contains(QRegularExpression(QStringLiteral("\\nTargets\\n"))));
    QVERIFY(pages.contains(QRegularExpression(QStringLiteral("\\nalpha\\n[^\\n]*scan 3, (ﬁ|fi)nished"))));
    QVERIFY(pages.contains(QRegularExpression(QStringLiteral("\\nbeta\\n[^\\n]*scan 2, (ﬁ|fi)nished"))));
    QVERIFY(pages.contains(QLatin1String("Since each target's previous scan")));
}

// The folder named acme-prod once is acme-prod when scanned again without a name, from another working folder
// and by a relative path: its findings keep their ids, and nothing is "new" or "resolved".
void TestCli::aTargetIsTheSameHoweverItWasScanned()
{
    writeFile(QStringLiteral("a.yaml"), kPrivileged);
    auto r = lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--target"),
        QStringLiteral("acme-prod"), QStringLiteral("--db"), m_db, QStringLiteral("--quiet") });
    QVERIFY2(r.code == 0, r.err.constData());
    QProcess p; // unnamed, relative to its parent folder
    p.setWorkingDirectory(m_dir->path());
    p.start(QStringLiteral(LG_BINARY),
        { QStringLiteral("scan"), QStringLiteral("--manifests"), QStringLiteral("manifests/../manifests"),
            QStringLiteral("--db"), m_db, QStringLiteral("--quiet") });
    QVERIFY(p.waitForFinished(60'000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    r = lg({ QStringLiteral("posture"), QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--db"),
        m_db });
    const json posture = json::parse(r.out.toStdString());
    LG_COMPARE(posture["targets"].size(), std::size_t(1));
    LG_COMPARE(posture["targets"][0]["target"], json("acme-prod"));
    LG_COMPARE(posture["targets"][0]["scan"], json(2));
    r = lg(
        { QStringLiteral("diff"), QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--db"), m_db });
    const json d = json::parse(r.out.toStdString());
    LG_COMPARE(d["new"].size(), std::size_t(0));
    LG_COMPARE(d["resolved"].size(), std::size_t(0));
    QVERIFY(d["unchanged"].get<int>() > 0);
}

// The risky pod's findings were first seen 40 days ago (the cache is aged here), the rest today: what
// --overdue, --older-than and posture say is worked out again from each finding's first_seen.
void TestCli::ageDeadlinesAndTimeToRemediate()
{
    writeFile(QStringLiteral("pods.yaml"),
        kPrivileged + "---\n" + kRestricted
            + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: pid, namespace: shop}\n"
              "spec:\n  hostPID: true\n  containers: [{name: app, image: app:1.0}]\n");
    auto scan = [&] {
        return lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"), m_db,
                      QStringLiteral("--quiet") })
            .code;
    };
    LG_COMPARE(scan(), 0);
    {
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(m_db.toLocal8Bit().constData(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db,
                     "UPDATE finding_first_seen SET first_seen = first_seen - 40 * 86400 WHERE fid IN "
                     "(SELECT fid FROM findings WHERE name = 'risky')",
                     nullptr, nullptr, nullptr),
            SQLITE_OK);
        sqlite3_close(db);
    }
    auto list = [&](QStringList extra) {
        extra << QStringLiteral("--format") << QStringLiteral("json") << QStringLiteral("--db") << m_db;
        const auto r = lg(QStringList { QStringLiteral("findings") } + extra);
        [&] { QVERIFY2(r.code == 0, r.err.constData()); }();
        return json::parse(r.out.toStdString());
    };
    const std::int64_t now = QDateTime::currentSecsSinceEpoch();
    const std::map<std::string, int> sla { { "critical", 7 }, { "high", 30 }, { "medium", 90 }, { "low", 180 } };
    std::set<std::string> overdue, old, riskyIds;
    std::map<std::string, int> overdueBySeverity;
    std::map<std::string, std::int64_t> firstSeen;
    for (const auto& f : list({})) {
        const std::string id = f["id"], severity = f["severity"];
        const std::int64_t seen
            = QDateTime::fromString(QString::fromStdString(f["first_seen"].get<std::string>()), Qt::ISODate)
                  .toSecsSinceEpoch();
        QVERIFY(seen > 0 && seen <= now);
        firstSeen[id] = seen;
        if (f["resource"]["name"] == "risky")
            riskyIds.insert(id);
        const auto deadline = sla.find(severity);
        if (f["status"] == "open" && deadline != sla.end() && now - seen > deadline->second * 86400) {
            overdue.insert(id);
            ++overdueBySeverity[severity];
        }
        if (seen < now - 30 * 86400)
            old.insert(id);
    }
    QVERIFY(!overdue.empty() && overdue.size() < riskyIds.size()); // criticals and highs, not the medium ones
    LG_COMPARE(old, riskyIds);
    auto ids = [](const json& findings) {
        std::set<std::string> out;
        for (const auto& f : findings)
            out.insert(f["id"].get<std::string>());
        return out;
    };
    LG_COMPARE(ids(list({ QStringLiteral("--overdue") })), overdue);
    LG_COMPARE(ids(list({ QStringLiteral("--older-than"), QStringLiteral("30d") })), old);
    LG_COMPARE(ids(list({ QStringLiteral("--older-than"), QStringLiteral("41") })), std::set<std::string>());
    // a policy's own deadlines: critical 60 days, high none
    const QString policy = m_dir->filePath(QStringLiteral("policy.yaml"));
    {
        QFile f(policy);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("sla: {critical: 60, high: 0, medium: 30}\n");
    }
    std::set<std::string> mediumOnly;
    for (const auto& f : list({}))
        if (f["severity"] == "medium" && riskyIds.count(f["id"].get<std::string>()))
            mediumOnly.insert(f["id"].get<std::string>());
    LG_COMPARE(ids(list({ QStringLiteral("--overdue"), QStringLiteral("--policy"), policy })), mediumOnly);
    LG_COMPARE(lg({ QStringLiteral("findings"), QStringLiteral("--older-than"), QStringLiteral("soon"),
                      QStringLiteral("--db"), m_db })
                   .code,
        2);
    // the table marks an overdue finding's age
    const auto table = lg({ QStringLiteral("findings"), QStringLiteral("--overdue"), QStringLiteral("--db"), m_db });
    QVERIFY2(table.out.contains(" 40d! ")
            && table.out.contains(QByteArray(QByteArray::number(int(overdue.size())) + " overdue)")),
        table.out.constData());
    auto posture = [&] {
        return json::parse(lg({ QStringLiteral("posture"), QStringLiteral("--format"), QStringLiteral("json"),
                                  QStringLiteral("--db"), m_db })
                               .out.toStdString());
    };
    auto p = posture();
    for (const auto& [severity, n] : overdueBySeverity)
        LG_COMPARE(p["lifecycle"]["overdue"][severity].get<int>(), n);
    LG_COMPARE(p["lifecycle"]["time_to_remediate"]["by_severity"]["critical"]["fixed"].get<int>(), 0);

    // the risky pod is fixed: its findings were open 40 days, the hostPID pod's stay
    writeFile(QStringLiteral("pods.yaml"),
        kRestricted
            + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: pid, namespace: shop}\n"
              "spec:\n  hostPID: true\n  containers: [{name: app, image: app:1.0}]\n");
    LG_COMPARE(scan(), 0);
    const std::int64_t fixedAt = QDateTime::currentSecsSinceEpoch();
    std::map<std::string, std::pair<int, double>> expected; // severity -> fixed, sum of days
    const auto remaining = ids(list({}));
    for (const auto& f :
        json::parse(lg({ QStringLiteral("findings"), QStringLiteral("--scan"), QStringLiteral("1"),
                           QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--db"), m_db })
                        .out.toStdString()))
        if (!remaining.count(f["id"].get<std::string>())) {
            auto& e = expected[f["severity"].get<std::string>()];
            ++e.first;
            e.second += double(fixedAt - firstSeen.at(f["id"].get<std::string>())) / 86400.0;
        }
    QVERIFY(!expected.empty());
    p = posture();
    for (const char* severity : { "critical", "high", "medium", "low", "info" }) {
        const auto& got = p["lifecycle"]["time_to_remediate"]["by_severity"][severity];
        const auto e = expected.find(severity);
        LG_COMPARE(got["fixed"].get<int>(), e == expected.end() ? 0 : e->second.first);
        if (e != expected.end())
            QVERIFY2(std::abs(got["mean_days"].get<double>() - e->second.second / e->second.first) < 0.01, severity);
    }
    const auto text = lg({ QStringLiteral("posture"), QStringLiteral("--db"), m_db }).out;
    QVERIFY2(text.contains("Mean time to remediate, last 90 days: critical 40.0 days"), text.constData());
}

// `layerguard --db FILE` and `layerguard FILE.sqlite` open the window on that cache (here until it has the cache open,
// its WAL file there): the default cache is never created, and a cache given by name is not confused with a subcommand.
void TestCli::windowOpensTheCacheItIsGiven()
{
    writeFile(QStringLiteral("pods.yaml"), kPrivileged);
    LG_COMPARE(lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"), m_db,
                      QStringLiteral("--quiet") })
                   .code,
        0);
    const QString home = m_dir->filePath(QStringLiteral("home"));
    QDir().mkpath(home);
    auto env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("LAYERGUARD_DB"));
    env.insert(QStringLiteral("HOME"), home);
    env.insert(QStringLiteral("XDG_DATA_HOME"), home + QStringLiteral("/data"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/config"));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    const QString named = m_dir->filePath(QStringLiteral("named.sqlite"));
    QVERIFY(QFile::copy(m_db, named));
    for (const QStringList& args : { QStringList { QStringLiteral("--db"), m_db }, QStringList { named } }) {
        const QString cache = args.last();
        QVERIFY(!QFileInfo::exists(cache + QStringLiteral("-wal")));
        QProcess window;
        window.setProcessEnvironment(env);
        window.start(QStringLiteral(LG_BINARY), args);
        QVERIFY(window.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(
            QFileInfo::exists(cache + QStringLiteral("-wal")) || window.state() != QProcess::Running, 30000);
        QVERIFY2(window.state() == QProcess::Running, window.readAllStandardError().constData()); // a window
        window.kill();
        window.waitForFinished();
        QVERIFY2(!QFileInfo::exists(home + QStringLiteral("/data/layerguard/cache.sqlite")),
            qPrintable(args.join(QLatin1Char(' '))));
    }
    // anything else is still the CLI: an unknown word is a usage error, not a window
    LG_COMPARE(lg({ QStringLiteral("cache.txt") }, env).code, 2);
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
