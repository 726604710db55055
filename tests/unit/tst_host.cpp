// The host connector on prepared folders: what it reads, and "not applicable" where Docker is absent.
#include "connectors/host/dockerdaemon.h"
#include "connectors/host/hostconnector.h"
#include "scan/scanner.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include "testsupport.h"

#include <set>

#include <sys/stat.h>
#include <unistd.h>

using namespace lg;

class TestHost : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void readsDockerHost();
    void noDockerMeansNotApplicable();
    void missingRootFailsClearly();
    void unreadableAuditRulesAreNotObserved();
    void dockerdFlagsCountAndWin();
    void systemdUnitFlagsWhenDockerdIsNotRunning();
    void dockerdTlsFilesAreJudged();
    void kernelSeriesEndOnTheirProjectedDate_data();
    void kernelSeriesEndOnTheirProjectedDate();

private:
    static void write(const QString& path, const QByteArray& text, int mode = 0644)
    {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(text);
        f.close();
        ::chmod(path.toLocal8Bit().constData(), mode_t(mode));
    }
    static ScanOutcome scan(const QString& root)
    {
        std::vector<std::unique_ptr<Connector>> sources;
        sources.push_back(std::make_unique<HostConnector>(root.toStdString(), "test-host"));
        static const RuleCatalog catalog = RuleCatalog::builtin();
        Scanner scanner(catalog, {});
        CancelToken cancel { false };
        return scanner.run(sources, nullptr, cancel, {});
    }
};

void TestHost::readsDockerHost()
{
    QTemporaryDir root;
    write(root.filePath(QStringLiteral("etc/os-release")),
        "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
    write(root.filePath(QStringLiteral("usr/bin/dockerd")), "#!/bin/sh\n", 0755);
    QDir().mkpath(root.filePath(QStringLiteral("var/lib/docker")));
    write(root.filePath(QStringLiteral("etc/docker/daemon.json")), R"({"icc": false, "live-restore": true})", 0666);
    write(root.filePath(QStringLiteral("etc/audit/rules.d/docker.rules")),
        "-w /usr/bin/dockerd -k docker\n# -w /var/lib/docker -k docker\n-w /etc/docker/daemon.json.bak -k x\n");

    HostConnector host(root.path().toStdString(), "test-host");
    const auto snap = host.readLive();
    const auto& hostData = snap["resources"][0]["data"];
    LG_COMPARE(hostData["os"]["id"], nlohmann::json("debian"));
    LG_COMPARE(hostData["os"]["versionId"], nlohmann::json("12"));
    LG_COMPARE(hostData["docker"]["installed"], nlohmann::json(true));
    LG_COMPARE(hostData["audit"]["paths"]["/usr/bin/dockerd"]["audited"], nlohmann::json(true));
    LG_COMPARE(hostData["audit"]["paths"]["/var/lib/docker"]["audited"], nlohmann::json(false)); // commented out
    LG_COMPARE(hostData["audit"]["paths"]["/etc/docker/daemon.json"]["audited"], nlohmann::json(false)); // .bak only

    const auto outcome = scan(root.path());
    std::set<std::string> rules;
    for (const auto& f : outcome.record.findings)
        rules.insert(f.rule);
    QVERIFY(rules.count("LG-HOST-MODE-ETC-DOCKER-DAEMON-JSON"));
    QVERIFY(rules.count("LG-HOST-AUDIT-VAR-LIB-DOCKER"));
    QVERIFY(!rules.count("LG-HOST-AUDIT-USR-BIN-DOCKERD"));
    QVERIFY(!rules.count("LG-DAEMON-ICC"));
    QVERIFY(!rules.count("LG-DAEMON-LIVE-RESTORE"));
    QVERIFY(rules.count("LG-DAEMON-USERNS"));
    // A file that does not exist is not applicable, not a pass and not a failure.
    QVERIFY(!rules.count("LG-HOST-OWNER-ETC-DEFAULT-DOCKER"));
    LG_COMPARE(outcome.record.outcomes.at("LG-HOST-OWNER-ETC-DEFAULT-DOCKER").evaluated, 0);
}

void TestHost::noDockerMeansNotApplicable()
{
    QTemporaryDir root;
    write(root.filePath(QStringLiteral("etc/os-release")), "ID=alpine\n");
    const auto outcome = scan(root.path());
    QVERIFY(!outcome.anySourceFailed());
    for (const auto& f : outcome.record.findings) // the kernel of the machine running the test may be judged
        QVERIFY2(!f.rule.starts_with("LG-HOST-AUDIT") && !f.rule.starts_with("LG-HOST-OWNER")
                && !f.rule.starts_with("LG-HOST-MODE") && !f.rule.starts_with("LG-DAEMON"),
            f.rule.c_str());
    // Docker rules were not applicable: none counts as evaluated (no false pass).
    for (const auto& [rule, o] : outcome.record.outcomes) {
        if (rule.starts_with("LG-HOST-AUDIT") || rule.starts_with("LG-DAEMON"))
            QVERIFY2(o.evaluated == 0, rule.c_str());
    }
    const auto it = outcome.record.outcomes.find("LG-HOST-AUDIT-USR-BIN-DOCKERD");
    QVERIFY(it != outcome.record.outcomes.end());
    LG_COMPARE(it->second.notApplicable, 1);
}

void TestHost::missingRootFailsClearly()
{
    const auto outcome = scan(QStringLiteral("/nonexistent/root"));
    QVERIFY(outcome.anySourceFailed());
    QVERIFY(outcome.sources[0].error.find("/nonexistent/root") != std::string::npos);
}

void TestHost::unreadableAuditRulesAreNotObserved()
{
    // A Docker host whose audit rules could not be read (Layerguard not root): the audit checks could not look,
    // so they neither fail nor pass and weigh nothing; the other host checks still judge what they see.
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<HostConnector>(
        "/", "test-host", std::string(LG_TEST_DATA "/host/audit-rules-unreadable.json")));
    static const RuleCatalog catalog = RuleCatalog::builtin();
    Scanner scanner(catalog, {});
    CancelToken cancel { false };
    const auto o = scanner.run(sources, nullptr, cancel, {});
    QVERIFY(!o.anySourceFailed());
    int auditRules = 0;
    for (const auto& [rule, outcome] : o.record.outcomes) {
        if (!rule.starts_with("LG-HOST-AUDIT-"))
            continue;
        ++auditRules;
        LG_COMPARE(outcome.evaluated, 0);
        LG_COMPARE(outcome.failed, 0);
        QVERIFY2(outcome.notObserved + outcome.notApplicable > 0, rule.c_str());
    }
    QVERIFY(auditRules >= 10);
    LG_COMPARE(o.record.outcomes.at("LG-HOST-AUDIT-USR-BIN-DOCKERD").notObserved, 1);
    for (const auto& f : o.record.findings)
        QVERIFY2(!f.rule.starts_with("LG-HOST-AUDIT-"), f.rule.c_str());
    QVERIFY(o.record.tallies.at(Layer::Host).evaluated > 0); // the rest of the host was judged
}

