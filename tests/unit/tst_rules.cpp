// Every rule in the catalogue fires on its fail fixtures and passes (is evaluated, no finding) on
// its pass fixtures: tests/data/rules/<platform>/<RULE-ID>/{pass,fail}/*.yaml (manifests) or *.json (host
// snapshots), beside resources/rules/<platform>/<RULE-ID>.json. A rule that needs data a source may not have
// observed is neither passed nor failed on its not-observed fixtures, where there are some. The helpers the other files
// of this test share (tst_rules.h).
#include "tst_rules.h"

#include "connectors/host/hostconnector.h"
#include "connectors/manifests/manifestsconnector.h"
#include "core/frameworks.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <QTest>
#include <set>

#include "testsupport.h"

using namespace lg;

Q_DECLARE_METATYPE(std::string)

namespace {
QString fixtureRoot()
{
    return QStringLiteral(LG_TEST_DATA "/rules");
}

/** Every rule's fixture folder, tests/data/rules/<platform>/<ID>. */
QStringList ruleFixtureDirs()
{
    QStringList out;
    const QDir root(fixtureRoot());
    for (const auto& platform : root.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        const QDir platformDir(root.filePath(platform));
        for (const auto& rule : platformDir.entryList(QDir::Dirs | QDir::NoDotAndDotDot))
            out << platformDir.filePath(rule);
    }
    return out;
}
} // namespace

QString fixtureDir(const QString& ruleId)
{
    for (const auto& dir : ruleFixtureDirs())
        if (QFileInfo(dir).fileName() == ruleId)
            return dir;
    return fixtureRoot() + QStringLiteral("/missing/") + ruleId;
}

ScanOutcome runOn(const RuleCatalog& catalog, const QString& file, Policy policy)
{
    std::vector<std::unique_ptr<Connector>> sources;
    if (file.endsWith(QLatin1String(".json")))
        sources.push_back(std::make_unique<HostConnector>("/", "fixture", file.toStdString()));
    else
        sources.push_back(std::make_unique<ManifestsConnector>(file.toStdString(), "fixture"));
    ScanSettings settings;
    settings.policy = std::move(policy);
    settings.clock = [] { return std::int64_t(1795910400); }; // 2026-11-29: image-age fixtures stay valid
    Scanner scanner(catalog, settings);
    CancelToken cancel { false };
    return scanner.run(sources, nullptr, cancel, {});
}

void TestRules::initTestCase()
{
    m_catalog = RuleCatalog::builtin();
}

void TestRules::everyRuleHasFixtures()
{
    QStringList missing;
    for (const auto& rule : m_catalog.rules()) {
        // The rule's file names it, and its fixtures sit under the same platform and id.
        const QFileInfo file(QString::fromStdString(rule.sourceFile));
        QCOMPARE(file.completeBaseName(), QString::fromStdString(rule.id));
        const QString platform = file.dir().dirName();
        const QDir dir(
            fixtureRoot() + QLatin1Char('/') + platform + QLatin1Char('/') + QString::fromStdString(rule.id));
        for (const char* kind : { "pass", "fail" }) {
            if (QDir(dir.filePath(QLatin1String(kind))).entryList(QDir::Files).isEmpty())
                missing << QString::fromStdString(rule.id) + QLatin1Char('/') + QLatin1String(kind);
        }
    }
    QVERIFY2(
        missing.isEmpty(), qPrintable(QStringLiteral("rules without fixtures: ") + missing.join(QStringLiteral(", "))));
}

