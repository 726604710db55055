// The dashboard rendered offscreen: the window's pages, what they show and what it remembers; the helpers the
// other files of this test share (tst_dashboard.h). Screenshots go to <build>/screenshots/ for a person to look at.
#include "tst_dashboard.h"

#include "connectors/host/hostconnector.h"
#include "connectors/manifests/manifestsconnector.h"
#include "scan/scanner.h"
#include "store/store.h"
#include "widgets/findingsmodel.h"
#include "widgets/findingspage.h"
#include "widgets/mainwindow.h"
#include "widgets/overviewpage.h"
#include "widgets/scanspage.h"

#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QSettings>
#include <QStackedWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTreeWidget>

#include <set>

using namespace lg;

std::optional<std::int64_t> scanDemoManifests(
    const std::string& path, const std::string& target, std::int64_t at, std::vector<std::string> disabled)
{
    static const RuleCatalog catalog = RuleCatalog::builtin();
    Store store(path);
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<ManifestsConnector>(":/demo/manifests", target));
    ScanSettings settings;
    if (at)
        settings.clock = [at] { return at; };
    settings.policy.disabled = std::move(disabled);
    Scanner scanner(catalog, settings);
    CancelToken cancel { false };
    return scanner.run(sources, &store, cancel, {}).scanId;
}

void TestDashboard::initTestCase()
{
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_config.path());
}

void TestDashboard::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_path = m_dir->filePath(QStringLiteral("cache.sqlite")).toStdString();
}

void TestDashboard::seed(int scans)
{
    static const RuleCatalog catalog = RuleCatalog::builtin();
    Store store(m_path);
    for (int i = 0; i < scans; ++i) {
        std::vector<std::unique_ptr<Connector>> sources;
        sources.push_back(std::make_unique<ManifestsConnector>(":/demo/manifests", "demo-shop"));
        sources.push_back(std::make_unique<HostConnector>("/", "demo-node", ":/demo/host.json"));
        ScanSettings settings;
        settings.clock = [i] { return std::int64_t(1767225600) + i * 86400; }; // one scan a day
        if (i == scans - 1)
            settings.policy.disabled = { "LG-PSS-HOST-PORTS" }; // something changes in the last scan
        Scanner scanner(catalog, settings);
        CancelToken cancel { false };
        QVERIFY(scanner.run(sources, &store, cancel, {}).scanId);
    }
}

bool showWindow(MainWindow& window)
{
    window.resize(1280, 800);
    window.show();
    return QTest::qWaitForWindowExposed(&window);
}

OverviewPage* showEstateOverview(MainWindow& window)
{
    window.setTarget({});
    window.showPage(QStringLiteral("overview"));
    return window.findChild<OverviewPage*>();
}

void TestDashboard::save(QWidget* w, const QString& name)
{
    QDir().mkpath(QStringLiteral(LG_SCREENSHOTS));
    const QString path = QStringLiteral(LG_SCREENSHOTS "/") + name + QStringLiteral(".png");
    QVERIFY(w->grab().save(path));
}

void TestDashboard::emptyCacheShowsWhatToDo()
{
    MainWindow window(std::make_unique<Store>(m_path));
    QVERIFY(showWindow(window));
    bool found = false;
    for (auto* label : window.findChildren<QLabel*>())
        found = found || (label->isVisible() && label->text().contains(QStringLiteral("No scan yet")));
    QVERIFY(found);
    save(&window, QStringLiteral("01-empty-cache"));
    window.showPage(
        QStringLiteral("layer/orchestrator")); // orchestrator page without a scan: says so, offers no fake "secure"
    save(&window, QStringLiteral("02-empty-layer"));
}

