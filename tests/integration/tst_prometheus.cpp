// The Prometheus connector against a real Prometheus and node_exporter (tests/testbed/prometheus.sh), with
// kube-state-metrics, Falco and a second node backfilled by promtool: every check fires on the series that
// break it and not on the healthy ones; no data, query errors, auth, TLS, timeouts and dead endpoints.
#include "connectors/prometheus/promconnector.h"
#include "core/scoring.h"
#include "scan/scanner.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QTest>

#include "core/jsonutil.h"
#include "testsupport.h"

#include <map>

using namespace lg;
using lg::test::fired;
using nlohmann::json;

namespace {

const QString kScript = QStringLiteral(LG_SOURCE_DIR "/tests/testbed/prometheus.sh");

std::map<QString, QString> readEnv(const QString& file)
{
    std::map<QString, QString> env;
    QFile f(file);
    if (f.open(QIODevice::ReadOnly))
        for (const auto& line : f.readAll().split('\n')) {
            const int eq = line.indexOf('=');
            if (eq > 0)
                env[QString::fromUtf8(line.left(eq))] = QString::fromUtf8(line.mid(eq + 1)).remove(u'"').remove(u'\'');
        }
    return env;
}

} // namespace

class TestPrometheus : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void checksFireOnBrokenSeriesOnly_data();
    void checksFireOnBrokenSeriesOnly();
    void findingsCiteQueryAndSample();
    void liveNodeKernelIsInTheInventory();
    void noDataIsNeverAPass();
    void noDataAtAllLeavesTheLayerUnobserved();
    void queryErrorIsReported();
    void rangeAndLongQueries();
    void dockerdIsScraped();
    void savedTargetKeepsNoSecret();
    void tlsAndBasicAuth();
    void bearerToken();
    void failures_data();
    void failures();

private:
    ScanOutcome scan(PrometheusEndpoint ep, std::vector<PromCheck> checks = loadPromChecks());
    QTemporaryDir m_tmp;
    std::map<QString, QString> m_plain;
    std::map<QString, QString> m_tls;
    ScanOutcome m_outcome;
    RuleCatalog m_catalog = RuleCatalog::builtin();
};

