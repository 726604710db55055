// Importers: other tools' reports (fixtures in their documented formats, real outputs in importers_real.sh)
// become findings with the tools' ids, merge with Layerguard's own findings, age, and fail cleanly.
#include "connectors/importers/importers.h"
#include "connectors/manifests/manifestsconnector.h"
#include "scan/scanner.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <ctime>

#include <map>
#include <set>

#include "testsupport.h"

using namespace lg;

namespace {

const QString kData = QStringLiteral(LG_TEST_DATA "/importers/");

struct Counts {
    std::map<std::string, int> bySeverity; ///< findings per severity
    int failedRules = 0; ///< distinct rules with a finding (info ones excluded)
    int evaluated = 0; ///< pass + fail results the score counted
    int failed = 0;
    int notApplicable = 0;
};

Counts countsOf(const ScanOutcome& o, const std::string& rulePrefix)
{
    Counts c;
    std::set<std::string> rules;
    for (const auto& f : o.record.findings) {
        if (f.rule.rfind(rulePrefix, 0) != 0)
            continue;
        ++c.bySeverity[std::string(toString(f.severity))];
        if (f.severity != Severity::Info)
            rules.insert(f.rule);
    }
    c.failedRules = int(rules.size());
    for (const auto& [rule, out] : o.record.outcomes) {
        if (rule.rfind(rulePrefix, 0) != 0)
            continue;
        c.evaluated += out.evaluated;
        c.failed += out.failed;
        c.notApplicable += out.notApplicable;
    }
    return c;
}

/** A folder with one Deployment, shop/web, whose container is privileged (LG-PSS-PRIVILEGED, citing C-0057). */
bool writePrivilegedDeployment(const QString& folder)
{
    QFile m(folder + QStringLiteral("/web.yaml"));
    if (!QDir().mkpath(folder) || !m.open(QIODevice::WriteOnly))
        return false;
    m.write("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
            "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
            "    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n"
            "        securityContext: {privileged: true}\n");
    return true;
}

} // namespace

class TestImporters : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void detectsFormatFromContent_data();
    void detectsFormatFromContent();
    void kubeBench_data();
    void kubeBench();
    void dockerBench();
    void kubescape();
    void lynisReportFormat();
    void sameControlOnSameResourceIsOneFinding();
    void oldReportIsAFindingAgainstThePolicy();
    void everyNodeAndMountIsItsOwnStoredFinding();
    void lynisTimeIsLocal();
    void foldersSkipWhatIsNotAReport();
    void otherClusterIsNotMerged();
    void policyAppliesToImportedChecks();
    void badInputFailsAndStoresNothing_data();
    void badInputFailsAndStoresNothing();

private:
    ScanOutcome run(std::vector<std::unique_ptr<Connector>> sources, Store* store = nullptr, Policy policy = {},
        std::int64_t now = 0);
    ScanOutcome import(const QStringList& files, Store* store = nullptr, Policy policy = {}, std::int64_t now = 0);
    RuleCatalog m_catalog = RuleCatalog::builtin();
};

ScanOutcome TestImporters::run(
    std::vector<std::unique_ptr<Connector>> sources, Store* store, Policy policy, std::int64_t now)
{
    ScanSettings settings;
    settings.policy = std::move(policy);
    if (now > 0)
        settings.clock = [now] { return now; };
    Scanner scanner(m_catalog, settings);
    CancelToken cancel { false };
    return scanner.run(sources, store, cancel, {});
}

ScanOutcome TestImporters::import(const QStringList& files, Store* store, Policy policy, std::int64_t now)
{
    std::vector<std::string> paths;
    for (const auto& f : files)
        paths.push_back(QString(kData + f).toStdString());
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<ImportConnector>(paths));
    return run(std::move(sources), store, std::move(policy), now);
}