void TestRules::frameworksNameRulesThatExist()
{
    // resources/frameworks/*.json: every control is judged by rules of the catalogue, and each rule knows them.
    QCOMPARE(allFrameworks().size(), std::size_t(5));
    for (const auto& fw : allFrameworks()) {
        QVERIFY2(!fw.controls.empty(), fw.id.c_str());
        for (const auto& control : fw.controls)
            for (const auto& id : control.rules) {
                const Rule* rule = m_catalog.find(id);
                QVERIFY2(rule, qPrintable(QString::fromStdString(fw.id + " " + control.id + ": no rule " + id)));
                QVERIFY(std::find(rule->frameworks.begin(), rule->frameworks.end(), fw.id) != rule->frameworks.end());
            }
    }
    std::vector<std::string> named;
    for (const Framework* fw : frameworksNamed("pss"))
        named.push_back(fw->id);
    LG_COMPARE(named, (std::vector<std::string> { "pss-baseline", "pss-restricted" }));
    LG_COMPARE(frameworksOfReference("CIS-K8S-1.2.1"), std::vector<std::string> { "cis-kubernetes" });
    LG_COMPARE(frameworksOfRule("LG-PSS-PRIVILEGED").size(), std::size_t(3)); // baseline, restricted, NSA/CISA
}

void TestRules::fixtures_data()
{
    QTest::addColumn<std::string>("rule");
    QTest::addColumn<QString>("file");
    QTest::addColumn<std::string>("kind");
    for (const auto& dir : ruleFixtureDirs()) {
        const QString ruleDir = QFileInfo(dir).fileName();
        for (const char* kind : { "pass", "fail", "not-observed" }) {
            const QDir d(dir + QLatin1Char('/') + QLatin1String(kind));
            for (const auto& f : d.entryList(QDir::Files)) {
                QTest::addRow("%s/%s/%s", qPrintable(ruleDir), kind, qPrintable(f))
                    << ruleDir.toStdString() << d.filePath(f) << std::string(kind);
            }
        }
    }
}

void TestRules::fixtures()
{
    QFETCH(std::string, rule);
    QFETCH(QString, file);
    QFETCH(std::string, kind);
    QVERIFY2(m_catalog.find(rule), ("fixture folder for unknown rule " + rule).c_str());
    // A rule judged only under a policy setting has its fixtures' policy beside them.
    const QString policyFile = QFileInfo(file).dir().filePath(QStringLiteral("../policy.yaml"));
    const auto outcome = runOn(m_catalog, file,
        QFileInfo::exists(policyFile) ? Policy::load(QFileInfo(policyFile).absoluteFilePath().toStdString())
                                      : Policy {});
    QVERIFY2(!outcome.anySourceFailed(), outcome.sources.empty() ? "" : outcome.sources[0].error.c_str());
    int hits = 0;
    for (const auto& f : outcome.record.findings) {
        if (f.rule == rule) {
            ++hits;
            QVERIFY2(!f.message.empty(), "finding without message");
            QVERIFY2(!f.evidence.empty(), ("finding without evidence: " + f.message).c_str());
            static const QRegularExpression placeholder(QStringLiteral("\\{[A-Za-z_]+(\\.[A-Za-z_]+)*\\}"));
            QVERIFY2(!placeholder.match(QString::fromStdString(f.message)).hasMatch(), f.message.c_str());
        }
    }
    if (kind == "fail") {
        QVERIFY2(hits > 0, ("no finding of " + rule).c_str());
    } else if (kind == "not-observed") {
        // The data the rule judges was not observed: neither a pass nor a failure, and no weight in a score.
        LG_COMPARE(hits, 0);
        const auto it = outcome.record.outcomes.find(rule);
        QVERIFY2(it != outcome.record.outcomes.end() && it->second.notObserved > 0 && it->second.evaluated == 0,
            ("rule was not \"not observed\" on its not-observed fixture: " + rule).c_str());
    } else {
        LG_COMPARE(hits, 0);
        // A pass must be a real evaluation, not "not applicable".
        const auto it = outcome.record.outcomes.find(rule);
        QVERIFY2(it != outcome.record.outcomes.end() && it->second.evaluated > 0,
            ("rule was not evaluated on its pass fixture: " + rule).c_str());
    }
}

