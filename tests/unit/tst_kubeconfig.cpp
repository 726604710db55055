// kubeconfig reading as kubectl does it: file selection and merge, relative paths, *-data fields,
// contexts, exec plugins (run, cached until expiry, bad output), legacy auth-providers, in-cluster mode.
#include "connectors/common/connector.h"
#include "connectors/kubernetes/kubeconfig.h"
#include "connectors/kubernetes/kubeconnector.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include "testsupport.h"

using namespace lg;

class TestKubeconfig : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void currentContextAndRelativePaths();
    void dataFieldsAreDecoded();
    void kubeconfigEnvMergeFirstWins();
    void explicitFileMustExist();
    void errorsNameTheProblem_data();
    void errorsNameTheProblem();
    void execPluginRunsAndIsCached();
    void execPluginExpiryRefreshes();
    void execPluginFailures_data();
    void execPluginFailures();
    void authProviderIsRefusedWithHint();
    void tlsServerNameAndInsecure();
    void mergeKeysAreApplied();
    void inCluster();

private:
    std::string write(const QString& name, const QByteArray& content, bool executable = false);
    std::unique_ptr<QTemporaryDir> m_dir;
};

std::string TestKubeconfig::write(const QString& name, const QByteArray& content, bool executable)
{
    const QString path = m_dir->filePath(name);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    f.write(content);
    f.close();
    if (executable)
        f.setPermissions(f.permissions() | QFileDevice::ExeOwner);
    return path.toStdString();
}

void TestKubeconfig::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    qunsetenv("KUBECONFIG");
}

void TestKubeconfig::currentContextAndRelativePaths()
{
    const auto file = write(QStringLiteral("conf/kubeconfig"), R"(apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod-cluster
  cluster: {server: "https://10.0.0.1:6443/", certificate-authority: pki/ca.crt}
users:
- name: alice
  user: {client-certificate: pki/alice.crt, client-key: /abs/alice.key, tokenFile: tok}
contexts:
- name: dev
  context: {cluster: prod-cluster, user: alice}
- name: prod
  context: {cluster: prod-cluster, user: alice, namespace: shop}
)");
    const auto kc = Kubeconfig::load(file);
    LG_COMPARE(kc.currentContext(), std::string("prod"));
    LG_COMPARE(kc.contextNames(), (std::vector<std::string> { "dev", "prod" }));
    const auto ctx = kc.resolve();
    LG_COMPARE(ctx.name, std::string("prod"));
    LG_COMPARE(ctx.namespace_, std::string("shop"));
    LG_COMPARE(ctx.cluster.server, std::string("https://10.0.0.1:6443/"));
    const std::string dir = m_dir->filePath(QStringLiteral("conf")).toStdString();
    LG_COMPARE(ctx.cluster.caFile, dir + "/pki/ca.crt");
    LG_COMPARE(ctx.user.clientCertFile, dir + "/pki/alice.crt");
    LG_COMPARE(ctx.user.clientKeyFile, std::string("/abs/alice.key"));
    LG_COMPARE(ctx.user.tokenFile, dir + "/tok");
    LG_COMPARE(ctx.user.kind(), std::string("client-certificate"));
    LG_COMPARE(kc.resolve("dev").namespace_, std::string());
}

void TestKubeconfig::dataFieldsAreDecoded()
{
    const QByteArray ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const auto file = write(QStringLiteral("k"),
        "clusters:\n- name: c\n  cluster:\n    server: https://k:6443\n    certificate-authority-data: " + ca.toBase64()
            + "\nusers:\n- name: u\n  user:\n    client-certificate-data: " + QByteArray("CERT").toBase64()
            + "\n    client-key-data: " + QByteArray("KEY").toBase64()
            + "\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n");
    const auto ctx = Kubeconfig::load(file).resolve();
    LG_COMPARE(ctx.cluster.caPem, ca.toStdString());
    LG_COMPARE(ctx.user.clientCertPem, std::string("CERT"));
    LG_COMPARE(ctx.user.clientKeyPem, std::string("KEY"));
}

