// The connections manager driven as a user would, against a real OS keyring: GNOME Keyring's Secret
// Service on a private D-Bus session (with_keyring.sh). Secrets go to the keyring and never to the cache.
#include "widgets/connectionsdialog.h"
#include "widgets/mainwindow.h"
#include "widgets/scancontroller.h"
#include "widgets/secretstore.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QInputDialog>
#include <QLineEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "testsupport.h"

using namespace lg;

namespace {
const QByteArray kCanary = "Canary-Keyring-Pw-7f3a91";

/** Every byte of the cache (database, WAL, shared memory) contains the canary? */
bool cacheContains(const QString& dir, const QByteArray& needle)
{
    QDirIterator it(dir, QDir::Files);
    while (it.hasNext()) {
        QFile f(it.next());
        if (f.open(QIODevice::ReadOnly) && f.readAll().contains(needle))
            return true;
    }
    return false;
}

/** One manifest with one privileged pod: one resource, at least one finding. */
bool writePrivilegedPod(const QString& path)
{
    QFile yaml(path);
    return yaml.open(QIODevice::WriteOnly)
        && yaml.write("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec:\n  containers:\n"
                      "  - {name: c, image: 'nginx:1.25', securityContext: {privileged: true}}\n")
        > 0;
}

QString readSecret(SecretStore& secrets, const QString& name, QString* error)
{
    QString value;
    bool done = false;
    secrets.read(name, nullptr, [&](const QString& v, const QString& e) {
        value = v;
        *error = e;
        done = true;
    });
    for (int i = 0; i < 2000 && !done; ++i)
        QTest::qWait(10);
    if (!done)
        *error = QStringLiteral("the keyring did not answer in 20 s");
    return value;
}
/** A new connection of `kind` with these fields typed in; returns the first field it could not set. */
QString startWith(
    ConnectionsDialog& dlg, const QString& kind, std::initializer_list<std::pair<const char*, QString>> fields)
{
    dlg.startNew(kind);
    for (const auto& [field, value] : fields)
        if (!dlg.setField(QString::fromLatin1(field), value))
            return QString::fromLatin1(field);
    return {};
}

/** A loopback HTTP listener that answers every request with a Basic challenge and keeps every byte it got. */
class Recorder {
public:
    Recorder()
    {
        m_server.listen(QHostAddress::LocalHost);
        QObject::connect(&m_server, &QTcpServer::newConnection, [this] {
            while (QTcpSocket* s = m_server.nextPendingConnection()) {
                QObject::connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    const QByteArray got = s->readAll();
                    received += got;
                    if (!got.contains("\r\n\r\n"))
                        return;
                    s->write("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"recorder\"\r\n"
                             "Content-Length: 0\r\nConnection: close\r\n\r\n");
                    s->disconnectFromHost();
                });
                QObject::connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()); }
    QByteArray received;

private:
    QTcpServer m_server;
};

} // namespace

class TestConnections : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_config.path()); }
    void init();
    void passwordGoesToTheKeyringNotTheCache();
    void editingKeepsOrDropsTheSecret();
    void testReportsReachableAndUnreachable();
    void testSendsTheSavedSecretOnlyWhereItWasSaved();
    void credentialsInAUrlAreRefused();
    void insecureContextIsShown();
    void savedConnectionIsScanned();
    void renamedConnectionTakesItsSecret();
    void withoutKeyringNothingIsKept();

private:
    bool keyringExpected() const { return !qEnvironmentVariableIsSet("LG_EXPECT_NO_KEYRING"); }
    std::unique_ptr<QTemporaryDir> m_dir;
    std::string m_path;
    QTemporaryDir m_config;
};

void TestConnections::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_path = m_dir->filePath(QStringLiteral("cache.sqlite")).toStdString();
}

