// What the rules make of awkward input: hostile manifests, one target in several folders, the same object twice,
// YAML merge keys, RBAC defaults judged by content, the host's mandatory access control, a source that fails late.
#include "tst_rules.h"

#include "connectors/manifests/manifestsconnector.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include "testsupport.h"

#include <set>

using namespace lg;

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
