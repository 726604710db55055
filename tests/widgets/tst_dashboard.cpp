// The dashboard rendered offscreen: pages, models, keyboard, checklist, scans in the background.
// Screenshots go to <build>/screenshots/ for a person to look at.
#include "connectors/host/hostconnector.h"
#include "connectors/manifests/manifestsconnector.h"
#include "scan/scanner.h"
#include "widgets/findingsmodel.h"
#include "widgets/findingspage.h"
#include "widgets/mainwindow.h"
#include "widgets/overviewpage.h"
#include "widgets/reportdialog.h"
#include "widgets/scancontroller.h"
#include "widgets/scanspage.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QCryptographicHash>
#include <QDialogButtonBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QListWidget>
#include <QMimeData>
#include <QPdfDocument>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTimer>
#include <QTreeWidget>
#include <set>

#include "testsupport.h"

using namespace lg;

class TestDashboard : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void emptyCacheShowsWhatToDo();
    void overviewAndPagesRender();
    void findingsModelIsSound();
    void windowedModelOverALargeScan();
    void keyboardAndChecklist();
    void historyComparesScans();
    void acceptRiskThroughTheWindow();
    void scanShowsProgressAndCancels();
    void trendIsDownsampledAndRanged();
    void estateOfTwoTargetsScannedApart();
    void overdueFindingsAndTimeToRemediate();
    void drillDownsAndChangesMadeElsewhere();
    void backgroundScanStoresAndRefreshes();
    void unreachableClusterIsShownWhereItFailed();
    void reportPreviewIsTheSavedPdf();
    void droppedReportsAreImported();
    void importedReferencesStayText();
    void windowsShowNoSecret();
    void layoutAndSchemeAreRemembered();

private:
    void seed(int scans);
    void save(QWidget* w, const QString& name);
    std::unique_ptr<QTemporaryDir> m_dir;
    std::string m_path;
    QTemporaryDir m_config; ///< QSettings of these windows, not the user's
};

namespace {
/** Scans the demo lab's manifests as `target` into the cache at `path` at time `at` (0: now), without `disabled`. */
std::optional<std::int64_t> scanDemoManifests(
    const std::string& path, const std::string& target, std::int64_t at = 0, std::vector<std::string> disabled = {})
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
} // namespace

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

void TestDashboard::save(QWidget* w, const QString& name)
{
    QDir().mkpath(QStringLiteral(LG_SCREENSHOTS));
    const QString path = QStringLiteral(LG_SCREENSHOTS "/") + name + QStringLiteral(".png");
    QVERIFY(w->grab().save(path));
}