void TestImporters::detectsFormatFromContent_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("format");
    QTest::newRow("kube-bench wrapper") << "kube-bench-master.json" << int(ReportFormat::KubeBench);
    QTest::newRow("kube-bench array") << "kube-bench-node.json" << int(ReportFormat::KubeBench);
    QTest::newRow("docker-bench") << "docker-bench.json" << int(ReportFormat::DockerBench);
    QTest::newRow("kubescape") << "kubescape.json" << int(ReportFormat::Kubescape);
    QTest::newRow("ARF, even cut short") << "truncated-arf.xml" << int(ReportFormat::Arf);
    QTest::newRow("kube-bench, even cut short") << "truncated-kube-bench.json" << int(ReportFormat::KubeBench);
    QTest::newRow("a package.json") << "foreign.json" << int(ReportFormat::Unknown);
    QTest::newRow("a Lynis log, not its report") << "not-lynis.dat" << int(ReportFormat::Unknown);
    QTest::newRow("empty") << "empty.json" << int(ReportFormat::Unknown);
}

void TestImporters::detectsFormatFromContent()
{
    QFETCH(QString, file);
    QFETCH(int, format);
    QFile f(kData + file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    LG_COMPARE(int(detectReportFormat(f.readAll().toStdString())), format);
}

void TestImporters::kubeBench_data()
{
    // Counts of the fixtures by kube-bench status (PASS, FAIL, WARN, INFO), as the files hold them.
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("pass");
    QTest::addColumn<int>("fail");
    QTest::addColumn<int>("warn");
    QTest::addColumn<int>("hostFailed");
    QTest::newRow("master, wrapper") << "kube-bench-master.json" << 11 << 6 << 3 << 0;
    QTest::newRow("node, bare array") << "kube-bench-node.json" << 7 << 2 << 3 << 2;
    QTest::newRow("five targets") << "kube-bench-totals.json" << 10 << 5 << 10 << 1;
}

void TestImporters::kubeBench()
{
    QFETCH(QString, file);
    QFETCH(int, pass);
    QFETCH(int, fail);
    QFETCH(int, warn);
    QFETCH(int, hostFailed);
    const auto o = import({ file });
    QVERIFY(!o.anySourceFailed());
    Counts c = countsOf(o, "KUBE-BENCH-");
    LG_COMPARE(c.evaluated, pass + fail); // INFO (skipped) and WARN (manual) are not scored
    LG_COMPARE(c.failed, fail);
    LG_COMPARE(c.bySeverity["info"], warn); // a manual check is an info finding to review
    LG_COMPARE(c.bySeverity["high"] + c.bySeverity["medium"], fail);
    int onHost = 0;
    for (const auto& f : o.record.findings) {
        if (f.rule.rfind("KUBE-BENCH-", 0) != 0 || f.severity == Severity::Info)
            continue;
        QVERIFY(!f.references.empty());
        LG_COMPARE(f.references.front(), "CIS-K8S-" + f.rule.substr(11));
        LG_COMPARE(f.frameworks, std::vector<std::string> { "cis-kubernetes" });
        QVERIFY(!f.remediation.empty());
        onHost += f.layer == Layer::Host ? 1 : 0; // worker node checks are host hardening
    }
    LG_COMPARE(onHost, hostFailed);
}

void TestImporters::dockerBench()
{
    const auto o = import({ QStringLiteral("docker-bench.json") });
    QVERIFY(!o.anySourceFailed());
    Counts c = countsOf(o, "DOCKER-BENCH-");
    LG_COMPARE(c.failedRules, 36); // the fixture's WARN results
    LG_COMPARE(c.bySeverity["info"], 12); // its NOTE (manual) results
    // The privileged container of 5.5 is a finding on that container, citing CIS Docker 5.5.
    bool privileged = false;
    std::set<Layer> layers;
    for (const auto& f : o.record.findings) {
        if (f.rule == "DOCKER-BENCH-5.5" && f.subject.kind == "DockerContainer" && f.subject.name == "metrics") {
            privileged = true;
            LG_COMPARE(f.references, std::vector<std::string> { "CIS-DOCKER-5.5" });
        }
        if (f.rule.rfind("DOCKER-BENCH-", 0) == 0)
            layers.insert(f.layer);
    }
    QVERIFY(privileged);
    // Section 1 is host configuration, 2 and 5 the runtime, 4 the images.
    QVERIFY(layers.count(Layer::Host) && layers.count(Layer::Runtime) && layers.count(Layer::Image));
    QVERIFY(o.record.tallies.at(Layer::Runtime).scanned);
}

void TestImporters::kubescape()
{
    const auto o = import({ QStringLiteral("kubescape.json") });
    QVERIFY(!o.anySourceFailed());
    Counts c = countsOf(o, "KUBESCAPE-");
    // (resource, control) pairs of the fixture: failed 12 (high 5, medium 7), passed 9, skipped 3.
    LG_COMPARE(c.failed, 12);
    LG_COMPARE(c.evaluated, 12 + 9);
    LG_COMPARE(c.notApplicable, 3);
    LG_COMPARE(c.bySeverity["high"], 5);
    LG_COMPARE(c.bySeverity["medium"], 7);
    LG_COMPARE(c.failedRules, 8);
    bool nodeExporter = false;
    for (const auto& f : o.record.findings)
        if (f.rule.rfind("KUBESCAPE-", 0) == 0) {
            LG_COMPARE(f.layer, Layer::Orchestrator);
            LG_COMPARE(f.subject.target, std::string("prod-eu-1")); // the cluster the report names
            nodeExporter = nodeExporter
                || (f.subject.kind == "DaemonSet" && f.subject.namespace_ == "monitoring"
                    && f.subject.name == "node-exporter");
        }
    QVERIFY(nodeExporter);
}

void TestImporters::lynisReportFormat()
{
    // A small report in Lynis 3's format: a warning, suggestions (one test twice), the tool's own age
    // notice, tests that ran clean.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("report.dat"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("# Lynis Report\nreport_version_major=1\nreport_version_minor=0\nlynis_version=3.0.8\n"
            "report_datetime_start=2026-11-01 10:00:00\nhostname=web-01\n"
            "tests_executed=AUTH-9230|AUTH-9286|LOGG-2138|SSH-7408|\n"
            "warning[]=LOGG-2138|klogd is not running|-|-|\n"
            "suggestion[]=AUTH-9286|Configure minimum password age|/etc/login.defs|-|\n"
            "suggestion[]=AUTH-9286|Configure maximum password age|/etc/login.defs max|-|\n"
            "suggestion[]=LYNIS|This release is more than 4 months old|-|-|\n"
            "report_datetime_end=2026-11-01 10:01:00\nfinish=true\n");
    f.close();
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<ImportConnector>(std::vector<std::string> { path.toStdString() }));
    const auto o = run(std::move(sources));
    QVERIFY(!o.anySourceFailed());
    Counts c = countsOf(o, "LYNIS-");
    LG_COMPARE(c.bySeverity["medium"], 1);
    LG_COMPARE(c.bySeverity["low"], 2); // both AUTH-9286 suggestions, not the tool's age notice
    LG_COMPARE(c.evaluated, 3 + 2); // 3 reported, AUTH-9230 and SSH-7408 ran clean
    std::set<std::string> messages;
    for (const auto& fnd : o.record.findings)
        if (fnd.rule.rfind("LYNIS-", 0) == 0) {
            LG_COMPARE(fnd.subject.name, std::string("web-01"));
            // the host's own target, named as `scan --host` on web-01 names it: one target in the estate
            LG_COMPARE(fnd.subject.target, std::string("host:web-01"));
            LG_COMPARE(fnd.layer, Layer::Host);
            messages.insert(fnd.message);
        }
    // Each of a test's texts is its own finding, its own message.
    QVERIFY(messages.count("Lynis suggestion AUTH-9286: Configure minimum password age"));
    QVERIFY(messages.count("Lynis suggestion AUTH-9286: Configure maximum password age"));

    // Without finish=true Lynis stopped half way: refused, not half read.
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write("# Lynis Report\nlynis_version=3.0.8\nwarning[]=LOGG-2138|klogd is not running|-|-|\n");
    f.close();
    std::vector<std::unique_ptr<Connector>> again;
    again.push_back(std::make_unique<ImportConnector>(std::vector<std::string> { path.toStdString() }));
    const auto broken = run(std::move(again));
    QVERIFY(broken.anySourceFailed());
    QVERIFY(broken.sources.front().error.find("incomplete") != std::string::npos);
}

