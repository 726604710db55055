// The registry connector against the real docker-registry three ways (tests/testbed/registry.sh: plain HTTP,
// TLS + htpasswd, TLS + bearer tokens from a local issuer) with crafted images pushed without an engine:
// every registry and image rule fires on what breaks it and not on the clean image, through each auth mode;
// credential helpers, re-pushed tags, faults, and the fake secret never leaving memory.
#include "connectors/registry/registryconnector.h"
#include "scan/scanner.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "testsupport.h"

#include <nlohmann/json.hpp>

#include <map>
#include <set>

using namespace lg;
using lg::test::fired;

namespace {

const QString kTestbed = QStringLiteral(LG_SOURCE_DIR "/tests/testbed");

} // namespace

class TestRegistry : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void rulesThroughEachAuthMode_data();
    void rulesThroughEachAuthMode();
    void credentialHelper();
    void wrongPasswordExpiredTokenWrongCa_data();
    void wrongPasswordExpiredTokenWrongCa();
    void tokensForManyRepositoriesAndInsufficientScope();
    void faultyTagsAreReportedNotFatal();
    void vulnerabilityReports();
    void repushedTagIsReported();
    void secretNeverLeavesMemory();
    void hostileListingsFailWithTheReason_data();
    void hostileListingsFailWithTheReason();
    void passwordNeverGoesInClearToAnotherHost();
    void onlySignaturesCountAsSigned();
    void unverifiedTlsIsAnExplicitChoiceAndReported();
    void hostedRegistryThroughTheFront_data();
    void hostedRegistryThroughTheFront();
    void rateLimitIsNamedWithItsHeaders();
    void wwwAuthenticateParsing();
    void credentialSources();

private:
    ScanOutcome scan(RegistryOptions o);
    QString env(const char* name) const { return m_env.at(QLatin1String(name)); }
    int cli(const QStringList& args, QByteArray* out = nullptr, QByteArray* err = nullptr,
        const QProcessEnvironment& extra = {});

    /** tests/testbed/registry-hostile.py in one mode: its URL, and the file it logs its requests to. */
    struct Hostile {
        std::unique_ptr<QProcess> process;
        QString url;
        QString log;
    };
    Hostile startHostile(const QString& mode);
    static std::vector<QJsonObject> requests(const QString& log);

    QTemporaryDir m_tmp;
    std::map<QString, QString> m_env;
    RuleCatalog m_catalog = RuleCatalog::builtin();
};

void TestRegistry::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    QProcess p;
    p.start(QStringLiteral("bash"),
        { kTestbed + QStringLiteral("/registry.sh"), QStringLiteral("start"), m_tmp.filePath(QStringLiteral("reg")) });
    QVERIFY(p.waitForFinished(180'000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    QFile f(m_tmp.filePath(QStringLiteral("reg/registry.env")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    for (const auto& line : f.readAll().split('\n')) {
        const int eq = line.indexOf('=');
        if (eq > 0)
            m_env[QString::fromUtf8(line.left(eq))] = QString::fromUtf8(line.mid(eq + 1));
    }
    QVERIFY(!env("LG_REG_PLAIN_URL").isEmpty());
}

void TestRegistry::cleanupTestCase()
{
    QProcess::execute(QStringLiteral("bash"),
        { kTestbed + QStringLiteral("/registry.sh"), QStringLiteral("stop"), m_tmp.filePath(QStringLiteral("reg")) });
}

ScanOutcome TestRegistry::scan(RegistryOptions o)
{
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<RegistryConnector>(std::move(o), "reg"));
    Scanner scanner(m_catalog, ScanSettings {});
    CancelToken cancel { false };
    return scanner.run(sources, nullptr, cancel, {});
}

