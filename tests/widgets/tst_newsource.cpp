// Adding a source touches its folder, its registry entry and its tests, nothing else: this test declares a
// read-only "podman" kind (containers from `podman inspect` output) in this file only, registers it, and
// finds it in the CLI's scan and target help, in saved targets, in the Connections dialog and the Scan menu.
#include "cli/cli.h"
#include "connectors/common/sourcekind.h"
#include "store/store.h"
#include "widgets/connectionsdialog.h"
#include "widgets/mainwindow.h"
#include "widgets/secretstore.h"

#include <QAction>
#include <QFile>
#include <QFileInfo>
#include <QMenu>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

#include <iostream>
#include <sstream>

#include "testsupport.h"

using namespace lg;

namespace {

/** The example connector: each container of a `podman inspect` dump (Docker's inspect shape) as a DockerContainer. */
class PodmanInspectConnector final : public Connector {
public:
    PodmanInspectConnector(std::string file, std::string target)
        : m_file(std::move(file))
        , m_target(target.empty() ? "podman:" + QFileInfo(QString::fromStdString(m_file)).baseName().toStdString()
                                  : std::move(target))
    {
    }
    [[nodiscard]] std::string kind() const override { return "podman"; }
    [[nodiscard]] std::string target() const override { return m_target; }
    [[nodiscard]] std::string location() const override { return m_file; }
    [[nodiscard]] std::vector<Layer> layers() const override { return { Layer::Runtime }; }
    void collect(const ResourceSink& sink, const CancelToken&, const ProgressFn&) override
    {
        QFile f(QString::fromStdString(m_file));
        if (!f.open(QIODevice::ReadOnly))
            throw ConnectorError(m_target, "cannot read " + m_file, "run `podman inspect --all > FILE` first");
        const auto all = nlohmann::json::parse(f.readAll().toStdString(), nullptr, false);
        if (!all.is_array())
            throw ConnectorError(m_target, m_file + " is not podman inspect output", "run `podman inspect --all`");
        for (const auto& c : all) {
            Resource r { Layer::Runtime, m_target, "DockerContainer", {}, c.value("Name", std::string()), m_file, c };
            sink(r);
        }
    }

private:
    std::string m_file;
    std::string m_target;
};

SourceKind podmanSource()
{
    SourceKind k("podman", "Podman containers", "Containers from `podman inspect --all` output.", { Layer::Runtime });
    k.fields = { { .key = "inspect",
        .flag = "podman-inspect",
        .valueName = "FILE",
        .help = "Output of `podman inspect --all`.",
        .label = "Inspect output",
        .placeholder = "podman inspect --all > FILE",
        .input = FieldInput::File,
        .selects = true } };
    k.create = [](const nlohmann::json& c, const SourceContext& ctx) -> std::unique_ptr<Connector> {
        return std::make_unique<PodmanInspectConnector>(c.value("inspect", std::string()), ctx.target);
    };
    return k;
}

/** Runs the CLI in this process; its standard output. */
int cli(const QStringList& args, std::string* out = nullptr)
{
    std::ostringstream captured;
    auto* old = std::cout.rdbuf(captured.rdbuf());
    QStringList all { QStringLiteral("layerguard") };
    all << args;
    const int code = runCli(all);
    std::cout.rdbuf(old);
    if (out)
        *out = captured.str();
    return code;
}

} // namespace

class TestNewSource : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        addSourceKind(podmanSource());
        QVERIFY(m_dir.isValid());
        m_db = m_dir.filePath(QStringLiteral("cache.sqlite"));
        m_inspect = QStringLiteral(LG_TEST_DATA "/podman/inspect.json");
    }

    void cliHelpOffersIt()
    {
        std::string help;
        QCOMPARE(cli({ QStringLiteral("scan"), QStringLiteral("--help") }, &help), 0);
        QVERIFY2(help.find("--podman-inspect <FILE>") != std::string::npos, help.c_str());
        QCOMPARE(cli({ QStringLiteral("target"), QStringLiteral("--help") }, &help), 0);
        QVERIFY2(help.find("--podman-inspect") != std::string::npos, help.c_str());
    }

    void scansFromTheCommandLine()
    {
        // The example finds what Docker's runtime rules find in Docker's own inspect output.
        QCOMPARE(cli({ QStringLiteral("scan"), QStringLiteral("--podman-inspect"), m_inspect, QStringLiteral("--db"),
                     m_db, QStringLiteral("--quiet") }),
            0);
        Store store(m_db.toStdString());
        const auto id = store.latestScanId();
        QVERIFY(id);
        std::set<std::string> rules;
        for (const auto& f : store.findings(*id))
            if (f.subject.name == "billing-worker")
                rules.insert(f.rule);
        QVERIFY(rules.count("LG-DOCKER-PRIVILEGED") == 1);
        QVERIFY(rules.count("LG-DOCKER-CAP-ADD") == 1);
    }

    void isSavedAsATarget()
    {
        QCOMPARE(cli({ QStringLiteral("target"), QStringLiteral("add"), QStringLiteral("pods"),
                     QStringLiteral("--podman-inspect"), m_inspect, QStringLiteral("--db"), m_db }),
            0);
        std::string list;
        QCOMPARE(cli({ QStringLiteral("target"), QStringLiteral("list"), QStringLiteral("--format"),
                         QStringLiteral("json"), QStringLiteral("--db"), m_db },
                     &list),
            0);
        const auto targets = nlohmann::json::parse(list);
        QCOMPARE(targets.size(), std::size_t(1));
        LG_COMPARE(targets[0].value("kind", std::string()), std::string("podman"));
        LG_COMPARE(targets[0]["config"].value("inspect", std::string()), m_inspect.toStdString());
        QCOMPARE(cli({ QStringLiteral("scan"), QStringLiteral("--target"), QStringLiteral("pods"),
                     QStringLiteral("--db"), m_db, QStringLiteral("--quiet") }),
            0);
        Store store(m_db.toStdString());
        LG_COMPARE(store.scan(*store.latestScanId())->sources.at(0).target, std::string("pods"));
    }

    void connectionsDialogAndScanMenuOfferIt()
    {
        Store store(m_db.toStdString());
        SecretStore secrets;
        ConnectionsDialog dlg(&store, &secrets);
        dlg.startNew(QStringLiteral("podman"));
        QVERIFY(dlg.setField(QStringLiteral("kind"), QStringLiteral("podman")));
        QVERIFY(dlg.setField(QStringLiteral("name"), QStringLiteral("pods-2")));
        QVERIFY(dlg.setField(QStringLiteral("podman.inspect"), m_inspect));
        dlg.save();
        QVERIFY(dlg.waitUntilIdle(5000));
        const auto saved = store.target("pods-2");
        QVERIFY2(saved, qPrintable(dlg.status()));
        LG_COMPARE(saved->kind, std::string("podman"));

        MainWindow window(std::make_unique<Store>(m_db.toStdString()));
        QStringList entries;
        for (auto* button : window.findChildren<QToolButton*>())
            if (button->menu())
                for (auto* a : button->menu()->actions())
                    entries << a->text();
        QVERIFY2(entries.contains(QStringLiteral("Podman containers…")), qPrintable(entries.join(u'|')));
    }

private:
    QTemporaryDir m_dir;
    QString m_db;
    QString m_inspect;
};

QTEST_MAIN(TestNewSource)
#include "tst_newsource.moc"