void TestHost::dockerdFlagsCountAndWin()
{
    // daemon.json says icc is on; the running dockerd's flags turn it off, listen on TCP without TLS and set
    // no-new-privileges daemon-wide. The flags are read and win, as docker-bench reads them.
    QTemporaryDir root;
    write(root.filePath(QStringLiteral("etc/os-release")), "ID=debian\nVERSION_ID=\"12\"\n");
    write(root.filePath(QStringLiteral("usr/bin/dockerd")), "#!/bin/sh\n", 0755);
    write(root.filePath(QStringLiteral("etc/docker/daemon.json")), "{\"icc\": true, \"live-restore\": true}", 0644);
    write(root.filePath(QStringLiteral("proc/4242/comm")), "dockerd\n");
    static constexpr char kCmdline[] = "/usr/bin/dockerd\0-H\0tcp://0.0.0.0:2375\0--host=unix:///var/run/docker.sock\0"
                                       "--icc=false\0--no-new-privileges\0--default-ulimit\0nofile=1024:2048\0";
    write(root.filePath(QStringLiteral("proc/4242/cmdline")), QByteArray(kCmdline, sizeof kCmdline - 1));
    write(root.filePath(QStringLiteral("proc/17/comm")), "sshd\n");
    const auto o = scan(root.path());
    QVERIFY(!o.anySourceFailed());
    QVERIFY(lg::test::fired(o, "LG-DAEMON-TLS"));
    QVERIFY(!lg::test::fired(o, "LG-DAEMON-ICC"));
    QVERIFY(!lg::test::fired(o, "LG-DAEMON-NO-NEW-PRIVILEGES"));
    QVERIFY(!lg::test::fired(o, "LG-DAEMON-LIVE-RESTORE")); // from daemon.json, which the flags leave alone
    QVERIFY(!lg::test::fired(o, "LG-DAEMON-DEFAULT-ULIMITS"));
    const auto config = readDockerDaemonConfig(root.path().toStdString());
    LG_COMPARE(config.commandLineFrom, std::string("/proc/4242/cmdline"));
    const nlohmann::json hosts = nlohmann::json::array({ "tcp://0.0.0.0:2375", "unix:///var/run/docker.sock" });
    LG_COMPARE(config.config["hosts"], hosts);
    LG_COMPARE(config.sources["icc"], nlohmann::json("command line"));
    LG_COMPARE(config.sources["live-restore"], nlohmann::json("/etc/docker/daemon.json"));
    LG_COMPARE(config.config["default-ulimits"]["nofile"]["Hard"], nlohmann::json(2048));
}