void TestRules::catalogueIsWellFormed()
{
    std::set<Layer> layers;
    for (const auto& r : m_catalog.rules()) {
        layers.insert(r.layer);
        QVERIFY2(!r.references.empty(), r.id.c_str());
        QVERIFY2(!r.frameworks.empty() || r.id.starts_with("LG-"), r.id.c_str());
        for (const auto& ref : r.references) {
            // Trivy's new spelling always comes with its old alias, so ignore files keep working.
            if (ref.starts_with("KSV-")) {
                const std::string number = ref.substr(4);
                // KSV-0017 was KSV017; the five-digit ids (KSV-01011) keep their digits (KSV01011)
                const std::string alias = "KSV" + number.substr(number.size() == 4 && number[0] == '0' ? 1 : 0);
                QVERIFY2(std::find(r.references.begin(), r.references.end(), alias) != r.references.end(),
                    (r.id + " lacks alias " + alias).c_str());
            }
        }
    }
    QVERIFY(layers.count(Layer::Orchestrator));
    QVERIFY(layers.count(Layer::Host));
    QVERIFY(layers.count(Layer::Runtime));
}

// The severity scale (README "Severity") is one scale: the same risk found on Docker, in a pod spec or in an image
// carries the same severity, whichever layer finds it.
void TestRules::sameRiskSameSeverity_data()
{
    QTest::addColumn<QStringList>("rules");
    QTest::addColumn<QString>("severity");
    auto row = [](const char* risk, QStringList rules, const char* severity) {
        QTest::addRow("%s", risk) << rules << QString::fromLatin1(severity);
    };
    row("privileged container", { QStringLiteral("LG-DOCKER-PRIVILEGED"), QStringLiteral("LG-PSS-PRIVILEGED") },
        "critical");
    row("container runtime socket mounted",
        { QStringLiteral("LG-DOCKER-SOCKET-MOUNT"), QStringLiteral("LG-K8S-DOCKER-SOCKET") }, "critical");
    row("seccomp unconfined",
        { QStringLiteral("LG-DOCKER-SECCOMP-UNCONFINED"), QStringLiteral("LG-PSS-SECCOMP-UNCONFINED") }, "high");
    row("capabilities added beyond the defaults",
        { QStringLiteral("LG-DOCKER-CAP-ADD"), QStringLiteral("LG-PSS-CAPABILITIES-BASELINE") }, "high");
    row("runs as root",
        { QStringLiteral("LG-DOCKER-ROOT-USER"), QStringLiteral("LG-IMAGE-ROOT-USER"),
            QStringLiteral("LG-PSS-RUN-AS-NON-ROOT"), QStringLiteral("LG-PSS-RUN-AS-USER-ROOT") },
        "medium");
    row("host PID namespace", { QStringLiteral("LG-DOCKER-HOST-PID"), QStringLiteral("LG-PSS-HOST-PID") }, "high");
    row("host network", { QStringLiteral("LG-DOCKER-HOST-NETWORK"), QStringLiteral("LG-PSS-HOST-NETWORK") }, "high");
    row("host IPC", { QStringLiteral("LG-DOCKER-HOST-IPC"), QStringLiteral("LG-PSS-HOST-IPC") }, "high");
    row("privilege escalation allowed",
        { QStringLiteral("LG-DOCKER-NO-NEW-PRIVILEGES"), QStringLiteral("LG-PSS-PRIVILEGE-ESCALATION") }, "medium");
    row("AppArmor off", { QStringLiteral("LG-DOCKER-APPARMOR"), QStringLiteral("LG-PSS-APPARMOR") }, "medium");
    row("writable root filesystem",
        { QStringLiteral("LG-DOCKER-READONLY-ROOTFS"), QStringLiteral("LG-K8S-READONLY-ROOTFS") }, "low");
    row("TLS not verified",
        { QStringLiteral("LG-DOCKER-TLS-UNVERIFIED"), QStringLiteral("LG-K8S-TLS-UNVERIFIED"),
            QStringLiteral("LG-REGISTRY-TLS-UNVERIFIED") },
        "high");
    row("credentials over plain HTTP",
        { QStringLiteral("LG-K8S-PLAIN-HTTP"), QStringLiteral("LG-REGISTRY-PLAIN-HTTP") }, "high");
}

