// The Kubernetes connector through the real kubeconfig code against the API test server
// (tests/testbed/kube-apiserver.sh, validated with the real kubectl by kube_kubectl.sh): every auth kind,
// paging, 410 restarts, 403 coverage gaps, transport and auth failures, and live == offline findings.
#include "connectors/kubernetes/kubeconnector.h"
#include "connectors/manifests/manifestsconnector.h"
#include "core/jsonutil.h"
#include "scan/scanner.h"
#include "store/store.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "testsupport.h"

#include <map>
#include <set>

using namespace lg;
using lg::test::fired;
using nlohmann::json;

namespace {

struct Server {
    QString dir;
    std::map<QString, QString> env;
    [[nodiscard]] std::string kubeconfig() const { return QString(dir + QStringLiteral("/kubeconfig")).toStdString(); }
    [[nodiscard]] QString pki(const char* file) const
    {
        return env.at(QStringLiteral("LG_KUBE_PKI")) + u'/' + QLatin1String(file);
    }
    [[nodiscard]] std::string server() const { return env.at(QStringLiteral("LG_KUBE_SERVER")).toStdString(); }
    [[nodiscard]] std::vector<json> requests() const
    {
        std::vector<json> out;
        QFile f(env.at(QStringLiteral("LG_KUBE_LOG")));
        if (f.open(QIODevice::ReadOnly))
            for (const auto& line : f.readAll().split('\n'))
                if (!line.trimmed().isEmpty())
                    out.push_back(json::parse(line.toStdString(), nullptr, false));
        return out;
    }
};

const QString kScript = QStringLiteral(LG_SOURCE_DIR "/tests/testbed/kube-apiserver.sh");
const std::string kState = LG_SOURCE_DIR "/tests/data/kube/state";

using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;

/** What a finding is about, without the target (live and offline scans name their targets differently). */
std::set<Key> keys(const std::vector<Finding>& findings, bool manifestKindsOnly)
{
    // what only a live cluster shows (its version, what could be listed, its kubelets' running configuration)
    static const std::set<std::string> connectionKinds { "KubeConnection", "KubernetesVersion", "KubeCoverage",
        "KubeletConfig" };
    std::set<Key> out;
    for (const auto& f : findings) {
        if (manifestKindsOnly && connectionKinds.count(f.subject.kind))
            continue;
        out.insert({ f.rule, f.subject.kind, f.subject.namespace_, f.subject.name, f.subject.container });
    }
    return out;
}

} // namespace

class TestKubernetes : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void tokenAuthScansTheCluster();
    void liveEqualsOffline();
    void ownershipIsProvenNotClaimed();
    void pagingGivesTheSameFindings();
    void clientCertificateWithEmbeddedData();
    void execPluginCredential();
    void kubeconfigMergeAcrossFiles();
    void secretsAreNeverRequested();
    void expiredContinueRestartsTheList();
    void forbiddenKindIsACoverageGap();
    void failures_data();
    void failures();
    void failedSourceLeavesCacheUnchanged();
    void hostilePagingStopsWithTheReason_data();
    void hostilePagingStopsWithTheReason();
    void echoedTokenIsNeverKept();
    void plainHttpCredentialsAreRefused();
    void cliScansContexts();

private:
    Server start(const QString& name, const QStringList& args = {});
    ScanOutcome scan(
        std::unique_ptr<Connector> c, Store* store = nullptr, std::vector<std::string>* progress = nullptr);
    std::string writeFile(const QString& name, const QByteArray& content);

    QTemporaryDir m_tmp;
    std::vector<Server> m_servers;
    Server m_main;
    RuleCatalog m_catalog = RuleCatalog::builtin();
};