void TestKubeconfig::kubeconfigEnvMergeFirstWins()
{
    const auto a = write(QStringLiteral("a"), R"(current-context: from-a
clusters:
- name: shared
  cluster: {server: "https://a:6443"}
users:
- name: u
  user: {token: token-a}
contexts:
- name: from-a
  context: {cluster: shared, user: u}
)");
    const auto b = write(QStringLiteral("b"), R"(current-context: from-b
clusters:
- name: shared
  cluster: {server: "https://b:6443"}
- name: only-b
  cluster: {server: "https://only-b:6443"}
users:
- name: u
  user: {token: token-b}
contexts:
- name: from-b
  context: {cluster: only-b, user: u}
- name: from-a
  context: {cluster: only-b, user: u}
)");
    const std::string missing = m_dir->filePath(QStringLiteral("missing")).toStdString();
    qputenv("KUBECONFIG", QByteArray::fromStdString(missing + ":" + a + "::" + b));
    const auto kc = Kubeconfig::load();
    LG_COMPARE(kc.files(), (std::vector<std::string> { a, b }));
    LG_COMPARE(kc.currentContext(), std::string("from-a")); // the first file setting it wins
    LG_COMPARE(kc.contextNames(), (std::vector<std::string> { "from-a", "from-b" }));
    const auto ctxA = kc.resolve("from-a");
    LG_COMPARE(ctxA.cluster.server, std::string("https://a:6443")); // context and cluster of the first file
    LG_COMPARE(ctxA.user.token, std::string("token-a"));
    LG_COMPARE(kc.resolve("from-b").cluster.server, std::string("https://only-b:6443"));
    qunsetenv("KUBECONFIG");
}

void TestKubeconfig::explicitFileMustExist()
{
    try {
        (void)Kubeconfig::load(m_dir->filePath(QStringLiteral("nope")).toStdString());
        QFAIL("a missing --kubeconfig must be an error");
    } catch (const ConnectorError& e) {
        QVERIFY2(std::string(e.what()).find("does not exist") != std::string::npos, e.what());
        QVERIFY(!e.hint().empty());
    }
}

void TestKubeconfig::errorsNameTheProblem_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("context");
    QTest::addColumn<QString>("expected");
    QTest::newRow("malformed YAML") << QByteArray("clusters:\n- name: c\n  cluster: {server: [\n") << QString()
                                    << QStringLiteral("malformed kubeconfig");
    QTest::newRow("not a mapping") << QByteArray("- a\n- b\n") << QString() << QStringLiteral("not a YAML mapping");
    QTest::newRow("no current context") << QByteArray("contexts: []\n") << QString()
                                        << QStringLiteral("no current-context");
    QTest::newRow("missing context") << QByteArray("current-context: a\ncontexts: []\n") << QStringLiteral("ghost")
                                     << QStringLiteral("context \"ghost\" is not in");
    QTest::newRow("missing cluster") << QByteArray("contexts:\n- name: a\n  context: {cluster: gone, user: u}\n")
                                     << QStringLiteral("a") << QStringLiteral("names cluster \"gone\"");
    QTest::newRow("missing user") << QByteArray("clusters:\n- name: c\n  cluster: {server: https://x}\ncontexts:\n- "
                                                "name: a\n  context: {cluster: c, user: nobody}\n")
                                  << QStringLiteral("a") << QStringLiteral("names user \"nobody\"");
    QTest::newRow("bad base64") << QByteArray("clusters:\n- name: c\n  cluster: {server: https://x, "
                                              "certificate-authority-data: '%%%'}\ncontexts:\n- name: a\n  "
                                              "context: {cluster: c}\n")
                                << QStringLiteral("a") << QStringLiteral("not valid base64");
    QTest::newRow("exec v1alpha1") << QByteArray("clusters:\n- name: c\n  cluster: {server: https://x}\nusers:\n- "
                                                 "name: u\n  user:\n    exec: {apiVersion: "
                                                 "client.authentication.k8s.io/v1alpha1, command: x}\ncontexts:\n- "
                                                 "name: a\n  context: {cluster: c, user: u}\n")
                                   << QStringLiteral("a") << QStringLiteral("v1alpha1");
}