int TestRegistry::cli(const QStringList& args, QByteArray* out, QByteArray* err, const QProcessEnvironment& extra)
{
    QProcess p;
    auto e = QProcessEnvironment::systemEnvironment();
    e.remove(QStringLiteral("LAYERGUARD_DB"));
    e.insert(extra);
    p.setProcessEnvironment(e);
    p.start(QStringLiteral(LG_BINARY), args);
    p.waitForFinished(120'000);
    if (out)
        *out = p.readAllStandardOutput();
    if (err)
        *err = p.readAllStandardError();
    return p.exitCode();
}

void TestRegistry::rulesThroughEachAuthMode_data()
{
    QTest::addColumn<QString>("mode");
    QTest::newRow("plain HTTP, anonymous") << QStringLiteral("PLAIN");
    QTest::newRow("TLS + htpasswd") << QStringLiteral("BASIC");
    QTest::newRow("TLS + bearer tokens") << QStringLiteral("TOKEN");
}

void TestRegistry::rulesThroughEachAuthMode()
{
    QFETCH(QString, mode);
    RegistryOptions o;
    o.url = m_env.at(QStringLiteral("LG_REG_%1_URL").arg(mode)).toStdString();
    o.caFile = env("LG_REG_CA").toStdString();
    if (mode != QLatin1String("PLAIN"))
        o.credential
            = RegistryCredential { env("LG_REG_USER").toStdString(), env("LG_REG_PASSWORD").toStdString(), "test" };
    const auto out = scan(o);
    QVERIFY2(!out.anySourceFailed(), out.sources.at(0).error.c_str());
    const bool plain = mode == QLatin1String("PLAIN");
    // the registry itself
    QCOMPARE(fired(out, "LG-REGISTRY-PLAIN-HTTP", o.url), plain);
    QCOMPARE(fired(out, "LG-REGISTRY-ANONYMOUS-CATALOG", o.url), plain);
    QCOMPARE(fired(out, "LG-REGISTRY-ANONYMOUS-PULL", o.url), plain);
    QVERIFY(!fired(out, "LG-REGISTRY-TLS-UNVERIFIED", o.url));
    // the crafted images
    for (const char* rule : { "LG-IMAGE-SECRET-ENV", "LG-IMAGE-ROOT-USER", "LG-IMAGE-OLD", "LG-IMAGE-ADD-REMOTE",
             "LG-IMAGE-HEALTHCHECK" }) {
        QVERIFY2(fired(out, rule, "shop/root:1.0"), rule);
        QVERIFY2(!fired(out, rule, "shop/clean:1.0"), rule);
    }
    QVERIFY(fired(out, "LG-IMAGE-LATEST-ONLY", "shop/web:latest"));
    QVERIFY(!fired(out, "LG-IMAGE-LATEST-ONLY", "shop/clean:1.0"));
    QVERIFY(fired(out, "LG-REGISTRY-UNSIGNED", "shop/root:1.0"));
    QVERIFY(!fired(out, "LG-REGISTRY-UNSIGNED", "shop/clean:1.0")); // cosign signature tag
    // the OCI index is judged on its linux/amd64 manifest (User "app"), not the root arm64 one
    QVERIFY(!fired(out, "LG-IMAGE-ROOT-USER", "shop/multi:2.0"));
    QVERIFY(fired(out, "LG-REGISTRY-UNSIGNED", "shop/multi:2.0"));
    for (const auto& f : out.record.findings)
        QVERIFY2(f.rule != "LG-REGISTRY-UNREADABLE", f.message.c_str());
}

void TestRegistry::credentialHelper()
{
    // docker-credential-<name> get: the host on stdin, {"Username","Secret"} on stdout
    const QString bin = m_tmp.filePath(QStringLiteral("bin"));
    QDir().mkpath(bin);
    QFile helper(bin + QStringLiteral("/docker-credential-lgtest"));
    QVERIFY(helper.open(QIODevice::WriteOnly));
    helper.write(
        "#!/bin/sh\nread host\necho \"$host\" >> \"$0.log\"\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"%s\","
        "\"Secret\":\"%s\"}' \"$host\" \""
        + env("LG_REG_USER").toUtf8() + "\" \"" + env("LG_REG_PASSWORD").toUtf8() + "\"\n");
    helper.close();
    helper.setPermissions(helper.permissions() | QFileDevice::ExeOwner);
    const std::string host = RegistryConnector::hostOf(env("LG_REG_TOKEN_URL").toStdString());
    const QString config = m_tmp.filePath(QStringLiteral("helper-config"));
    QDir().mkpath(config);
    QFile cfg(config + QStringLiteral("/config.json"));
    QVERIFY(cfg.open(QIODevice::WriteOnly));
    cfg.write("{\"credHelpers\": {\"" + QByteArray::fromStdString(host) + "\": \"lgtest\"}}");
    cfg.close();
    const QByteArray oldPath = qgetenv("PATH");
    qputenv("PATH", bin.toUtf8() + ":" + oldPath);
    qputenv("DOCKER_CONFIG", config.toUtf8());
    const auto cred = findRegistryCredential(host);
    RegistryOptions o;
    o.url = env("LG_REG_TOKEN_URL").toStdString();
    o.caFile = env("LG_REG_CA").toStdString();
    const auto out = scan(o);
    qputenv("PATH", oldPath);
    qunsetenv("DOCKER_CONFIG");
    QVERIFY(cred);
    LG_COMPARE(cred->source, std::string("credential helper lgtest"));
    QVERIFY2(!out.anySourceFailed(), out.sources.at(0).error.c_str());
    QVERIFY(fired(out, "LG-IMAGE-SECRET-ENV", "shop/root:1.0"));
    QFile log(helper.fileName() + QStringLiteral(".log"));
    QVERIFY(log.open(QIODevice::ReadOnly));
    QVERIFY(log.readAll().contains(QByteArray::fromStdString(host)));
}

void TestRegistry::wrongPasswordExpiredTokenWrongCa_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<QString>("hint");
    QTest::newRow("wrong password, basic") << "basic-password"
                                           << "refused the credentials"
                                           << "docker login";
    QTest::newRow("wrong password, token service") << "token-password"
                                                   << "refused the credentials"
                                                   << "docker login";
    QTest::newRow("expired token") << "expired"
                                   << "refused the credentials"
                                   << "expired token";
    QTest::newRow("wrong CA") << "ca"
                              << "SSL"
                              << "--ca-file";
    QTest::newRow("no credentials") << "none"
                                    << "needs credentials"
                                    << "docker login";
}