void TestDashboard::overviewAndPagesRender()
{
    seed(4);
    MainWindow window(std::make_unique<Store>(m_path));
    QVERIFY(showWindow(window));
    save(&window, QStringLiteral("10-overview"));
    window.showPage(QStringLiteral("layer/orchestrator"));
    QTest::qWait(50);
    auto* orchestrator = window.findingsPage(4);
    QVERIFY(orchestrator->waitUntilLoaded());
    QVERIFY(orchestrator->model()->rowCount() > 5);
    save(&window, QStringLiteral("11-orchestrator"));
    window.showPage(QStringLiteral("layer/host"));
    save(&window, QStringLiteral("12-host"));
    window.showPage(QStringLiteral("layer/image")); // image: not scanned in the demo
    save(&window, QStringLiteral("13-image-not-scanned"));
    window.showPage(QStringLiteral("history"));
    save(&window, QStringLiteral("14-scans"));
    window.showPage(QStringLiteral("overview"));
    QVERIFY(window.findChild<OverviewPage*>()->waitUntilLoaded());
    save(&window, QStringLiteral("10-overview"));
}

void TestDashboard::historyComparesScans()
{
    seed(4); // the last scan disables a rule: its findings are resolved
    MainWindow window(std::make_unique<Store>(m_path));
    QVERIFY(showWindow(window));
    window.showPage(QStringLiteral("history"));
    auto* history = window.findChild<ScansPage*>();
    QVERIFY(history);
    QVERIFY(history->waitUntilCompared());
    Store store(m_path);
    const auto scans = store.scans();
    const auto expected = store.diff(scans[2].id, scans[3].id); // full lists, computed another way
    QVERIFY(!expected.resolved.empty());
    QTreeWidget* tree = history->diffTree();
    QCOMPARE(tree->topLevelItemCount(), 2);
    QCOMPARE(tree->topLevelItem(0)->childCount(), int(expected.added.size()));
    QCOMPARE(tree->topLevelItem(1)->childCount(), int(expected.resolved.size()));
    QVERIFY(tree->topLevelItem(1)->text(0).contains(QString::number(expected.resolved.size())));
    std::set<QString> resolvedRules;
    for (const auto& f : expected.resolved)
        resolvedRules.insert(QString::fromStdString(f.rule));
    for (int i = 0; i < tree->topLevelItem(1)->childCount(); ++i)
        QVERIFY(resolvedRules.count(tree->topLevelItem(1)->child(i)->text(1)));
    save(&window, QStringLiteral("14-history-compare"));
    // The oldest against the newest: the same counts as the Store's own full diff.
    history->compare(scans[0].id, scans[3].id);
    QVERIFY(history->waitUntilCompared());
    const auto wide = store.diff(scans[0].id, scans[3].id);
    QCOMPARE(history->diffTree()->topLevelItem(1)->childCount(), int(wide.resolved.size()));
    // One target's scans only.
    history->setTargetFilter(QStringLiteral("demo-node"));
    QCOMPARE(history->scansTable()->rowCount(), 4);
    history->setTargetFilter(QStringLiteral("no-such-target"));
    QCOMPARE(history->scansTable()->rowCount(), 4); // unknown: back to all targets
}

