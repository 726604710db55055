// Credentials and tokens: credential helpers and stores, podman's auth file, refused or missing credentials,
// one token for many repositories and a token per repository when the scope is insufficient, WWW-Authenticate.
#include "tst_registry.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include "testsupport.h"

#include <set>

using namespace lg;
using lg::test::fired;

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