Server TestKubernetes::start(const QString& name, const QStringList& args)
{
    Server s;
    s.dir = m_tmp.filePath(name);
    QProcess p;
    p.start(QStringLiteral("bash"), QStringList { kScript, QStringLiteral("start"), s.dir } + args);
    if (!p.waitForFinished(150'000) || p.exitCode() != 0)
        qFatal("kube-apiserver.sh start failed: %s", p.readAllStandardError().constData());
    QFile env(s.dir + QStringLiteral("/kube.env"));
    if (!env.open(QIODevice::ReadOnly))
        qFatal("no kube.env");
    for (const auto& line : env.readAll().split('\n')) {
        const int eq = line.indexOf('=');
        if (eq > 0)
            s.env[QString::fromUtf8(line.left(eq))] = QString::fromUtf8(line.mid(eq + 1));
    }
    m_servers.push_back(s);
    return s;
}

std::string TestKubernetes::writeFile(const QString& name, const QByteArray& content)
{
    QFile f(m_tmp.filePath(name));
    if (!f.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(name));
    f.write(content);
    f.close();
    f.setPermissions(f.permissions() | QFileDevice::ExeOwner);
    return f.fileName().toStdString();
}

ScanOutcome TestKubernetes::scan(std::unique_ptr<Connector> c, Store* store, std::vector<std::string>* progress)
{
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::move(c));
    ScanSettings settings;
    settings.clock = [] { return std::int64_t(1795910400); };
    Scanner scanner(m_catalog, settings);
    CancelToken cancel { false };
    return scanner.run(sources, store, cancel, [&](const Progress& m) {
        if (progress)
            progress->push_back(m.text);
    });
}

void TestKubernetes::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    m_main = start(QStringLiteral("main"));
}

void TestKubernetes::cleanupTestCase()
{
    for (const auto& s : m_servers)
        QProcess::execute(QStringLiteral("bash"), { kScript, QStringLiteral("stop"), s.dir });
}

void TestKubernetes::tokenAuthScansTheCluster()
{
    const auto kc = Kubeconfig::load(m_main.kubeconfig());
    const auto ctx = kc.resolve("testbed");
    LG_COMPARE(ctx.user.kind(), std::string("token"));
    std::vector<std::string> progress;
    const auto o = scan(std::make_unique<KubernetesConnector>(ctx), nullptr, &progress);
    QVERIFY2(!o.anySourceFailed(), o.sources.empty() ? "no source" : o.sources[0].error.c_str());
    // Every owned object of the state is judged through its controller, counted from the parsed page: the
    // web, api and coredns replica sets, two web, two api, two node-exporter and one coredns pod.
    QVERIFY(
        std::find(progress.begin(), progress.end(), "10 pods, replica sets and jobs judged through their controllers")
        != progress.end());
    // orchestrator rules on the risky workload, host rules from node status, version rules from /version
    QVERIFY(fired(o, "LG-PSS-PRIVILEGED", "web"));
    QVERIFY(fired(o, "LG-K8S-DOCKER-SOCKET", "web"));
    QVERIFY(!fired(o, "LG-PSS-PRIVILEGED", "api"));
    QVERIFY(fired(o, "LG-K8S-SERVER-UNSUPPORTED"));
    QVERIFY(fired(o, "LG-K8S-KUBELET-UNSUPPORTED"));
    QVERIFY(fired(o, "LG-K8S-SANDBOX-RUNTIME", "cluster")); // RuntimeClasses listed: runc under another name only
    // each kubelet's running configuration through the node proxy: the legacy one is open, the current one is not
    for (const char* rule : { "LG-K8S-KUBELET-ANONYMOUS-AUTH", "LG-K8S-KUBELET-ALWAYS-ALLOW",
             "LG-K8S-KUBELET-CLIENT-CA", "LG-K8S-KUBELET-READONLY-PORT" }) {
        QVERIFY2(fired(o, rule, "worker-legacy"), rule);
        QVERIFY2(!fired(o, rule, "worker-current"), rule);
        QVERIFY2(o.record.outcomes.at(rule).evaluated == 2, rule);
    }
    QVERIFY(fired(o, "LG-K8S-NODE-KERNEL-DIRTYPIPE", "worker-legacy"));
    QVERIFY(!fired(o, "LG-K8S-NODE-KERNEL-DIRTYPIPE", "worker-current"));
    QVERIFY(!fired(o, "LG-K8S-COVERAGE-GAP"));
    QVERIFY(!fired(o, "LG-K8S-TLS-UNVERIFIED"));
    QVERIFY(o.record.tallies.at(Layer::Orchestrator).scanned);
    QVERIFY(o.record.tallies.at(Layer::Host).scanned);
    // pods and replica sets of a listed Deployment are judged through it, not once per replica
    for (const auto& f : o.record.findings)
        QVERIFY2(!(f.subject.kind == "Pod" && f.subject.name.starts_with("web-")), f.subject.name.c_str());
}

