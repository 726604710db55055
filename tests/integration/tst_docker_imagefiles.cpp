// CIS Docker 4.8 against the real dockerd of tests/testbed/dockerd.sh: images exported by the engine
// (`GET /images/{id}/get`) and read as they stream. An imported image with a setuid and a setgid file fails
// LG-DOCKER-IMAGE-SETUID; one built from it whose later layer strips the bit and deletes the other (a real
// overlay2 whiteout) passes, as does the testbed's busybox; without --docker-image-files the rule is not observed.
#include "connectors/docker/dockerconnector.h"
#include "scan/scanner.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <numeric>

#include "integration/dockertestbed.h"
#include "tarbuilder.h"
#include "testsupport.h"

using namespace lg;
using lg::test::Tar;
using nlohmann::json;

class TestDockerImageFiles : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void setuidImageFailsOthersPass();
    void whatTheImagesCarryAndWhatItCosts();
    void withoutTheOptionNotObserved();
    void imageOverTheCapIsNotRead();
    void cancelWhileReading();
    void flagOfScanAndSavedTarget();

private:
    HttpResponse api(const std::string& method, const std::string& path, const std::string& body = {},
        const std::string& type = "application/json");
    ScanOutcome scan(
        DockerImageFilesOption option, std::vector<std::string>* progress = nullptr, CancelToken* cancel = nullptr);
    /** The connector alone: each image's Layerguard.files by image name, and how long collecting took. */
    std::map<std::string, json> collectImages(
        DockerImageFilesOption option, double* seconds, std::vector<Progress>* progress);
    [[nodiscard]] const RuleOutcome& outcomeOf(const ScanOutcome& o) const;

    std::string m_sock;
    std::unique_ptr<HttpClient> m_client;
};

namespace {
const std::string kRule = "LG-DOCKER-IMAGE-SETUID";

const Finding* findingOn(const ScanOutcome& o, const std::string& image)
{
    for (const auto& f : o.record.findings)
        if (f.rule == kRule && f.subject.name == image)
            return &f;
    return nullptr;
}

/** A root filesystem with Debian's static busybox (so a build can RUN), a setuid su and a setgid wall. */
std::string setuidRootfs()
{
    QFile busybox(QStringLiteral("/bin/busybox"));
    if (!busybox.open(QIODevice::ReadOnly))
        qFatal("/bin/busybox is missing (busybox-static)");
    Tar t;
    t.dir("bin/").file("bin/busybox", 0755, busybox.readAll().toStdString()).link("bin/sh", '2', "busybox");
    t.file("bin/su", 04755, "not really su").dir("usr/").dir("usr/bin/").file("usr/bin/wall", 02755, "not wall");
    t.dir("etc/").file("etc/passwd", 0644, "root:x:0:0:root:/:/bin/sh\n").dir("tmp/", 01777);
    return t.end();
}
} // namespace

HttpResponse TestDockerImageFiles::api(
    const std::string& method, const std::string& path, const std::string& body, const std::string& type)
{
    return m_client->request(method, path, body, body.empty() ? std::string() : type);
}

const RuleOutcome& TestDockerImageFiles::outcomeOf(const ScanOutcome& o) const
{
    static const RuleOutcome none;
    const auto it = o.record.outcomes.find(kRule);
    return it == o.record.outcomes.end() ? none : it->second;
}

ScanOutcome TestDockerImageFiles::scan(
    DockerImageFilesOption option, std::vector<std::string>* progress, CancelToken* cancel)
{
    auto connector = std::make_unique<DockerConnector>(resolveDockerEndpoint("unix://" + m_sock), "engine");
    connector->setImageFiles(option);
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::move(connector));
    static const RuleCatalog catalog = RuleCatalog::builtin();
    Scanner scanner(catalog, {});
    CancelToken none { false };
    CancelToken& token = cancel ? *cancel : none;
    return scanner.run(sources, nullptr, token, [&](const Progress& p) {
        if (progress)
            progress->push_back(p.text + " [" + std::to_string(p.done) + "/" + std::to_string(p.total) + "]");
        if (cancel && p.text.find("reading the files") != std::string::npos)
            cancel->store(true);
    });
}

