// Every rule in the catalogue fires on its fail fixtures and passes (is evaluated, no finding) on
// its pass fixtures: tests/data/rules/<platform>/<RULE-ID>/{pass,fail}/*.yaml (manifests) or *.json (host
// snapshots), beside resources/rules/<platform>/<RULE-ID>.json.
#include "connectors/host/hostconnector.h"
#include "connectors/manifests/manifestsconnector.h"
#include "core/frameworks.h"
#include "scan/scanner.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <QTest>
#include <set>

#include "testsupport.h"

using namespace lg;

Q_DECLARE_METATYPE(std::string)

class TestRules : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void everyRuleHasFixtures();
    void frameworksNameRulesThatExist();
    void fixtures_data();
    void fixtures();
    void catalogueIsWellFormed();
    void sameRiskSameSeverity_data();
    void sameRiskSameSeverity();
    void userFolderOverridesAndAdds();
    void brokenUserRuleNamesTheFile();
    void policyOverridesAndExemptions();
    void hostileManifestsDoNotBreakTheScan();
    void crossChecksSpanSourcesOfOneTarget();
    void sameObjectTwiceIsOneFinding();
    void mergeKeysCannotHideRisk();
    void mandatoryAccessControlChecksApplyWhereTheHostHasIt();
    void freshClusterRbacHasNoCriticalOrHigh();
    void rbacDefaultsAreRecognisedByContentNotName();
    void compactTableKeepsWhatTheEngineFound();
    void sourceFailingAfterItsFindingsAddsNone();
    void crossCheckFindingsHonourExemptions_data();
    void crossCheckFindingsHonourExemptions();
    void allowedRegistries_data();
    void allowedRegistries();

private:
    RuleCatalog m_catalog;
};

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

/** The fixture folder of one rule, whatever its platform. */
QString fixtureDir(const QString& ruleId)
{
    for (const auto& dir : ruleFixtureDirs())
        if (QFileInfo(dir).fileName() == ruleId)
            return dir;
    return fixtureRoot() + QStringLiteral("/missing/") + ruleId;
}

ScanOutcome runOn(const RuleCatalog& catalog, const QString& file, Policy policy = {})
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
} // namespace

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
    QTest::addColumn<bool>("shouldFail");
    for (const auto& dir : ruleFixtureDirs()) {
        const QString ruleDir = QFileInfo(dir).fileName();
        for (const char* kind : { "pass", "fail" }) {
            const QDir d(dir + QLatin1Char('/') + QLatin1String(kind));
            for (const auto& f : d.entryList(QDir::Files)) {
                QTest::addRow("%s/%s/%s", qPrintable(ruleDir), kind, qPrintable(f))
                    << ruleDir.toStdString() << d.filePath(f) << (std::string_view(kind) == "fail");
            }
        }
    }
}