void TestRules::sameRiskSameSeverity()
{
    QFETCH(QStringList, rules);
    QFETCH(QString, severity);
    for (const auto& id : rules) {
        const Rule* r = m_catalog.find(id.toStdString());
        QVERIFY2(r, qPrintable(id));
        QVERIFY2(toString(r->severity) == severity.toStdString(),
            qPrintable(id + QStringLiteral(" is ") + QString::fromLatin1(toString(r->severity))));
    }
}

void TestRules::userFolderOverridesAndAdds()
{
    QTemporaryDir dir;
    QFile f(dir.filePath(QStringLiteral("override.json")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"id": "LG-PSS-PRIVILEGED", "title": "Custom", "layer": "orchestrator", "severity": "critical",
        "scope": "container", "applies_to": ["@workload"],
        "predicate": {"path": "container.securityContext.privileged", "op": "true"},
        "message": "custom", "remediation": ["fix it"], "references": ["KSV-0017", "KSV017"], "frameworks": []})");
    f.close();
    RuleCatalog catalog = RuleCatalog::builtin();
    const auto before = catalog.rules().size();
    catalog.addFolder(dir.path().toStdString());
    LG_COMPARE(catalog.rules().size(), before);
    LG_COMPARE(int(catalog.find("LG-PSS-PRIVILEGED")->severity), int(Severity::Critical));
}

void TestRules::brokenUserRuleNamesTheFile()
{
    QTemporaryDir dir;
    QFile f(dir.filePath(QStringLiteral("broken.json")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"id": "X", "title": "x", "layer": "nowhere"})");
    f.close();
    RuleCatalog catalog;
    try {
        catalog.addFolder(dir.path().toStdString());
        QFAIL("a broken rule was accepted");
    } catch (const std::runtime_error& e) {
        QVERIFY2(std::string(e.what()).find("broken.json") != std::string::npos, e.what());
        QVERIFY2(std::string(e.what()).find("layer") != std::string::npos, e.what());
    }
}

void TestRules::compactTableKeepsWhatTheEngineFound()
{
    // Every fail fixture through two engines: one keeps Finding objects, one writes the compact table scans use.
    int compared = 0;
    for (const auto& ruleDir : ruleFixtureDirs()) {
        const QDir d(ruleDir + QStringLiteral("/fail"));
        for (const auto& file : d.entryList({ QStringLiteral("*.yaml") }, QDir::Files)) {
            ManifestsConnector source(d.filePath(file).toStdString(), "fixture");
            std::vector<Resource> resources;
            CancelToken cancel { false };
            source.collect([&](const Resource& r) { resources.push_back(r); }, cancel, {});
            RuleEngine objects(m_catalog, {}, 1795910400);
            RuleEngine compact(m_catalog, {}, 1795910400);
            FindingTable table;
            compact.setSink(&table);
            for (const auto& r : resources) {
                objects.add(r);
                compact.add(r);
            }
            objects.finish();
            compact.finish();
            QVERIFY(compact.findings().empty());
            LG_COMPARE(table.size(), objects.findings().size());
            for (std::size_t i = 0; i < table.size(); ++i) {
                LG_COMPARE(toJson(table.finding(i)).dump(), toJson(objects.findings()[i]).dump());
                LG_COMPARE(table.finding(i).origin, objects.findings()[i].origin);
                ++compared;
            }
        }
    }
    QVERIFY(compared > 100);
}

QTEST_GUILESS_MAIN(TestRules)
