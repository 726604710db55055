// Hostile registries (tests/testbed/registry-hostile.py), a hosted registry's behaviour through a front
// (tests/testbed/registry-front.py), unverified TLS and rate limits.
#include "tst_registry.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>
#include <QTest>

#include "testsupport.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

using namespace lg;
using lg::test::fired;

namespace {

/** Tells the front (registry-front.py, by its file) to answer every n-th request with 429; "0": never. */
bool frontRefusesEvery(const QString& file, const char* n)
{
    QFile every(file);
    return every.open(QIODevice::WriteOnly) && every.write(n) > 0;
}

} // namespace

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
    QVERIFY(frontRefusesEvery(env("LG_REG_FRONT_EVERY_FILE"), "1")); // every request is refused
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

namespace {

/** "METHOD reference" of the requests in the front's log from line `from` on for `repo`'s manifests that got `status`.
 */
QStringList manifestRequests(const std::vector<QJsonObject>& log, std::size_t from, const QString& repo, int status)
{
    QStringList out;
    const QString prefix = QStringLiteral("/v2/") + repo + QStringLiteral("/manifests/");
    for (std::size_t i = from; i < log.size(); ++i)
        if (const QString path = log[i].value(QStringLiteral("path")).toString();
            path.startsWith(prefix) && log[i].value(QStringLiteral("status")).toInt() == status)
            out << log[i].value(QStringLiteral("method")).toString() + QLatin1Char(' ') + path.mid(prefix.size());
    return out;
}

} // namespace

// Docker Hub counts manifest GETs against its pull limit, not HEADs: two tags of one image through the hosted front
// are resolved with a HEAD each and their manifest read with one GET, by digest; the findings are the direct
// scan's. A registry that refuses the HEAD (404 with a body) or does not serve the digest is read by tag, as before.
void TestRegistry::tagsResolvedWithHeadOneGetPerImage()
{
    QProcess tag; // shop/clean:stable, the very manifest of shop/clean:1.0
    tag.start(QStringLiteral("python3"),
        { kTestbed + QStringLiteral("/registry-push.py"), QStringLiteral("--env"),
            m_tmp.filePath(QStringLiteral("reg/registry.env")), QStringLiteral("tag"), env("LG_REG_TOKEN_URL"),
            QStringLiteral("shop/clean"), QStringLiteral("1.0"), QStringLiteral("stable") });
    QVERIFY(tag.waitForFinished(60'000));
    QVERIFY2(tag.exitCode() == 0, tag.readAllStandardError().constData());
    const QString digest = QString::fromStdString(
        nlohmann::json::parse(tag.readAllStandardOutput().toStdString()).value("digest", std::string()));
    QVERIFY(frontRefusesEvery(env("LG_REG_FRONT_EVERY_FILE"), "0")); // no 429 in between: the requests are counted
    RegistryOptions direct;
    direct.url = env("LG_REG_TOKEN_URL").toStdString();
    direct.caFile = env("LG_REG_CA").toStdString();
    direct.repositories = { "shop/clean" };
    direct.credential
        = RegistryCredential { env("LG_REG_USER").toStdString(), env("LG_REG_PASSWORD").toStdString(), "test" };
    RegistryOptions front = direct;
    front.url = env("LG_REG_FRONT_URL").toStdString();
    const std::size_t before = requests(env("LG_REG_FRONT_LOG")).size();
    const auto hosted = scan(front);
    QFile::remove(env("LG_REG_FRONT_EVERY_FILE"));
    QVERIFY2(!hosted.anySourceFailed(), hosted.sources.at(0).error.c_str());
    const auto served = manifestRequests(requests(env("LG_REG_FRONT_LOG")), before, QStringLiteral("shop/clean"), 200);
    QCOMPARE(served,
        QStringList({ QStringLiteral("HEAD 1.0"), QStringLiteral("GET ") + digest, QStringLiteral("HEAD stable") }));
    const auto findingsOf = [](const ScanOutcome& o) {
        std::set<std::string> out;
        for (const auto& f : o.record.findings)
            if (f.subject.kind != "RegistryEndpoint") // named by its URL
                out.insert(f.rule + " " + f.subject.kind + " " + f.subject.name);
        return out;
    };
    const auto expectedFindings = scan(direct);
    QVERIFY(!findingsOf(expectedFindings).empty());
    QCOMPARE(findingsOf(hosted), findingsOf(expectedFindings));
    QVERIFY(!fired(hosted, "LG-REGISTRY-UNSIGNED", "shop/clean:stable")); // the signature is the digest's

    // refused HEAD (gone: 404 with a body) and a digest the registry does not serve (badjson): read by tag
    RegistryOptions faults;
    faults.url = env("LG_REG_FAULTS_URL").toStdString();
    QFile log(env("LG_REG_FAULTS_LOG"));
    const qint64 logged = log.size();
    const auto out = scan(faults);
    QVERIFY2(!out.anySourceFailed(), out.sources.at(0).error.c_str());
    QVERIFY(log.open(QIODevice::ReadOnly));
    log.seek(logged);
    const QByteArray lines = log.readAll();
    for (const char* fallback : { "GET /v2/broken/app/manifests/gone 404", "GET /v2/broken/app/manifests/badjson 200" })
        QVERIFY2(lines.contains(fallback), lines.constData());
    QVERIFY(lines.contains("HEAD /v2/broken/app/manifests/gone 404"));
}