void TestRegistry::wrongPasswordExpiredTokenWrongCa()
{
    QFETCH(QString, mode);
    QFETCH(QString, expected);
    QFETCH(QString, hint);
    RegistryOptions o;
    o.url = env(mode == QLatin1String("basic-password") ? "LG_REG_BASIC_URL" : "LG_REG_TOKEN_URL").toStdString();
    o.caFile = env(mode == QLatin1String("ca") ? "LG_REG_OTHER_CA" : "LG_REG_CA").toStdString();
    o.credential = RegistryCredential { env("LG_REG_USER").toStdString(),
        mode.endsWith(QLatin1String("password")) ? std::string("wrong-password") : env("LG_REG_PASSWORD").toStdString(),
        "test" };
    if (mode == QLatin1String("none"))
        o.credential = RegistryCredential { "", "", "none" }; // an empty entry: like no login at all
    const QString knob = env("LG_REG_ISSUER_EXPIRE_FILE");
    if (mode == QLatin1String("expired"))
        QFile(knob).open(QIODevice::WriteOnly);
    const auto out = scan(o);
    QFile::remove(knob);
    QVERIFY(out.anySourceFailed());
    const auto& st = out.sources.at(0);
    QVERIFY2(QString::fromStdString(st.error).contains(expected), st.error.c_str());
    QVERIFY2(QString::fromStdString(st.hint).contains(hint), st.hint.c_str());
    QVERIFY(st.error.find(env("LG_REG_PASSWORD").toStdString()) == std::string::npos);
    QVERIFY(out.record.findings.empty());
}

namespace {

/** The issuer's log lines from `from` on: (requested repository scopes, granted repository names). */
std::vector<std::pair<QStringList, QStringList>> repositoryTokenRequests(const QString& log, qint64 from)
{
    std::vector<std::pair<QStringList, QStringList>> out;
    QFile f(log);
    if (!f.open(QIODevice::ReadOnly) || !f.seek(from))
        return out;
    for (const QByteArray& line : f.readAll().split('\n')) {
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        if (o.value(QLatin1String("status")).toInt() != 200)
            continue;
        QStringList asked, granted;
        for (const auto s : o.value(QLatin1String("scopes")).toArray())
            if (s.toString().startsWith(QLatin1String("repository:")))
                asked << s.toString();
        for (const auto g : o.value(QLatin1String("granted")).toArray())
            if (g.toObject().value(QLatin1String("type")).toString() == QLatin1String("repository"))
                granted << g.toObject().value(QLatin1String("name")).toString();
        if (!asked.isEmpty())
            out.emplace_back(asked, granted);
    }
    return out;
}

} // namespace

void TestRegistry::tokensForManyRepositoriesAndInsufficientScope()
{
    RegistryOptions o;
    o.url = env("LG_REG_TOKEN_URL").toStdString();
    o.caFile = env("LG_REG_CA").toStdString();
    o.credential
        = RegistryCredential { env("LG_REG_USER").toStdString(), env("LG_REG_PASSWORD").toStdString(), "test" };
    const QString log = env("LG_REG_ISSUER_LOG");
    const auto rootFindings = [](const ScanOutcome& out) {
        return fired(out, "LG-IMAGE-ROOT-USER", "shop/root:1.0") && !fired(out, "LG-IMAGE-ROOT-USER", "shop/clean:1.0")
            && fired(out, "LG-REGISTRY-UNSIGNED", "shop/root:1.0")
            && !fired(out, "LG-REGISTRY-UNSIGNED", "shop/clean:1.0");
    };

    // One token for all the repositories: one request to the issuer, no token per repository.
    const qint64 from = QFileInfo(log).size();
    auto out = scan(o);
    QVERIFY2(!out.anySourceFailed(), out.sources.at(0).error.c_str());
    QVERIFY(rootFindings(out));
    auto requests = repositoryTokenRequests(log, from);
    QCOMPARE(requests.size(), std::size_t(1));
    const QStringList repositories = requests.front().first;
    QVERIFY2(repositories.size() >= 4, qPrintable(repositories.join(QLatin1Char(' '))));
    QCOMPARE(requests.front().second.size(), repositories.size());

    // A token service that grants one repository per token: the registry answers the others with
    // insufficient_scope, and each of them gets a token of its own, once, and the scan loses nothing.
    const QString knob = env("LG_REG_ISSUER_MAX_SCOPES_FILE");
    const auto limitScopes = [&](const char* n) { // the issuer's limit until the knob is removed
        QFile k(knob);
        return k.open(QIODevice::WriteOnly) && k.write(n) > 0;
    };
    const auto scanLimited = [&](const char* n) { // scan with the limit, then read the issuer's log
        QVERIFY(limitScopes(n));
        const qint64 start = QFileInfo(log).size();
        out = scan(o);
        QFile::remove(knob);
        QVERIFY2(!out.anySourceFailed(), out.sources.at(0).error.c_str());
        QVERIFY(rootFindings(out));
        requests = repositoryTokenRequests(log, start);
    };
    scanLimited("1");
    if (QTest::currentTestFailed())
        return;
    for (const auto& f : out.record.findings)
        QVERIFY2(f.rule != "LG-REGISTRY-UNREADABLE", f.message.c_str());
    QVERIFY(!requests.empty());
    QCOMPARE(requests.front().first, repositories); // the batch, granted one
    QCOMPARE(requests.front().second.size(), qsizetype(1));
    std::multiset<QString> single;
    for (std::size_t i = 1; i < requests.size(); ++i) {
        QCOMPARE(requests[i].first.size(), qsizetype(1));
        QCOMPARE(requests[i].second.size(), qsizetype(1));
        single.insert(requests[i].first.front());
    }
    std::multiset<QString> expected(repositories.begin(), repositories.end());
    const auto granted = expected.find(QStringLiteral("repository:%1:pull").arg(requests.front().second.front()));
    QVERIFY(granted != expected.end());
    expected.erase(granted);
    QCOMPARE(single, expected);

    // A token service that refuses several repositories in one request (400): each asks for its own.
    scanLimited("0");
    if (QTest::currentTestFailed())
        return;
    single.clear(); // the refused batch is not among the answered requests
    for (const auto& [asked, given] : requests) {
        QCOMPARE(asked.size(), qsizetype(1));
        QCOMPARE(given.size(), qsizetype(1));
        single.insert(asked.front());
    }
    QCOMPARE(single, std::multiset<QString>(repositories.begin(), repositories.end()));
}