void TestKubernetes::liveEqualsOffline()
{
    const auto live = scan(std::make_unique<KubernetesConnector>(Kubeconfig::load(m_main.kubeconfig()).resolve()));
    const auto offline = scan(std::make_unique<ManifestsConnector>(kState));
    QVERIFY(!live.anySourceFailed());
    QVERIFY(!offline.anySourceFailed());
    const auto a = keys(live.record.findings, true);
    const auto b = keys(offline.record.findings, true);
    QVERIFY(a.size() > 20);
    for (const auto& k : a)
        QVERIFY2(b.count(k), ("live only: " + std::get<0>(k) + " " + std::get<1>(k) + "/" + std::get<3>(k)).c_str());
    // The one expected difference: fields the API server defaults. imagePullPolicy left out of a manifest
    // becomes Always for an untagged or :latest image, so only the offline scan reports it unset.
    auto defaulted = [&](const Key& k) {
        for (const auto& f : offline.record.findings)
            if (f.rule == std::get<0>(k) && f.subject.name == std::get<3>(k) && f.subject.container == std::get<4>(k))
                return f.rule == "LG-K8S-PULL-POLICY" && !f.evidence.empty() && f.evidence[0].value.is_null();
        return false;
    };
    int explained = 0;
    for (const auto& k : b) {
        if (!a.count(k) && defaulted(k)) {
            ++explained;
            continue;
        }
        QVERIFY2(a.count(k), ("offline only: " + std::get<0>(k) + " " + std::get<1>(k) + "/" + std::get<3>(k)).c_str());
    }
    QVERIFY(explained <= 2);
}

void TestKubernetes::ownershipIsProvenNotClaimed()
{
    // Forged owner references, a replica changed after it was made and an older revision still running:
    // each judged on its own, live and offline alike; real replicas and a revision scaled to zero are not.
    const QString state = QStringLiteral(LG_TEST_DATA "/evasions/owners");
    const Server s = start(QStringLiteral("owners"), { QStringLiteral("--state"), state });
    std::vector<std::string> liveProgress, offlineProgress;
    const auto live = scan(
        std::make_unique<KubernetesConnector>(Kubeconfig::load(s.kubeconfig()).resolve()), nullptr, &liveProgress);
    const auto offline = scan(std::make_unique<ManifestsConnector>(state.toStdString()), nullptr, &offlineProgress);
    QVERIFY(!live.anySourceFailed());
    QVERIFY(!offline.anySourceFailed());
    for (const auto* outcome : { &live, &offline }) {
        std::set<std::string> judged;
        for (const auto& f : outcome->record.findings)
            if (f.subject.kind == "Pod" || f.subject.kind == "ReplicaSet")
                judged.insert(f.subject.kind + "/" + f.subject.name);
        LG_COMPARE(judged,
            (std::set<std::string> { "Pod/impostor", "Pod/web-6b7f9c8d4f-zz9zz", "Pod/web-6b7f9c8d4f-uidx0",
                "Pod/web-6b7f9c8d4f-dbg42", "ReplicaSet/web-5f8d7c6b9a" }));
        QVERIFY(fired(*outcome, "LG-PSS-PRIVILEGED", "impostor"));
        QVERIFY(fired(*outcome, "LG-PSS-PRIVILEGED", "web-6b7f9c8d4f-zz9zz"));
        QVERIFY(fired(*outcome, "LG-PSS-HOST-NETWORK", "web-5f8d7c6b9a"));
        bool ephemeral = false;
        for (const auto& f : outcome->record.findings)
            ephemeral = ephemeral
                || (f.rule == "LG-PSS-PRIVILEGED" && f.subject.name == "web-6b7f9c8d4f-dbg42"
                    && f.subject.container == "debugger-x7f2k");
        QVERIFY2(ephemeral, "the debug container's privileged mode is not reported");
    }
    for (const auto* progress : { &liveProgress, &offlineProgress }) {
        const std::string through = "3 pods, replica sets and jobs judged through their controllers";
        QVERIFY2(std::any_of(
                     progress->begin(), progress->end(), [&](const std::string& m) { return m.starts_with(through); }),
            through.c_str());
    }
    LG_COMPARE(keys(live.record.findings, true), keys(offline.record.findings, true));
}