void TestHost::systemdUnitFlagsWhenDockerdIsNotRunning()
{
    // No dockerd runs: its unit's ExecStart (a drop-in replacing it, $DOCKER_OPTS from an EnvironmentFile) is read.
    QTemporaryDir root;
    write(root.filePath(QStringLiteral("etc/os-release")), "ID=debian\nVERSION_ID=\"12\"\n");
    write(root.filePath(QStringLiteral("usr/bin/dockerd")), "#!/bin/sh\n", 0755);
    write(root.filePath(QStringLiteral("lib/systemd/system/docker.service")),
        "[Service]\nEnvironmentFile=-/etc/default/docker\nExecStart=/usr/sbin/dockerd -H fd:// $DOCKER_OPTS\n");
    write(root.filePath(QStringLiteral("etc/default/docker")), "DOCKER_OPTS=\"--icc=false --live-restore\"\n");
    write(root.filePath(QStringLiteral("etc/systemd/system/docker.service.d/override.conf")),
        "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// -H tcp://10.0.0.5:2376 --tlsverify \\\n"
        "  --tlscacert=/etc/docker/ca.pem $DOCKER_OPTS\n");
    const auto config = readDockerDaemonConfig(root.path().toStdString());
    LG_COMPARE(config.commandLineFrom, std::string("docker.service ExecStart"));
    const nlohmann::json hosts = nlohmann::json::array({ "fd://", "tcp://10.0.0.5:2376" });
    LG_COMPARE(config.config["hosts"], hosts);
    LG_COMPARE(config.config["tlsverify"], nlohmann::json(true));
    LG_COMPARE(config.config["icc"], nlohmann::json(false));
    LG_COMPARE(config.config["live-restore"], nlohmann::json(true));
    LG_COMPARE(config.config["tlscacert"], nlohmann::json("/etc/docker/ca.pem"));
    const auto o = scan(root.path());
    QVERIFY(!lg::test::fired(o, "LG-DAEMON-TLS"));
    QVERIFY(!lg::test::fired(o, "LG-DAEMON-ICC"));
}

void TestHost::dockerdTlsFilesAreJudged()
{
    // The CA and certificate come from daemon.json, the key from dockerd's flags (the flag wins); a wide key and a
    // tight certificate: only the key's mode fails. A relative or missing path is not a file to judge.
    QTemporaryDir root;
    write(root.filePath(QStringLiteral("etc/os-release")), "ID=debian\nVERSION_ID=\"12\"\n");
    write(root.filePath(QStringLiteral("usr/bin/dockerd")), "#!/bin/sh\n", 0755);
    write(root.filePath(QStringLiteral("etc/docker/daemon.json")),
        R"({"tlsverify": true, "tlscacert": "/etc/docker/tls/ca.pem", "tlscert": "/etc/docker/tls/cert.pem",
            "tlskey": "/etc/docker/tls/old-key.pem"})",
        0644);
    write(root.filePath(QStringLiteral("etc/docker/tls/ca.pem")), "ca", 0444);
    write(root.filePath(QStringLiteral("etc/docker/tls/cert.pem")), "cert", 0444);
    write(root.filePath(QStringLiteral("etc/docker/tls/key.pem")), "key", 0640);
    write(root.filePath(QStringLiteral("proc/4242/comm")), "dockerd\n");
    static constexpr char kCmdline[] = "/usr/bin/dockerd\0--tlskey=/etc/docker/tls/key.pem\0";
    write(root.filePath(QStringLiteral("proc/4242/cmdline")), QByteArray(kCmdline, sizeof kCmdline - 1));
    const auto o = scan(root.path());
    QVERIFY(!o.anySourceFailed());
    QVERIFY(lg::test::fired(o, "LG-HOST-MODE-DOCKER-TLS-KEY", "/etc/docker/tls/key.pem"));
    QVERIFY(!lg::test::fired(o, "LG-HOST-MODE-DOCKER-TLS-CA"));
    QVERIFY(!lg::test::fired(o, "LG-HOST-MODE-DOCKER-TLS-CERT"));
    for (const char* rule :
        { "LG-HOST-MODE-DOCKER-TLS-CA", "LG-HOST-MODE-DOCKER-TLS-CERT", "LG-HOST-MODE-DOCKER-TLS-KEY",
            "LG-HOST-OWNER-DOCKER-TLS-CA", "LG-HOST-OWNER-DOCKER-TLS-CERT", "LG-HOST-OWNER-DOCKER-TLS-KEY" })
        QVERIFY2(o.record.outcomes.at(rule).evaluated == 1, rule); // each file judged once, the old key not at all
    // The docker group's members from /etc/group; without the file, not observed
    QCOMPARE(o.record.outcomes.at("LG-HOST-DOCKER-GROUP").notObserved, 1);
    write(root.filePath(QStringLiteral("etc/group")), "root:x:0:\ndocker:x:998:deploy,ci-runner\nusers:x:100:\n");
    const auto withGroup = scan(root.path());
    QVERIFY(lg::test::fired(withGroup, "LG-HOST-DOCKER-GROUP"));
    for (const auto& f : withGroup.record.findings)
        if (f.rule == "LG-HOST-DOCKER-GROUP")
            LG_COMPARE(f.evidence.at(0).value, nlohmann::json({ "deploy", "ci-runner" }));
    // Owned by whoever runs the test: the owner rules fire unless that is root.
    QCOMPARE(lg::test::fired(o, "LG-HOST-OWNER-DOCKER-TLS-CA"), ::getuid() != 0);
}