void TestRegistry::faultyTagsAreReportedNotFatal()
{
    RegistryOptions o;
    o.url = env("LG_REG_FAULTS_URL").toStdString();
    const auto out = scan(o);
    QVERIFY2(!out.anySourceFailed(), out.sources.at(0).error.c_str());
    std::map<std::string, std::string> why;
    for (const auto& f : out.record.findings)
        if (f.rule == "LG-REGISTRY-UNREADABLE")
            why[f.subject.name] = f.message;
    QCOMPARE(why.size(), std::size_t(3));
    QVERIFY2(why["broken/app:gone"].find("404") != std::string::npos, why["broken/app:gone"].c_str());
    QVERIFY2(why["broken/app:badjson"].find("not valid JSON") != std::string::npos, why["broken/app:badjson"].c_str());
    QVERIFY2(why["broken/app:cut"].find("partial") != std::string::npos, why["broken/app:cut"].c_str());
}

void TestRegistry::vulnerabilityReports()
{
    // Reports in Trivy's and Grype's JSON formats for the images just pushed, matched by digest.
    QFile imagesFile(env("LG_REG_IMAGES"));
    QVERIFY(imagesFile.open(QIODevice::ReadOnly));
    const auto images = nlohmann::json::parse(imagesFile.readAll().toStdString());
    std::map<std::string, std::string> digest;
    for (const auto& i : images["registries"]["plain"]["images"])
        digest[i["repo"].get<std::string>() + ":" + i["tag"].get<std::string>()] = i["digest"].get<std::string>();
    QVERIFY(digest.count("shop/root:1.0") && digest.count("shop/clean:1.0"));
    const QString dir = m_tmp.filePath(QStringLiteral("vuln"));
    QDir().mkpath(dir);
    auto write = [&](const QString& name, const nlohmann::json& j) {
        QFile f(dir + u'/' + name);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray::fromStdString(j.dump(2)));
    };
    write(QStringLiteral("root.trivy.json"),
        { { "SchemaVersion", 2 }, { "CreatedAt", "2026-11-28T10:00:00Z" }, { "ArtifactName", "shop/root:1.0" },
            { "ArtifactType", "container_image" },
            { "Metadata", { { "RepoDigests", { "127.0.0.1/shop/root@" + digest["shop/root:1.0"] } } } },
            { "Results",
                { { { "Target", "shop/root:1.0 (debian 12.5)" },
                    { "Vulnerabilities",
                        { { { "VulnerabilityID", "CVE-2024-6119" }, { "PkgName", "openssl" },
                              { "InstalledVersion", "3.0.11-1" }, { "FixedVersion", "3.0.14-1" },
                              { "Severity", "CRITICAL" }, { "Title", "openssl: type confusion" } },
                            { { "VulnerabilityID", "CVE-2024-2511" }, { "PkgName", "openssl" },
                                { "InstalledVersion", "3.0.11-1" }, { "FixedVersion", "" },
                                { "Severity", "LOW" } } } } } } } });
    // Grype, made before the clean image was built: stale
    write(QStringLiteral("clean.grype.json"),
        { { "matches",
              { { { "vulnerability",
                      { { "id", "CVE-2023-4911" }, { "severity", "High" },
                          { "fix", { { "versions", { "2.36-9" } } } } } },
                  { "artifact", { { "name", "libc6" }, { "version", "2.36-8" } } } } } },
            { "source",
                { { "type", "image" },
                    { "target",
                        { { "userInput", "shop/clean:1.0" }, { "manifestDigest", digest["shop/clean:1.0"] } } } } },
            { "descriptor", { { "name", "grype" }, { "timestamp", "2020-01-01T00:00:00Z" } } } });
    const QString db = m_tmp.filePath(QStringLiteral("vuln.sqlite"));
    QByteArray out, err;
    QVERIFY2(cli({ QStringLiteral("scan"), QStringLiteral("--registry"), env("LG_REG_PLAIN_URL"),
                     QStringLiteral("--vuln-report"), dir, QStringLiteral("--db"), db },
                 &out, &err)
            == 0,
        err.constData());
    QVERIFY(cli({ QStringLiteral("findings"), QStringLiteral("--format"), QStringLiteral("json"),
                    QStringLiteral("--db"), db },
                &out)
        == 0);
    std::set<std::pair<std::string, std::string>> got;
    for (const auto& f : nlohmann::json::parse(out.toStdString()))
        got.insert({ f["rule"].get<std::string>(), f["resource"]["name"].get<std::string>() });
    QVERIFY(got.count({ "LG-VULN-CRITICAL", "shop/root:1.0" }));
    QVERIFY(got.count({ "LG-VULN-LOW", "shop/root:1.0" }));
    QVERIFY(!got.count({ "LG-VULN-REPORT-MISSING", "shop/root:1.0" }));
    QVERIFY(!got.count({ "LG-VULN-REPORT-STALE", "shop/root:1.0" }));
    QVERIFY(got.count({ "LG-VULN-REPORT-STALE", "shop/clean:1.0" }));
    QVERIFY(got.count({ "LG-VULN-HIGH", "shop/clean:1.0" }));
    QVERIFY(got.count({ "LG-VULN-REPORT-MISSING", "shop/web:latest" }));
    // a cut report and a foreign JSON file: exit 1 naming the file, nothing stored
    for (const auto& [name, content] : { std::pair { "cut.json", QByteArray("{\"SchemaVersion\": 2, \"Results\": [") },
             std::pair { "foreign.json", QByteArray("{\"hello\": \"world\"}") } }) {
        const QString bad = m_tmp.filePath(QLatin1String(name));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(content);
        f.close();
        const auto before = cli({ QStringLiteral("history"), QStringLiteral("--format"), QStringLiteral("json"),
                                    QStringLiteral("--db"), db },
            &out);
        QCOMPARE(before, 0);
        const QByteArray historyBefore = out;
        QCOMPARE(cli({ QStringLiteral("scan"), QStringLiteral("--registry"), env("LG_REG_PLAIN_URL"),
                         QStringLiteral("--vuln-report"), bad, QStringLiteral("--db"), db },
                     nullptr, &err),
            1);
        QVERIFY2(err.contains(name), err.constData());
        QVERIFY(cli({ QStringLiteral("history"), QStringLiteral("--format"), QStringLiteral("json"),
                        QStringLiteral("--db"), db },
                    &out)
            == 0);
        QCOMPARE(out, historyBefore);
    }
}

