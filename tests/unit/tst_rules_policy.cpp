// Policies: severity overrides, disabled rules, exemptions by policy file, label, annotation or namespace (kept as
// exempted, never dropped), deadlines, and allowed registries.
#include "tst_rules.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include "testsupport.h"

using namespace lg;

namespace {
/** The findings of LG-PSS-PRIVILEGED in `o` that count (not exempted); `sev` gets the severity of the last. */
int count(const ScanOutcome& o, Severity* sev = nullptr)
{
    int n = 0;
    for (const auto& f : o.record.findings)
        if (f.rule == "LG-PSS-PRIVILEGED" && f.status != FindingStatus::Exempted) {
            ++n;
            if (sev)
                *sev = f.severity;
        }
    return n;
}

/** Policies refused, saying why: an exemption without a reason or a rule, deadlines that are not days. */
void checkRefusedPolicies()
{
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
}

/** The annotation on the resource, by rule id or by a peer id it maps to. */
void checkIgnoreAnnotation(const RuleCatalog& catalog)
{
    QTemporaryDir dir;
    QFile f(dir.filePath(QStringLiteral("p.yaml")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    layerguard.io/ignore: \"KSV017, "
            "LG-PSS-HOST-PID\"\nspec:\n  containers:\n    - name: c\n      image: c\n      securityContext:\n"
            "        privileged: true\n");
    f.close();
    const auto annotated = runOn(catalog, dir.filePath(QStringLiteral("p.yaml")));
    LG_COMPARE(count(annotated), 0);
    const Finding* ignored = lg::test::exempted(annotated, "LG-PSS-PRIVILEGED", "p");
    QVERIFY(ignored);
    LG_COMPARE(ignored->exemption.by, std::string("annotation layerguard.io/ignore on the resource"));
    QVERIFY(ignored->exemption.reason.find("no reason given") != std::string::npos);
}
} // namespace

void TestRules::policyOverridesAndExemptions()
{
    const QString file = fixtureDir(QStringLiteral("LG-PSS-PRIVILEGED")) + QStringLiteral("/fail/pod.yaml");
    Policy severity;
    severity.severityOverrides["LG-PSS-PRIVILEGED"] = Severity::Critical;
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
    checkRefusedPolicies();
    if (QTest::currentTestFailed())
        return;
    checkIgnoreAnnotation(m_catalog);
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