void TestImporters::sameControlOnSameResourceIsOneFinding()
{
    // A privileged Deployment that Layerguard's LG-PSS-PRIVILEGED (citing C-0057) flags, and a Kubescape
    // report of C-0057 on the same Deployment: one finding, naming both sources.
    QTemporaryDir dir;
    QVERIFY(writePrivilegedDeployment(dir.filePath(QStringLiteral("m"))));
    const nlohmann::json report = { { "generationTime", "2026-11-01T00:00:00Z" }, { "clusterName", "shop" },
        { "summaryDetails",
            { { "controls",
                { { "C-0057", { { "name", "Privileged container" }, { "scoreFactor", 8 } } },
                    { "C-0016", { { "name", "Allow privilege escalation" }, { "scoreFactor", 6 } } } } } } },
        { "results",
            { { { "resourceID", "apps/v1/shop/Deployment/web" },
                { "controls",
                    { { { "controlID", "C-0057" }, { "status", { { "status", "failed" } } } },
                        { { "controlID", "C-0016" }, { "status", { { "status", "failed" } } } } } } } } } };
    QFile k(dir.filePath(QStringLiteral("kubescape.json")));
    QVERIFY(k.open(QIODevice::WriteOnly));
    k.write(QByteArray::fromStdString(report.dump()));
    k.close();
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<ManifestsConnector>(dir.filePath(QStringLiteral("m")).toStdString(), "shop"));
    sources.push_back(
        std::make_unique<ImportConnector>(std::vector<std::string> { k.fileName().toStdString() }, "shop"));
    const auto o = run(std::move(sources), nullptr, {}, 1767225600 + 86400);
    QVERIFY(!o.anySourceFailed());
    QVERIFY(!lg::test::fired(o, "KUBESCAPE-C-0057")); // folded into Layerguard's finding
    bool merged = false;
    for (const auto& f : o.record.findings)
        if (f.rule == "LG-PSS-PRIVILEGED" && f.subject.name == "web")
            for (const auto& e : f.evidence)
                merged = merged
                    || (e.path == "also reported by" && e.value.get<std::string>().find("kubescape C-0057") == 0);
    QVERIFY(merged);
    // C-0016: Kubescape's finding stays unless a Layerguard rule citing C-0016 fired on the same Deployment.
    bool layerguardC0016 = false;
    for (const auto& f : o.record.findings)
        if (f.subject.name == "web" && f.rule.rfind("KUBESCAPE-", 0) != 0)
            if (const Rule* r = m_catalog.find(f.rule))
                layerguardC0016 = layerguardC0016
                    || std::find(r->references.begin(), r->references.end(), "C-0016") != r->references.end();
    LG_COMPARE(lg::test::fired(o, "KUBESCAPE-C-0016"), !layerguardC0016);
}