void TestPrometheus::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    for (const auto& [dir, extra] : { std::pair { QStringLiteral("plain"), QString() },
             std::pair { QStringLiteral("tls"), QStringLiteral("--tls-basic") } }) {
        QStringList args { kScript, QStringLiteral("start"), m_tmp.filePath(dir) };
        if (!extra.isEmpty())
            args << extra;
        QProcess p;
        // the plain instance also scrapes the testbed dockerd's metrics endpoint (ctest fixture "dockerd")
        const auto docker = readEnv(qEnvironmentVariable("LG_DOCKER_ENV"));
        if (extra.isEmpty() && docker.count(QStringLiteral("LG_DOCKER_METRICS"))) {
            auto env = QProcessEnvironment::systemEnvironment();
            env.insert(QStringLiteral("LG_DOCKER_METRICS"), docker.at(QStringLiteral("LG_DOCKER_METRICS")));
            p.setProcessEnvironment(env);
        }
        p.start(QStringLiteral("bash"), args);
        QVERIFY(p.waitForFinished(120'000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    }
    m_plain = readEnv(m_tmp.filePath(QStringLiteral("plain/prometheus.env")));
    m_tls = readEnv(m_tmp.filePath(QStringLiteral("tls/prometheus.env")));
    QVERIFY(!m_plain[QStringLiteral("LG_PROM_URL")].isEmpty());
    PrometheusEndpoint ep;
    ep.url = m_plain[QStringLiteral("LG_PROM_URL")].toStdString();
    m_outcome = scan(ep);
    QVERIFY2(!m_outcome.anySourceFailed(), m_outcome.sources.at(0).error.c_str());
}

void TestPrometheus::cleanupTestCase()
{
    for (const char* dir : { "plain", "tls" })
        QProcess::execute(
            QStringLiteral("bash"), { kScript, QStringLiteral("stop"), m_tmp.filePath(QLatin1String(dir)) });
}

ScanOutcome TestPrometheus::scan(PrometheusEndpoint ep, std::vector<PromCheck> checks)
{
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<PrometheusConnector>(std::move(ep), "prom", "1h", std::move(checks)));
    Scanner scanner(m_catalog, ScanSettings {});
    CancelToken cancel { false };
    return scanner.run(sources, nullptr, cancel, {});
}

void TestPrometheus::checksFireOnBrokenSeriesOnly_data()
{
    QTest::addColumn<QString>("rule");
    QTest::addColumn<QString>("broken");
    QTest::addColumn<QString>("healthy");
    const QString live = QStringLiteral("127.0.0.1:") + m_plain[QStringLiteral("LG_NODE_EXPORTER_PORT")];
    QTest::newRow("kernel escape range") << "LG-HOST-KERNEL-DIRTYPIPE"
                                         << "worker-legacy"
                                         << "";
    QTest::newRow("os out of support") << "LG-PROM-OS-EOL"
                                       << "10.0.0.12:9100" << live;
    QTest::newRow("target down") << "LG-PROM-TARGET-DOWN"
                                 << "node/10.0.0.12:9100" << QString(u"node/" + live);
    QTest::newRow("node without exporter") << "LG-PROM-NODE-UNMONITORED"
                                           << "worker-current"
                                           << "worker-legacy";
    QTest::newRow("filesystem full") << "LG-PROM-FILESYSTEM-FULL"
                                     << "10.0.0.12:9100//" << QString(live + u"//");
    QTest::newRow("clock") << "LG-PROM-CLOCK-UNSYNCED"
                           << "10.0.0.12:9100" << live;
    QTest::newRow("oom kills") << "LG-PROM-OOM-KILLS"
                               << "10.0.0.12:9100"
                               << "";
    QTest::newRow("systemd unit failed") << "LG-PROM-SYSTEMD-FAILED"
                                         << "10.0.0.12:9100/containerd.service"
                                         << "10.0.0.12:9100/kubelet.service";
    QTest::newRow("restarts") << "LG-PROM-RESTARTS"
                              << "web-0/nginx"
                              << "api-0/api";
    QTest::newRow("oom killed") << "LG-PROM-OOMKILLED"
                                << "worker-0/worker"
                                << "api-0/api";
    QTest::newRow("crash loop") << "LG-PROM-CRASHLOOP"
                                << "web-0/nginx"
                                << "";
    // Falco's own metrics (per node: the Falco instance) and falco-exporter's (per pod), each on its own.
    QTest::newRow("falco native notice") << "LG-FALCO-NOTICE"
                                         << "10.0.0.12:8765/Terminal shell in container"
                                         << "";
    QTest::newRow("falco native error") << "LG-FALCO-ERROR"
                                        << "10.0.0.12:8765/Write below etc"
                                        << "";
    QTest::newRow("falco native flat counter") << "LG-FALCO-WARNING"
                                               << ""
                                               << "10.0.0.12:8765/Read sensitive file untrusted";
    QTest::newRow("falco-exporter critical") << "LG-FALCO-CRITICAL"
                                             << "cart-0/Drop and execute new binary in container"
                                             << "";
}

void TestPrometheus::checksFireOnBrokenSeriesOnly()
{
    QFETCH(QString, rule);
    QFETCH(QString, broken);
    QFETCH(QString, healthy);
    if (!broken.isEmpty())
        QVERIFY2(fired(m_outcome, rule.toStdString(), broken.toStdString()), qPrintable(rule + u' ' + broken));
    if (!healthy.isEmpty()) {
        QVERIFY2(!fired(m_outcome, rule.toStdString(), healthy.toStdString()), qPrintable(rule + u' ' + healthy));
        // and it was judged, not skipped: the healthy series is in the inventory
        bool seen = false;
        for (const auto& r : m_outcome.record.resources)
            seen = seen || r.name == healthy.toStdString();
        QVERIFY2(seen, qPrintable(healthy));
    }
    const auto it = m_outcome.record.outcomes.find(rule.toStdString());
    QVERIFY(it != m_outcome.record.outcomes.end() && it->second.evaluated > 0);
}

void TestPrometheus::findingsCiteQueryAndSample()
{
    for (const auto& f : m_outcome.record.findings) {
        if (f.rule != "LG-PROM-RESTARTS")
            continue;
        QVERIFY2(f.message.find("increase(kube_pod_container_status_restarts_total[1h])") != std::string::npos,
            f.message.c_str());
        QVERIFY(!f.evidence.empty());
        LG_COMPARE(f.evidence[0].path, std::string("value"));
        QVERIFY(f.evidence[0].value.get<double>() > 5);
        return;
    }
    QFAIL("no restart finding");
}

void TestPrometheus::liveNodeKernelIsInTheInventory()
{
    PrometheusEndpoint ep;
    ep.url = m_plain[QStringLiteral("LG_PROM_URL")].toStdString();
    PrometheusConnector c(ep, "prom", "1h", loadPromChecks());
    CancelToken cancel { false };
    std::string release;
    c.collect(
        [&](const Resource& r) {
            if (r.kind == "PromNode" && text(member(r.data, "labels"), "nodename") != "worker-legacy")
                release = text(member(r.data, "kernel"), "release");
        },
        cancel, {});
    LG_COMPARE(release, QSysInfo::kernelVersion().toStdString());
}

void TestPrometheus::noDataIsNeverAPass()
{
    auto checks = loadPromChecks();
    checks.push_back(PromCheck::fromJson({ { "id", "absent-metric" }, { "query", "layerguard_no_such_metric" },
        { "kind", "PromThing" }, { "requires", "an exporter nobody runs" } }));
    PrometheusEndpoint ep;
    ep.url = m_plain[QStringLiteral("LG_PROM_URL")].toStdString();
    const auto o = scan(ep, checks);
    QVERIFY(!o.anySourceFailed());
    bool noData = false;
    for (const auto& f : o.record.findings)
        if (f.rule == "LG-PROM-NO-DATA" && f.subject.name == "absent-metric") {
            noData = true;
            QVERIFY2(f.message.find("an exporter nobody runs") != std::string::npos, f.message.c_str());
        }
    QVERIFY(noData);
    // a check with data is not "no data"
    QVERIFY(!fired(o, "LG-PROM-NO-DATA", "container-restarts"));
}

void TestPrometheus::noDataAtAllLeavesTheLayerUnobserved()
{
    // Every built-in check replaced (same ids, --prom-checks) by a query the real server answers with no sample:
    // the host layer was not observed, so it has no score, and a --fail-on gate does not pass.
    const QString dir = m_tmp.filePath(QStringLiteral("no-data-checks"));
    QDir().mkpath(dir);
    std::vector<PromCheck> checks;
    for (const auto& builtin : loadPromChecks()) {
        nlohmann::json j { { "id", builtin.id }, { "query", "layerguard_absent_" + std::to_string(checks.size()) },
            { "kind", builtin.kind }, { "layer", std::string(toString(builtin.layer)) },
            { "requires", "a series this Prometheus does not have" } };
        checks.push_back(PromCheck::fromJson(j));
        QFile f(dir + u'/' + QString::fromStdString(builtin.id) + QStringLiteral(".json"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray::fromStdString(j.dump()));
    }
    QVERIFY(checks.size() >= 12);
    PrometheusEndpoint ep;
    ep.url = m_plain[QStringLiteral("LG_PROM_URL")].toStdString();
    const auto o = scan(ep, checks);
    QVERIFY(!o.anySourceFailed());
    const auto& host = o.record.tallies.at(Layer::Host);
    LG_COMPARE(host.evaluated, 0);
    QVERIFY(!layerScore(host));
    LG_COMPARE(o.unobservedLayers(), (std::vector<Layer> { Layer::Host, Layer::Runtime }));
    int noData = 0;
    for (const auto& f : o.record.findings)
        noData += f.rule == "LG-PROM-NO-DATA";
    LG_COMPARE(noData, int(checks.size()));

    QProcess cli;
    cli.start(QStringLiteral(LG_BINARY),
        { QStringLiteral("scan"), QStringLiteral("--prometheus"), m_plain[QStringLiteral("LG_PROM_URL")],
            QStringLiteral("--prom-checks"), dir, QStringLiteral("--db"),
            m_tmp.filePath(QStringLiteral("nodata.sqlite")), QStringLiteral("--fail-on"), QStringLiteral("low") });
    QVERIFY(cli.waitForFinished(60'000));
    const QByteArray out = cli.readAllStandardOutput() + cli.readAllStandardError();
    LG_COMPARE(cli.exitCode(), 3);
    QVERIFY2(out.contains("host: not observed"), out.constData());
    QVERIFY2(out.contains("not observed (no check had data)"), out.constData());
    QVERIFY2(!out.contains("posture 100"), out.constData());
}

void TestPrometheus::queryErrorIsReported()
{
    std::vector<PromCheck> checks { PromCheck::fromJson(
        { { "id", "typo" }, { "query", "sum(rate(up[5m]) by" }, { "kind", "PromThing" } }) };
    PrometheusEndpoint ep;
    ep.url = m_plain[QStringLiteral("LG_PROM_URL")].toStdString();
    const auto o = scan(ep, checks);
    QVERIFY2(!o.anySourceFailed(), "one bad query does not fail the source");
    bool seen = false;
    for (const auto& f : o.record.findings)
        if (f.rule == "LG-PROM-QUERY-FAILED" && f.subject.name == "typo") {
            seen = true;
            QVERIFY2(f.message.find("bad_data") != std::string::npos, f.message.c_str());
        }
    QVERIFY(seen);
    QVERIFY(!fired(o, "LG-PROM-NO-DATA", "typo")); // an error is not reported as missing data
}

void TestPrometheus::rangeAndLongQueries()
{
    PrometheusEndpoint ep;
    ep.url = m_plain[QStringLiteral("LG_PROM_URL")].toStdString();
    PrometheusClient client(ep, "prom", nullptr);
    const std::int64_t end = m_plain[QStringLiteral("LG_PROM_BACKFILL_END")].toLongLong();
    const auto r = client.queryRange("kube_pod_container_status_restarts_total{pod=\"web-0\"}", end - 600, end, 60);
    LG_COMPARE(r.resultType, std::string("matrix"));
    QCOMPARE(r.samples.size(), std::size_t(1));
    const auto& values = r.samples[0]["values"];
    QCOMPARE(values.size(), std::size_t(11));
    QVERIFY(values.back()[1].get<double>() > values.front()[1].get<double>());
    // a query longer than a URL should carry goes in a POST body
    std::string longQuery = "up";
    while (longQuery.size() < 4000)
        longQuery += " or up";
    const auto big = client.query(longQuery);
    QVERIFY(big.samples.size() >= 2);
}

void TestPrometheus::dockerdIsScraped()
{
    const auto docker = readEnv(qEnvironmentVariable("LG_DOCKER_ENV"));
    QVERIFY2(docker.count(QStringLiteral("LG_DOCKER_METRICS")), "the dockerd fixture exports its metrics address");
    PrometheusEndpoint ep;
    ep.url = m_plain[QStringLiteral("LG_PROM_URL")].toStdString();
    PrometheusClient client(ep, "prom", nullptr);
    const auto up = client.query("up{job=\"docker\"}");
    QCOMPARE(up.samples.size(), std::size_t(1));
    QCOMPARE(up.samples[0]["value"].get<double>(), 1.0);
    QVERIFY(!client.query("engine_daemon_engine_info").samples.empty());
}

void TestPrometheus::savedTargetKeepsNoSecret()
{
    // The target keeps URL, CA path and user name; the password comes from the environment at scan time.
    const QString db = m_tmp.filePath(QStringLiteral("targets.sqlite"));
    const QString password = m_tls[QStringLiteral("LG_PROM_PASSWORD")];
    auto run = [&](const QStringList& args, bool withPassword) {
        QProcess p;
        auto env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("LAYERGUARD_DB"));
        if (withPassword)
            env.insert(QStringLiteral("LAYERGUARD_PROM_PASSWORD"), password);
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(LG_BINARY), args + QStringList { QStringLiteral("--db"), db });
        p.waitForFinished(120'000);
        return std::pair { p.exitCode(), p.readAllStandardError() };
    };
    auto [added, addErr] = run(
        { QStringLiteral("target"), QStringLiteral("add"), QStringLiteral("mon"), QStringLiteral("--prometheus"),
            m_tls[QStringLiteral("LG_PROM_URL")], QStringLiteral("--ca-file"), m_tls[QStringLiteral("LG_PROM_CA")],
            QStringLiteral("--prom-user"), m_tls[QStringLiteral("LG_PROM_USER")] },
        true);
    QVERIFY2(added == 0, addErr.constData());
    auto [scanned, scanErr] = run({ QStringLiteral("scan"), QStringLiteral("--target"), QStringLiteral("mon") }, true);
    QVERIFY2(scanned == 0, scanErr.constData());
    auto [denied, deniedErr]
        = run({ QStringLiteral("scan"), QStringLiteral("--target"), QStringLiteral("mon") }, false);
    QCOMPARE(denied, 1); // no password in the environment: refused, and said so
    QVERIFY2(deniedErr.contains("refused the credentials"), deniedErr.constData());
    QFile f(db);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(!f.readAll().contains(password.toUtf8()));
}

void TestPrometheus::tlsAndBasicAuth()
{
    PrometheusEndpoint ep;
    ep.url = m_tls[QStringLiteral("LG_PROM_URL")].toStdString();
    ep.caFile = m_tls[QStringLiteral("LG_PROM_CA")].toStdString();
    ep.username = m_tls[QStringLiteral("LG_PROM_USER")].toStdString();
    ep.password = m_tls[QStringLiteral("LG_PROM_PASSWORD")].toStdString();
    QVERIFY(ep.url.starts_with("https://"));
    const auto ok = scan(ep);
    QVERIFY2(!ok.anySourceFailed(), ok.sources[0].error.c_str());
    QVERIFY(fired(ok, "LG-PROM-RESTARTS", "web-0/nginx"));

    auto wrong = ep;
    wrong.password = "not-the-password";
    const auto denied = scan(wrong);
    QVERIFY(denied.anySourceFailed());
    QVERIFY2(
        denied.sources[0].error.find("refused the credentials") != std::string::npos, denied.sources[0].error.c_str());
    QVERIFY(denied.sources[0].error.find(ep.password) == std::string::npos);

    // mutual TLS: the test CA's client certificate is accepted, one from another CA fails the handshake
    auto mtls = ep;
    mtls.clientCert = m_tls[QStringLiteral("LG_PROM_CLIENT_CERT")].toStdString();
    mtls.clientKey = m_tls[QStringLiteral("LG_PROM_CLIENT_KEY")].toStdString();
    const auto mutual = scan(mtls);
    QVERIFY2(!mutual.anySourceFailed(), mutual.sources[0].error.c_str());
    auto badClient = ep;
    badClient.clientCert = m_tls[QStringLiteral("LG_PROM_BAD_CLIENT_CERT")].toStdString();
    badClient.clientKey = m_tls[QStringLiteral("LG_PROM_BAD_CLIENT_KEY")].toStdString();
    const auto refusedCert = scan(badClient);
    QVERIFY2(refusedCert.anySourceFailed(), "a client certificate from an unknown CA must be refused");

    auto otherCa = ep;
    otherCa.caFile = m_tls[QStringLiteral("LG_PROM_OTHER_CA")].toStdString();
    const auto untrusted = scan(otherCa);
    QVERIFY(untrusted.anySourceFailed());
    QVERIFY2(untrusted.sources[0].hint.find("--ca-file") != std::string::npos, untrusted.sources[0].hint.c_str());
}

void TestPrometheus::bearerToken()
{
    // Prometheus itself has no bearer auth (the proxies in front of it do): a stand-in that only answers
    // "Authorization: Bearer good-token" proves the header the connector sends.
    QProcess server;
    server.start(QStringLiteral("/usr/bin/python3"),
        { QStringLiteral("-c"),
            QStringLiteral(
                "import http.server, json\nclass H(http.server.BaseHTTPRequestHandler):\n"
                "  def do_GET(self):\n"
                "    ok = self.headers.get('Authorization') == 'Bearer good-token'\n"
                "    body = json.dumps({'status':'success','data':{'resultType':'vector','result':[]}}).encode()"
                " if ok else b'Unauthorized'\n"
                "    self.send_response(200 if ok else 401); self.send_header('Content-Length', str(len(body)));"
                " self.end_headers(); self.wfile.write(body)\n"
                "  def log_message(self,*a): pass\n"
                "s=http.server.HTTPServer(('127.0.0.1',0),H); print(s.server_port, flush=True); "
                "s.serve_forever()\n") });
    QVERIFY(server.waitForReadyRead(10'000));
    PrometheusEndpoint ep;
    ep.url = "http://127.0.0.1:" + server.readLine().trimmed().toStdString();
    ep.bearerToken = "good-token";
    const auto ok = scan(ep);
    ep.bearerToken = "stale-token";
    const auto denied = scan(ep);
    server.kill();
    server.waitForFinished();
    QVERIFY2(!ok.anySourceFailed(), ok.sources[0].error.c_str());
    QVERIFY(fired(ok, "LG-PROM-NO-DATA", "container-restarts")); // an empty Prometheus is "no data", not clean
    QVERIFY(denied.anySourceFailed());
    QVERIFY2(
        denied.sources[0].error.find("refused the credentials") != std::string::npos, denied.sources[0].error.c_str());
}

void TestPrometheus::failures_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("expected");
    QTest::newRow("unreachable") << "unreachable"
                                 << "127.0.0.1:1";
    QTest::newRow("slow past the timeout") << "slow"
                                           << "Timeout";
    QTest::newRow("not prometheus") << "notprom"
                                    << "did not answer a Prometheus API response";
}

void TestPrometheus::failures()
{
    QFETCH(QString, mode);
    QFETCH(QString, expected);
    PrometheusEndpoint ep;
    QProcess server;
    if (mode == QLatin1String("unreachable")) {
        ep.url = "http://127.0.0.1:1";
    } else {
        // a server that accepts and never answers, or answers HTML
        const QString code = mode == QLatin1String("slow")
            ? QStringLiteral("import socket,time\ns=socket.socket(); s.bind(('127.0.0.1',0)); s.listen()\n"
                             "print(s.getsockname()[1], flush=True)\nc=s.accept(); time.sleep(30)\n")
            : QStringLiteral(
                "import http.server\nclass H(http.server.BaseHTTPRequestHandler):\n"
                "  def do_GET(self):\n    self.send_response(200); self.send_header('Content-Type','text/html');"
                " self.end_headers(); self.wfile.write(b'<html>grafana</html>')\n"
                "  def log_message(self,*a): pass\n"
                "s=http.server.HTTPServer(('127.0.0.1',0),H); print(s.server_port, flush=True); s.serve_forever()\n");
        server.start(QStringLiteral("/usr/bin/python3"), { QStringLiteral("-c"), code });
        QVERIFY(server.waitForReadyRead(10'000));
        ep.url = "http://127.0.0.1:" + server.readLine().trimmed().toStdString();
        ep.timeout = std::chrono::seconds(2);
    }
    const auto o = scan(ep);
    server.kill();
    server.waitForFinished();
    QVERIFY(o.anySourceFailed());
    QVERIFY2(
        QString::fromStdString(o.sources[0].error).contains(expected, Qt::CaseInsensitive), o.sources[0].error.c_str());
    QVERIFY(!o.sources[0].hint.empty());
    QVERIFY(o.record.findings.empty());
}

QTEST_GUILESS_MAIN(TestPrometheus)
#include "tst_prometheus.moc"
