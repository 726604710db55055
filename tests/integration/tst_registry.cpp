// The registry connector against the real docker-registry three ways (tests/testbed/registry.sh: plain HTTP,
// TLS + htpasswd, TLS + bearer tokens from a local issuer) with crafted images pushed without an engine:
// every registry and image rule fires on what breaks it and not on the clean image, through each auth mode;
// tags that cannot be read are reported. The helpers the other files of this test share (tst_registry.h).
#include "tst_registry.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QTest>

#include "testsupport.h"

using namespace lg;
using lg::test::fired;

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

QTEST_GUILESS_MAIN(TestRegistry)