void TestKubeconfig::errorsNameTheProblem()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, context);
    QFETCH(QString, expected);
    const auto file = write(QStringLiteral("k"), yaml);
    try {
        (void)Kubeconfig::load(file).resolve(context.toStdString());
        QFAIL("expected an error");
    } catch (const ConnectorError& e) {
        QVERIFY2(QString::fromStdString(e.what()).contains(expected), e.what());
        QVERIFY2(!e.hint().empty(), "every error says what to do");
    }
}

namespace {

/** An exec plugin that counts its runs, checks KUBERNETES_EXEC_INFO and prints a token. */
QByteArray plugin(const QString& counter, const QString& expiry, const QByteArray& apiVersion = "v1")
{
    return "#!/bin/sh\n"
           "echo run >> '"
        + counter.toUtf8()
        + "'\n"
          "case \"$KUBERNETES_EXEC_INFO\" in *'\"interactive\":false'*) ;; *) echo 'no exec info' >&2; exit 9;; esac\n"
          "[ \"$LG_PLUGIN_ENV\" = from-kubeconfig ] || { echo 'env missing' >&2; exit 8; }\n"
          "printf '{\"apiVersion\":\"client.authentication.k8s.io/"
        + apiVersion + "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"tok-%s\"" + expiry.toUtf8()
        + "}}' \"$1\"\n";
}

QByteArray execKubeconfig(const QByteArray& command)
{
    return "current-context: x\nclusters:\n- name: c\n  cluster: {server: 'https://k:6443'}\nusers:\n- name: u\n  "
           "user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: "
        + command
        + "\n      args: [arg1]\n      env: [{name: LG_PLUGIN_ENV, value: from-kubeconfig}]\n      installHint: "
          "install the test plugin\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n";
}

int lines(const QString& file)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    return int(f.readAll().count('\n'));
}

} // namespace

void TestKubeconfig::execPluginRunsAndIsCached()
{
    const QString counter = m_dir->filePath(QStringLiteral("runs"));
    write(QStringLiteral("bin/plugin.sh"), plugin(counter, QString()), true);
    // a relative command with a slash is relative to the kubeconfig's folder, as kubectl resolves it
    const auto file = write(QStringLiteral("kubeconfig"), execKubeconfig("./bin/plugin.sh"));
    const auto ctx = Kubeconfig::load(file).resolve();
    QVERIFY(ctx.user.exec);
    LG_COMPARE(ctx.user.kind(), std::string("exec"));
    std::vector<std::string> notices;
    auto notice = [&](const std::string& m) { notices.push_back(m); };
    auto ep = kubeEndpoint(ctx, false, notice);
    LG_COMPARE(ep.authorization, std::string("Bearer tok-arg1"));
    QCOMPARE(notices.size(), std::size_t(1));
    QVERIFY2(notices[0].find("./bin/plugin.sh arg1") != std::string::npos, notices[0].c_str());
    // no expiry: cached for the process, not run again
    ep = kubeEndpoint(ctx, false, notice);
    QCOMPARE(lines(counter), 1);
    QCOMPARE(notices.size(), std::size_t(1));
    // a forced refresh (after a 401) runs it again
    ep = kubeEndpoint(ctx, true, notice);
    QCOMPARE(lines(counter), 2);
}