void TestRules::fixtures()
{
    QFETCH(std::string, rule);
    QFETCH(QString, file);
    QFETCH(bool, shouldFail);
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
    if (shouldFail) {
        QVERIFY2(hits > 0, ("no finding of " + rule).c_str());
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

void TestRules::policyOverridesAndExemptions()
{
    const QString file = fixtureDir(QStringLiteral("LG-PSS-PRIVILEGED")) + QStringLiteral("/fail/pod.yaml");
    Policy severity;
    severity.severityOverrides["LG-PSS-PRIVILEGED"] = Severity::Critical;
    auto count = [&](const ScanOutcome& o, Severity* sev = nullptr) {
        int n = 0;
        for (const auto& f : o.record.findings)
            if (f.rule == "LG-PSS-PRIVILEGED" && f.status != FindingStatus::Exempted) {
                ++n;
                if (sev)
                    *sev = f.severity;
            }
        return n;
    };
    Severity sev = Severity::Info;
    LG_COMPARE(count(runOn(m_catalog, file, severity), &sev), 1);
    LG_COMPARE(int(sev), int(Severity::Critical));

    Policy disabled;
    disabled.disabled = { "LG-PSS-PRIVILEGED" };
    LG_COMPARE(count(runOn(m_catalog, file, disabled)), 0);

    // An exempted failure is kept, with the policy file and line that exempts it and the reason.
    Policy exempt = Policy::fromJson(
        nlohmann::json::parse(
            R"({"exemptions": [{"rule": "LG-PSS-PRIVILEGED", "namespace": "fixtures", "reason": "node agent"}]})"),
        "team-policy.yaml", [](std::size_t i) { return int(i) + 4; });
    const auto o = runOn(m_catalog, file, exempt);
    LG_COMPARE(count(o), 0);
    LG_COMPARE(o.record.outcomes.at("LG-PSS-PRIVILEGED").exempted, 1);
    LG_COMPARE(o.record.outcomes.at("LG-PSS-PRIVILEGED").failed, 0);
    const Finding* kept = nullptr;
    for (const auto& f : o.record.findings)
        if (f.rule == "LG-PSS-PRIVILEGED")
            kept = &f;
    QVERIFY(kept);
    LG_COMPARE(kept->status, FindingStatus::Exempted);
    LG_COMPARE(kept->exemption.by, std::string("team-policy.yaml:4"));
    LG_COMPARE(kept->exemption.reason, std::string("node agent"));
    LG_COMPARE(toJson(*kept)["exemption"]["by"], nlohmann::json("team-policy.yaml:4"));
    // it does not weigh: the layer scores as if it had passed
    LG_COMPARE(o.record.tallies.at(Layer::Orchestrator).failedWeight,
        runOn(m_catalog, file, disabled).record.tallies.at(Layer::Orchestrator).failedWeight);

    Policy byLabel = Policy::fromJson(nlohmann::json::parse(
        R"({"exemptions": [{"rule": "*", "label": "app=nope", "reason": "label does not match"},
                            {"rule": "LG-PSS-PRIVILEGED", "annotation": "team", "reason": "missing annotation"}]})"));
    QCOMPARE(count(runOn(m_catalog, file, byLabel)), 1);

    Policy otherNs = Policy::fromJson(nlohmann::json::parse(
        R"({"exemptions": [{"rule": "LG-PSS-PRIVILEGED", "namespace": "elsewhere", "reason": "x"}]})"));
    LG_COMPARE(count(runOn(m_catalog, file, otherNs)), 1);
    QVERIFY_THROWS_EXCEPTION(
        std::invalid_argument, Policy::fromJson(nlohmann::json::parse(R"({"exemptions": [{"rule": "X"}]})")));
    // Deadlines: the defaults unless the policy sets them; an unknown severity or a negative number is refused.
    LG_COMPARE(Policy {}.slaDays, (std::array<int, 5> { 7, 30, 90, 180, 0 }));
    LG_COMPARE(Policy::fromJson(nlohmann::json::parse(R"({"sla": {"critical": 3, "low": 0}})")).slaDays,
        (std::array<int, 5> { 3, 30, 90, 0, 0 }));
    for (const char* bad : { R"({"sla": {"urgent": 3}})", R"({"sla": {"high": -1}})", R"({"sla": {"high": "soon"}})",
             R"({"sla": [7, 30]})" })
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Policy::fromJson(nlohmann::json::parse(bad)));
    // An exemption without a rule used to exempt every rule: it is refused, naming the exemption.
    try {
        (void)Policy::fromJson(nlohmann::json::parse(R"({"exemptions": [{"namespace": "shop", "reason": "r"}]})"),
            "p.yaml", [](std::size_t) { return 7; });
        QFAIL("an exemption without a rule was accepted");
    } catch (const std::invalid_argument& e) {
        QVERIFY2(std::string(e.what()).find("exemption 1 (line 7) names no rule") != std::string::npos, e.what());
    }

    // The annotation on the resource, by rule id or by a peer id it maps to.
    QTemporaryDir dir;
    QFile f(dir.filePath(QStringLiteral("p.yaml")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    layerguard.io/ignore: \"KSV017, "
            "LG-PSS-HOST-PID\"\nspec:\n  containers:\n    - name: c\n      image: c\n      securityContext:\n"
            "        privileged: true\n");
    f.close();
    const auto annotated = runOn(m_catalog, dir.filePath(QStringLiteral("p.yaml")));
    LG_COMPARE(count(annotated), 0);
    const Finding* ignored = lg::test::exempted(annotated, "LG-PSS-PRIVILEGED", "p");
    QVERIFY(ignored);
    LG_COMPARE(ignored->exemption.by, std::string("annotation layerguard.io/ignore on the resource"));
    QVERIFY(ignored->exemption.reason.find("no reason given") != std::string::npos);
}

void TestRules::hostileManifestsDoNotBreakTheScan()
{
    QTemporaryDir dir;
    QFile f(dir.filePath(QStringLiteral("hostile.yaml")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: on, namespace: 123}\nspec: {containers: [{name: 7, image: x}]}\n"
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: nospec}\n"
        "---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {jobTemplate: 5}\n"
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np}\n"
        "spec: {podSelector: {matchExpressions: [1, {key: a, operator: In, values: 3}]}, policyTypes: ingress}\n"
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: x\n"
        "subjects: 5\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\n"
        "rules: [1, {verbs: \"*\"}]\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: [a]}\n"
        "automountServiceAccountToken: maybe\n---\nkind: List\nitems: {a: 1}\n---\n42\n---\n[1, 2]\n");
    f.close();
    const auto outcome = runOn(m_catalog, dir.filePath(QStringLiteral("hostile.yaml")));
    QVERIFY2(!outcome.anySourceFailed(), outcome.sources.empty() ? "no source" : outcome.sources.back().error.c_str());
    bool podSeen = false;
    for (const auto& r : outcome.record.resources)
        podSeen = podSeen || (r.kind == "Pod" && r.name == "true" && r.namespace_ == "123");
    QVERIFY(podSeen);
}

