// The Docker connector against a real dockerd started by tests/testbed/dockerd.sh (a ctest fixture).
// Every runtime rule fires on a container that breaks it and not on the safe one.
#include "connectors/docker/dockerconnector.h"
#include "scan/scanner.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "integration/dockertestbed.h"
#include "testsupport.h"

#include <unistd.h>

#include <set>

using namespace lg;
using nlohmann::json;

Q_DECLARE_METATYPE(std::string)

class TestDocker : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void runtimeRules_data();
    void runtimeRules();
    void imagesAndEngineAreChecked();
    void scanLandsInTheCache();
    void badEndpoints();
    void removedContainerIsSkipped();
    void endpointResolution();
    void misbehavingEngines_data();
    void misbehavingEngines();
    void wrongCertificateAuthority();
    void skippedTlsVerificationIsReported();

private:
    std::string create(const std::string& name, json config, bool start = false);
    HttpResponse api(const std::string& method, const std::string& path, const std::string& body = {});
    bool fired(const std::string& rule, const std::string& container) const;

    std::string m_sock;
    std::unique_ptr<HttpClient> m_client;
    ScanOutcome m_outcome;
    bool m_apparmor = false;
    bool m_selinux = false;
    std::vector<std::string> m_ids;
};

namespace {
json safeConfig()
{
    return json::parse(R"({
      "Image": "lg-busybox:1.0", "Cmd": ["sleep", "600"], "User": "65534",
      "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1000000000, "Timeout": 1000000000, "Retries": 3},
      "HostConfig": {
        "NetworkMode": "none", "Memory": 67108864, "CpuShares": 512, "PidsLimit": 100, "ReadonlyRootfs": true,
        "SecurityOpt": ["no-new-privileges"], "CapDrop": ["ALL"], "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 5},
        "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 1024}]
      }})");
}
} // namespace

HttpResponse TestDocker::api(const std::string& method, const std::string& path, const std::string& body)
{
    return m_client->request(method, path, body, body.empty() ? std::string() : "application/json");
}

std::string TestDocker::create(const std::string& name, json config, bool start)
{
    const auto r = api("POST", "/v1.41/containers/create?name=" + name, config.dump());
    if (r.status != 201)
        qFatal("creating %s failed: %ld %s", name.c_str(), r.status, r.body.c_str());
    const std::string id = json::parse(r.body)["Id"];
    m_ids.push_back(id);
    if (start) {
        const auto s = api("POST", "/v1.41/containers/" + id + "/start");
        if (s.status != 204)
            qFatal("starting %s failed: %ld %s", name.c_str(), s.status, s.body.c_str());
    }
    return id;
}

bool TestDocker::fired(const std::string& rule, const std::string& container) const
{
    for (const auto& f : m_outcome.record.findings)
        if (f.rule == rule && f.subject.name == container)
            return true;
    return false;
}