void TestRegistry::repushedTagIsReported()
{
    const QString db = m_tmp.filePath(QStringLiteral("repush.sqlite"));
    const QString url = env("LG_REG_PLAIN_URL");
    QByteArray err;
    QVERIFY2(
        cli({ QStringLiteral("scan"), QStringLiteral("--registry"), url, QStringLiteral("--db"), db }, nullptr, &err)
            == 0,
        err.constData());
    QProcess push;
    push.start(QStringLiteral("/usr/bin/python3"),
        { kTestbed + QStringLiteral("/registry-push.py"), QStringLiteral("repoint"), url, QStringLiteral("shop/clean"),
            QStringLiteral("1.0") });
    QVERIFY(push.waitForFinished(60'000));
    QVERIFY2(push.exitCode() == 0, push.readAllStandardError().constData());
    QVERIFY(cli({ QStringLiteral("scan"), QStringLiteral("--registry"), url, QStringLiteral("--db"), db }) == 0);
    QByteArray out;
    QVERIFY(cli({ QStringLiteral("findings"), QStringLiteral("--format"), QStringLiteral("json"),
                    QStringLiteral("--db"), db },
                &out)
        == 0);
    const auto arr = nlohmann::json::parse(out.toStdString());
    int mutated = 0;
    for (const auto& f : arr)
        if (f["rule"] == "LG-REGISTRY-TAG-MUTATED") {
            ++mutated;
            LG_COMPARE(f["resource"]["name"].get<std::string>(), std::string("shop/clean:1.0"));
        }
    QCOMPARE(mutated, 1);
}

void TestRegistry::secretNeverLeavesMemory()
{
    const QString db = m_tmp.filePath(QStringLiteral("secret.sqlite"));
    const QByteArray canary = env("LG_REG_CANARY").toUtf8();
    QVERIFY(!canary.isEmpty());
    QByteArray out, err, all;
    QVERIFY(cli({ QStringLiteral("scan"), QStringLiteral("--registry"), env("LG_REG_PLAIN_URL"), QStringLiteral("--db"),
                    db },
                &out, &err)
        == 0);
    all += out + err;
    for (const char* format : { "table", "json", "csv" }) {
        QVERIFY(cli({ QStringLiteral("findings"), QStringLiteral("--format"), QLatin1String(format),
                        QStringLiteral("--db"), db },
                    &out)
            == 0);
        all += out;
    }
    for (const char* format : { "json", "csv", "sarif", "junit", "pdf" }) {
        const QString file = m_tmp.filePath(QStringLiteral("report.") + QLatin1String(format));
        QVERIFY(cli({ QStringLiteral("report"), QStringLiteral("--format"), QLatin1String(format), QStringLiteral("-o"),
                    file, QStringLiteral("--db"), db })
            == 0);
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        all += f.readAll();
    }
    QVERIFY(all.contains("DB_PASSWORD")); // the finding is there, its value is not
    QVERIFY(!all.contains(canary));
    QFile cache(db);
    QVERIFY(cache.open(QIODevice::ReadOnly));
    QVERIFY(!cache.readAll().contains(canary));
}

TestRegistry::Hostile TestRegistry::startHostile(const QString& mode)
{
    Hostile h;
    const QString dir = m_tmp.filePath(QStringLiteral("hostile-") + mode);
    QDir().mkpath(dir);
    h.log = dir + QStringLiteral("/requests.log");
    h.process = std::make_unique<QProcess>();
    h.process->start(QStringLiteral("python3"),
        { kTestbed + QStringLiteral("/registry-hostile.py"), QStringLiteral("--mode"), mode,
            QStringLiteral("--ready-file"), dir + QStringLiteral("/port"), QStringLiteral("--log"), h.log });
    for (int i = 0; i < 200 && !QFileInfo::exists(dir + QStringLiteral("/port")); ++i)
        QTest::qWait(25);
    QFile port(dir + QStringLiteral("/port"));
    if (!port.open(QIODevice::ReadOnly))
        qFatal("registry-hostile.py %s did not start", qPrintable(mode));
    h.url = QStringLiteral("http://127.0.0.1:") + QString::fromUtf8(port.readAll().trimmed());
    return h;
}

std::vector<QJsonObject> TestRegistry::requests(const QString& log)
{
    std::vector<QJsonObject> out;
    QFile f(log);
    if (f.open(QIODevice::ReadOnly))
        for (const auto& line : f.readAll().split('\n'))
            if (!line.isEmpty())
                out.push_back(QJsonDocument::fromJson(line).object());
    return out;
}

// Listings that never end, and a web page where a tag list belongs: the source fails with the reason, after a
// handful of requests (a looping Link once ran 442 requests in 20 seconds and never stopped).
void TestRegistry::hostileListingsFailWithTheReason_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("reason");
    QTest::newRow("catalog Link loop") << QStringLiteral("catalog-loop") << QStringLiteral("catalog pages loop");
    QTest::newRow("tags Link loop") << QStringLiteral("tags-loop") << QStringLiteral("tag list pages loop");
    QTest::newRow("HTML tag list") << QStringLiteral("tags-html") << QStringLiteral("did not answer a tag list");
}

void TestRegistry::hostileListingsFailWithTheReason()
{
    QFETCH(QString, mode);
    QFETCH(QString, reason);
    const Hostile h = startHostile(mode);
    RegistryOptions o;
    o.url = h.url.toStdString();
    const auto out = scan(o);
    QVERIFY(out.anySourceFailed());
    QVERIFY2(QString::fromStdString(out.sources.at(0).error).contains(reason), out.sources.at(0).error.c_str());
    QVERIFY2(requests(h.log).size() < 10, qPrintable(QString::number(requests(h.log).size())));
}

// A registry whose token realm is plain http on another host asks for the password in clear: refused before
// anything is sent there.
void TestRegistry::passwordNeverGoesInClearToAnotherHost()
{
    const Hostile h = startHostile(QStringLiteral("realm-http"));
    RegistryOptions o;
    o.url = h.url.toStdString();
    o.credential = RegistryCredential { "alice", "hostile-canary-password", "test" };
    const auto out = scan(o);
    QVERIFY(out.anySourceFailed());
    QVERIFY2(
        out.sources.at(0).error.find("in clear to another host") != std::string::npos, out.sources.at(0).error.c_str());
    const auto seen = requests(h.log);
    QVERIFY(!seen.empty());
    for (const auto& r : seen)
        if (r.value(QStringLiteral("path")).toString().startsWith(QStringLiteral("/token")))
            QVERIFY2(!r.value(QStringLiteral("authorization")).toBool(), "the password went to the http realm");
}

// "Signed" means a signature: an SBOM or a provenance attestation is not one, and a repository whose referrers
// API answers 404 does not turn the API off for the other repositories.
void TestRegistry::onlySignaturesCountAsSigned()
{
    const Hostile h = startHostile(QStringLiteral("referrers"));
    RegistryOptions o;
    o.url = h.url.toStdString();
    o.connections = 1; // a-noref/app is read first
    const auto out = scan(o);
    QVERIFY2(!out.anySourceFailed(), out.sources.at(0).error.c_str());
    QVERIFY(fired(out, "LG-REGISTRY-UNSIGNED", "a-noref/app:v1"));
    QVERIFY(fired(out, "LG-REGISTRY-UNSIGNED", "sbom/app:v1"));
    QVERIFY(!fired(out, "LG-REGISTRY-UNSIGNED", "signed/app:v1"));
}

// Verification off is the user's explicit choice: the scan then reaches a registry whose CA it lacks, says so,
// and reports it as a finding.
void TestRegistry::unverifiedTlsIsAnExplicitChoiceAndReported()
{
    RegistryOptions o;
    o.url = env("LG_REG_BASIC_URL").toStdString();
    o.credential
        = RegistryCredential { env("LG_REG_USER").toStdString(), env("LG_REG_PASSWORD").toStdString(), "test" };
    auto out = scan(o); // no CA: refused
    QVERIFY(out.anySourceFailed());
    o.insecureSkipVerify = true;
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<RegistryConnector>(o, "reg"));
    Scanner scanner(m_catalog, ScanSettings {});
    CancelToken cancel { false };
    std::vector<std::string> progress;
    out = scanner.run(sources, nullptr, cancel, [&](const Progress& m) { progress.push_back(m.text); });
    QVERIFY2(!out.anySourceFailed(), out.sources.at(0).error.c_str());
    QVERIFY(fired(out, "LG-REGISTRY-TLS-UNVERIFIED", o.url));
    QVERIFY(std::any_of(progress.begin(), progress.end(),
        [](const std::string& m) { return m.find("TLS verification is turned off") != std::string::npos; }));
}