void TestKubernetes::pagingGivesTheSameFindings()
{
    const auto ctx = Kubeconfig::load(m_main.kubeconfig()).resolve();
    const auto before = m_main.requests().size();
    const auto small = scan(std::make_unique<KubernetesConnector>(ctx, std::string(), 2));
    const auto big = scan(std::make_unique<KubernetesConnector>(ctx, std::string(), 500));
    LG_COMPARE(keys(small.record.findings, false), keys(big.record.findings, false));
    int continued = 0;
    const auto reqs = m_main.requests();
    for (std::size_t i = before; i < reqs.size(); ++i)
        if (reqs[i].contains("query") && reqs[i]["query"].dump().find("continue") != std::string::npos)
            ++continued;
    QVERIFY2(continued >= 5, "page size 2 must page through continue tokens");
}

void TestKubernetes::clientCertificateWithEmbeddedData()
{
    auto read = [](const QString& f) {
        QFile file(f);
        return file.open(QIODevice::ReadOnly) ? file.readAll().toBase64() : QByteArray();
    };
    const QByteArray conf = "current-context: c\nclusters:\n- name: k\n  cluster:\n    server: "
        + QByteArray::fromStdString(m_main.server()) + "\n    certificate-authority-data: " + read(m_main.pki("ca.crt"))
        + "\nusers:\n- name: alice\n  user:\n    client-certificate-data: " + read(m_main.pki("client.crt"))
        + "\n    client-key-data: " + read(m_main.pki("client.key"))
        + "\ncontexts:\n- name: c\n  context: {cluster: k, user: alice}\n";
    const auto file = writeFile(QStringLiteral("embedded.kubeconfig"), conf);
    const auto ctx = Kubeconfig::load(file).resolve();
    LG_COMPARE(ctx.user.kind(), std::string("client-certificate"));
    const auto o = scan(std::make_unique<KubernetesConnector>(ctx));
    QVERIFY2(!o.anySourceFailed(), o.sources[0].error.c_str());
    QVERIFY(fired(o, "LG-PSS-PRIVILEGED", "web"));
    // and the file-based client certificate context of the testbed kubeconfig
    const auto o2
        = scan(std::make_unique<KubernetesConnector>(Kubeconfig::load(m_main.kubeconfig()).resolve("testbed-cert")));
    QVERIFY2(!o2.anySourceFailed(), o2.sources[0].error.c_str());
}

void TestKubernetes::execPluginCredential()
{
    const auto token = m_main.env.at(QStringLiteral("LG_KUBE_TOKEN")).toUtf8();
    const auto plugin = writeFile(QStringLiteral("plugin.sh"),
        "#!/bin/sh\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
        "\"status\":{\"token\":\"%s\"}}' \"$LG_TOKEN\"\n");
    const QByteArray conf = "current-context: c\nclusters:\n- name: k\n  cluster:\n    server: "
        + QByteArray::fromStdString(m_main.server()) + "\n    certificate-authority: " + m_main.pki("ca.crt").toUtf8()
        + "\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      "
          "command: "
        + QByteArray::fromStdString(plugin) + "\n      env: [{name: LG_TOKEN, value: " + token
        + "}]\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n";
    const auto file = writeFile(QStringLiteral("exec.kubeconfig"), conf);
    auto c = std::make_unique<KubernetesConnector>(Kubeconfig::load(file).resolve());
    std::vector<std::string> notices;
    c->setNotice([&](const std::string& m) { notices.push_back(m); });
    const auto o = scan(std::move(c));
    QVERIFY2(!o.anySourceFailed(), o.sources[0].error.c_str());
    QCOMPARE(notices.size(), std::size_t(1));
    QVERIFY2(notices[0].find(plugin) != std::string::npos, notices[0].c_str());
    QVERIFY2(notices[0].find(token.toStdString()) == std::string::npos, "env values are not shown");
}