void TestDocker::initTestCase()
{
    m_sock = testbedDockerSocket();
    QVERIFY2(!m_sock.empty(), "tests/testbed/dockerd.sh start did not run (LG_DOCKER_ENV)");
    m_client = std::make_unique<HttpClient>(testbedDockerEndpoint(m_sock));
    const auto info = json::parse(api("GET", "/v1.41/info").body);
    for (const auto& o : info["SecurityOptions"]) {
        m_apparmor = m_apparmor || o.get<std::string>().find("apparmor") != std::string::npos;
        m_selinux = m_selinux || o.get<std::string>().find("selinux") != std::string::npos;
    }

    create("safe", safeConfig(), true);
    auto risky = [&](const std::string& name, const json& hostConfig, const json& config = json::object()) {
        json c = safeConfig();
        c.merge_patch(config);
        c["HostConfig"].merge_patch(hostConfig);
        create(name, c);
    };
    json bare
        = json::parse(R"({"Image": "lg-busybox:1.0", "Cmd": ["sleep", "600"], "HostConfig": {"NetworkMode": "none"}})");
    create("bare", bare); // Docker's defaults: root, no limits, writable rootfs, no health check
    risky("privileged", { { "Privileged", true } });
    risky("capadd", { { "CapAdd", { "SYS_ADMIN" } } });
    risky("etcmount", { { "Binds", { "/etc:/host-etc" } } });
    risky("sockmount", { { "Binds", { m_sock + ":/var/run/docker.sock" } } });
    risky("hostnet", { { "NetworkMode", "host" } });
    risky("hostpid", { { "PidMode", "host" } });
    risky("hostipc", { { "IpcMode", "host" } });
    risky("hostuts", { { "UTSMode", "host" } });
    risky("userns", { { "UsernsMode", "host" } });
    risky("seccomp", { { "SecurityOpt", { "no-new-privileges", "seccomp=unconfined" } } });
    risky("apparmor", { { "SecurityOpt", { "no-new-privileges", "apparmor=unconfined" } } });
    risky("restart", { { "RestartPolicy", { { "Name", "on-failure" }, { "MaximumRetryCount", 10 } } } });
    risky("port80", { { "PortBindings", { { "80/tcp", { { { "HostIp", "127.0.0.1" }, { "HostPort", "80" } } } } } } },
        { { "ExposedPorts", { { "80/tcp", json::object() } } } });
    risky("anyif", { { "PortBindings", { { "8080/tcp", { { { "HostIp", "0.0.0.0" }, { "HostPort", "8080" } } } } } } },
        { { "ExposedPorts", { { "8080/tcp", json::object() } } } });
    risky("devices",
        { { "Devices",
            { { { "PathOnHost", "/dev/null" }, { "PathInContainer", "/dev/xnull" },
                { "CgroupPermissions", "rwm" } } } } });
    risky("cgroup", { { "CgroupParent", "/lgtest" } });
    risky("propagation",
        { { "Mounts",
            { { { "Type", "bind" }, { "Source", "/tmp" }, { "Target", "/mnt" },
                { "BindOptions", { { "Propagation", "rshared" } } } } } } });
    { // running, with a process whose command line names sshd (docker top shows it; CIS 5.7)
        json c = safeConfig();
        c["Cmd"] = { "sh", "-c", "sleep 600; : sshd" };
        create("sshd", c, true);
    }
    { // running, with an exec session as root (CIS 5.24), still running when the scan looks. (A privileged one,
      // CIS 5.23, is refused by the testbed's engine, which runs without every capability: its fixtures judge it.)
        json c = safeConfig();
        const std::string id = create("execd", c, true);
        const auto e = api("POST", "/v1.41/containers/" + id + "/exec", R"({"Cmd": ["sleep", "300"], "User": "root"})");
        QCOMPARE(e.status, 201L);
        const auto s = api(
            "POST", "/v1.41/exec/" + json::parse(e.body)["Id"].get<std::string>() + "/start", R"({"Detach": true})");
        QVERIFY2(s.status == 200, s.body.c_str());
    }
    QTest::qWait(1500); // the safe container's first health check

    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<DockerConnector>(resolveDockerEndpoint("unix://" + m_sock), "engine"));
    static const RuleCatalog catalog = RuleCatalog::builtin();
    Scanner scanner(catalog, {});
    CancelToken cancel { false };
    m_outcome = scanner.run(sources, nullptr, cancel, {});
    QVERIFY2(!m_outcome.anySourceFailed(), m_outcome.sources.at(0).error.c_str());
}

void TestDocker::cleanupTestCase()
{
    for (const auto& id : m_ids)
        (void)api("DELETE", "/v1.41/containers/" + id + "?force=1");
}