void TestKubeconfig::execPluginExpiryRefreshes()
{
    const QString counter = m_dir->filePath(QStringLiteral("runs"));
    const QString past = QDateTime::currentDateTimeUtc().addSecs(-60).toString(Qt::ISODate);
    write(QStringLiteral("expired.sh"), plugin(counter, QStringLiteral(",\"expirationTimestamp\":\"") + past + u'"'),
        true);
    const auto file
        = write(QStringLiteral("kubeconfig"), execKubeconfig(m_dir->filePath(QStringLiteral("expired.sh")).toUtf8()));
    const auto ctx = Kubeconfig::load(file).resolve();
    (void)kubeEndpoint(ctx, false, {});
    (void)kubeEndpoint(ctx, false, {});
    QCOMPARE(lines(counter), 2); // an expired credential is never reused

    const QString counter2 = m_dir->filePath(QStringLiteral("runs2"));
    const QString future = QDateTime::currentDateTimeUtc().addSecs(3600).toString(Qt::ISODate);
    write(QStringLiteral("valid.sh"), plugin(counter2, QStringLiteral(",\"expirationTimestamp\":\"") + future + u'"'),
        true);
    const auto file2
        = write(QStringLiteral("kubeconfig2"), execKubeconfig(m_dir->filePath(QStringLiteral("valid.sh")).toUtf8()));
    const auto ctx2 = Kubeconfig::load(file2).resolve();
    (void)kubeEndpoint(ctx2, false, {});
    (void)kubeEndpoint(ctx2, false, {});
    QCOMPARE(lines(counter2), 1);
}

void TestKubeconfig::execPluginFailures_data()
{
    QTest::addColumn<QByteArray>("script");
    QTest::addColumn<QString>("expected");
    QTest::newRow("exit code") << QByteArray("#!/bin/sh\necho 'login expired, password=hunter2' >&2\nexit 3\n")
                               << QStringLiteral("exit code 3");
    QTest::newRow("not json") << QByteArray("#!/bin/sh\necho hello\n")
                              << QStringLiteral("did not print an ExecCredential");
    QTest::newRow("wrong apiVersion") << QByteArray(
        "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":"
        "\"ExecCredential\",\"status\":{\"token\":\"t\"}}'\n")
                                      << QStringLiteral("answered apiVersion");
    QTest::newRow("no credential") << QByteArray("#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/"
                                                 "v1\",\"kind\":\"ExecCredential\",\"status\":{}}'\n")
                                   << QStringLiteral("neither a token");
    QTest::newRow("bad expiry") << QByteArray("#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
                                              "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\","
                                              "\"expirationTimestamp\":\"soon\"}}'\n")
                                << QStringLiteral("unreadable expirationTimestamp");
    QTest::newRow("not installed") << QByteArray() << QStringLiteral("could not be started");
}

void TestKubeconfig::execPluginFailures()
{
    QFETCH(QByteArray, script);
    QFETCH(QString, expected);
    QByteArray command = m_dir->filePath(QStringLiteral("not-installed-plugin")).toUtf8();
    if (!script.isEmpty())
        command = QByteArray::fromStdString(write(QStringLiteral("p.sh"), script, true));
    const auto file = write(QStringLiteral("kubeconfig"), execKubeconfig(command));
    const auto ctx = Kubeconfig::load(file).resolve();
    try {
        (void)kubeEndpoint(ctx, true, {});
        QFAIL("expected an error");
    } catch (const ConnectorError& e) {
        const QString what = QString::fromStdString(e.what());
        QVERIFY2(what.contains(expected), e.what());
        QVERIFY2(!what.contains(QStringLiteral("hunter2")), "plugin output is masked");
        if (script.isEmpty())
            LG_COMPARE(e.hint(), std::string("install the test plugin")); // installHint is passed on
    }
}