void TestRules::crossChecksSpanSourcesOfOneTarget()
{
    // Two folders of one target: the NetworkPolicy in one isolates the workload in the other.
    QTemporaryDir a, b;
    QFile wl(a.filePath(QStringLiteral("app.yaml")));
    QVERIFY(wl.open(QIODevice::WriteOnly));
    wl.write("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop, labels: {app: p}}\n"
             "spec: {containers: [{name: c, image: c:1}]}\n");
    wl.close();
    QFile np(b.filePath(QStringLiteral("policy.yaml")));
    QVERIFY(np.open(QIODevice::WriteOnly));
    np.write("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\n"
             "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n");
    np.close();
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<ManifestsConnector>(a.path().toStdString(), "shop"));
    sources.push_back(std::make_unique<ManifestsConnector>(b.path().toStdString(), "shop"));
    Scanner scanner(m_catalog, {});
    CancelToken cancel { false };
    const auto outcome = scanner.run(sources, nullptr, cancel, {});
    for (const auto& f : outcome.record.findings)
        QVERIFY2(f.rule != "LG-K8S-NETWORKPOLICY-NONE", f.message.c_str());
    LG_COMPARE(outcome.record.outcomes.at("LG-K8S-NETWORKPOLICY-NONE").evaluated, 1);
}

void TestRules::mergeKeysCannotHideRisk()
{
    // `<<: *anchor` is applied as kubectl applies it: what it merges is judged like anything written out.
    const auto outcome = runOn(m_catalog, QStringLiteral(LG_TEST_DATA "/evasions/merge-keys"));
    QVERIFY(!outcome.anySourceFailed());
    QVERIFY(lg::test::fired(outcome, "LG-PSS-PRIVILEGED", "merged-security-context"));
    QVERIFY(lg::test::fired(outcome, "LG-PSS-HOST-NETWORK", "merged-pod-spec"));
    QVERIFY(lg::test::fired(outcome, "LG-PSS-HOST-PID", "merged-pod-spec"));
}

void TestRules::freshClusterRbacHasNoCriticalOrHigh()
{
    // The kube-apiserver bootstrap policy (and the providers' documented defaults) as a fresh cluster lists it.
    const auto outcome = runOn(m_catalog, QStringLiteral(LG_SOURCE_DIR "/resources/kubernetes/rbac-defaults"));
    QVERIFY(!outcome.anySourceFailed());
    QVERIFY(outcome.record.resources.size() > 150);
    for (const auto& f : outcome.record.findings)
        QVERIFY2(f.severity != Severity::Critical && f.severity != Severity::High,
            (f.rule + " on " + f.subject.kind + "/" + f.subject.name + ": " + f.message).c_str());
}

void TestRules::rbacDefaultsAreRecognisedByContentNotName()
{
    const auto outcome = runOn(m_catalog, QStringLiteral(LG_TEST_DATA "/evasions/rbac"));
    QVERIFY(!outcome.anySourceFailed());
    QVERIFY(lg::test::fired(outcome, "LG-RBAC-FULL-WILDCARD", "system:backdoor"));
    QVERIFY(lg::test::fired(outcome, "LG-RBAC-CLUSTER-ADMIN", "system:backdoor"));
    QVERIFY(lg::test::fired(outcome, "LG-RBAC-SECRETS", "system:basic-user"));
    QVERIFY(lg::test::fired(outcome, "LG-RBAC-AUTHENTICATED", "system:basic-user"));
    QVERIFY(lg::test::fired(outcome, "LG-RBAC-CLUSTER-ADMIN", "cluster-admin"));
}