void TestImporters::oldReportIsAFindingAgainstThePolicy()
{
    // docker-bench's fixture ended 2025-03-04; judged on 2026-01-01 it is 303 days old.
    const std::int64_t now = 1767225600;
    const auto old = import({ QStringLiteral("docker-bench.json") }, nullptr, {}, now);
    QVERIFY(lg::test::fired(old, "LG-IMPORT-STALE-RUNTIME"));
    QVERIFY(!lg::test::fired(old, "LG-IMPORT-STALE-HOST"));
    Policy lenient = Policy::fromJson({ { "import_max_age_days", 400 } });
    const auto fine = import({ QStringLiteral("docker-bench.json") }, nullptr, lenient, now);
    QVERIFY(!lg::test::fired(fine, "LG-IMPORT-STALE-RUNTIME"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Policy::fromJson({ { "import_max_age_days", 0 } }));
}

void TestImporters::everyNodeAndMountIsItsOwnStoredFinding()
{
    // The same kube-bench node report for two nodes (one file each): twice the findings, all stored.
    QTemporaryDir dir;
    for (const char* node : { "node-a.json", "node-b.json" })
        QVERIFY(QFile::copy(kData + QStringLiteral("kube-bench-node.json"), dir.filePath(QLatin1String(node))));
    Store store(dir.filePath(QStringLiteral("c.sqlite")).toStdString());
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<ImportConnector>(std::vector<std::string> { dir.path().toStdString() }));
    const auto o = run(std::move(sources), &store);
    QVERIFY(o.scanId);
    const auto stored = store.findings(*o.scanId);
    std::size_t kubeBench = 0;
    std::set<std::string> files;
    for (const auto& f : stored)
        if (f.rule.rfind("KUBE-BENCH-", 0) == 0) {
            ++kubeBench;
            files.insert(f.subject.container);
        }
    LG_COMPARE(kubeBench, std::size_t(2 * (2 + 3))); // FAIL 2 and WARN 3 per node
    LG_COMPARE(files, (std::set<std::string> { "node-a.json", "node-b.json" }));
    LG_COMPARE(stored.size(), o.record.findings.size()); // nothing lost to a shared fingerprint

    // docker-bench: every finding of the fixture is stored, mounts of one container included.
    QTemporaryDir dir2;
    Store store2(dir2.filePath(QStringLiteral("c.sqlite")).toStdString());
    const auto d = import({ QStringLiteral("docker-bench.json") }, &store2);
    QVERIFY(d.scanId);
    LG_COMPARE(store2.findings(*d.scanId).size(), d.record.findings.size());
}