void TestKubernetes::kubeconfigMergeAcrossFiles()
{
    // cluster and user in one file, the context that joins them in another, as KUBECONFIG=a:b merges
    const auto a = writeFile(QStringLiteral("merge-a"),
        "clusters:\n- name: k\n  cluster: {server: '" + QByteArray::fromStdString(m_main.server())
            + "', certificate-authority: '" + m_main.pki("ca.crt").toUtf8() + "'}\nusers:\n- name: u\n  user: {token: '"
            + m_main.env.at(QStringLiteral("LG_KUBE_TOKEN")).toUtf8() + "'}\n");
    const auto b = writeFile(QStringLiteral("merge-b"),
        "current-context: joined\ncontexts:\n- name: joined\n  context: {cluster: k, user: u}\nusers:\n- name: u\n  "
        "user: {token: 'shadowed-by-the-first-file'}\n");
    qputenv("KUBECONFIG", QByteArray::fromStdString(a + ":" + b));
    const auto kc = Kubeconfig::load();
    qunsetenv("KUBECONFIG");
    const auto o = scan(std::make_unique<KubernetesConnector>(kc.resolve()));
    QVERIFY2(!o.anySourceFailed(), o.sources[0].error.c_str());
}

void TestKubernetes::secretsAreNeverRequested()
{
    (void)scan(std::make_unique<KubernetesConnector>(Kubeconfig::load(m_main.kubeconfig()).resolve()));
    const auto reqs = m_main.requests();
    QVERIFY(reqs.size() > 10);
    for (const auto& r : reqs)
        QVERIFY2(r.value("path", std::string()).find("secrets") == std::string::npos, r.dump().c_str());
}

void TestKubernetes::expiredContinueRestartsTheList()
{
    const auto s = start(QStringLiteral("expire"), { QStringLiteral("--expire-continue"), QStringLiteral("1") });
    std::vector<std::string> progress;
    const auto o
        = scan(std::make_unique<KubernetesConnector>(Kubeconfig::load(s.kubeconfig()).resolve(), std::string(), 2),
            nullptr, &progress);
    QVERIFY2(!o.anySourceFailed(), o.sources[0].error.c_str());
    bool restarted = false;
    for (const auto& m : progress)
        restarted = restarted || m.find("410 Gone") != std::string::npos;
    QVERIFY(restarted);
    const auto reference = scan(std::make_unique<KubernetesConnector>(Kubeconfig::load(m_main.kubeconfig()).resolve()));
    LG_COMPARE(keys(o.record.findings, true), keys(reference.record.findings, true));
    // no object is handed on twice although the first pages were read twice
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    for (const auto& r : o.record.resources)
        QVERIFY2(seen.insert({ r.kind, r.namespace_, r.name }).second, (r.kind + "/" + r.name).c_str());
}

