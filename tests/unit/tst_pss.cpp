// The Pod Security Standards as the Pod Security Admission controller enforces them, version by version:
// every fixture of tests/data/pss-versions judged for Kubernetes 1.31 to 1.35 gives PSA's verdict at each level
// (cases.tsv, read from k8s.io/pod-security-admission policy/check_*.go).
#include "connectors/manifests/manifestsconnector.h"
#include "core/kubeshape.h"
#include "scan/scanner.h"

#include <QFile>
#include <QTest>

#include "testsupport.h"

using namespace lg;

Q_DECLARE_METATYPE(std::string)

class TestPss : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void versions_data();
    void versions();
    void newestVersionAndClamping();
    void findingSaysWhichVersion();

private:
    /** Whether PSA at `level` would deny the pod of `file` on a cluster of `version`: a finding of a rule of it. */
    bool denied(const std::string& file, const std::string& level, const std::string& version,
        std::string* why = nullptr) const;
    ScanOutcome scan(const std::string& file, const std::string& version) const;
    RuleCatalog m_catalog;
};

void TestPss::initTestCase()
{
    m_catalog = RuleCatalog::builtin();
}

ScanOutcome TestPss::scan(const std::string& file, const std::string& version) const
{
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<ManifestsConnector>(LG_TEST_DATA "/pss-versions/" + file, "pss", version));
    Scanner scanner(m_catalog, {});
    CancelToken cancel { false };
    return scanner.run(sources, nullptr, cancel, {});
}

bool TestPss::denied(
    const std::string& file, const std::string& level, const std::string& version, std::string* why) const
{
    const auto o = scan(file, version);
    if (o.anySourceFailed())
        qFatal("%s: %s", file.c_str(), o.sources.at(0).error.c_str());
    bool out = false;
    for (const auto& f : o.record.findings) {
        const Rule* rule = m_catalog.find(f.rule);
        if (!rule || f.status == FindingStatus::Exempted)
            continue;
        if (std::find(rule->frameworks.begin(), rule->frameworks.end(), "pss-" + level) != rule->frameworks.end()) {
            out = true;
            if (why)
                *why += f.rule + " ";
        }
    }
    return out;
}

void TestPss::versions_data()
{
    QTest::addColumn<std::string>("file");
    QTest::addColumn<std::string>("level");
    QTest::addColumn<std::string>("version");
    QTest::addColumn<bool>("expectDenied");
    QFile f(QStringLiteral(LG_TEST_DATA "/pss-versions/cases.tsv"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QStringList versions { QStringLiteral("1.31"), QStringLiteral("1.32"), QStringLiteral("1.33"),
        QStringLiteral("1.34"), QStringLiteral("1.35") };
    int rows = 0;
    while (!f.atEnd()) {
        const QString line = QString::fromUtf8(f.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(u'#'))
            continue;
        const QStringList cols = line.split(u'\t');
        QVERIFY2(cols.size() >= 8, qPrintable(line));
        for (int v = 0; v < versions.size(); ++v) {
            const QString verdict = cols[3 + v];
            QVERIFY2(verdict == QLatin1String("allowed") || verdict == QLatin1String("denied"), qPrintable(line));
            QTest::addRow("%s %s %s", qPrintable(cols[0]), qPrintable(cols[2]), qPrintable(versions[v]))
                << cols[0].toStdString() << cols[2].toStdString() << versions[v].toStdString()
                << (verdict == QLatin1String("denied"));
            ++rows;
        }
    }
    QVERIFY(rows >= 400);
}

void TestPss::versions()
{
    QFETCH(std::string, file);
    QFETCH(std::string, level);
    QFETCH(std::string, version);
    QFETCH(bool, expectDenied);
    std::string why;
    const bool got = denied(file, level, version, &why);
    QVERIFY2(got == expectDenied,
        (file + " at " + level + " " + version + ": PSA " + (expectDenied ? "denies" : "allows") + ", Layerguard "
            + (got ? "denies (" + why + ")" : "allows"))
            .c_str());
}

void TestPss::newestVersionAndClamping()
{
    // The two sysctls 1.37 made safe: denied up to 1.36, allowed from 1.37, and by default (the newest known).
    LG_COMPARE(kNewestKubernetesMinor, 37);
    QVERIFY(denied("sysctls-tcp_slow_start_after_idle.yaml", "baseline", "1.36"));
    QVERIFY(!denied("sysctls-tcp_slow_start_after_idle.yaml", "baseline", "1.37"));
    QVERIFY(!denied("sysctls-tcp_slow_start_after_idle.yaml", "baseline", ""));
    // A newer cluster is judged as the newest version known, as PSA clamps it.
    QVERIFY(!denied("sysctls-tcp_slow_start_after_idle.yaml", "baseline", "v1.41.2-gke.100"));
    LG_COMPARE(kubernetesMinor("v1.32.4-eks-1234"), std::optional<int>(32));
    LG_COMPARE(kubernetesMinor("1.9"), std::optional<int>(9));
    QVERIFY(!kubernetesMinor("2.0"));
    QVERIFY(!kubernetesMinor("latest"));
}

void TestPss::findingSaysWhichVersion()
{
    const auto o = scan("sysctls-tcp_rmem.yaml", "1.31");
    bool found = false;
    for (const auto& f : o.record.findings)
        if (f.rule == "LG-PSS-SYSCTLS") {
            found = true;
            QVERIFY2(f.message.find("as Kubernetes 1.31 enforces them") != std::string::npos, f.message.c_str());
        }
    QVERIFY(found);
}

QTEST_GUILESS_MAIN(TestPss)
#include "tst_pss.moc"