void TestDocker::runtimeRules_data()
{
    QTest::addColumn<std::string>("rule");
    QTest::addColumn<std::string>("container");
    const std::vector<std::pair<const char*, const char*>> rows {
        { "LG-DOCKER-PRIVILEGED", "privileged" },
        { "LG-DOCKER-CAP-ADD", "capadd" },
        { "LG-DOCKER-SENSITIVE-MOUNT", "etcmount" },
        { "LG-DOCKER-SOCKET-MOUNT", "sockmount" },
        { "LG-DOCKER-HOST-NETWORK", "hostnet" },
        { "LG-DOCKER-HOST-PID", "hostpid" },
        { "LG-DOCKER-HOST-IPC", "hostipc" },
        { "LG-DOCKER-HOST-UTS", "hostuts" },
        { "LG-DOCKER-USERNS-HOST", "userns" },
        { "LG-DOCKER-SECCOMP-UNCONFINED", "seccomp" },
        { "LG-DOCKER-APPARMOR", "apparmor" },
        { "LG-DOCKER-RESTART-RETRIES", "restart" },
        { "LG-DOCKER-PRIVILEGED-PORT", "port80" },
        { "LG-DOCKER-PORT-ALL-INTERFACES", "anyif" },
        { "LG-DOCKER-DEVICES", "devices" },
        { "LG-DOCKER-CGROUP-PARENT", "cgroup" },
        { "LG-DOCKER-SHARED-PROPAGATION", "propagation" },
        { "LG-DOCKER-ROOT-USER", "bare" },
        { "LG-DOCKER-MEMORY-LIMIT", "bare" },
        { "LG-DOCKER-CPU-SHARES", "bare" },
        { "LG-DOCKER-PIDS-LIMIT", "bare" },
        { "LG-DOCKER-READONLY-ROOTFS", "bare" },
        { "LG-DOCKER-NO-NEW-PRIVILEGES", "bare" },
        { "LG-DOCKER-HEALTHCHECK", "bare" },
        { "LG-DOCKER-ULIMITS", "bare" },
        { "LG-DOCKER-SECURITY-OPTIONS", "bare" },
        { "LG-DOCKER-SSHD", "sshd" },
        { "LG-DOCKER-EXEC-ROOT", "execd" },
    };
    for (const auto& [rule, container] : rows)
        QTest::addRow("%s", rule) << std::string(rule) << std::string(container);
}

void TestDocker::runtimeRules()
{
    QFETCH(std::string, rule);
    QFETCH(std::string, container);
    // CIS 5.2 and 5.3 say "if applicable": AppArmor is judged on an AppArmor host, SELinux on an SELinux host.
    // This engine says which it has (docker info); where it has neither, both must be not applicable.
    const bool mac = rule == "LG-DOCKER-APPARMOR" || rule == "LG-DOCKER-SECURITY-OPTIONS";
    if (mac && !(rule == "LG-DOCKER-APPARMOR" ? m_apparmor : m_selinux)) {
        QVERIFY2(!fired(rule, container), (rule + " judged on a host without it").c_str());
        QVERIFY(m_outcome.record.outcomes.at(rule).notApplicable > 0);
        LG_COMPARE(m_outcome.record.outcomes.at(rule).evaluated, 0);
        return;
    }
    QVERIFY2(fired(rule, container), ("no finding of " + rule + " on " + container).c_str());
    QVERIFY2(!fired(rule, "safe"), (rule + " fired on the safe container").c_str());
}

void TestDocker::imagesAndEngineAreChecked()
{
    // Processes are shown for running containers only (ours are three; other tests may run theirs on the shared
    // engine): CIS 5.7 does not apply to the stopped ones.
    QVERIFY(m_outcome.record.outcomes.at("LG-DOCKER-SSHD").evaluated >= 3);
    QVERIFY(m_outcome.record.outcomes.at("LG-DOCKER-SSHD").notApplicable > 10);
    // the exec session is seen, as root and not privileged
    QVERIFY(!fired("LG-DOCKER-EXEC-PRIVILEGED", "execd"));
    QVERIFY(m_outcome.record.outcomes.at("LG-DOCKER-EXEC-PRIVILEGED").evaluated >= 3);
    std::set<std::string> kinds;
    for (const auto& r : m_outcome.record.resources)
        kinds.insert(r.kind);
    QVERIFY(kinds.count("DockerInfo") && kinds.count("DockerVersion") && kinds.count("DockerImage"));
    QVERIFY(fired("LG-IMAGE-ROOT-USER", "lg-busybox:1.0")); // the imported image has no USER
    QVERIFY(fired("LG-IMAGE-HEALTHCHECK", "lg-busybox:1.0"));
    // The testbed's daemon keeps json-file logs and no authorization plugin.
    bool logging = false, authz = false;
    for (const auto& f : m_outcome.record.findings) {
        logging = logging || f.rule == "LG-DOCKERINFO-LOGGING";
        authz = authz || f.rule == "LG-DOCKERINFO-AUTHZ";
    }
    QVERIFY(logging && authz);
    QVERIFY(m_outcome.record.tallies.at(Layer::Image).evaluated > 0);
    QVERIFY(m_outcome.record.tallies.at(Layer::Runtime).evaluated > 0);
}