// A registry as hosted ones behave (tests/testbed/registry-front.py in front of the token registry): no catalog,
// blobs and manifests redirected to another host that refuses any Authorization, a 429 now and then, the token
// realm on another port. Named repositories are scanned without the catalog, with each kind of credential, and
// give the same findings as the direct scan; the redirect host never sees a credential.
void TestRegistry::hostedRegistryThroughTheFront_data()
{
    QTest::addColumn<QString>("credential");
    QTest::newRow("password (token realm on another host)") << QStringLiteral("password");
    QTest::newRow("identity token (OAuth2 refresh grant)") << QStringLiteral("identitytoken");
}

void TestRegistry::hostedRegistryThroughTheFront()
{
    QFETCH(QString, credential);
    const std::vector<std::string> repos { "shop/root", "shop/clean", "shop/multi", "shop/web" };
    // manifests too are redirected in this test (hosted registries do it for some)
    QFile knob(env("LG_REG_FRONT_REDIRECT_MANIFESTS_FILE"));
    QVERIFY(knob.open(QIODevice::WriteOnly));
    knob.close();
    auto findingsOf = [](const ScanOutcome& o) {
        std::set<std::string> out;
        for (const auto& f : o.record.findings)
            if (f.rule != "LG-REGISTRY-PLAIN-HTTP" && f.rule != "LG-REGISTRY-ANONYMOUS-CATALOG")
                out.insert(f.rule + " " + f.subject.kind + " " + f.subject.name);
        return out;
    };
    RegistryOptions direct;
    direct.url = env("LG_REG_TOKEN_URL").toStdString();
    direct.caFile = env("LG_REG_CA").toStdString();
    direct.repositories = repos;
    direct.credential
        = RegistryCredential { env("LG_REG_USER").toStdString(), env("LG_REG_PASSWORD").toStdString(), "test" };
    const auto expected = scan(direct);
    QVERIFY2(!expected.anySourceFailed(), expected.sources.at(0).error.c_str());

    RegistryOptions front = direct;
    front.url = env("LG_REG_FRONT_URL").toStdString();
    const qsizetype before = qsizetype(requests(env("LG_REG_FRONT_REDIRECT_LOG")).size());
    QString issuerLogBefore;
    if (credential == QLatin1String("identitytoken")) {
        // docker login stores an identity token for some registries: get one as it would (an offline grant)
        QProcess curl;
        curl.start(QStringLiteral("curl"),
            { QStringLiteral("-sS"), QStringLiteral("--cacert"), env("LG_REG_CA"), QStringLiteral("-X"),
                QStringLiteral("POST"), QStringLiteral("--data-urlencode"), QStringLiteral("grant_type=password"),
                QStringLiteral("--data-urlencode"), QStringLiteral("username=") + env("LG_REG_USER"),
                QStringLiteral("--data-urlencode"), QStringLiteral("password=") + env("LG_REG_PASSWORD"),
                QStringLiteral("--data-urlencode"), QStringLiteral("service=") + env("LG_REG_TOKEN_SERVICE"),
                QStringLiteral("--data-urlencode"), QStringLiteral("access_type=offline"),
                QStringLiteral("--data-urlencode"), QStringLiteral("client_id=layerguard-test"),
                env("LG_REG_TOKEN_REALM") });
        QVERIFY(curl.waitForFinished(30'000));
        const auto grant = nlohmann::json::parse(curl.readAllStandardOutput().toStdString(), nullptr, false);
        const std::string refresh = grant.value("refresh_token", std::string());
        QVERIFY2(!refresh.empty(), grant.dump().c_str());
        front.credential = RegistryCredential { "<token>", refresh, "docker config (identity token)" };
        QFile issuerLog(env("LG_REG_ISSUER_LOG"));
        if (issuerLog.open(QIODevice::ReadOnly))
            issuerLogBefore = QString::fromUtf8(issuerLog.readAll());
    }
    const auto hosted = scan(front);
    QFile::remove(env("LG_REG_FRONT_REDIRECT_MANIFESTS_FILE"));
    QVERIFY2(!hosted.anySourceFailed(), hosted.sources.at(0).error.c_str());
    QCOMPARE(findingsOf(hosted), findingsOf(expected));
    QVERIFY(fired(hosted, "LG-IMAGE-SECRET-ENV", "shop/root:1.0"));
    // Blobs and manifests came from the redirect host, and never with a credential.
    const auto redirected = requests(env("LG_REG_FRONT_REDIRECT_LOG"));
    QVERIFY2(qsizetype(redirected.size()) > before + 4, "nothing was redirected");
    for (std::size_t i = std::size_t(before); i < redirected.size(); ++i)
        QVERIFY2(!redirected[i].value(QStringLiteral("authorization")).toBool(),
            QJsonDocument(redirected[i]).toJson(QJsonDocument::Compact).constData());
    // The catalog was never listed (only probed once, anonymously, for the anonymous-catalog check).
    for (const auto& r : requests(env("LG_REG_FRONT_LOG")))
        QVERIFY(!r.value(QStringLiteral("path")).toString().startsWith(QStringLiteral("/v2/_catalog"))
            || !r.value(QStringLiteral("authorization")).toBool());
    if (credential == QLatin1String("identitytoken")) { // exchanged as a refresh token, never sent as a password
        QFile issuerLog(env("LG_REG_ISSUER_LOG"));
        QVERIFY(issuerLog.open(QIODevice::ReadOnly));
        const QString added = QString::fromUtf8(issuerLog.readAll()).mid(issuerLogBefore.size());
        QVERIFY2(added.contains(QStringLiteral("refresh_token")), qPrintable(added.left(2000)));
    }
}

// A registry that keeps answering 429: after the bounded retries (Retry-After honoured) the source stops with the
// limit the registry announced, not a tag-by-tag "unreadable".
void TestRegistry::rateLimitIsNamedWithItsHeaders()
{
    QFile every(env("LG_REG_FRONT_EVERY_FILE"));
    QVERIFY(every.open(QIODevice::WriteOnly));
    every.write("1"); // every request is refused
    every.close();
    RegistryOptions o;
    o.url = env("LG_REG_FRONT_URL").toStdString();
    o.caFile = env("LG_REG_CA").toStdString();
    o.repositories = { "shop/clean" };
    o.credential
        = RegistryCredential { env("LG_REG_USER").toStdString(), env("LG_REG_PASSWORD").toStdString(), "test" };
    QElapsedTimer timer;
    timer.start();
    const auto out = scan(o);
    QFile::remove(env("LG_REG_FRONT_EVERY_FILE"));
    QVERIFY(out.anySourceFailed());
    const std::string& error = out.sources.at(0).error;
    QVERIFY2(error.find("429") != std::string::npos && error.find("ratelimit-remaining") != std::string::npos,
        error.c_str());
    QVERIFY2(out.sources.at(0).hint.find("log in") != std::string::npos, out.sources.at(0).hint.c_str());
    QVERIFY2(timer.elapsed() < 30'000, "the retries are bounded");
}

void TestRegistry::wwwAuthenticateParsing()
{
    const auto c = parseWwwAuthenticate(
        R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push",error="insufficient_scope")");
    QVERIFY(c);
    LG_COMPARE(c->scheme, std::string("Bearer"));
    LG_COMPARE(c->params.at("realm"), std::string("https://auth.example/token"));
    LG_COMPARE(c->params.at("scope"), std::string("repository:a/b:pull,push"));
    LG_COMPARE(c->params.at("error"), std::string("insufficient_scope"));
    const auto basic = parseWwwAuthenticate(R"(Basic realm="Registry Realm")");
    QVERIFY(basic);
    LG_COMPARE(basic->scheme, std::string("Basic"));
    QVERIFY(!parseWwwAuthenticate(""));
    QVERIFY(!parseWwwAuthenticate("Bearer realm=\"" + std::string(5000, 'x') + "\""));
}

void TestRegistry::credentialSources()
{
    // credsStore (the helper holds every secret), podman's auth.json, and a broken docker config
    const QString dir = m_tmp.filePath(QStringLiteral("creds"));
    QDir().mkpath(dir + QStringLiteral("/docker"));
    QDir().mkpath(dir + QStringLiteral("/bin"));
    auto write = [](const QString& file, const QByteArray& content, bool exec = false) {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(content);
        f.close();
        if (exec)
            f.setPermissions(f.permissions() | QFileDevice::ExeOwner);
    };
    write(dir + QStringLiteral("/bin/docker-credential-lgstore"),
        "#!/bin/sh\nread host\n[ \"$host\" = \"store.example:5000\" ] || exit 1\n"
        "echo '{\"ServerURL\":\"store.example:5000\",\"Username\":\"robot\",\"Secret\":\"from-store\"}'\n",
        true);
    write(dir + QStringLiteral("/docker/config.json"),
        R"({"credsStore": "lgstore", "auths": {"https://store.example:5000": {}}})");
    write(dir + QStringLiteral("/podman-auth.json"),
        "{\"auths\": {\"podman.example\": {\"auth\": \"" + QByteArray("alice:from-podman").toBase64() + "\"}}}");
    const QByteArray oldPath = qgetenv("PATH");
    qputenv("PATH", QString(dir + QStringLiteral("/bin:")).toUtf8() + oldPath);
    qputenv("DOCKER_CONFIG", QString(dir + QStringLiteral("/docker")).toUtf8());
    qputenv("REGISTRY_AUTH_FILE", QString(dir + QStringLiteral("/podman-auth.json")).toUtf8());
    const auto store = findRegistryCredential("store.example:5000");
    const auto podman = findRegistryCredential("podman.example");
    const auto none = findRegistryCredential("nobody.example");
    write(dir + QStringLiteral("/docker/config.json"), "{ not json");
    bool brokenReported = false;
    try {
        (void)findRegistryCredential("store.example:5000");
    } catch (const ConnectorError& e) {
        brokenReported = std::string(e.what()).find("config.json is not valid JSON") != std::string::npos;
    }
    qputenv("PATH", oldPath);
    qunsetenv("DOCKER_CONFIG");
    qunsetenv("REGISTRY_AUTH_FILE");
    QVERIFY(store);
    LG_COMPARE(store->username, std::string("robot"));
    LG_COMPARE(store->password, std::string("from-store"));
    LG_COMPARE(store->source, std::string("credential helper lgstore"));
    QVERIFY(podman);
    LG_COMPARE(podman->username, std::string("alice"));
    LG_COMPARE(podman->password, std::string("from-podman"));
    QVERIFY2(podman->source.find("podman auth") == 0, podman->source.c_str());
    QVERIFY(!none);
    QVERIFY(brokenReported);
}

QTEST_GUILESS_MAIN(TestRegistry)
#include "tst_registry.moc"