void TestDashboard::emptyCacheShowsWhatToDo()
{
    MainWindow window(std::make_unique<Store>(m_path));
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
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
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
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

void TestDashboard::findingsModelIsSound()
{
    seed(1);
    Store store(m_path);
    FindingsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setStore(&store);
    FindingQuery query;
    query.scanId = *store.latestScanId();
    model.setQuery(query);
    QVERIFY(model.waitForQuery());
    const auto all = store.findings(query.scanId);
    LG_COMPARE(model.rowCount(), int(all.size()));
    QVERIFY(model.rowCount() > 10);
    model.sort(FindingsModel::RuleColumn, Qt::DescendingOrder);
    QVERIFY(model.waitForQuery());
    for (int r = 1; r < model.rowCount(); ++r)
        QVERIFY(model.data(model.index(r - 1, FindingsModel::RuleColumn)).toString()
            >= model.data(model.index(r, FindingsModel::RuleColumn)).toString());
    model.sort(FindingsModel::SeverityColumn, Qt::AscendingOrder);
    QVERIFY(model.waitForQuery());
    QCOMPARE(model.data(model.index(0, 0), FindingsModel::SeverityRole).toInt(), int(Severity::Critical));
    const QString csv = model.toCsv({ model.index(0, 0), model.index(1, 0) });
    QCOMPARE(csv.count(QStringLiteral("\r\n")), 3);
    query.filter.search = "no finding says this";
    model.setQuery(query);
    QVERIFY(model.waitForQuery());
    QCOMPARE(model.rowCount(), 0);

    FindingGroupsModel groups;
    QAbstractItemModelTester groupsTester(&groups, QAbstractItemModelTester::FailureReportingMode::QtTest);
    query.filter.search.clear();
    groups.setGroups(FindingGroupBy::Rule, store.findingGroups(query, FindingGroupBy::Rule));
    int total = 0;
    for (int r = 0; r < groups.rowCount(); ++r)
        total += groups.index(r, FindingGroupsModel::CountColumn).data().toInt();
    LG_COMPARE(total, int(all.size()));
}

/** A scan larger than the model's windows: rows, order, filters, chips and groups against a count made here. */
void TestDashboard::windowedModelOverALargeScan()
{
    const int n = 5 * FindingsModel::kWindow + 37;
    ScanRecord rec;
    rec.startedAt = 1767225600;
    rec.finishedAt = rec.startedAt + 5;
    rec.toolVersion = "test";
    std::array<int, 5> bySeverity {};
    int withSeven = 0;
    std::map<std::string, int> byRule;
    for (int i = 0; i < n; ++i) {
        Finding f;
        f.rule = "LG-TEST-" + std::to_string(i % 13);
        f.title = "Test rule " + std::to_string(i % 13);
        f.layer = kAllLayers[std::size_t(i % 5)];
        f.severity = Severity((i * 7) % 5);
        f.subject = { "t", "Pod", "ns-" + std::to_string(i % 17), "pod-" + std::to_string(i), "" };
        f.id = fingerprint(f.rule, f.subject);
        f.message = "message " + std::to_string((i * 7919) % n);
        bySeverity[std::size_t(f.severity)]++;
        withSeven += f.message.starts_with("message 7") ? 1 : 0;
        byRule[f.rule]++;
        rec.tallies[f.layer].scanned = true;
        rec.findings.push_back(std::move(f));
    }
    Store store(m_path);
    const auto scanId = store.writeScan(rec);
    FindingsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setStore(&store);
    FindingQuery query;
    query.scanId = scanId;
    model.setQuery(query);
    QVERIFY(model.waitForQuery());
    QCOMPARE(model.rowCount(), n);
    QCOMPARE(model.severityCounts(), bySeverity);
    // Default order: by severity across window boundaries, every row read exactly once.
    std::set<QString> ids;
    for (int r = 0; r < n; ++r) {
        ids.insert(model.index(r, 0).data(FindingsModel::FindingIdRole).toString());
        if (r > 0)
            QVERIFY(model.index(r - 1, 0).data(FindingsModel::SeverityRole).toInt()
                <= model.index(r, 0).data(FindingsModel::SeverityRole).toInt());
    }
    LG_COMPARE(int(ids.size()), n);
    // Sorted by message (descending), in SQL: the rows come out in that order.
    model.sort(FindingsModel::MessageColumn, Qt::DescendingOrder);
    QVERIFY(model.waitForQuery());
    for (int r = 1; r < n; r += 97)
        QVERIFY(model.index(r - 1, FindingsModel::MessageColumn).data().toString()
            >= model.index(r, FindingsModel::MessageColumn).data().toString());
    // Search, then the chips.
    query.filter.search = "MESSAGE 7"; // case-insensitive; no rule, title or name contains it
    model.setQuery(query);
    QVERIFY(model.waitForQuery());
    QCOMPARE(model.rowCount(), withSeven);
    query.filter.search.clear();
    query.filter.severities = (1U << int(Severity::Critical)) | (1U << int(Severity::Low));
    model.setQuery(query);
    QVERIFY(model.waitForQuery());
    QCOMPARE(model.rowCount(), bySeverity[0] + bySeverity[3]);
    QCOMPARE(model.severityCounts(), bySeverity); // the chips' counts do not depend on the chips
    // One group's findings.
    query.filter.severities = 0x1f;
    query.filter.groupBy = FindingGroupBy::Rule;
    query.filter.groupKey = "LG-TEST-4";
    model.setQuery(query);
    QVERIFY(model.waitForQuery());
    QCOMPARE(model.rowCount(), byRule["LG-TEST-4"]);
    for (int r = 0; r < model.rowCount(); ++r)
        QCOMPARE(model.index(r, FindingsModel::RuleColumn).data().toString(), QStringLiteral("LG-TEST-4"));
    const auto groups = store.findingGroups(query, FindingGroupBy::Rule);
    QCOMPARE(int(groups.size()), 13);
    for (const auto& g : groups)
        QCOMPARE(g.findings, byRule[g.key]);
    // A query started before the previous one finished: only the newest result lands.
    query = {};
    query.scanId = scanId;
    query.sort = FindingSort::Message;
    model.setQuery(query);
    query.filter.search = "message 1";
    model.setQuery(query);
    QVERIFY(model.waitForQuery());
    for (int r = 0; r < model.rowCount(); ++r)
        QVERIFY(model.index(r, FindingsModel::MessageColumn).data().toString().contains(QStringLiteral("message 1")));
}

void TestDashboard::keyboardAndChecklist()
{
    seed(1);
    MainWindow window(std::make_unique<Store>(m_path));
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTest::keyClick(&window, Qt::Key_6, Qt::AltModifier); // Alt+1 overview, Alt+2..6 the layers
    auto* stack = window.findChild<QStackedWidget*>();
    QCOMPARE(stack->currentIndex(), 5);
    auto* page = window.findingsPage(4);
    QVERIFY(page->waitUntilLoaded());
    QTableView* table = page->table();
    table->setFocus();
    QTest::keyClick(table, Qt::Key_Down);
    const int row = table->currentIndex().row();
    QCOMPARE(row, 1);
    const std::string fid = page->model()->findingAt(row)->id;
    auto* checklist = page->findChild<QListWidget*>();
    QVERIFY(checklist->count() >= 1);
    checklist->item(0)->setCheckState(Qt::Checked);
    Store check(m_path);
    QCOMPARE(check.checklist(fid).size(), std::size_t(1));
    save(&window, QStringLiteral("15-finding-detail"));
}

void TestDashboard::historyComparesScans()
{
    seed(4); // the last scan disables a rule: its findings are resolved
    MainWindow window(std::make_unique<Store>(m_path));
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
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

void TestDashboard::trendIsDownsampledAndRanged()
{
    // Three scans a day for two years: more points than the chart has pixels.
    {
        Store store(m_path);
        for (int i = 0; i < 3 * 730; ++i) {
            ScanRecord rec;
            rec.startedAt = 1700000000 + std::int64_t(i) * 28800;
            rec.finishedAt = rec.startedAt + 60;
            rec.toolVersion = "test";
            auto& t = rec.tallies[Layer::Host];
            t.scanned = true;
            t.evaluated = 10;
            t.evaluatedWeight = 100;
            t.failedWeight = i % 97 == 0 ? 90 : 10; // rare dips must survive downsampling
            rec.sources = { { "lab", "host", "/", true, {}, {} } };
            rec.targetTallies["lab"] = rec.tallies;
            store.writeScan(rec);
        }
    }
    OverviewPage overview;
    overview.resize(1000, 700);
    overview.show();
    QVERIFY(QTest::qWaitForWindowExposed(&overview));
    Store store(m_path);
    overview.refresh(store);
    QVERIFY(overview.waitUntilLoaded());
    const int all = overview.trendPoints();
    QVERIFY2(all > 0 && all <= 2 * std::max(50, overview.trendView()->width() / 4), qPrintable(QString::number(all)));
    QVERIFY(all < 3 * 730);
    // The dips (score 10) are still drawn.
    auto* series = qobject_cast<QLineSeries*>(overview.trendView()->chart()->series().value(0));
    QVERIFY(series);
    double lowest = 100;
    for (const auto& p : series->points())
        lowest = std::min(lowest, p.y());
    QCOMPARE(lowest, 10.0);
    overview.setTrendRange(7);
    QCOMPARE(overview.trendPoints(), 22); // 7 days of three a day, and the scan at the start of the range
    save(&overview, QStringLiteral("17-trend-two-years"));
}

// Two targets scanned minutes apart: the overview shows both, and every tile's numbers equal the open findings of
// each target's latest scan counted here from the findings themselves; picking one target narrows every page.
void TestDashboard::estateOfTwoTargetsScannedApart()
{
    QVERIFY(scanDemoManifests(m_path, "shop-cluster", 1767225600));
    QVERIFY(scanDemoManifests(m_path, "staging-cluster", 1767225600 + 300, { "LG-PSS-HOST-PORTS" })); // 5 min later
    MainWindow window(std::make_unique<Store>(m_path));
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.setTarget({});
    window.showPage(QStringLiteral("overview"));
    auto* overview = window.findChild<OverviewPage*>();
    QVERIFY(overview);
    QVERIFY(overview->waitUntilLoaded());
    QCOMPARE(overview->targetsList()->count(), 2);
    // independently: the open findings of each target's latest scan, as of now
    Store store(m_path);
    std::map<Layer, std::array<int, 5>> open;
    for (const char* target : { "shop-cluster", "staging-cluster" }) {
        const auto scan = store.latestScanOf(target);
        QVERIFY(scan);
        FindingFilter f;
        f.target = target;
        f.status = FindingStatus::Open;
        f.asOf = QDateTime::currentSecsSinceEpoch();
        for (const auto& finding : store.findings(*scan, f))
            if (finding.scored)
                ++open[finding.layer][std::size_t(finding.severity)];
    }
    for (Layer l : kAllLayers) {
        const auto tally = overview->tileTally(l);
        if (!tally) {
            QVERIFY2(!open.count(l), std::string(toString(l)).c_str());
            continue;
        }
        for (std::size_t s = 0; s < 5; ++s)
            QVERIFY2(tally->openBySeverity[s] == open[l][s], std::string(toString(l)).c_str());
    }
    save(&window, QStringLiteral("26-estate-two-targets"));
    // The all-findings page shows both targets; picking one narrows it (and the overview) to that target.
    window.showPage(QStringLiteral("findings"));
    FindingsPage* all = window.findingsPage(5);
    QVERIFY(all->waitUntilLoaded());
    std::set<QString> targets;
    for (int r = 0; r < all->table()->model()->rowCount(); ++r)
        targets.insert(all->table()->model()->index(r, FindingsModel::TargetColumn).data().toString());
    QCOMPARE(targets.size(), std::size_t(2));
    window.setTarget(QStringLiteral("staging-cluster"));
    QVERIFY(all->waitUntilLoaded());
    for (int r = 0; r < all->table()->model()->rowCount(); ++r)
        QCOMPARE(all->table()->model()->index(r, FindingsModel::TargetColumn).data().toString(),
            QStringLiteral("staging-cluster"));
    QVERIFY(all->table()->model()->rowCount() > 0);
    window.showPage(QStringLiteral("overview"));
    QVERIFY(overview->waitUntilLoaded());
    QCOMPARE(overview->targetsList()->count(), 1);
    window.setTarget({});
}

// The demo cluster scanned 40 days ago and again 10 days ago with one rule fixed: the overview's overdue figure
// and time to remediate are worked out again here from the stored findings; the figure opens the overdue list.
void TestDashboard::overdueFindingsAndTimeToRemediate()
{
    const std::int64_t now = QDateTime::currentSecsSinceEpoch();
    const std::int64_t first = now - 40 * 86400, second = now - 10 * 86400;
    QVERIFY(scanDemoManifests(m_path, "shop-cluster", first));
    QVERIFY(scanDemoManifests(m_path, "shop-cluster", second, { "LG-PSS-PRIVILEGED", "LG-PSS-HOST-PORTS" })); // fixed
    Store store(m_path);
    const auto scans = store.scans();
    QCOMPARE(scans.size(), std::size_t(2));
    FindingFilter all;
    all.asOf = now;
    std::map<std::string, Finding> before, after;
    for (const auto& f : store.findings(scans[0].id, all))
        before[f.id] = f;
    int overdue = 0;
    for (const auto& f : store.findings(scans[1].id, all)) {
        after[f.id] = f;
        const int days = kDefaultSlaDays[std::size_t(f.severity)];
        overdue += f.status == FindingStatus::Open && days > 0 && now - first > days * 86400;
    }
    std::array<int, 5> fixed {};
    for (const auto& [id, f] : before)
        fixed[std::size_t(f.severity)] += !after.count(id);
    QVERIFY(overdue > 0);
    QVERIFY(fixed[std::size_t(Severity::Critical)] > 0);

    MainWindow window(std::make_unique<Store>(m_path));
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.setTarget({});
    window.showPage(QStringLiteral("overview"));
    auto* overview = window.findChild<OverviewPage*>();
    QVERIFY(overview->waitUntilLoaded());
    const QString text = overview->lifecycleLabel()->text();
    QVERIFY2(text.contains(QStringLiteral(">%1 overdue</a>").arg(overdue)), qPrintable(text));
    // every fixed finding was open for the 30 days between the scans
    QVERIFY2(text.contains(QStringLiteral("critical 30.0 days (%1 fixed)").arg(fixed[std::size_t(Severity::Critical)])),
        qPrintable(text));
    save(&window, QStringLiteral("27-overdue-and-time-to-remediate"));

    Q_EMIT overview->lifecycleLabel()->linkActivated(QStringLiteral("overdue"));
    FindingsPage* list = window.findingsPage(5);
    QVERIFY(list->isVisible());
    QVERIFY(list->waitUntilLoaded());
    const auto* model = list->table()->model();
    QCOMPARE(model->rowCount(), overdue);
    for (int r = 0; r < model->rowCount(); ++r) {
        QCOMPARE(model->index(r, FindingsModel::AgeColumn).data().toString(), QStringLiteral("40 days, overdue"));
        QVERIFY(model->index(r, 0).data(FindingsModel::OverdueRole).toBool());
    }
    save(&window, QStringLiteral("28-overdue-findings"));
    // English plural forms wherever a count is shown: "10 findings", "1 target", never "(s)"
    bool countShown = false;
    for (const auto* label : window.findChildren<QLabel*>()) {
        QVERIFY2(!label->text().contains(QLatin1String("(s)")), qPrintable(label->text()));
        countShown = countShown || label->text() == QStringLiteral("%1 findings").arg(overdue);
    }
    QVERIFY(countShown);
    window.showPage(QStringLiteral("overview"));
    bool oneTarget = false;
    for (const auto* label : overview->findChildren<QLabel*>())
        oneTarget = oneTarget || label->text().contains(QLatin1String("\n1 target, latest scan"));
    QVERIFY(oneTarget);
    list->setOverdueOnly(false);
}

// A top risk and a new finding open in All findings, selected; a scan written by another process (the CLI)
// shows up without a restart, F5 or not.
void TestDashboard::drillDownsAndChangesMadeElsewhere()
{
    seed(2); // the second scan leaves out LG-PSS-HOST-PORTS ...
    QVERIFY(scanDemoManifests(m_path, "demo-shop")); // ... which come back as new findings
    MainWindow window(std::make_unique<Store>(m_path));
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.setTarget({});
    window.showPage(QStringLiteral("overview"));
    auto* overview = window.findChild<OverviewPage*>();
    QVERIFY(overview->waitUntilLoaded());
    FindingsPage* all = window.findingsPage(5);
    all->setSeverityShown(Severity::Low, false); // a filter that would hide low findings is cleared by the drill-down
    for (QListWidget* list : { overview->topRisks(), overview->changes() }) {
        QListWidgetItem* item = nullptr;
        for (int i = 0; i < list->count() && !item; ++i)
            if (!list->item(i)->data(Qt::UserRole).toString().isEmpty())
                item = list->item(i);
        QVERIFY2(item, "no finding in the list");
        const QString id = item->data(Qt::UserRole).toString();
        window.showPage(QStringLiteral("overview"));
        Q_EMIT list->itemActivated(item);
        QVERIFY(all->isVisible());
        QVERIFY(all->waitUntilLoaded());
        QTRY_COMPARE(all->table()->currentIndex().data(FindingsModel::FindingIdRole).toString(), id);
    }
    // another process writes a scan of a new target: the window shows it within the watch interval
    QCOMPARE(overview->targetsList()->count(), 2);
    QVERIFY(scanDemoManifests(m_path, "staging")); // its own connection, as the CLI's would be
    window.showPage(QStringLiteral("overview"));
    QTRY_COMPARE_WITH_TIMEOUT(overview->targetsList()->count(), 3, 5000);
}

void TestDashboard::acceptRiskThroughTheWindow()
{
    seed(1);
    MainWindow window(std::make_unique<Store>(m_path));
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.showPage(QStringLiteral("layer/orchestrator"));
    auto* page = window.findingsPage(4);
    QVERIFY(page->waitUntilLoaded());
    page->table()->selectRow(0);
    const std::string fid = page->model()->findingAt(0)->id;
    QPushButton* accept = nullptr;
    for (auto* b : page->findChildren<QPushButton*>())
        if (b->text().startsWith(QStringLiteral("Accept risk")))
            accept = b;
    QVERIFY(accept && accept->isEnabled());
    // The dialog is modal: fill it in and press OK as a user would, once it is up.
    bool filled = false;
    QTimer::singleShot(0, this, [&] {
        QWidget* dlg = QApplication::activeModalWidget();
        QVERIFY(dlg);
        const auto edits = dlg->findChildren<QLineEdit*>();
        QVERIFY(edits.size() >= 2);
        edits[0]->setText(QStringLiteral("alice"));
        edits[1]->setText(QStringLiteral("Legacy exporter is replaced next sprint"));
        dlg->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
        filled = true;
    });
    accept->click();
    QVERIFY(filled);
    QVERIFY(page->waitUntilLoaded());
    Store store(m_path);
    const auto risks = store.acceptedRisks();
    QCOMPARE(risks.size(), std::size_t(1));
    LG_COMPARE(risks[0].fid, fid);
    LG_COMPARE(risks[0].owner, std::string("alice"));
    QVERIFY(risks[0].expiresAt.has_value());
    const auto rowId = store.findingRowId(*store.latestScanId(), fid);
    QVERIFY(rowId);
    const int row = page->model()->rowOfRowId(*rowId);
    QVERIFY(row >= 0);
    QCOMPARE(page->model()->index(row, FindingsModel::StatusColumn).data().toString(), QStringLiteral("Accepted"));
    // The posture now counts it accepted; the stored scan keeps the score it was written with.
    const auto orchestrator = [](const std::vector<LayerScore>& layers) {
        const auto it = std::find_if(
            layers.begin(), layers.end(), [](const LayerScore& l) { return l.layer == Layer::Orchestrator; });
        return it == layers.end() ? LayerTally {} : it->tally;
    };
    const std::int64_t now = QDateTime::currentSecsSinceEpoch();
    QVERIFY(orchestrator(store.layerScoresAt(*store.latestScanId(), now + 1)).acceptedWeight > 0);
    QCOMPARE(orchestrator(store.scan(*store.latestScanId())->layers).acceptedWeight, 0L);
    save(&window, QStringLiteral("22-risk-accepted"));

    // An acceptance that expired since: the finding is open again, and says why.
    AcceptedRisk expired;
    expired.fid = fid;
    expired.owner = "alice";
    expired.reason = "short-lived";
    expired.createdAt = now - 2 * 86400;
    expired.expiresAt = now - 86400;
    expired.acceptedBy = "alice";
    store.acceptRisk(expired);
    seed(1);
    window.refreshAll();
    QVERIFY(page->waitUntilLoaded());
    const Store after(m_path);
    const int reopened = page->model()->rowOfRowId(*after.findingRowId(*after.latestScanId(), fid));
    QVERIFY(reopened >= 0);
    QCOMPARE(page->model()->index(reopened, FindingsModel::StatusColumn).data().toString(), QStringLiteral("Open"));
    page->table()->selectRow(reopened);
    QVERIFY(page->findChild<QTextBrowser*>()->toPlainText().contains(QStringLiteral("Risk acceptance expired")));
}

void TestDashboard::scanShowsProgressAndCancels()
{
    // A manifests folder large enough that the scan is still reading when Cancel is pressed.
    QDir().mkpath(m_dir->filePath(QStringLiteral("many")));
    for (int i = 0; i < 12000; ++i) {
        QFile f(m_dir->filePath(QStringLiteral("many/app-%1.yaml").arg(i)));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QStringLiteral(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app-%1, namespace: shop}\n"
            "spec:\n  template:\n    spec:\n      containers:\n      - {name: c, image: 'nginx:latest'}\n")
                    .arg(i)
                    .toUtf8());
    }
    MainWindow window(std::make_unique<Store>(m_path));
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy finished(window.scanController(), &ScanController::finished);
    QSignalSpy progress(window.scanController(), &ScanController::progress);
    QElapsedTimer clock;
    clock.start();
    window.scanSource(
        QStringLiteral("manifests"), { { "path", { m_dir->filePath(QStringLiteral("many")).toStdString() } } });
    auto* cancel = window.findChild<QPushButton*>(QStringLiteral("cancelScan"));
    QVERIFY(cancel);
    QTRY_VERIFY_WITH_TIMEOUT(cancel->isVisible(), 5000);
    // Per-source progress while it reads; cancelled once the files are being read.
    QTRY_VERIFY_WITH_TIMEOUT(
        progress.count() > 0 && progress.last().at(0).toString().startsWith(QStringLiteral("read ")), 20000);
    // How far, as numbers: a determinate bar part-way. The source says it every 50 files; the window hears the
    // latest at most ~10 times a second.
    QTest::qWait(800);
    const qint64 total = progress.last().at(2).toLongLong();
    QVERIFY(total > 0);
    QVERIFY(progress.last().at(1).toLongLong() < total);
    auto* bar = window.findChild<QProgressBar*>();
    QVERIFY(bar && bar->maximum() > 0 && bar->value() > 0);
    QVERIFY2(progress.count() <= clock.elapsed() / 100 + 2,
        qPrintable(QStringLiteral("%1 updates in %2 ms").arg(progress.count()).arg(clock.elapsed())));
    QVERIFY(cancel->isEnabled());
    cancel->click();
    save(&window, QStringLiteral("23-scan-cancelling"));
    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.at(0).at(0).toLongLong(), qint64(0));
    QVERIFY(finished.at(0).at(2).toBool()); // cancelled
    QVERIFY(Store(m_path).scans().empty()); // nothing stored
    QTRY_VERIFY(!cancel->isVisible());
}