void TestConnections::passwordGoesToTheKeyringNotTheCache()
{
    if (!keyringExpected())
        QSKIP("this run has no keyring on purpose");
    Store store(m_path);
    SecretStore secrets;
    ConnectionsDialog dlg(&store, &secrets);
    dlg.show();
    QVERIFY2(
        startWith(dlg, QStringLiteral("registry"),
            { { "name", QStringLiteral("team-registry") },
                { "registry.url", QStringLiteral("https://registry.example:5000") },
                { "registry.repositories", QStringLiteral("shop/*, base/*") },
                { "registry.user", QStringLiteral("alice") }, { "registry.password", QString::fromLatin1(kCanary) } })
            .isEmpty(),
        "a field was not set");
    dlg.save();
    QVERIFY(dlg.waitUntilIdle());
    QVERIFY2(dlg.status().contains(QStringLiteral("OS keyring")), qPrintable(dlg.status()));
    QVERIFY2(!dlg.status().contains(QStringLiteral("without")), qPrintable(dlg.status()));
    QTest::qWait(50);
    QDir().mkpath(QStringLiteral(LG_SCREENSHOTS));
    QVERIFY(dlg.grab().save(QStringLiteral(LG_SCREENSHOTS "/20-connections.png")));

    const auto saved = store.target("team-registry");
    QVERIFY(saved);
    LG_COMPARE(saved->kind, std::string("registry"));
    LG_COMPARE(saved->config.value("user", std::string()), std::string("alice"));
    LG_COMPARE(saved->config.value("repositories", std::vector<std::string>()),
        (std::vector<std::string> { "shop/*", "base/*" }));
    QVERIFY(!cacheContains(m_dir->path(), kCanary));
    QString error;
    const QString secret = readSecret(secrets, QStringLiteral("team-registry"), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(secret.toUtf8().contains(kCanary));

    // Reopened: the fields come back, the password does not (it stays in the keyring).
    ConnectionsDialog again(&store, &secrets);
    again.select(QStringLiteral("team-registry"));
    auto* url = again.findChild<QLineEdit*>(QStringLiteral("registry.url"));
    auto* pw = again.findChild<QLineEdit*>(QStringLiteral("registry.password"));
    QCOMPARE(url->text(), QStringLiteral("https://registry.example:5000"));
    QVERIFY(pw->text().isEmpty());

    // Removed: from the cache and from the keyring.
    again.removeSelected();
    QVERIFY(again.waitUntilIdle());
    QVERIFY(!store.target("team-registry"));
    QVERIFY(readSecret(secrets, QStringLiteral("team-registry"), &error).isEmpty());
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

void TestConnections::editingKeepsOrDropsTheSecret()
{
    if (!keyringExpected())
        QSKIP("this run has no keyring on purpose");
    Store store(m_path);
    SecretStore secrets;
    ConnectionsDialog dlg(&store, &secrets);
    QVERIFY2(startWith(dlg, QStringLiteral("prometheus"),
                 { { "name", QStringLiteral("prom") }, { "prometheus.url", QStringLiteral("https://prom.example") },
                     { "prometheus.user", QStringLiteral("bob") },
                     { "prometheus.password", QStringLiteral("first-secret") } })
                 .isEmpty(),
        "a field was not set");
    dlg.save();
    QVERIFY(dlg.waitUntilIdle());
    // A token typed later keeps the saved password; the kind of a saved connection cannot change.
    dlg.select(QStringLiteral("prom"));
    QVERIFY(dlg.setField(QStringLiteral("prometheus.token"), QStringLiteral("second-secret")));
    dlg.save();
    QVERIFY(dlg.waitUntilIdle());
    QString error;
    QString secret = readSecret(secrets, QStringLiteral("prom"), &error);
    QVERIFY2(secret.contains(QStringLiteral("first-secret")) && secret.contains(QStringLiteral("second-secret")),
        qPrintable(error));
    bool kindLocked = false;
    for (auto* c : dlg.findChildren<QComboBox*>())
        if (c->accessibleName() == QLatin1String("kind"))
            kindLocked = !c->isEnabled();
    QVERIFY(kindLocked);
    // The URL changes and no secret is typed: the old secret is not sent to the new place.
    QVERIFY(dlg.setField(QStringLiteral("prometheus.url"), QStringLiteral("https://elsewhere.example")));
    dlg.save();
    QVERIFY(dlg.waitUntilIdle());
    QVERIFY2(dlg.status().contains(QStringLiteral("removed")), qPrintable(dlg.status()));
    QVERIFY(readSecret(secrets, QStringLiteral("prom"), &error).isEmpty());
    // A new connection may not take an existing name; credentials hidden in a scheme-less URL are refused.
    QVERIFY2(startWith(dlg, QStringLiteral("registry"),
                 { { "name", QStringLiteral("prom") }, { "registry.url", QStringLiteral("reg.example:5000") } })
                 .isEmpty(),
        "a field was not set");
    dlg.save();
    QVERIFY2(dlg.status().contains(QStringLiteral("exists")), qPrintable(dlg.status()));
    LG_COMPARE(store.target("prom")->kind, std::string("prometheus"));
    QVERIFY(dlg.setField(QStringLiteral("name"), QStringLiteral("reg")));
    QVERIFY(dlg.setField(QStringLiteral("registry.url"),
        QStringLiteral("alice:") + QString::fromLatin1(kCanary) + QStringLiteral("@reg.example:5000")));
    dlg.save();
    QVERIFY2(dlg.status().contains(QStringLiteral("do not belong in the URL")), qPrintable(dlg.status()));
    QVERIFY(!store.target("reg"));
    QVERIFY(!cacheContains(m_dir->path(), kCanary));
}

void TestConnections::testReportsReachableAndUnreachable()
{
    Store store(m_path);
    SecretStore secrets;
    ConnectionsDialog dlg(&store, &secrets);
    QVERIFY(writePrivilegedPod(m_dir->filePath(QStringLiteral("pod.yaml"))));
    QVERIFY2(startWith(dlg, QStringLiteral("manifests"),
                 { { "name", QStringLiteral("local-yaml") }, { "manifests.path", m_dir->path() } })
                 .isEmpty(),
        "a field was not set");
    dlg.test();
    QVERIFY(dlg.waitUntilIdle());
    QVERIFY2(dlg.status().contains(QStringLiteral("Read 1 resource")), qPrintable(dlg.status()));
    QVERIFY(!store.target("local-yaml")); // a test stores nothing
    QVERIFY(store.scans().empty());

    QVERIFY2(startWith(dlg, QStringLiteral("docker"),
                 { { "name", QStringLiteral("nowhere") }, { "docker.url", QStringLiteral("tcp://127.0.0.1:1") } })
                 .isEmpty(),
        "a field was not set");
    dlg.test();
    QVERIFY(dlg.waitUntilIdle());
    QVERIFY2(
        dlg.status().contains(QStringLiteral("Test failed")) && dlg.status().contains(QStringLiteral("127.0.0.1:1")),
        qPrintable(dlg.status()));
}

// Test uses the keyring's secret only for the URL and user it was saved with: edited to point elsewhere, the
// form sends nothing saved there (Save already dropped the secret in that case; Test once sent it).
void TestConnections::testSendsTheSavedSecretOnlyWhereItWasSaved()
{
    if (!keyringExpected())
        QSKIP("this run has no keyring on purpose");
    Store store(m_path);
    SecretStore secrets;
    ConnectionsDialog dlg(&store, &secrets);
    Recorder home, elsewhere;
    QVERIFY2(
        startWith(dlg, QStringLiteral("prometheus"),
            { { "name", QStringLiteral("prom") }, { "prometheus.url", home.url() },
                { "prometheus.user", QStringLiteral("bob") }, { "prometheus.password", QString::fromLatin1(kCanary) } })
            .isEmpty(),
        "a field was not set");
    dlg.save();
    QVERIFY(dlg.waitUntilIdle());
    const QByteArray basic = QByteArray("bob:" + kCanary).toBase64();
    // Where it was saved for, the saved secret is sent: the check below can fail.
    dlg.select(QStringLiteral("prom"));
    dlg.test();
    QVERIFY(dlg.waitUntilIdle());
    QVERIFY2(home.received.contains(basic), home.received.constData());
    // The URL edited, Test pressed: the other server is asked, without the secret.
    dlg.select(QStringLiteral("prom"));
    QVERIFY(dlg.setField(QStringLiteral("prometheus.url"), elsewhere.url()));
    dlg.test();
    QVERIFY(dlg.waitUntilIdle());
    QVERIFY2(!elsewhere.received.isEmpty(), "the edited URL was not tried");
    QVERIFY2(
        !elsewhere.received.contains(basic) && !elsewhere.received.contains(kCanary), elsewhere.received.constData());
    // The user edited instead: the same.
    elsewhere.received.clear();
    home.received.clear();
    dlg.select(QStringLiteral("prom"));
    QVERIFY(dlg.setField(QStringLiteral("prometheus.user"), QStringLiteral("mallory")));
    dlg.test();
    QVERIFY(dlg.waitUntilIdle());
    QVERIFY2(!home.received.contains(basic) && !home.received.contains(kCanary), home.received.constData());
}

void TestConnections::credentialsInAUrlAreRefused()
{
    Store store(m_path);
    SecretStore secrets;
    ConnectionsDialog dlg(&store, &secrets);
    QVERIFY2(startWith(dlg, QStringLiteral("prometheus"),
                 { { "name", QStringLiteral("prom") },
                     { "prometheus.url",
                         QStringLiteral("http://bob:") + QString::fromLatin1(kCanary)
                             + QStringLiteral("@127.0.0.1:9090") } })
                 .isEmpty(),
        "a field was not set");
    dlg.save();
    QVERIFY2(dlg.status().contains(QStringLiteral("do not belong in the URL")), qPrintable(dlg.status()));
    QVERIFY(!store.target("prom"));
    QVERIFY(!cacheContains(m_dir->path(), kCanary));
}

void TestConnections::insecureContextIsShown()
{
    const QString kubeconfig = m_dir->filePath(QStringLiteral("kubeconfig"));
    QFile f(kubeconfig);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("current-context: lab\nclusters:\n- name: lab\n  cluster: {server: 'https://127.0.0.1:1', "
            "insecure-skip-tls-verify: true}\nusers:\n- name: u\n  user: {token: abc}\ncontexts:\n"
            "- name: lab\n  context: {cluster: lab, user: u}\n- name: other\n  context: {cluster: lab, user: u}\n");
    f.close();
    Store store(m_path);
    SecretStore secrets;
    ConnectionsDialog dlg(&store, &secrets);
    QVERIFY2(
        startWith(dlg, QStringLiteral("kubernetes"),
            { { "name", QStringLiteral("lab") }, { "kubernetes.kubeconfig", kubeconfig },
                { "kubernetes.context", QStringLiteral("other") }, { "kubernetes.context", QStringLiteral("lab") } })
            .isEmpty(),
        "a field was not set");
    QVERIFY2(dlg.status().contains(QStringLiteral("TLS verification off")), qPrintable(dlg.status()));
    dlg.save();
    const auto saved = store.target("lab");
    QVERIFY(saved);
    LG_COMPARE(saved->config.value("context", std::string()), std::string("lab"));
    LG_COMPARE(saved->config.value("kubeconfig", std::string()), kubeconfig.toStdString());
}

void TestConnections::savedConnectionIsScanned()
{
    QVERIFY(writePrivilegedPod(m_dir->filePath(QStringLiteral("pod.yaml"))));
    MainWindow window(std::make_unique<Store>(m_path));
    window.show();
    ConnectionsDialog* dlg = window.openConnections();
    QVERIFY2(startWith(*dlg, QStringLiteral("manifests"),
                 { { "name", QStringLiteral("local-yaml") }, { "manifests.path", m_dir->path() } })
                 .isEmpty(),
        "a field was not set");
    dlg->save();
    QVERIFY(dlg->waitUntilIdle());
    QSignalSpy finished(window.scanController(), &ScanController::finished);
    Q_EMIT dlg->scanRequested(QStringLiteral("local-yaml")); // "Scan now"
    QVERIFY(finished.wait(30000));
    QVERIFY2(finished.at(0).at(1).toStringList().isEmpty(),
        qPrintable(finished.at(0).at(1).toStringList().join(QLatin1Char(';'))));
    Store check(m_path);
    QCOMPARE(check.scans().size(), std::size_t(1));
    LG_COMPARE(check.scans().at(0).sources.at(0).target, std::string("local-yaml"));
    QVERIFY(!check.findings(check.scans().at(0).id).empty());
    // A saved registry whose password is in the keyring, unreachable: the error names the source only.
    Store(m_path).saveTarget({ "gone", "registry",
        { { "url", "https://127.0.0.1:1" }, { "user", "alice" }, { "repositories", nlohmann::json::array() } }, 0 });
    if (keyringExpected()) {
        bool written = false;
        window.secretStore()->write(QStringLiteral("gone"),
            QStringLiteral("{\"password\":\"") + QString::fromLatin1(kCanary) + QStringLiteral("\"}"), nullptr,
            [&](const QString& e) {
                QVERIFY2(e.isEmpty(), qPrintable(e));
                written = true;
            });
        QTRY_VERIFY_WITH_TIMEOUT(written, 20000);
    }
    window.scanSavedTarget(QStringLiteral("gone"));
    QVERIFY(finished.wait(30000));
    const QString errors = finished.at(1).at(1).toStringList().join(QLatin1Char(';'));
    QVERIFY2(errors.contains(QStringLiteral("127.0.0.1:1")), qPrintable(errors));
    QVERIFY(!errors.contains(QString::fromLatin1(kCanary)));
    QVERIFY(!cacheContains(m_dir->path(), kCanary));
}

// A saved registry renamed from the window: its secret moves to the new name in the keyring, none stays under the old.
void TestConnections::renamedConnectionTakesItsSecret()
{
    if (!keyringExpected())
        QSKIP("this run has no keyring on purpose");
    Store(m_path).saveTarget({ "team-registry", "registry",
        { { "url", "https://registry.example:5000" }, { "user", "alice" },
            { "repositories", nlohmann::json::array() } },
        0 });
    MainWindow window(std::make_unique<Store>(m_path));
    window.show();
    bool written = false;
    window.secretStore()->write(QStringLiteral("team-registry"),
        QStringLiteral("{\"password\":\"") + QString::fromLatin1(kCanary) + QStringLiteral("\"}"), nullptr,
        [&](const QString& e) {
            QVERIFY2(e.isEmpty(), qPrintable(e));
            written = true;
        });
    QTRY_VERIFY_WITH_TIMEOUT(written, 20000);
    bool asked = false;
    QTimer::singleShot(0, this, [&] {
        auto* dialog = qobject_cast<QInputDialog*>(QApplication::activeModalWidget());
        QVERIFY(dialog);
        dialog->setTextValue(QStringLiteral("shop-registry"));
        dialog->accept();
        asked = true;
    });
    window.renameTarget(QStringLiteral("team-registry"));
    QVERIFY(asked);
    Store store(m_path);
    QVERIFY(store.target("shop-registry"));
    QVERIFY(!store.target("team-registry"));
    QString error;
    QTRY_VERIFY_WITH_TIMEOUT(
        readSecret(*window.secretStore(), QStringLiteral("shop-registry"), &error).toUtf8().contains(kCanary), 20000);
    QTRY_VERIFY_WITH_TIMEOUT(
        readSecret(*window.secretStore(), QStringLiteral("team-registry"), &error).isEmpty(), 20000);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(!cacheContains(m_dir->path(), kCanary));
}

void TestConnections::withoutKeyringNothingIsKept()
{
    if (keyringExpected())
        QSKIP("run by tst_connections_no_keyring (no D-Bus session)");
    Store store(m_path);
    SecretStore secrets;
    ConnectionsDialog dlg(&store, &secrets);
    QVERIFY2(startWith(dlg, QStringLiteral("prometheus"),
                 { { "name", QStringLiteral("prom") }, { "prometheus.url", QStringLiteral("https://prom.example") },
                     { "prometheus.token", QString::fromLatin1(kCanary) } })
                 .isEmpty(),
        "a field was not set");
    dlg.save();
    QVERIFY(dlg.waitUntilIdle());
    QVERIFY2(dlg.status().contains(QStringLiteral("without its secret")), qPrintable(dlg.status()));
    QVERIFY(store.target("prom")); // the connection itself is kept
    QVERIFY(!cacheContains(m_dir->path(), kCanary));
}

QTEST_MAIN(TestConnections)
#include "tst_connections.moc"