void TestKubernetes::forbiddenKindIsACoverageGap()
{
    const auto s = start(QStringLiteral("forbid"),
        { QStringLiteral("--forbid"), QStringLiteral("roles"), QStringLiteral("--forbid"),
            QStringLiteral("nodes/proxy") });
    const auto o = scan(std::make_unique<KubernetesConnector>(Kubeconfig::load(s.kubeconfig()).resolve()));
    QVERIFY2(!o.anySourceFailed(), "a kind that may not be listed does not fail the whole cluster");
    QVERIFY(fired(o, "LG-K8S-COVERAGE-GAP", "roles.rbac.authorization.k8s.io"));
    QVERIFY(!fired(o, "LG-K8S-COVERAGE-GAP", "pods"));
    QVERIFY(fired(o, "LG-PSS-PRIVILEGED", "web")); // the rest was scanned
    for (const auto& f : o.record.findings)
        if (f.rule == "LG-K8S-COVERAGE-GAP")
            QVERIFY2(f.message.find("forbidden") != std::string::npos, f.message.c_str());
    // The node proxy closed (as managed control planes keep it): the kubelets' checks are not observed, never passed.
    for (const char* rule : { "LG-K8S-KUBELET-ANONYMOUS-AUTH", "LG-K8S-KUBELET-ALWAYS-ALLOW" }) {
        QVERIFY2(!fired(o, rule, "worker-legacy"), rule);
        LG_COMPARE(o.record.outcomes.at(rule).evaluated, 0);
        LG_COMPARE(o.record.outcomes.at(rule).notObserved, 2);
    }
}

void TestKubernetes::hostilePagingStopsWithTheReason_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("expected");
    QTest::newRow("same continue token") << QStringLiteral("continue-repeat") << QStringLiteral("same continue token");
    QTest::newRow("new tokens for ever") << QStringLiteral("continue-forever") << QStringLiteral("brought nothing new");
    QTest::newRow("a million pods in one page") << QStringLiteral("huge-page") << QStringLiteral("ignored limit=");
}

void TestKubernetes::hostilePagingStopsWithTheReason()
{
    // A server whose pages never end, or that ignores the limit: the source fails with the reason after a few
    // requests, never looping or growing without bound, and nothing is stored.
    QFETCH(QString, mode);
    QFETCH(QString, expected);
    const Server s = start(mode, { QStringLiteral("--hostile"), mode });
    const auto o = scan(std::make_unique<KubernetesConnector>(Kubeconfig::load(s.kubeconfig()).resolve()));
    QVERIFY(o.anySourceFailed());
    QVERIFY2(QString::fromStdString(o.sources.at(0).error).contains(expected), o.sources.at(0).error.c_str());
    int podRequests = 0;
    for (const auto& r : s.requests())
        podRequests += r.value("path", std::string()).starts_with("/api/v1/pods");
    QVERIFY2(podRequests <= 6, qPrintable(QString::number(podRequests)));
}

void TestKubernetes::echoedTokenIsNeverKept()
{
    // A server that quotes the bearer token back in its 403 and 401 texts: no finding, source error or cache
    // row shows it.
    const Server s = start(QStringLiteral("echo"),
        { QStringLiteral("--hostile"), QStringLiteral("echo-token"), QStringLiteral("--forbid"),
            QStringLiteral("pods") });
    const std::string token = s.env.at(QStringLiteral("LG_KUBE_TOKEN")).toStdString();
    QVERIFY(token.size() > 20);
    QTemporaryDir dir;
    std::vector<ScanOutcome> outcomes;
    {
        Store store(dir.filePath(QStringLiteral("c.sqlite")).toStdString());
        outcomes.push_back(
            scan(std::make_unique<KubernetesConnector>(Kubeconfig::load(s.kubeconfig()).resolve()), &store));
        auto ctx = Kubeconfig::load(s.kubeconfig()).resolve();
        ctx.user.token = "refused-" + token.substr(0, 20) + "-credential";
        outcomes.push_back(scan(std::make_unique<KubernetesConnector>(ctx), &store));
    }
    QVERIFY(!outcomes[0].anySourceFailed());
    QVERIFY(fired(outcomes[0], "LG-K8S-COVERAGE-GAP", "pods"));
    QVERIFY(outcomes[1].anySourceFailed());
    for (const auto& o : outcomes) {
        for (const auto& f : o.record.findings)
            QVERIFY2(dumpJson(toJson(f)).find(token) == std::string::npos, f.message.c_str());
        for (const auto& src : o.sources)
            QVERIFY2(src.error.find(token.substr(0, 20)) == std::string::npos, src.error.c_str());
    }
    for (const char* file : { "c.sqlite", "c.sqlite-wal" }) {
        QFile f(dir.filePath(QLatin1String(file)));
        if (f.open(QIODevice::ReadOnly))
            QVERIFY2(!f.readAll().contains(QByteArray::fromStdString(token)), file);
    }
}

