// The overview: the trend over years of scans, the estate of several targets, overdue findings and time to
// remediate, drill-downs into the findings and scans written by another process.
#include "tst_dashboard.h"

#include "store/store.h"
#include "widgets/findingsmodel.h"
#include "widgets/findingspage.h"
#include "widgets/mainwindow.h"
#include "widgets/overviewpage.h"

#include <QChart>
#include <QChartView>
#include <QLabel>
#include <QLineSeries>
#include <QListWidget>
#include <QTableView>
#include <QTest>

#include <set>

using namespace lg;

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
    QVERIFY(showWindow(window));
    auto* overview = showEstateOverview(window);
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
    QVERIFY(showWindow(window));
    auto* overview = showEstateOverview(window);
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
    QVERIFY(showWindow(window));
    auto* overview = showEstateOverview(window);
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