void TestRules::mandatoryAccessControlChecksApplyWhereTheHostHasIt()
{
    // CIS Docker 5.2 (AppArmor) and 5.3 (SELinux) say "if applicable": on an SELinux host the AppArmor check
    // does not apply, and the other way round. The same unconfined container on both kinds of host.
    QTemporaryDir dir;
    auto host = [&](const char* securityOptions) {
        const QString path = dir.filePath(QString::fromLatin1(securityOptions).replace(u',', u'_') + u".json");
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            return ScanOutcome {};
        f.write(QByteArray(R"({"resources": [{"kind": "DockerContainer", "layer": "runtime", "name": "/web", "data": {
            "Id": "4f1c", "Name": "/web", "AppArmorProfile": "unconfined", "HostConfig": {"SecurityOpt": []},
            "Layerguard": {"daemon": {"securityOptions": [")")
            + securityOptions + R"("], "noNewPrivileges": null}}}}]})");
        f.close();
        return runOn(m_catalog, path);
    };
    const auto apparmor = host("name=apparmor");
    QVERIFY(lg::test::fired(apparmor, "LG-DOCKER-APPARMOR"));
    QVERIFY(!lg::test::fired(apparmor, "LG-DOCKER-SECURITY-OPTIONS"));
    LG_COMPARE(apparmor.record.outcomes.at("LG-DOCKER-SECURITY-OPTIONS").notApplicable, 1);
    const auto selinux = host("name=selinux");
    QVERIFY(!lg::test::fired(selinux, "LG-DOCKER-APPARMOR"));
    LG_COMPARE(selinux.record.outcomes.at("LG-DOCKER-APPARMOR").notApplicable, 1);
    QVERIFY(lg::test::fired(selinux, "LG-DOCKER-SECURITY-OPTIONS"));
}

void TestRules::sameObjectTwiceIsOneFinding()
{
    // A base file and an overlay that repeats the pod: each finding once, in the order first seen.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QByteArray pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n"
                           "spec:\n  containers:\n  - name: app\n    image: nginx:latest\n"
                           "    securityContext: {privileged: true}\n";
    const QByteArray other = "apiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: shop}\n"
                             "spec:\n  hostNetwork: true\n  containers:\n  - name: app\n    image: nginx:1.27\n";
    for (const auto& [name, text] :
        { std::pair { "a-base.yaml", QByteArray(pod + "---\n" + other) }, std::pair { "b-overlay.yaml", pod } }) {
        QFile f(dir.filePath(QLatin1String(name)));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(text);
    }
    const auto once = runOn(m_catalog, dir.filePath(QStringLiteral("a-base.yaml")));
    const auto twice = runOn(m_catalog, dir.path());
    QVERIFY(!once.anySourceFailed());
    QVERIFY(!twice.anySourceFailed());
    QVERIFY(once.record.findings.size() > 2);
    std::vector<std::string> a, b;
    for (const auto& f : once.record.findings)
        a.push_back(f.id);
    for (const auto& f : twice.record.findings)
        b.push_back(f.id);
    QCOMPARE(b, a);
}

void TestRules::crossCheckFindingsHonourExemptions_data()
{
    // The cross-resource checks judge a workload at the end of the scan from what they kept of it: its
    // labels and annotations must still be there for the exemptions that read them.
    QTest::addColumn<QByteArray>("annotations");
    QTest::addColumn<QByteArray>("policy");
    QTest::addColumn<bool>("coverage");
    QTest::addColumn<bool>("token");
    QTest::addRow("no exemption") << QByteArray() << QByteArray("{}") << true << true;
    QTest::addRow("ignore annotation") << QByteArray("    layerguard.io/ignore: LG-K8S-NETWORKPOLICY-NONE\n")
                                       << QByteArray("{}") << false << true;
    QTest::addRow("by label") << QByteArray()
                              << QByteArray(
                                     R"({"exemptions": [{"rule": "LG-K8S-SA-TOKEN-AUTOMOUNT", "label": "team=payments",
                                     "reason": "r"}]})")
                              << true << false;
    QTest::addRow("by label, other value")
        << QByteArray() << QByteArray(R"({"exemptions": [{"rule": "*", "label": "team=search", "reason": "r"}]})")
        << true << true;
    QTest::addRow("by annotation")
        << QByteArray("    owner: ops\n")
        << QByteArray(
               R"({"exemptions": [{"rule": "LG-K8S-NETWORKPOLICY-NONE", "annotation": "owner=ops", "reason": "r"}]})")
        << false << true;
    // an ignore list longer than the short annotations kept for annotation exemptions
    QTest::addRow("long ignore annotation, annotation exemption")
        << QByteArray("    owner: ops\n    layerguard.io/ignore: \"") + QByteArray(300, 'x')
            + ", LG-K8S-NETWORKPOLICY-NONE\"\n"
        << QByteArray(
               R"({"exemptions": [{"rule": "LG-K8S-SA-TOKEN-AUTOMOUNT", "annotation": "owner=ops", "reason": "r"}]})")
        << false << false;
    QTest::addRow("by label and namespace")
        << QByteArray()
        << QByteArray(R"({"exemptions": [{"rule": "*", "namespace": "shop", "label": "team", "reason": "r"}]})")
        << false << false;
}