// Run by tests/integration/secrets_canary.sh on a cache that saw canary secrets through every connector:
// every page, every finding's detail and every cell and tooltip the windows show is free of them.
void TestDashboard::windowsShowNoSecret()
{
    const QString db = qEnvironmentVariable("LG_CANARY_DB");
    if (db.isEmpty())
        QSKIP("run by tests/integration/secrets_canary.sh (LG_CANARY_DB, LG_CANARIES)");
    const QStringList canaries = qEnvironmentVariable("LG_CANARIES").split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QVERIFY(!canaries.isEmpty());
    if (const QString settings = qEnvironmentVariable("LG_CANARY_SETTINGS"); !settings.isEmpty())
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settings); // searched by the script
    MainWindow window(std::make_unique<Store>(db.toStdString()));
    QVERIFY(showWindow(window));
    int texts = 0;
    auto check = [&](const QString& text, const QString& where) {
        ++texts;
        for (const auto& c : canaries)
            QVERIFY2(!text.contains(c), qPrintable(where + QStringLiteral(" shows a secret: ") + text.left(300)));
    };
    auto sweep = [&](const QString& where) {
        check(window.windowTitle(), where);
        for (auto* w : window.findChildren<QLabel*>())
            check(w->text() + w->toolTip(), where);
        for (auto* w : window.findChildren<QTextBrowser*>())
            check(w->toPlainText(), where);
        for (auto* w : window.findChildren<QLineEdit*>())
            check(w->text(), where);
        for (auto* v : window.findChildren<QAbstractItemView*>()) {
            auto* m = v->model();
            if (!m)
                continue;
            for (int r = 0; r < m->rowCount(); ++r)
                for (int c = 0; c < m->columnCount(); ++c)
                    check(m->index(r, c).data(Qt::DisplayRole).toString()
                            + m->index(r, c).data(Qt::ToolTipRole).toString(),
                        where);
        }
    };
    int details = 0;
    QStringList pages { QStringLiteral("overview") }; // every page, in the sidebar's order
    for (Layer l : kAllLayers)
        pages << MainWindow::layerPageId(l);
    pages << QStringLiteral("findings") << QStringLiteral("history");
    for (int page = 0; page < pages.size(); ++page) {
        QVERIFY(window.showPage(pages[page]));
        QTest::qWait(20);
        if (page >= 1 && page <= 6)
            QVERIFY(window.findingsPage(page - 1)->waitUntilLoaded());
        sweep(QStringLiteral("page %1").arg(page));
        if (page < 1 || page > 6)
            continue;
        FindingsPage* findings = window.findingsPage(page - 1);
        QTableView* table = findings->table();
        for (int r = 0; r < table->model()->rowCount(); ++r) { // each finding's detail and checklist
            table->setCurrentIndex(table->model()->index(r, 0));
            ++details;
            for (auto* w : findings->findChildren<QTextBrowser*>())
                check(w->toPlainText(), QStringLiteral("detail of row %1 on page %2").arg(r).arg(page));
            for (auto* w : findings->findChildren<QAbstractItemView*>())
                if (w != table && w->model())
                    for (int i = 0; i < w->model()->rowCount(); ++i)
                        check(w->model()->index(i, 0).data().toString(), QStringLiteral("checklist"));
        }
    }
    QVERIFY(details > 0);
    window.close(); // writes the window's settings, which the script searches next
    qInfo("checked %d texts and %d finding details for %lld canaries", texts, details, qlonglong(canaries.size()));
}

void TestDashboard::layoutAndSchemeAreRemembered()
{
    seed(1);
    {
        MainWindow window(std::make_unique<Store>(m_path));
        window.resize(1111, 777);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.showPage(QStringLiteral("findings"));
        QVERIFY(window.findingsPage(5)->waitUntilLoaded());
        window.findingsPage(5)->table()->setColumnWidth(FindingsModel::RuleColumn, 333);
        window.setScheme(theme::Scheme::Dark);
        QVERIFY(theme::isDark());
        window.close(); // saves
    }
    theme::applyScheme(theme::Scheme::System);
    MainWindow again(std::make_unique<Store>(m_path));
    again.show();
    QVERIFY(QTest::qWaitForWindowExposed(&again));
    QCOMPARE(again.size(), QSize(1111, 777));
    QCOMPARE(again.currentPage(), QStringLiteral("findings")); // by its id, not its position
    QCOMPARE(again.findChild<QStackedWidget*>()->currentWidget(), again.findingsPage(5));
    QCOMPARE(again.findingsPage(5)->table()->columnWidth(FindingsModel::RuleColumn), 333);
    QCOMPARE(theme::currentScheme(), theme::Scheme::Dark);
    QVERIFY(theme::isDark());
    QVERIFY(again.findingsPage(5)->waitUntilLoaded());
    again.showPage(QStringLiteral("overview"));
    QVERIFY(again.findChild<OverviewPage*>()->waitUntilLoaded());
    save(&again, QStringLiteral("21-overview-dark"));
    again.showPage(QStringLiteral("layer/registry"));
    again.setScheme(theme::Scheme::System);
    again.close();
    {
        MainWindow third(std::make_unique<Store>(m_path));
        QCOMPARE(third.currentPage(), QStringLiteral("layer/registry"));
        QCOMPARE(third.findChild<QStackedWidget*>()->currentWidget(), third.findingsPage(int(Layer::Registry)));
    }
    // A page a previous version remembered by its position is not taken for whatever sits there now.
    MainWindow::settings().setValue(QStringLiteral("window/page"), 3);
    MainWindow fourth(std::make_unique<Store>(m_path));
    QCOMPARE(fourth.currentPage(), QStringLiteral("overview"));
}

QTEST_MAIN(TestDashboard)