void TestDocker::scanLandsInTheCache()
{
    QTemporaryDir dir;
    const std::string db = dir.filePath(QStringLiteral("c.sqlite")).toStdString();
    QProcess p;
    p.start(QStringLiteral(LG_BINARY),
        { QStringLiteral("scan"), QStringLiteral("--docker"), QString::fromStdString("unix://" + m_sock),
            QStringLiteral("--db"), QString::fromStdString(db), QStringLiteral("--quiet") });
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    // The engine as a saved target: saved once, scanned by name.
    auto lg = [&](const QStringList& args) {
        QProcess q;
        q.start(QStringLiteral(LG_BINARY), args + QStringList { QStringLiteral("--db"), QString::fromStdString(db) });
        q.waitForFinished(60000);
        return q.exitCode();
    };
    QCOMPARE(lg({ QStringLiteral("target"), QStringLiteral("add"), QStringLiteral("lab-engine"),
                 QStringLiteral("--docker"), QString::fromStdString("unix://" + m_sock) }),
        0);
    QCOMPARE(lg({ QStringLiteral("target"), QStringLiteral("add"), QStringLiteral("leaky"), QStringLiteral("--docker"),
                 QStringLiteral("tcp://user:pw@127.0.0.1:2376") }),
        2); // credentials are refused, never stored
    QCOMPARE(lg({ QStringLiteral("scan"), QStringLiteral("--target"), QStringLiteral("lab-engine"),
                 QStringLiteral("--quiet") }),
        0);
    QCOMPARE(
        lg({ QStringLiteral("scan"), QStringLiteral("--target"), QStringLiteral("nope"), QStringLiteral("--quiet") }),
        1);
    Store store(db);
    LG_COMPARE(store.targets().size(), std::size_t(1));
    LG_COMPARE(store.scans().size(), std::size_t(2));
    LG_COMPARE(store.scans().back().sources.at(0).target, std::string("lab-engine"));
    const auto scan = store.scan(*store.latestScanId());
    QVERIFY(scan);
    QVERIFY(
        std::any_of(scan->layers.begin(), scan->layers.end(), [](const auto& l) { return l.layer == Layer::Runtime; }));
    FindingFilter f;
    f.search = "privileged";
    QVERIFY(!store.findings(scan->id, f).empty());
}