void TestKubernetes::plainHttpCredentialsAreRefused()
{
    // A kubeconfig whose server is http:// on another machine: the token is not sent; loopback and the
    // explicit --allow-plain-http flag are the exceptions, and the connection is reported either way.
    auto ctx = Kubeconfig::load(m_main.kubeconfig()).resolve();
    ctx.cluster.server = "http://192.0.2.10:8080"; // TEST-NET-1: nothing answers there
    const auto refused = scan(std::make_unique<KubernetesConnector>(ctx));
    QVERIFY(refused.anySourceFailed());
    QVERIFY2(refused.sources.at(0).error.find("refused to send credentials in clear") != std::string::npos,
        refused.sources.at(0).error.c_str());
    QVERIFY2(
        refused.sources.at(0).hint.find("--allow-plain-http") != std::string::npos, refused.sources.at(0).hint.c_str());
    // the same over loopback is sent (a local test server), and reported as a finding
    ctx.cluster.server = "http://127.0.0.1:1";
    const auto local = scan(std::make_unique<KubernetesConnector>(ctx));
    QVERIFY(local.anySourceFailed());
    QVERIFY2(local.sources.at(0).error.find("refused to send") == std::string::npos, local.sources.at(0).error.c_str());
}

void TestKubernetes::failures_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<QString>("hint");
    QTest::newRow("wrong token") << QStringLiteral("token") << QStringLiteral("refused the credentials")
                                 << QStringLiteral("token");
    QTest::newRow("wrong CA") << QStringLiteral("ca") << QStringLiteral("certificate")
                              << QStringLiteral("not signed by the CA of cluster");
    // The right CA, but a certificate for other names: said as such, not as "not signed by the CA".
    QTest::newRow("wrong name") << QStringLiteral("name") << QStringLiteral("wrong.layerguard.test")
                                << QStringLiteral("issued for another name");
    QTest::newRow("unreachable") << QStringLiteral("unreachable") << QStringLiteral("127.0.0.1:1")
                                 << QStringLiteral("listening");
    QTest::newRow("503 on services") << QStringLiteral("503") << QStringLiteral("services")
                                     << QStringLiteral("overloaded");
    QTest::newRow("plain HTTP to the TLS port")
        << QStringLiteral("http") << QStringLiteral("/version") << QStringLiteral("expect https");
}

void TestKubernetes::failures()
{
    QFETCH(QString, mode);
    QFETCH(QString, expected);
    QFETCH(QString, hint);
    auto ctx = Kubeconfig::load(m_main.kubeconfig()).resolve();
    if (mode == QLatin1String("token"))
        ctx.user.token = "expired-or-wrong";
    else if (mode == QLatin1String("ca"))
        ctx.cluster.caFile = m_main.pki("other-ca.crt").toStdString();
    else if (mode == QLatin1String("name"))
        ctx.cluster.tlsServerName = "wrong.layerguard.test";
    else if (mode == QLatin1String("unreachable"))
        ctx.cluster.server = "https://127.0.0.1:1";
    else if (mode == QLatin1String("503")) {
        static Server failing
            = start(QStringLiteral("fail"), { QStringLiteral("--fail"), QStringLiteral("services=503") });
        ctx = Kubeconfig::load(failing.kubeconfig()).resolve();
    } else if (mode == QLatin1String("http")) {
        ctx.cluster.server = "http://" + m_main.server().substr(8); // TLS port spoken to in plain HTTP
    }
    const auto o = scan(std::make_unique<KubernetesConnector>(ctx));
    QVERIFY(o.anySourceFailed());
    const auto& st = o.sources.at(0);
    qInfo("%s: %s (what to do: %s)", QTest::currentDataTag(), st.error.c_str(), st.hint.c_str());
    QVERIFY2(QString::fromStdString(st.error).contains(expected), st.error.c_str());
    QVERIFY2(QString::fromStdString(st.hint).contains(hint), st.hint.c_str());
    QVERIFY2(!st.hint.empty(), "every failure says what to do");
    QVERIFY2(st.error.find(m_main.env.at(QStringLiteral("LG_KUBE_TOKEN")).toStdString()) == std::string::npos,
        "no secret in errors");
    QVERIFY(o.record.findings.empty() || !o.record.tallies.count(Layer::Orchestrator)
        || !o.record.tallies.at(Layer::Orchestrator).scanned);
}