void TestRules::crossCheckFindingsHonourExemptions()
{
    QFETCH(QByteArray, annotations);
    QFETCH(QByteArray, policy);
    QFETCH(bool, coverage);
    QFETCH(bool, token);
    QTemporaryDir dir;
    QFile f(dir.filePath(QStringLiteral("d.yaml")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cart\n  namespace: shop\n  labels:\n"
            "    team: payments\n  annotations:\n    note: x\n"
        + annotations
        + "spec:\n  selector: {matchLabels: {app: cart}}\n  template:\n    metadata: {labels: {app: cart}}\n"
          "    spec:\n      containers: [{name: c, image: c}]\n");
    f.close();
    const auto o = runOn(m_catalog, f.fileName(), Policy::fromJson(nlohmann::json::parse(policy.toStdString())));
    QVERIFY(!o.anySourceFailed());
    LG_COMPARE(test::fired(o, "LG-K8S-NETWORKPOLICY-NONE", "cart"), coverage);
    LG_COMPARE(test::fired(o, "LG-K8S-SA-TOKEN-AUTOMOUNT", "cart"), token);
    // what is exempted is kept as exempted, never dropped
    LG_COMPARE(test::exempted(o, "LG-K8S-NETWORKPOLICY-NONE", "cart") != nullptr, !coverage);
    LG_COMPARE(test::exempted(o, "LG-K8S-SA-TOKEN-AUTOMOUNT", "cart") != nullptr, !token);
}

namespace {

/** A real manifests source that fails after it handed on every resource (a list broken off at its end). */
class FailsAtTheEnd final : public Connector {
public:
    explicit FailsAtTheEnd(const std::string& path)
        : m_inner(path, "fixture")
    {
    }
    std::string kind() const override { return m_inner.kind(); }
    std::string target() const override { return m_inner.target(); }
    std::string location() const override { return m_inner.location(); }
    std::vector<Layer> layers() const override { return m_inner.layers(); }
    void collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress) override
    {
        m_inner.collect(sink, cancel, progress);
        throw ConnectorError("fixture", "the list broke off", "try again");
    }

private:
    ManifestsConnector m_inner;
};

} // namespace