void TestDocker::badEndpoints()
{
    static const RuleCatalog catalog = RuleCatalog::builtin();
    auto scanOf = [](DockerEndpoint ep) {
        std::vector<std::unique_ptr<Connector>> sources;
        sources.push_back(std::make_unique<DockerConnector>(std::move(ep), "bad"));
        Scanner scanner(catalog, {});
        CancelToken cancel { false };
        return scanner.run(sources, nullptr, cancel, {});
    };
    // A socket that does not exist.
    auto o = scanOf(resolveDockerEndpoint("unix:///nonexistent/docker.sock"));
    QVERIFY(o.anySourceFailed());
    QVERIFY2(o.sources[0].error.find("/nonexistent/docker.sock") != std::string::npos, o.sources[0].error.c_str());
    QVERIFY2(o.sources[0].hint.find("daemon running") != std::string::npos, o.sources[0].hint.c_str());
    // A socket we may not open (a file in place of a socket behaves like it for curl).
    QTemporaryDir dir;
    QFile notASocket(dir.filePath(QStringLiteral("docker.sock")));
    QVERIFY(notASocket.open(QIODevice::WriteOnly));
    notASocket.close();
    o = scanOf(resolveDockerEndpoint("unix://" + notASocket.fileName().toStdString()));
    QVERIFY(o.anySourceFailed());
    // TLS to an endpoint that is not TLS, with a CA that does not exist.
    o = scanOf(
        resolveDockerEndpoint("https://127.0.0.1:9", dir.filePath(QStringLiteral("missing-ca.pem")).toStdString()));
    QVERIFY(o.anySourceFailed());
    QVERIFY(!o.sources[0].hint.empty());
    // Permission denied: the same real socket, opened as an unprivileged user.
    if (::geteuid() == 0 && QFile::exists(QStringLiteral("/usr/sbin/runuser"))) {
        QTemporaryDir home;
        QFile::setPermissions(home.path(),
            QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner | QFileDevice::ReadOther
                | QFileDevice::WriteOther | QFileDevice::ExeOther);
        QProcess p;
        p.start(QStringLiteral("/usr/sbin/runuser"),
            { QStringLiteral("-u"), QStringLiteral("nobody"), QStringLiteral("--"), QStringLiteral(LG_BINARY),
                QStringLiteral("scan"), QStringLiteral("--docker"), QString::fromStdString("unix://" + m_sock),
                QStringLiteral("--db"), home.filePath(QStringLiteral("c.sqlite")) });
        QVERIFY(p.waitForFinished(60000));
        const QByteArray err = p.readAllStandardError();
        QCOMPARE(p.exitCode(), 1);
        QVERIFY2(err.contains("docker group"), err.constData());
    }
    // Credentials in an endpoint URL are refused (they would end up in the cache and the output).
    QVERIFY_THROWS_EXCEPTION(ConnectorError, (void)resolveDockerEndpoint("tcp://admin:hunter2@127.0.0.1:2376"));
    // An unsupported scheme is refused up front.
    QVERIFY_THROWS_EXCEPTION(ConnectorError, (void)resolveDockerEndpoint("ssh://user@host"));
}

void TestDocker::removedContainerIsSkipped()
{
    // Listed, then removed before it is inspected: skipped and said, the scan goes on.
    const std::string id = create("ephemeral", safeConfig());
    auto connector = std::make_unique<DockerConnector>(resolveDockerEndpoint("unix://" + m_sock), "engine", 1);
    connector->setAfterListHook([&](const std::vector<std::string>& ids) {
        QVERIFY(std::find(ids.begin(), ids.end(), id) != ids.end());
        (void)api("DELETE", "/v1.41/containers/" + id + "?force=1");
    });
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::move(connector));
    static const RuleCatalog catalog = RuleCatalog::builtin();
    Scanner scanner(catalog, {});
    CancelToken cancel { false };
    std::string said;
    const auto o = scanner.run(sources, nullptr, cancel, [&](const Progress& msg) { said += msg.text + "\n"; });
    QVERIFY2(!o.anySourceFailed(), o.sources.at(0).error.c_str());
    QVERIFY2(said.find("disappeared during the scan") != std::string::npos, said.c_str());
    for (const auto& r : o.record.resources)
        QVERIFY(r.name != "ephemeral");
    QVERIFY(std::any_of(
        o.record.resources.begin(), o.record.resources.end(), [](const Resource& r) { return r.name == "safe"; }));
}

void TestDocker::endpointResolution()
{
    qputenv("DOCKER_HOST", QByteArray("unix://") + QByteArray::fromStdString(m_sock));
    auto ep = resolveDockerEndpoint("");
    QCOMPARE(ep.source, std::string("DOCKER_HOST"));
    QCOMPARE(ep.http.unixSocket, m_sock);
    qputenv("DOCKER_HOST", "tcp://127.0.0.1:2376");
    qputenv("DOCKER_TLS_VERIFY", "1");
    ep = resolveDockerEndpoint("");
    QCOMPARE(ep.http.baseUrl, std::string("https://127.0.0.1:2376"));
    qunsetenv("DOCKER_HOST");
    qunsetenv("DOCKER_TLS_VERIFY");
    // A docker context in a config folder, as `docker context create` writes it.
    QTemporaryDir cfg;
    const QString hash = QString::fromLatin1(QCryptographicHash::hash("lab", QCryptographicHash::Sha256).toHex());
    QDir().mkpath(cfg.filePath(QStringLiteral("contexts/meta/") + hash));
    QFile meta(cfg.filePath(QStringLiteral("contexts/meta/") + hash + QStringLiteral("/meta.json")));
    QVERIFY(meta.open(QIODevice::WriteOnly));
    meta.write(QByteArray::fromStdString(
        json { { "Name", "lab" }, { "Endpoints", { { "docker", { { "Host", "unix://" + m_sock } } } } } }.dump()));
    meta.close();
    QFile conf(cfg.filePath(QStringLiteral("config.json")));
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write(R"({"currentContext": "lab"})");
    conf.close();
    qputenv("DOCKER_CONFIG", cfg.path().toLocal8Bit());
    ep = resolveDockerEndpoint("");
    qunsetenv("DOCKER_CONFIG");
    QCOMPARE(ep.source, std::string("context lab"));
    QCOMPARE(ep.http.unixSocket, m_sock);
}