void TestKubernetes::failedSourceLeavesCacheUnchanged()
{
    const std::string db = m_tmp.filePath(QStringLiteral("cache.sqlite")).toStdString();
    auto store = std::make_unique<Store>(db);
    const auto good
        = scan(std::make_unique<KubernetesConnector>(Kubeconfig::load(m_main.kubeconfig()).resolve()), store.get());
    QVERIFY(good.scanId);
    auto ctx = Kubeconfig::load(m_main.kubeconfig()).resolve();
    ctx.user.token = "revoked";
    const auto bad = scan(std::make_unique<KubernetesConnector>(ctx), store.get());
    QVERIFY(!bad.scanId);
    QCOMPARE(store->scans().size(), std::size_t(1));
    // tokens never reach the cache
    QFile f(QString::fromStdString(db));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(!f.readAll().contains(m_main.env.at(QStringLiteral("LG_KUBE_TOKEN")).toUtf8()));
}

void TestKubernetes::cliScansContexts()
{
    const QString db = m_tmp.filePath(QStringLiteral("cli.sqlite"));
    QProcess p;
    p.start(QStringLiteral(LG_BINARY),
        { QStringLiteral("scan"), QStringLiteral("--kubeconfig"), QString::fromStdString(m_main.kubeconfig()),
            QStringLiteral("--all-contexts"), QStringLiteral("--db"), db });
    QVERIFY(p.waitForFinished(120'000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    p.start(QStringLiteral(LG_BINARY),
        { QStringLiteral("findings"), QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--db"), db });
    QVERIFY(p.waitForFinished(60'000));
    const auto arr = json::parse(p.readAllStandardOutput().toStdString());
    std::set<std::string> targets;
    for (const auto& f : arr)
        targets.insert(f.value("target", std::string()));
    LG_COMPARE(targets, (std::set<std::string> { "kube:testbed", "kube:testbed-cert" }));

    // a missing context and a malformed kubeconfig: exit 1, the reason on stderr, nothing stored
    p.start(QStringLiteral(LG_BINARY),
        { QStringLiteral("scan"), QStringLiteral("--kubeconfig"), QString::fromStdString(m_main.kubeconfig()),
            QStringLiteral("--context"), QStringLiteral("ghost"), QStringLiteral("--db"), db });
    QVERIFY(p.waitForFinished(60'000));
    QCOMPARE(p.exitCode(), 1);
    QVERIFY(p.readAllStandardError().contains("context \"ghost\" is not in"));
    const auto bad = writeFile(QStringLiteral("bad.kubeconfig"), "clusters:\n  - name: [unclosed\n");
    p.start(QStringLiteral(LG_BINARY),
        { QStringLiteral("scan"), QStringLiteral("--kubeconfig"), QString::fromStdString(bad), QStringLiteral("--db"),
            db });
    QVERIFY(p.waitForFinished(60'000));
    QCOMPARE(p.exitCode(), 1);
    const QByteArray err = p.readAllStandardError();
    QVERIFY2(err.contains("malformed kubeconfig") && err.contains("bad.kubeconfig:"), err.constData());
}

QTEST_GUILESS_MAIN(TestKubernetes)
#include "tst_kubernetes.moc"
