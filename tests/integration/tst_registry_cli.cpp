// Registry scans through the CLI into a cache: vulnerability reports matched by digest, a re-pushed tag, and the
// fake secret that never reaches the output, the reports or the cache.
#include "tst_registry.h"

#include <QDir>
#include <QFile>
#include <QTest>

#include "testsupport.h"

#include <nlohmann/json.hpp>

#include <map>
#include <set>

using namespace lg;

namespace {
/**
 * Reports for the images pushed, matched by digest: Trivy's for shop/root:1.0 (a critical and a low), and Grype's
 * for shop/clean:1.0, made before the image was built.
 */
void writeVulnerabilityReports(const QString& dir, std::map<std::string, std::string> digest)
{
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
}
} // namespace

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
    writeVulnerabilityReports(dir, digest);
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