namespace {
/** Runs tests/testbed/fake_engine.py in a mode; stops it when it goes out of scope. */
struct FakeEngine {
    QProcess process;
    int port = 0;
    FakeEngine(const QString& mode, const QString& dir, const QStringList& tls = {})
    {
        const QString portFile = dir + QStringLiteral("/port-") + mode;
        process.start(QStringLiteral("python3"),
            QStringList { QStringLiteral(LG_SOURCE_DIR "/tests/testbed/fake_engine.py"), mode, portFile } + tls);
        for (int i = 0; i < 100 && port == 0; ++i) {
            QTest::qWait(50);
            QFile f(portFile);
            if (f.open(QIODevice::ReadOnly))
                port = f.readAll().toInt();
        }
    }
    ~FakeEngine()
    {
        process.kill();
        process.waitForFinished();
    }
};

ScanOutcome scanEndpoint(const std::string& url, const std::string& ca = {})
{
    static const RuleCatalog catalog = RuleCatalog::builtin();
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<DockerConnector>(resolveDockerEndpoint(url, ca), "fake"));
    Scanner scanner(catalog, {});
    CancelToken cancel { false };
    return scanner.run(sources, nullptr, cancel, {});
}
} // namespace

void TestDocker::misbehavingEngines_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<std::string>("expected");
    QTest::addRow("engine too old") << QStringLiteral("old") << std::string("older than 1.24");
    QTest::addRow("malformed JSON") << QStringLiteral("malformed") << std::string("malformed JSON for /version");
    QTest::addRow("engine refuses the version") << QStringLiteral("reject") << std::string("too new");
    QTest::addRow("truncated body") << QStringLiteral("truncated") << std::string("127.0.0.1");
}

void TestDocker::misbehavingEngines()
{
    QFETCH(QString, mode);
    QFETCH(std::string, expected);
    QTemporaryDir dir;
    FakeEngine engine(mode, dir.path());
    QVERIFY(engine.port > 0);
    const auto o = scanEndpoint("tcp://127.0.0.1:" + std::to_string(engine.port));
    QVERIFY(o.anySourceFailed());
    QVERIFY2(o.sources[0].error.find(expected) != std::string::npos, o.sources[0].error.c_str());
    QVERIFY(!o.sources[0].hint.empty());
    QVERIFY(o.record.findings.empty()); // nothing from a failed source
}

