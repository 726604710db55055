// Dashboard benchmarks (BENCH.md B5 and B6) on a cache made by bench_gen_cache:
//   QT_QPA_PLATFORM=offscreen bench_dashboard CACHE
// B5: the "All findings" table over the latest scan: first paint, then sorts, a search and a severity chip,
// each timed from the request to the repainted table, with the longest stall of the event loop meanwhile
// (a 5 ms timer records the largest gap between its ticks: the UI is blocked for at most that long).
// B6: the overview's risk trend over every scan: building it and redrawing it.
#include "store/store.h"
#include "widgets/findingsmodel.h"
#include "widgets/findingspage.h"
#include "widgets/overviewpage.h"

#include <QApplication>
#include <QChartView>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QLineEdit>
#include <QTableView>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <vector>

using namespace lg;

namespace {

/** Records the longest gap between ticks of a 5 ms timer: how long the event loop was blocked. */
class StallMeter {
public:
    StallMeter()
    {
        m_timer.setInterval(5);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            const qint64 now = m_clock.elapsed();
            m_longest = std::max(m_longest, now - m_last);
            m_last = now;
        });
    }
    void start()
    {
        m_clock.start();
        m_last = 0;
        m_longest = 0;
        m_timer.start();
    }
    qint64 stop()
    {
        m_timer.stop();
        return std::max(m_longest, m_clock.elapsed() - m_last);
    }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = 0;
    qint64 m_longest = 0;
};

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

/**
 * B5 on `page`, the "All findings" table over the latest scan: the first paint, then each sort, search, chip and
 * grouping, then scrolling to the last row. False when the model never delivers the first rows.
 */
bool benchFindingsTable(FindingsPage& page)
{
    StallMeter stall;
    QElapsedTimer clock;
    page.resize(1280, 760);
    page.show();
    QApplication::processEvents();
    stall.start();
    clock.start();
    page.refresh();
    if (!page.model()->waitForRows())
        return false;
    page.table()->viewport()->repaint();
    const qint64 firstPaint = clock.elapsed();
    page.waitUntilLoaded();
    std::printf("B5 first paint of %d findings: %lld ms; severity chips counted after %lld ms (longest UI stall %lld "
                "ms)\n",
        page.model()->rowCount(), firstPaint, clock.elapsed(), stall.stop());
    const auto timed = [&](const char* what, const std::function<void()>& action) {
        stall.start();
        clock.restart();
        action();
        if (!page.model()->waitForRows())
            std::exit(1);
        if (page.groupsTable()->isVisible() && !page.waitUntilLoaded())
            std::exit(1);
        page.table()->viewport()->repaint();
        const qint64 ms = clock.elapsed();
        page.waitUntilLoaded(); // the chips' counts: not part of the figure, but done before the next step
        const bool grouped = page.groupsTable()->isVisible();
        std::printf("B5 %-34s %5lld ms, %8d %s (longest UI stall %lld ms)\n", what, ms,
            grouped ? page.groupsModel()->rowCount() : page.model()->rowCount(), grouped ? "groups" : "rows",
            stall.stop());
    };
    QHeaderView* header = page.table()->horizontalHeader();
    timed("sort by rule", [&] { header->setSortIndicator(FindingsModel::RuleColumn, Qt::AscendingOrder); });
    timed("sort by resource (descending)",
        [&] { header->setSortIndicator(FindingsModel::ResourceColumn, Qt::DescendingOrder); });
    timed("sort by message", [&] { header->setSortIndicator(FindingsModel::MessageColumn, Qt::AscendingOrder); });
    timed("sort by severity", [&] { header->setSortIndicator(FindingsModel::SeverityColumn, Qt::AscendingOrder); });
    timed("search \"team-42\"", [&] {
        page.findChild<QLineEdit*>()->setText(QStringLiteral("team-42"));
        page.refresh(); // without the typing debounce
    });
    timed("clear the search", [&] {
        page.findChild<QLineEdit*>()->clear();
        page.refresh();
    });
    timed("hide medium, low, info (chips)", [&] {
        page.setSeverityShown(Severity::Medium, false);
        page.setSeverityShown(Severity::Low, false);
        page.setSeverityShown(Severity::Info, false);
    });
    timed("group by rule", [&] { page.setGroupBy(FindingGroupBy::Rule); });
    // Scrolling: every window read on the way to the last row.
    stall.start();
    clock.restart();
    page.setGroupBy(FindingGroupBy::None);
    page.waitUntilLoaded();
    page.table()->scrollToBottom();
    page.table()->viewport()->repaint();
    std::printf("B5 scroll to the last row: %lld ms\n", clock.elapsed());
    stall.stop();
    page.hide();
    return true;
}

/** B6 on `store`: the overview's risk trend over every scan, built once and redrawn from scratch. */
void benchTrend(Store& store)
{
    QElapsedTimer clock;
    OverviewPage overview;
    overview.resize(1280, 760);
    overview.show();
    QApplication::processEvents();
    clock.start();
    overview.refresh(store);
    const qint64 build = clock.elapsed();
    overview.trendView()->repaint();
    QApplication::processEvents();
    // A redraw from scratch: the range selector rebuilds the chart (series, axes) and it is painted.
    std::vector<double> redraws;
    for (int i = 0; i < 7; ++i) {
        QElapsedTimer t;
        t.start();
        overview.setTrendRange(i % 2 ? 365 : 0);
        overview.trendView()->viewport()->repaint();
        redraws.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    std::printf("B6 trend of %zu scans x 5 layers: overview refresh %lld ms, chart rebuilt and painted in %.1f ms "
                "(median of 7; %d points a series)\n",
        store.scans().size(), build, median(redraws), overview.trendPoints());
    overview.waitUntilLoaded();
}

} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CACHE\n", argv[0]);
        return 2;
    }
    QElapsedTimer clock;
    clock.start();
    Store store(argv[1]);
    const auto latest = store.latestScanId();
    if (!latest) {
        std::fprintf(stderr, "the cache has no scan\n");
        return 1;
    }
    std::printf("open cache (integrity quick check, migrations): %lld ms\n", clock.elapsed());
    FindingsPage page(std::nullopt, &store); // alive through B6 too, as the window keeps its pages
    if (!benchFindingsTable(page))
        return 1;
    benchTrend(store);
    return 0;
}