void TestHost::kernelSeriesEndOnTheirProjectedDate_data()
{
    QTest::addColumn<QString>("release");
    QTest::addColumn<QString>("scannedOn");
    QTest::addColumn<bool>("pastItsEnd");
    // kernel.org's longterm table: 5.10 and 5.15 until December 2026, 6.1 and 6.6 until December 2027; a series is
    // past its end from the last day of that month.
    QTest::newRow("5.10 in December 2026") << "5.10.226"
                                           << "2026-12-30" << false;
    QTest::newRow("5.10 on the month's last day") << "5.10.226"
                                                  << "2026-12-31" << true;
    QTest::newRow("5.15 the day after") << "5.15.170"
                                        << "2027-01-01" << true;
    QTest::newRow("6.6 a year later") << "6.6.30"
                                      << "2027-01-01" << false;
    QTest::newRow("5.4 past December 2025") << "5.4.284"
                                            << "2026-01-01" << true;
    QTest::newRow("older than every longterm series") << "3.10.108"
                                                      << "2020-01-01" << true;
    QTest::newRow("a stable series has no date") << "6.8.12"
                                                 << "2027-01-01" << false;
    QTest::newRow("a distribution kernel is its vendor's") << "5.4.0-200-generic"
                                                           << "2027-01-01" << false;
}

void TestHost::kernelSeriesEndOnTheirProjectedDate()
{
    QFETCH(QString, release);
    QFETCH(QString, scannedOn);
    QFETCH(bool, pastItsEnd);
    QFile fixture(QStringLiteral(LG_TEST_DATA "/rules/host/LG-HOST-KERNEL-EOL/fail/4-19.json"));
    QVERIFY(fixture.open(QIODevice::ReadOnly));
    auto snapshot = nlohmann::json::parse(fixture.readAll().toStdString());
    snapshot["resources"][0]["data"]["kernel"]["release"] = release.toStdString();
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("host.json"));
    write(path, QByteArray::fromStdString(snapshot.dump()));
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<HostConnector>("/", "test-host", path.toStdString()));
    static const RuleCatalog catalog = RuleCatalog::builtin();
    ScanSettings settings;
    const std::int64_t at
        = QDateTime(QDate::fromString(scannedOn, Qt::ISODate), QTime(12, 0), Qt::UTC).toSecsSinceEpoch();
    settings.clock = [at] { return at; };
    Scanner scanner(catalog, settings);
    CancelToken cancel { false };
    const auto o = scanner.run(sources, nullptr, cancel, {});
    QVERIFY(!o.anySourceFailed());
    LG_COMPARE(o.record.outcomes.at("LG-HOST-KERNEL-EOL").failed, pastItsEnd ? 1 : 0);
}

QTEST_GUILESS_MAIN(TestHost)
#include "tst_host.moc"