void TestRules::sourceFailingAfterItsFindingsAddsNone()
{
    // Three sources; the second records findings, then fails: the scan keeps the first's and the third's only.
    const std::string first
        = QString(fixtureDir(QStringLiteral("LG-PSS-PRIVILEGED")) + QStringLiteral("/fail")).toStdString();
    const std::string second
        = QString(fixtureDir(QStringLiteral("LG-PSS-HOST-PID")) + QStringLiteral("/fail")).toStdString();
    const std::string third
        = QString(fixtureDir(QStringLiteral("LG-PSS-HOST-NETWORK")) + QStringLiteral("/fail")).toStdString();
    const auto scan = [&](bool failSecond) {
        std::vector<std::unique_ptr<Connector>> sources;
        sources.push_back(std::make_unique<ManifestsConnector>(first, "fixture"));
        if (failSecond)
            sources.push_back(std::make_unique<FailsAtTheEnd>(second));
        else
            sources.push_back(std::make_unique<ManifestsConnector>(second, "fixture"));
        sources.push_back(std::make_unique<ManifestsConnector>(third, "fixture"));
        ScanSettings settings;
        settings.clock = [] { return std::int64_t(1795910400); };
        Scanner scanner(m_catalog, settings);
        CancelToken cancel { false };
        return scanner.run(sources, nullptr, cancel, {});
    };
    const auto healthy = scan(false);
    const auto broken = scan(true);
    QVERIFY(!healthy.anySourceFailed());
    QVERIFY(broken.anySourceFailed());
    QVERIFY(test::fired(healthy, "LG-PSS-HOST-PID"));
    QVERIFY(!test::fired(broken, "LG-PSS-HOST-PID"));
    QVERIFY(test::fired(broken, "LG-PSS-PRIVILEGED"));
    QVERIFY(test::fired(broken, "LG-PSS-HOST-NETWORK"));
    // nothing of the failed source: every finding of the broken scan is one of the healthy scan's, from
    // the first or the third folder
    std::set<std::string> healthyIds;
    for (const auto& f : healthy.record.findings)
        healthyIds.insert(f.id);
    for (const auto& f : broken.record.findings) {
        QVERIFY2(healthyIds.count(f.id), f.message.c_str());
        QVERIFY2(f.origin.find("LG-PSS-HOST-PID") == std::string::npos, f.origin.c_str());
    }
    QVERIFY(broken.record.findings.size() < healthy.record.findings.size());
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

void TestRules::allowedRegistries_data()
{
    QTest::addColumn<QString>("image");
    QTest::addColumn<QStringList>("allowed");
    QTest::addColumn<bool>("expected");
    const QStringList hosts { QStringLiteral("registry.example"), QStringLiteral("amazonaws.com") };
    QTest::newRow("the host") << "registry.example/a/b:1" << hosts << true;
    QTest::newRow("a subdomain") << "1234.dkr.ecr.eu-west-1.amazonaws.com/app:1" << hosts << true;
    QTest::newRow("a lookalike suffix") << "evilamazonaws.com/app:1" << hosts << false;
    QTest::newRow("a lookalike prefix") << "registry.example.evil.io/app" << hosts << false;
    QTest::newRow("host case") << "Registry.Example/app" << hosts << true;
    QTest::newRow("with a port, not allowed") << "registry.example:5000/app" << hosts << false;
    QTest::newRow("a port allowed") << "registry.example:5000/app"
                                    << QStringList { QStringLiteral("registry.example:5000") } << true;
    QTest::newRow("localhost") << "localhost/app" << QStringList { QStringLiteral("localhost") } << true;
    QTest::newRow("Docker Hub official") << "nginx:1.27" << QStringList { QStringLiteral("docker.io") } << true;
    QTest::newRow("Docker Hub library prefix")
        << "nginx" << QStringList { QStringLiteral("docker.io/library") } << true;
    QTest::newRow("Docker Hub user not library")
        << "someone/nginx" << QStringList { QStringLiteral("docker.io/library") } << false;
    QTest::newRow("Docker Hub by its index name")
        << "index.docker.io/library/nginx" << QStringList { QStringLiteral("docker.io") } << true;
    QTest::newRow("a repository prefix") << "ghcr.io/acme/web@sha256:ab"
                                         << QStringList { QStringLiteral("ghcr.io/acme") } << true;
    QTest::newRow("a longer organisation")
        << "ghcr.io/acme-fork/web" << QStringList { QStringLiteral("ghcr.io/acme") } << false;
    QTest::newRow("a name that looks like a host path")
        << "gcr.io" << QStringList { QStringLiteral("gcr.io") } << false;
}

void TestRules::allowedRegistries()
{
    QFETCH(QString, image);
    QFETCH(QStringList, allowed);
    QFETCH(bool, expected);
    std::vector<std::string> list;
    for (const auto& a : allowed)
        list.push_back(a.toStdString());
    QCOMPARE(imageFromAllowedRegistry(image.toStdString(), list), expected);
    // Without a list the rule judges nothing: not applicable, never a pass.
    const auto outcome = runOn(
        m_catalog, QStringLiteral(LG_TEST_DATA "/rules/kubernetes/LG-K8S-ALLOWED-REGISTRIES/fail/other-org.yaml"));
    const auto it = outcome.record.outcomes.find("LG-K8S-ALLOWED-REGISTRIES");
    QVERIFY(it == outcome.record.outcomes.end() || it->second.evaluated == 0);
    QVERIFY_THROWS_EXCEPTION(
        std::invalid_argument, Policy::fromJson(nlohmann::json::parse(R"({"allowed_registries": ["*.example"]})")));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
        Policy::fromJson(nlohmann::json::parse(R"({"allowed_registries": "registry.example"})")));
}

QTEST_GUILESS_MAIN(TestRules)
#include "tst_rules.moc"