void TestKubeconfig::authProviderIsRefusedWithHint()
{
    const auto file = write(QStringLiteral("k"),
        "current-context: a\nclusters:\n- name: c\n  cluster: {server: "
        "https://x}\nusers:\n- name: u\n  user:\n    auth-provider: {name: "
        "gcp}\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n");
    const auto ctx = Kubeconfig::load(file).resolve();
    try {
        (void)kubeEndpoint(ctx, false, {});
        QFAIL("auth-provider must be refused");
    } catch (const ConnectorError& e) {
        QVERIFY2(std::string(e.what()).find("auth-provider \"gcp\"") != std::string::npos, e.what());
        QVERIFY2(e.hint().find("gke-gcloud-auth-plugin") != std::string::npos, e.hint().c_str());
    }
}

void TestKubeconfig::tlsServerNameAndInsecure()
{
    const auto file = write(QStringLiteral("k"),
        "current-context: a\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:6443', tls-server-name: "
        "kube.internal}\n- name: i\n  cluster: {server: 'https://10.1.1.1', insecure-skip-tls-verify: true}\nusers:\n- "
        "name: u\n  user: {username: admin, password: pw}\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n- "
        "name: b\n  context: {cluster: i, user: u}\n");
    const auto kc = Kubeconfig::load(file);
    const auto ep = kubeEndpoint(kc.resolve("a"), false, {});
    LG_COMPARE(ep.baseUrl, std::string("https://kube.internal:6443"));
    LG_COMPARE(ep.connectTo, std::string("kube.internal:6443:127.0.0.1:6443"));
    QVERIFY(ep.verifyTls);
    LG_COMPARE(ep.authorization, std::string("Basic ") + QByteArray("admin:pw").toBase64().toStdString());
    const auto insecure = kc.resolve("b");
    QVERIFY(insecure.cluster.insecureSkipTlsVerify);
    QVERIFY(!kubeEndpoint(insecure, false, {}).verifyTls);
}

void TestKubeconfig::inCluster()
{
    const auto token = write(QStringLiteral("sa/token"), "sa-token\n");
    write(QStringLiteral("sa/ca.crt"), "CA");
    write(QStringLiteral("sa/namespace"), "scanner\n");
    const std::string saDir = m_dir->filePath(QStringLiteral("sa")).toStdString();
    qunsetenv("KUBERNETES_SERVICE_HOST");
    QVERIFY_THROWS_EXCEPTION(ConnectorError, (void)inClusterContext(saDir));
    qputenv("KUBERNETES_SERVICE_HOST", "10.96.0.1");
    qputenv("KUBERNETES_SERVICE_PORT", "443");
    const auto ctx = inClusterContext(saDir);
    LG_COMPARE(ctx.cluster.server, std::string("https://10.96.0.1:443"));
    LG_COMPARE(ctx.namespace_, std::string("scanner"));
    LG_COMPARE(ctx.cluster.caFile, saDir + "/ca.crt");
    LG_COMPARE(kubeEndpoint(ctx, false, {}).authorization, std::string("Bearer sa-token"));
    qunsetenv("KUBERNETES_SERVICE_HOST");
    qunsetenv("KUBERNETES_SERVICE_PORT");
}

void TestKubeconfig::mergeKeysAreApplied()
{
    // kubectl reads kubeconfigs with the same YAML decoder as manifests: a merged key counts.
    const auto file = write(QStringLiteral("merged"), R"(apiVersion: v1
kind: Config
current-context: prod
x-defaults: &insecure {insecure-skip-tls-verify: true}
clusters:
- name: prod-cluster
  cluster:
    <<: *insecure
    server: https://10.0.0.1:6443
users:
- name: alice
  user: {token: abc}
contexts:
- name: prod
  context: {cluster: prod-cluster, user: alice}
)");
    const auto ctx = Kubeconfig::load(file).resolve();
    QVERIFY(ctx.cluster.insecureSkipTlsVerify);
    LG_COMPARE(ctx.cluster.server, std::string("https://10.0.0.1:6443"));
}

QTEST_GUILESS_MAIN(TestKubeconfig)
#include "tst_kubeconfig.moc"