void TestImporters::lynisTimeIsLocal()
{
    // Lynis writes local time without a zone: read as the machine's local time.
    const QByteArray oldTz = qgetenv("TZ");
    qputenv("TZ", "Asia/Tokyo");
    tzset();
    const auto resources = ImportConnector::parse("# Lynis Report\nlynis_version=3.0.8\nhostname=h\n"
                                                  "report_datetime_end=2026-11-01 09:00:00\nfinish=true\n",
        "report.dat", {}, 0);
    if (oldTz.isNull())
        qunsetenv("TZ");
    else
        qputenv("TZ", oldTz);
    tzset();
    QVERIFY(!resources.empty());
    LG_COMPARE(resources.front().data.value("generated_unix", std::int64_t(0)),
        std::int64_t(1793491200)); // 2026-11-01 00:00 UTC
}

void TestImporters::foldersSkipWhatIsNotAReport()
{
    QTemporaryDir dir;
    QVERIFY(QFile::copy(kData + QStringLiteral("kubescape.json"), dir.filePath(QStringLiteral("kubescape.json"))));
    QVERIFY(QFile::copy(kData + QStringLiteral("not-lynis.dat"), dir.filePath(QStringLiteral("lynis.log"))));
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<ImportConnector>(std::vector<std::string> { dir.path().toStdString() }));
    const auto o = run(std::move(sources));
    QVERIFY(!o.anySourceFailed());
    QVERIFY(lg::test::fired(o, "KUBESCAPE-C-0057"));
    // A folder with no report at all is an error, not an empty (and so "secure") import.
    QVERIFY(QFile::remove(dir.filePath(QStringLiteral("kubescape.json"))));
    std::vector<std::unique_ptr<Connector>> again;
    again.push_back(std::make_unique<ImportConnector>(std::vector<std::string> { dir.path().toStdString() }));
    const auto empty = run(std::move(again));
    QVERIFY(empty.anySourceFailed());
    QVERIFY(empty.sources.front().error.find("no report") != std::string::npos);
}