void TestDocker::wrongCertificateAuthority()
{
    QTemporaryDir dir;
    auto openssl = [&](const QStringList& args) {
        QProcess p;
        p.setWorkingDirectory(dir.path());
        p.start(QStringLiteral("openssl"), args);
        p.waitForFinished(30000);
        return p.exitCode() == 0;
    };
    QVERIFY(openssl({ QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
        QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-keyout"), QStringLiteral("key.pem"),
        QStringLiteral("-out"), QStringLiteral("cert.pem"), QStringLiteral("-days"), QStringLiteral("1"),
        QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-addext"),
        QStringLiteral("subjectAltName=IP:127.0.0.1") }));
    QVERIFY(openssl({ QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
        QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-keyout"),
        QStringLiteral("other-key.pem"), QStringLiteral("-out"), QStringLiteral("other-ca.pem"),
        QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"), QStringLiteral("/CN=someone else") }));
    FakeEngine engine(QStringLiteral("ok"), dir.path(),
        { dir.filePath(QStringLiteral("cert.pem")), dir.filePath(QStringLiteral("key.pem")) });
    QVERIFY(engine.port > 0);
    const std::string url = "https://127.0.0.1:" + std::to_string(engine.port);
    auto o = scanEndpoint(url, dir.filePath(QStringLiteral("other-ca.pem")).toStdString());
    QVERIFY(o.anySourceFailed());
    QVERIFY2(o.sources[0].hint.find("--ca-file") != std::string::npos, o.sources[0].hint.c_str());
    // With the right CA the TLS connection works (and the fake engine's /info then answers 404).
    o = scanEndpoint(url, dir.filePath(QStringLiteral("cert.pem")).toStdString());
    QVERIFY(o.anySourceFailed());
    QVERIFY2(o.sources[0].error.find("/info answered 404") != std::string::npos, o.sources[0].error.c_str());
}

// A docker context with skip-tls-verify is honoured as the docker CLI honours it (TLS, unverified), and never
// silently: the scan warns and LG-DOCKER-TLS-UNVERIFIED reports it.
void TestDocker::skippedTlsVerificationIsReported()
{
    QTemporaryDir dir;
    QProcess openssl;
    openssl.setWorkingDirectory(dir.path());
    openssl.start(QStringLiteral("openssl"),
        { QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("rsa:2048"),
            QStringLiteral("-nodes"), QStringLiteral("-keyout"), QStringLiteral("key.pem"), QStringLiteral("-out"),
            QStringLiteral("cert.pem"), QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"),
            QStringLiteral("/CN=self-signed") });
    QVERIFY(openssl.waitForFinished(30000) && openssl.exitCode() == 0);
    FakeEngine engine(QStringLiteral("empty"), dir.path(),
        { dir.filePath(QStringLiteral("cert.pem")), dir.filePath(QStringLiteral("key.pem")) });
    QVERIFY(engine.port > 0);
    const QString hash = QString::fromLatin1(QCryptographicHash::hash("insecure", QCryptographicHash::Sha256).toHex());
    QDir().mkpath(dir.filePath(QStringLiteral("config/contexts/meta/") + hash));
    QFile meta(dir.filePath(QStringLiteral("config/contexts/meta/") + hash + QStringLiteral("/meta.json")));
    QVERIFY(meta.open(QIODevice::WriteOnly));
    meta.write(QByteArray::fromStdString(json { { "Name", "insecure" },
        { "Endpoints",
            { { "docker",
                { { "Host", "tcp://127.0.0.1:" + std::to_string(engine.port) }, { "SkipTLSVerify", true } } } } } }
                                             .dump()));
    meta.close();
    QFile conf(dir.filePath(QStringLiteral("config/config.json")));
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write(R"({"currentContext": "insecure"})");
    conf.close();
    qputenv("DOCKER_CONFIG", dir.filePath(QStringLiteral("config")).toLocal8Bit());
    const DockerEndpoint ep = resolveDockerEndpoint("");
    qunsetenv("DOCKER_CONFIG");
    QVERIFY(!ep.http.verifyTls);
    static const RuleCatalog catalog = RuleCatalog::builtin();
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<DockerConnector>(ep, "insecure"));
    Scanner scanner(catalog, {});
    CancelToken cancel { false };
    std::vector<std::string> progress;
    const auto o = scanner.run(sources, nullptr, cancel, [&](const Progress& m) { progress.push_back(m.text); });
    QVERIFY2(!o.anySourceFailed(), o.sources.at(0).error.c_str());
    QVERIFY(std::any_of(progress.begin(), progress.end(),
        [](const std::string& m) { return m.find("TLS verification is turned off") != std::string::npos; }));
    QVERIFY(std::any_of(o.record.findings.begin(), o.record.findings.end(),
        [](const Finding& f) { return f.rule == "LG-DOCKER-TLS-UNVERIFIED"; }));
}

QTEST_GUILESS_MAIN(TestDocker)
#include "tst_docker.moc"