std::map<std::string, json> TestDockerImageFiles::collectImages(
    DockerImageFilesOption option, double* seconds, std::vector<Progress>* progress)
{
    DockerConnector connector(resolveDockerEndpoint("unix://" + m_sock), "engine");
    connector.setImageFiles(option);
    std::map<std::string, json> files;
    CancelToken cancel { false };
    QElapsedTimer timer;
    timer.start();
    connector.collect(
        [&](const Resource& r) {
            if (r.kind == "DockerImage")
                files[r.name] = r.data.contains("Layerguard") ? r.data["Layerguard"].value("files", json()) : json();
        },
        cancel, [&](const Progress& p) { progress->push_back(p); });
    *seconds = double(timer.elapsed()) / 1000.0;
    return files;
}

void TestDockerImageFiles::initTestCase()
{
    m_sock = testbedDockerSocket();
    QVERIFY2(!m_sock.empty(), "tests/testbed/dockerd.sh start did not run (LG_DOCKER_ENV)");
    HttpEndpoint ep = testbedDockerEndpoint(m_sock);
    ep.totalTimeout = std::chrono::seconds(120);
    m_client = std::make_unique<HttpClient>(ep);
    const auto imported
        = api("POST", "/v1.41/images/create?fromSrc=-&repo=lg-setuid&tag=1.0", setuidRootfs(), "application/x-tar");
    QVERIFY2(imported.status == 200, imported.body.c_str());
    // A second layer, built by the engine: chmod a-s replaces su, rm leaves a whiteout for wall.
    const std::string dockerfile = "FROM lg-setuid:1.0\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox chmod "
                                   "a-s /bin/su && /bin/busybox rm /usr/bin/wall\"]\n";
    const auto built = api("POST", "/v1.41/build?t=lg-stripped:1.0&networkmode=none&rm=1&forcerm=1",
        Tar().file("Dockerfile", 0644, dockerfile).end(), "application/x-tar");
    QVERIFY2(built.status == 200 && built.body.find("errorDetail") == std::string::npos, built.body.c_str());
    QCOMPARE(api("GET", "/v1.41/images/lg-stripped:1.0/json").status, 200L);
}

void TestDockerImageFiles::cleanupTestCase()
{
    (void)api("DELETE", "/v1.41/images/lg-stripped:1.0?force=1");
    (void)api("DELETE", "/v1.41/images/lg-setuid:1.0?force=1");
}

void TestDockerImageFiles::setuidImageFailsOthersPass()
{
    const auto o = scan({ .read = true });
    QVERIFY2(!o.anySourceFailed(), o.sources.at(0).error.c_str());
    const Finding* bad = findingOn(o, "lg-setuid:1.0");
    QVERIFY2(bad, "no finding on the image with a setuid file");
    QVERIFY2(bad->message.find("/bin/su") != std::string::npos, bad->message.c_str());
    QVERIFY2(bad->message.find("/usr/bin/wall") != std::string::npos, bad->message.c_str());
    LG_COMPARE(bad->evidence.at(0).value, json({ "/bin/su" }));
    QVERIFY(!findingOn(o, "lg-stripped:1.0")); // the bit stripped and the file deleted in the second layer
    QVERIFY(!findingOn(o, "lg-busybox:1.0"));
    const int images = int(std::count_if(o.record.resources.begin(), o.record.resources.end(),
        [](const Resource& r) { return r.kind == "DockerImage"; }));
    QVERIFY(images >= 3);
    LG_COMPARE(outcomeOf(o).evaluated, images);
    LG_COMPARE(outcomeOf(o).notObserved, 0);
}