void TestImporters::otherClusterIsNotMerged()
{
    // Kubescape's C-0057 on shop/Deployment/web of another target stays its own finding.
    QTemporaryDir dir;
    QVERIFY(writePrivilegedDeployment(dir.filePath(QStringLiteral("m"))));
    QFile k(dir.filePath(QStringLiteral("kubescape.json")));
    QVERIFY(k.open(QIODevice::WriteOnly));
    k.write(R"({"generationTime":"2026-11-01T00:00:00Z","clusterName":"other","summaryDetails":{"controls":{}},
        "results":[{"resourceID":"apps/v1/shop/Deployment/web","controls":[{"controlID":"C-0057",
        "status":{"status":"failed"},"severity":"High"}]}]})");
    k.close();
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<ManifestsConnector>(dir.filePath(QStringLiteral("m")).toStdString(), "shop"));
    sources.push_back(std::make_unique<ImportConnector>(std::vector<std::string> { k.fileName().toStdString() }));
    const auto o = run(std::move(sources));
    QVERIFY(!o.anySourceFailed());
    QVERIFY(lg::test::fired(o, "KUBESCAPE-C-0057"));
    QVERIFY(lg::test::fired(o, "LG-PSS-PRIVILEGED"));
}

void TestImporters::policyAppliesToImportedChecks()
{
    const Policy policy = Policy::fromJson({ { "disabled", { "KUBESCAPE-C-0009" } },
        { "severity", { { "KUBESCAPE-C-0013", "low" } } },
        { "exemptions",
            { { { "rule", "KUBESCAPE-C-0016" }, { "namespace", "monitoring" }, { "reason", "node exporter" } } } } });
    const auto o = import({ QStringLiteral("kubescape.json") }, nullptr, policy);
    QVERIFY(!lg::test::fired(o, "KUBESCAPE-C-0009"));
    bool c0016Elsewhere = false;
    for (const auto& f : o.record.findings) {
        if (f.rule == "KUBESCAPE-C-0013")
            LG_COMPARE(f.severity, Severity::Low);
        if (f.rule == "KUBESCAPE-C-0016") {
            LG_COMPARE(f.status == FindingStatus::Exempted, f.subject.namespace_ == "monitoring");
            c0016Elsewhere = c0016Elsewhere || f.subject.namespace_ != "monitoring";
        }
    }
    QVERIFY(c0016Elsewhere); // the exemption is scoped to its namespace
    QVERIFY(o.record.outcomes.at("KUBESCAPE-C-0016").exempted > 0);
}

void TestImporters::badInputFailsAndStoresNothing_data()
{
    QTest::addColumn<QStringList>("files");
    QTest::addColumn<QString>("says");
    QTest::newRow("empty") << QStringList { QStringLiteral("empty.json") } << QStringLiteral("empty");
    QTest::newRow("foreign JSON") << QStringList { QStringLiteral("foreign.json") }
                                  << QStringLiteral("not a report Layerguard can import");
    QTest::newRow("truncated JSON") << QStringList { QStringLiteral("truncated-kube-bench.json") }
                                    << QStringLiteral("not valid JSON");
    QTest::newRow("truncated XML") << QStringList { QStringLiteral("truncated-arf.xml") }
                                   << QStringLiteral("not well-formed XML");
    QTest::newRow("a log, not a report") << QStringList { QStringLiteral("not-lynis.dat") }
                                         << QStringLiteral("not a report Layerguard can import");
    QTest::newRow("one bad file among good ones")
        << QStringList { QStringLiteral("kubescape.json"), QStringLiteral("truncated-kube-bench.json") }
        << QStringLiteral("truncated-kube-bench.json");
}

void TestImporters::badInputFailsAndStoresNothing()
{
    QFETCH(QStringList, files);
    QFETCH(QString, says);
    QTemporaryDir dir;
    Store store(dir.filePath(QStringLiteral("c.sqlite")).toStdString());
    const auto o = import(files, &store);
    QVERIFY(o.anySourceFailed());
    QVERIFY(!o.scanId);
    const std::string& error = o.sources.front().error;
    QVERIFY2(error.find(says.toStdString()) != std::string::npos, error.c_str());
    QVERIFY2(error.find(files.back().toStdString()) != std::string::npos, error.c_str()); // names the file
    QVERIFY(!o.sources.front().hint.empty());
    QVERIFY(store.scans().empty());
}

QTEST_GUILESS_MAIN(TestImporters)
#include "tst_importers.moc"
