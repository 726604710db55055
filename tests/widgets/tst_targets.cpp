// Targets in the window: one renamed from the overview keeps its history under the new name, and imported reports
// that cannot tell their target ask once which one they describe.
#include "connectors/manifests/manifestsconnector.h"
#include "droptest.h"
#include "scan/scanner.h"
#include "store/store.h"
#include "widgets/mainwindow.h"
#include "widgets/overviewpage.h"
#include "widgets/scancontroller.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDropEvent>
#include <QInputDialog>
#include <QListWidget>
#include <QMessageBox>
#include <QMimeData>
#include <QPointer>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "testsupport.h"

#include <functional>
#include <set>

using namespace lg;

namespace {

/** Scans the demo lab's manifests as `target` into the cache at `path`. */
std::optional<std::int64_t> scanDemoManifests(const std::string& path, const std::string& target)
{
    static const RuleCatalog catalog = RuleCatalog::builtin();
    Store store(path);
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<ManifestsConnector>(":/demo/manifests", target));
    Scanner scanner(catalog, ScanSettings {});
    CancelToken cancel { false };
    return scanner.run(sources, &store, cancel, {}).scanId;
}

/**
 * Answers the modal dialogs the window opens next, in turn, as a user would: each is handed to its answer once it is
 * up. Counts the dialogs answered.
 */
class DialogAnswers : public QObject {
public:
    explicit DialogAnswers(std::vector<std::function<void(QWidget*)>> answers)
        : m_answers(std::move(answers))
    {
        connect(&m_poll, &QTimer::timeout, this, [this] {
            QWidget* dialog = QApplication::activeModalWidget();
            if (!dialog || dialog == m_last || answered >= int(m_answers.size()))
                return;
            m_last = dialog;
            m_answers[std::size_t(answered++)](dialog);
        });
        m_poll.start(20);
    }
    int answered = 0;

private:
    std::vector<std::function<void(QWidget*)>> m_answers;
    QTimer m_poll;
    QPointer<QWidget> m_last;
};

/** Types `text` into an input dialog and presses OK. */
std::function<void(QWidget*)> typeAndAccept(const QString& text, QStringList* offered = nullptr)
{
    return [text, offered](QWidget* w) {
        auto* dialog = qobject_cast<QInputDialog*>(w);
        QVERIFY(dialog);
        if (offered)
            *offered = dialog->comboBoxItems();
        dialog->setTextValue(text);
        dialog->accept();
    };
}

void drop(MainWindow& window, const QStringList& files)
{
    QStringList paths;
    for (const auto& f : files)
        paths << QStringLiteral(LG_TEST_DATA "/") + f;
    dropFiles(window, paths);
}

/** The targets of the rows of a scan's findings of these rules (prefix). */
std::set<std::string> targetsOf(const std::string& path, const std::string& rulePrefix)
{
    Store store(path);
    std::set<std::string> out;
    for (const auto& scan : store.scans())
        for (const auto& f : store.findings(scan.id))
            if (f.rule.rfind(rulePrefix, 0) == 0)
                out.insert(f.subject.target);
    return out;
}

} // namespace

class TestTargets : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_config.path()); }
    void init();
    void renameFromTheOverview();
    void importsThatCannotTellTheirTargetAskOnce();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::string m_path;
    QTemporaryDir m_config;
};

void TestTargets::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_path = m_dir->filePath(QStringLiteral("cache.sqlite")).toStdString();
}