void TestDockerImageFiles::whatTheImagesCarryAndWhatItCosts()
{
    double without = 0, with = 0;
    std::vector<Progress> progress;
    (void)collectImages({}, &without, &progress);
    progress.clear();
    const auto files = collectImages({ .read = true }, &with, &progress);
    std::uint64_t bytes = 0;
    for (const auto& [name, f] : files) {
        QVERIFY2(f.is_object() && f.value("read", false), (name + ": " + f.dump()).c_str());
        bytes += f.value("bytes", std::uint64_t(0));
    }
    LG_COMPARE(files.at("lg-setuid:1.0")["setuid"], json({ "/bin/su" }));
    LG_COMPARE(files.at("lg-setuid:1.0")["setgid"], json({ "/usr/bin/wall" }));
    LG_COMPARE(files.at("lg-setuid:1.0")["count"], json(2));
    LG_COMPARE(files.at("lg-stripped:1.0")["layers"], json(2));
    LG_COMPARE(files.at("lg-stripped:1.0")["count"], json(0));
    // progress per image, as done of total, and the whole when done
    std::vector<std::int64_t> done;
    for (const auto& p : progress)
        if (p.text.find("files of") != std::string::npos && p.total == std::int64_t(files.size()))
            done.push_back(p.done);
    std::vector<std::int64_t> expected(files.size() + 1);
    std::iota(expected.begin(), expected.end(), 0);
    QVERIFY(done == expected);
    qInfo("read the files of %zu images (%.1f MiB exported): the engine's scan took %.2f s with them, %.2f s without",
        files.size(), double(bytes) / 1048576.0, with, without);
}

void TestDockerImageFiles::withoutTheOptionNotObserved()
{
    const auto o = scan({});
    QVERIFY2(!o.anySourceFailed(), o.sources.at(0).error.c_str());
    QVERIFY(!findingOn(o, "lg-setuid:1.0"));
    LG_COMPARE(outcomeOf(o).evaluated, 0);
    QVERIFY(outcomeOf(o).notObserved >= 3);
}

void TestDockerImageFiles::imageOverTheCapIsNotRead()
{
    DockerImageFilesOption option { .read = true };
    option.limits.maxBytes = 16 * 1024; // each image's export is larger: none is read, none passes
    std::vector<std::string> progress;
    const auto o = scan(option, &progress);
    QVERIFY2(!o.anySourceFailed(), o.sources.at(0).error.c_str());
    QVERIFY(!findingOn(o, "lg-setuid:1.0"));
    LG_COMPARE(outcomeOf(o).evaluated, 0);
    QVERIFY(outcomeOf(o).notObserved >= 3);
    QVERIFY(std::any_of(progress.begin(), progress.end(),
        [](const std::string& p) { return p.find("were not read: the image is larger than") != std::string::npos; }));
}

void TestDockerImageFiles::cancelWhileReading()
{
    CancelToken cancel { false };
    const auto o = scan({ .read = true }, nullptr, &cancel);
    QVERIFY(o.cancelled);
    QVERIFY(o.record.findings.empty());
}

void TestDockerImageFiles::flagOfScanAndSavedTarget()
{
    // The switch declared once in dockersource.cpp is the CLI's --docker-image-files and a saved target's setting.
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("c.sqlite"));
    const QString url = QString::fromStdString("unix://" + m_sock);
    auto lg = [&](QStringList args) {
        QProcess p;
        p.start(QStringLiteral(LG_BINARY), args << QStringLiteral("--db") << db);
        p.waitForFinished(120000);
        return std::make_pair(p.exitCode(), p.readAllStandardOutput().toStdString());
    };
    QCOMPARE(lg({ QStringLiteral("scan"), QStringLiteral("--docker"), url, QStringLiteral("--docker-image-files"),
                    QStringLiteral("--quiet") })
                 .first,
        0);
    auto findings = lg({ QStringLiteral("findings"), QStringLiteral("--format"), QStringLiteral("json") });
    QCOMPARE(findings.first, 0);
    QVERIFY2(findings.second.find(kRule) != std::string::npos, findings.second.c_str());
    QCOMPARE(lg({ QStringLiteral("target"), QStringLiteral("add"), QStringLiteral("files"), QStringLiteral("--docker"),
                    url, QStringLiteral("--docker-image-files") })
                 .first,
        0);
    QCOMPARE(
        lg({ QStringLiteral("scan"), QStringLiteral("--target"), QStringLiteral("files"), QStringLiteral("--quiet") })
            .first,
        0);
    findings = lg({ QStringLiteral("findings"), QStringLiteral("--format"), QStringLiteral("json"),
        QStringLiteral("--target"), QStringLiteral("files") });
    QVERIFY2(findings.second.find(kRule) != std::string::npos, findings.second.c_str());
}

QTEST_GUILESS_MAIN(TestDockerImageFiles)
#include "tst_docker_imagefiles.moc"
