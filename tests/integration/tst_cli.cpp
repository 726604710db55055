// The headless CLI as scripts use it (ARCHITECTURE.md "contract — CLI"), run as a real process: the contract of
// the commands and their exit codes; the helpers the other files of this test share (tst_cli.h).
#include "tst_cli.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTest>

#include "testsupport.h"

#include <sqlite3.h>

#include <set>

using nlohmann::json;

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

json TestCli::postureJson()
{
    const auto r = lg({ QStringLiteral("posture"), QStringLiteral("--format"), QStringLiteral("json"),
        QStringLiteral("--db"), m_db });
    return json::parse(r.out.toStdString());
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