// Rename… on the overview's targets list: the picked target follows, the list and picker show the new name, the
// findings keep their acceptance; a name another target has is refused with a message and changes nothing.
void TestTargets::renameFromTheOverview()
{
    QVERIFY(scanDemoManifests(m_path, "shop"));
    QVERIFY(scanDemoManifests(m_path, "staging"));
    std::string acceptedRule;
    {
        Store store(m_path);
        FindingFilter open;
        open.target = "shop";
        open.status = FindingStatus::Open;
        const auto shop = store.findings(*store.latestScanOf("shop"), open);
        QVERIFY(!shop.empty());
        acceptedRule = shop.front().rule;
        store.acceptRisk({ shop.front().id, "ops", "known", std::nullopt, 1, "ops", {}, {} });
    }
    MainWindow window(std::make_unique<Store>(m_path));
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.setTarget(QStringLiteral("shop"));
    auto* overview = window.findChild<OverviewPage*>();
    QVERIFY(overview->waitUntilLoaded());
    QListWidget* list = overview->targetsList();
    QCOMPARE(list->count(), 1); // the picked target
    list->setCurrentRow(0);
    QAction* rename = nullptr;
    for (auto* a : list->actions())
        if (a->text() == QStringLiteral("Rename…"))
            rename = a;
    QVERIFY(rename);

    DialogAnswers answers({ typeAndAccept(QStringLiteral("shop-prod")) });
    rename->trigger();
    QCOMPARE(answers.answered, 1);
    QCOMPARE(window.target(), QStringLiteral("shop-prod"));
    QVERIFY(overview->waitUntilLoaded());
    QCOMPARE(list->count(), 1);
    QCOMPARE(list->item(0)->data(Qt::UserRole).toString(), QStringLiteral("shop-prod"));
    auto* picker = window.findChild<QComboBox*>();
    QCOMPARE(picker->currentText(), QStringLiteral("shop-prod"));
    QCOMPARE(picker->findText(QStringLiteral("shop")), -1);
    {
        Store store(m_path);
        LG_COMPARE(store.scannedTargets(), (std::vector<std::string> { "shop-prod", "staging" }));
        FindingFilter accepted;
        accepted.status = FindingStatus::Accepted;
        accepted.target = "shop-prod";
        accepted.asOf = 2;
        const auto kept = store.findings(*store.latestScanOf("shop-prod"), accepted);
        QCOMPARE(kept.size(), std::size_t(1));
        LG_COMPARE(kept.front().rule, acceptedRule);
    }

    // Taken: the window says why, the cache is as it was.
    QString refusal;
    DialogAnswers refused({ typeAndAccept(QStringLiteral("staging")), [&](QWidget* w) {
                               auto* box = qobject_cast<QMessageBox*>(w);
                               QVERIFY(box);
                               refusal = box->text();
                               box->accept();
                           } });
    list->setCurrentRow(0);
    rename->trigger();
    QCOMPARE(refused.answered, 2);
    QVERIFY2(refusal.contains(QStringLiteral("staging already names another target")), qPrintable(refusal));
    LG_COMPARE(Store(m_path).scannedTargets(), (std::vector<std::string> { "shop-prod", "staging" }));
    QCOMPARE(window.target(), QStringLiteral("shop-prod"));
}

// kube-bench's report names no cluster: the window asks once, offering the known targets, and the results join the
// one chosen. Kubescape's names its cluster: no question. Dropped together with a host's report, the question
// offers that host first; cancelled, nothing is imported.
void TestTargets::importsThatCannotTellTheirTargetAskOnce()
{
    QVERIFY(scanDemoManifests(m_path, "shop-cluster"));
    MainWindow window(std::make_unique<Store>(m_path));
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy finished(window.scanController(), &ScanController::finished);

    QStringList offered;
    {
        DialogAnswers answers({ typeAndAccept(QStringLiteral("shop-cluster"), &offered) });
        drop(window,
            { QStringLiteral("importers/kube-bench-master.json"), QStringLiteral("importers/kube-bench-node.json") });
        QVERIFY(finished.wait(30000));
        QCOMPARE(answers.answered, 1); // once for both files
    }
    QVERIFY2(finished.at(0).at(1).toStringList().isEmpty(),
        qPrintable(finished.at(0).at(1).toStringList().join(QLatin1Char(';'))));
    QVERIFY2(offered.contains(QStringLiteral("shop-cluster")), qPrintable(offered.join(QLatin1Char(','))));
    LG_COMPARE(targetsOf(m_path, "KUBE-BENCH-"), (std::set<std::string> { "shop-cluster" }));

    {
        DialogAnswers none({});
        drop(window, { QStringLiteral("importers/kubescape.json") });
        QVERIFY(finished.wait(30000));
        QCOMPARE(none.answered, 0);
    }
    LG_COMPARE(targetsOf(m_path, "KUBESCAPE-"), (std::set<std::string> { "prod-eu-1" }));

    const std::size_t scans = Store(m_path).scans().size();
    {
        DialogAnswers cancelled({ [&](QWidget* w) {
            auto* dialog = qobject_cast<QInputDialog*>(w);
            QVERIFY(dialog);
            offered = dialog->comboBoxItems();
            dialog->reject();
        } });
        drop(window,
            { QStringLiteral("importers/docker-bench.json"), QStringLiteral("hostile/xccdf-hostile-references.xml") });
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.answered, 1, 30000);
    }
    QVERIFY(!offered.isEmpty());
    QCOMPARE(offered.front(), QStringLiteral("host:hostile-refs")); // what the other report names, first
    QTest::qWait(200);
    QCOMPARE(Store(m_path).scans().size(), scans);
    QCOMPARE(finished.size(), 2);
}

QTEST_MAIN(TestTargets)
#include "tst_targets.moc"