void TestDashboard::backgroundScanStoresAndRefreshes()
{
    MainWindow window(std::make_unique<Store>(m_path));
    window.show();
    QSignalSpy finished(window.scanController(), &ScanController::finished);
    window.scanDemo();
    QVERIFY(finished.wait(30000));
    LG_COMPARE(finished.at(0).at(0).toLongLong(), qint64(1));
    QVERIFY(finished.at(0).at(1).toStringList().isEmpty());
    window.showPage(QStringLiteral("layer/orchestrator")); // pages query when shown
    QTRY_VERIFY(window.findingsPage(4)->model()->rowCount() > 0);
    // A failing source: error shown, nothing stored.
    window.scanSource(QStringLiteral("manifests"),
        { { "path", { m_dir->filePath(QStringLiteral("does-not-exist")).toStdString() } } });
    QVERIFY(finished.wait(30000));
    LG_COMPARE(finished.at(1).at(0).toLongLong(), qint64(0));
    QVERIFY(finished.at(1).at(1).toStringList().join(QString()).contains(QStringLiteral("does-not-exist")));
    QCOMPARE(Store(m_path).scans().size(), std::size_t(1));
    save(&window, QStringLiteral("16-source-error"));
}

void TestDashboard::unreachableClusterIsShownWhereItFailed()
{
    // A kubeconfig context whose API server does not answer: the banner names the context and the reason.
    const QString kubeconfig = m_dir->filePath(QStringLiteral("kubeconfig"));
    QFile f(kubeconfig);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("current-context: lab\nclusters:\n- name: lab\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n"
            "- name: u\n  user: {token: abc}\ncontexts:\n- name: lab\n  context: {cluster: lab, user: u}\n");
    f.close();
    qputenv("KUBECONFIG", kubeconfig.toUtf8());
    MainWindow window(std::make_unique<Store>(m_path));
    window.show();
    QSignalSpy finished(window.scanController(), &ScanController::finished);
    window.scanSource(QStringLiteral("kubernetes"), { { "context", { "lab" } } });
    QVERIFY(finished.wait(30000));
    qunsetenv("KUBECONFIG");
    LG_COMPARE(finished.at(0).at(0).toLongLong(), qint64(0));
    const QString errors = finished.at(0).at(1).toStringList().join(u'\n');
    QVERIFY2(errors.contains(QStringLiteral("kube:lab")) && errors.contains(QStringLiteral("127.0.0.1:1")),
        qPrintable(errors));
    QVERIFY(Store(m_path).scans().empty());
    save(&window, QStringLiteral("17-cluster-unreachable"));
}

void TestDashboard::reportPreviewIsTheSavedPdf()
{
    seed(2);
    const auto scanId = Store(m_path).latestScanId();
    QVERIFY(scanId);
    ReportDialog dialog(m_path, *scanId);
    QSignalSpy ready(&dialog, &ReportDialog::previewReady);
    QSignalSpy failed(&dialog, &ReportDialog::previewFailed);
    dialog.resize(1100, 820);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 60000);
    QCOMPARE(failed.count(), 0);
    const int allPages = ready.at(0).at(0).toInt();
    QCOMPARE(dialog.document()->pageCount(), allPages);
    QVERIFY(allPages > 5);
    QCOMPARE(int(dialog.selectedFrameworks().size()), int(allFrameworks().size()));
    QTest::qWait(100);
    save(&dialog, QStringLiteral("18-report-preview"));

    // Fewer frameworks: a new preview with fewer pages replaces the old one.
    const auto boxes = dialog.findChildren<QCheckBox*>();
    QCOMPARE(boxes.size(), qsizetype(allFrameworks().size()));
    for (int i = 1; i < boxes.size(); ++i)
        boxes[i]->setChecked(false);
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 2, 60000);
    const int fewerPages = ready.at(1).at(0).toInt();
    QVERIFY2(fewerPages < allPages, qPrintable(QStringLiteral("%1 vs %2").arg(fewerPages).arg(allPages)));
    QCOMPARE(int(dialog.selectedFrameworks().size()), 1);

    // Saving the PDF writes the previewed document; other formats are written from the cache.
    const QString pdf = m_dir->filePath(QStringLiteral("out/report.pdf"));
    QVERIFY(QDir().mkpath(m_dir->filePath(QStringLiteral("out"))));
    QString error;
    QVERIFY2(dialog.saveTo(pdf, &error), qPrintable(error));
    QPdfDocument saved;
    QCOMPARE(saved.load(pdf), QPdfDocument::Error::None);
    QCOMPARE(saved.pageCount(), fewerPages);
    const QString json = m_dir->filePath(QStringLiteral("out/report.json"));
    QVERIFY2(dialog.saveTo(json, &error), qPrintable(error));
    QFile j(json);
    QVERIFY(j.open(QIODevice::ReadOnly));
    QVERIFY(j.readAll().contains("\"findings\""));
    QVERIFY(!dialog.saveTo(m_dir->filePath(QStringLiteral("missing/dir/report.csv")), &error));
    // a name typed without an extension gets the chosen format's; one with a format's extension keeps it
    QCOMPARE(ReportDialog::withFormatExtension(QStringLiteral("/tmp/q4"), QStringLiteral("SARIF 2.1.0 (*.sarif)")),
        QStringLiteral("/tmp/q4.sarif"));
    QCOMPARE(ReportDialog::withFormatExtension(
                 QStringLiteral("/tmp/q4.v2"), QStringLiteral("PDF compliance report (*.pdf)")),
        QStringLiteral("/tmp/q4.v2.pdf"));
    QCOMPARE(ReportDialog::withFormatExtension(QStringLiteral("/tmp/q4.JSON"), QStringLiteral("CSV (*.csv)")),
        QStringLiteral("/tmp/q4.JSON"));
    QVERIFY(!error.isEmpty());
}

void TestDashboard::droppedReportsAreImported()
{
    MainWindow window(std::make_unique<Store>(m_path));
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy finished(window.scanController(), &ScanController::finished);
    auto drop = [&](const QStringList& files) {
        QMimeData mime;
        QList<QUrl> urls;
        for (const auto& f : files)
            urls << QUrl::fromLocalFile(QStringLiteral(LG_TEST_DATA "/importers/") + f);
        mime.setUrls(urls);
        const QPoint at = window.rect().center();
        QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(&window, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent dropped(QPointF(at), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(&window, &dropped);
    };
    drop({ QStringLiteral("kubescape.json"), QStringLiteral("kube-bench-master.json") });
    QVERIFY(finished.wait(30000));
    QVERIFY2(finished.at(0).at(1).toStringList().isEmpty(),
        qPrintable(finished.at(0).at(1).toStringList().join(QLatin1Char(';'))));
    LG_COMPARE(finished.at(0).at(0).toLongLong(), qint64(1));
    // The imported findings are on the orchestrator page, under the tools' own ids.
    window.showPage(QStringLiteral("layer/orchestrator"));
    auto* model = window.findingsPage(4)->model();
    QTRY_VERIFY(model->rowCount() > 0);
    bool kubescape = false, kubeBench = false;
    for (int r = 0; r < model->rowCount(); ++r)
        for (int c = 0; c < model->columnCount(); ++c) {
            const QString cell = model->index(r, c).data().toString();
            kubescape = kubescape || cell.startsWith(QStringLiteral("KUBESCAPE-C-"));
            kubeBench = kubeBench || cell.startsWith(QStringLiteral("KUBE-BENCH-"));
        }
    QVERIFY(kubescape && kubeBench);
    save(&window, QStringLiteral("19-imported-reports"));
    // A truncated report: the error names the file, the cache keeps its one scan.
    drop({ QStringLiteral("truncated-kube-bench.json") });
    QVERIFY(finished.wait(30000));
    LG_COMPARE(finished.at(1).at(0).toLongLong(), qint64(0));
    QVERIFY(finished.at(1).at(1).toStringList().join(QString()).contains(QStringLiteral("truncated-kube-bench.json")));
    QCOMPARE(Store(m_path).scans().size(), std::size_t(1));
}

// References come from imported reports: only an http(s) one becomes a link, escaped; javascript:, file: and
// markup stay text (tests/data/hostile/xccdf-hostile-references.xml).
void TestDashboard::importedReferencesStayText()
{
    MainWindow window(std::make_unique<Store>(m_path));
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy finished(window.scanController(), &ScanController::finished);
    QMimeData mime;
    mime.setUrls({ QUrl::fromLocalFile(QStringLiteral(LG_TEST_DATA "/hostile/xccdf-hostile-references.xml")) });
    const QPoint at = window.rect().center();
    QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&window, &enter);
    QDropEvent dropped(QPointF(at), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&window, &dropped);
    QVERIFY(finished.wait(30000));
    QVERIFY2(finished.at(0).at(1).toStringList().isEmpty(),
        qPrintable(finished.at(0).at(1).toStringList().join(QLatin1Char(';'))));
    window.showPage(QStringLiteral("layer/host"));
    FindingsPage* page = window.findingsPage(0);
    QVERIFY(page->waitUntilLoaded());
    QTableView* table = page->table();
    QTRY_VERIFY(table->model()->rowCount() > 0);
    table->setCurrentIndex(table->model()->index(0, 0));
    QString html;
    for (auto* w : page->findChildren<QTextBrowser*>())
        html += w->toHtml();
    QVERIFY2(html.contains(QStringLiteral("javascript:alert(1)")), qPrintable(html)); // shown, as text
    QVERIFY2(!html.contains(QStringLiteral("href=\"javascript")), qPrintable(html));
    QVERIFY2(!html.contains(QStringLiteral("href=\"file")), qPrintable(html));
    QVERIFY2(!html.contains(QStringLiteral("<img")), qPrintable(html));
    QVERIFY2(html.contains(QStringLiteral("href=\"https://example.org/advice")), qPrintable(html));
    save(&window, QStringLiteral("25-hostile-references"));
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
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
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
#include "tst_dashboard.moc"
