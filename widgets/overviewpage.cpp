#include "widgets/overviewpage.h"

#include "core/scoring.h"
#include "widgets/cacheworker.h"
#include "widgets/findingsmodel.h"
#include "widgets/layertile.h"
#include "widgets/theme.h"

#include <QAction>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QGridLayout>
#include <QLabel>
#include <QLineSeries>
#include <QListWidget>
#include <QPainter>
#include <QPushButton>
#include <QStackedLayout>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <iterator>
#include <limits>
#include <numeric>

namespace lg {

OverviewPage::OverviewPage(QWidget* parent)
    : QWidget(parent)
{
    m_stack = new QStackedLayout(this);
    m_stack->addWidget(createEmptyState());

    auto* content = new QWidget;
    auto* v = new QVBoxLayout(content);
    v->setContentsMargins(16, 12, 16, 12);
    v->setSpacing(10);
    addHeader(v);
    auto* tiles = new QHBoxLayout;
    for (Layer l : kAllLayers) {
        auto* tile = new LayerTile(l, content);
        tile->onActivate = [this](Layer layer) { Q_EMIT layerActivated(layer); };
        tiles->addWidget(tile);
        m_tiles.push_back(tile);
    }
    v->addLayout(tiles);
    addTrend(v);
    m_worker = new CacheWorker(this);
    m_lifecycleWorker = new CacheWorker(this);
    v->addLayout(createLists(), 1);
    m_stack->addWidget(content);
}

QWidget* OverviewPage::createEmptyState()
{
    // Empty state: what to do first.
    auto* empty = new QWidget;
    auto* ev = new QVBoxLayout(empty);
    ev->addStretch();
    auto* title = new QLabel(tr("<h2>No scan yet</h2>"));
    title->setAlignment(Qt::AlignCenter);
    auto* text = new QLabel(tr("Layerguard keeps the security posture of your containers, layer by layer, and its "
                               "history.<br>Start with the demo lab, or scan a folder of Kubernetes manifests."));
    text->setAlignment(Qt::AlignCenter);
    text->setWordWrap(true);
    auto* buttons = new QHBoxLayout;
    auto* demo = new QPushButton(tr("Scan the demo lab"));
    auto* manifests = new QPushButton(tr("Scan a manifests folder…"));
    connect(demo, &QPushButton::clicked, this, &OverviewPage::scanDemoRequested);
    connect(manifests, &QPushButton::clicked, this, &OverviewPage::scanManifestsRequested);
    buttons->addStretch();
    buttons->addWidget(demo);
    buttons->addWidget(manifests);
    buttons->addStretch();
    ev->addWidget(title);
    ev->addWidget(text);
    ev->addLayout(buttons);
    ev->addStretch();
    return empty;
}

void OverviewPage::addHeader(QVBoxLayout* v)
{
    auto* header = new QHBoxLayout;
    m_posture = new QLabel;
    m_posture->setTextFormat(Qt::RichText);
    m_postureDetail = new QLabel;
    m_counts = new QLabel;
    m_counts->setTextFormat(Qt::RichText);
    header->addWidget(m_posture);
    header->addWidget(m_postureDetail);
    header->addStretch();
    header->addWidget(m_counts);
    v->addLayout(header);
    m_lifecycle = new QLabel;
    m_lifecycle->setTextFormat(Qt::RichText);
    m_lifecycle->setAccessibleName(tr("Overdue findings and time to remediate"));
    connect(m_lifecycle, &QLabel::linkActivated, this, [this] { Q_EMIT overdueActivated(); });
    v->addWidget(m_lifecycle);
}

void OverviewPage::addTrend(QVBoxLayout* v)
{
    auto* trendBar = new QHBoxLayout;
    auto* trendTitle
        = new QLabel(tr("<b>Risk trend</b> per layer (score, higher is better; the estate after each scan)"));
    m_hover = new QLabel;
    m_hover->setStyleSheet(QStringLiteral("color: palette(dark);"));
    m_range = new QComboBox;
    m_range->setAccessibleName(tr("Trend range"));
    m_range->addItem(tr("Last 7 days"), 7);
    m_range->addItem(tr("Last 30 days"), 30);
    m_range->addItem(tr("Last 90 days"), 90);
    m_range->addItem(tr("Last year"), 365);
    m_range->addItem(tr("All scans"), 0);
    m_range->setCurrentIndex(4);
    connect(m_range, &QComboBox::currentIndexChanged, this, [this] {
        buildTrend();
        loadLifecycle();
    });
    trendBar->addWidget(trendTitle);
    trendBar->addStretch();
    trendBar->addWidget(m_hover);
    trendBar->addWidget(m_range);
    v->addLayout(trendBar);
    m_chart = new QChartView;
    m_chart->setRenderHint(QPainter::Antialiasing);
    m_chart->setMinimumHeight(220);
    v->addWidget(m_chart, 2);
}

QGridLayout* OverviewPage::createLists()
{
    auto* bottom = new QGridLayout;
    m_targetsTitle = new QLabel(tr("<b>Targets</b>"));
    m_targets = new QListWidget;
    m_targets->setAccessibleName(tr("Targets"));
    m_targets->setToolTip(tr("The latest scan of each target; Enter or double-click shows one target, F2 renames it"));
    connect(m_targets, &QListWidget::itemActivated, this,
        [this](QListWidgetItem* item) { Q_EMIT targetActivated(item->data(Qt::UserRole).toString()); });
    // Rename… (F2, or the list's context menu): the target keeps its history under the new name
    auto* rename = new QAction(tr("Rename…"), m_targets);
    rename->setShortcut(QKeySequence(Qt::Key_F2));
    rename->setShortcutContext(Qt::WidgetShortcut);
    connect(rename, &QAction::triggered, this, [this] {
        if (const QListWidgetItem* item = m_targets->currentItem())
            Q_EMIT targetRenameRequested(item->data(Qt::UserRole).toString());
    });
    m_targets->addAction(rename);
    m_targets->setContextMenuPolicy(Qt::ActionsContextMenu);
    auto* risksTitle = new QLabel(tr("<b>Top risks</b>"));
    m_topRisks = new QListWidget;
    m_changesTitle = new QLabel(tr("<b>Changed since the previous scan</b>"));
    m_changes = new QListWidget;
    // a finding in either list opens in All findings (its id and target ride on the item)
    for (auto* list : { m_topRisks, m_changes }) {
        list->setToolTip(tr("Enter or double-click shows the finding"));
        connect(list, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
            const QString id = item->data(Qt::UserRole).toString();
            if (!id.isEmpty())
                Q_EMIT findingActivated(id, item->data(Qt::UserRole + 1).toString());
        });
    }
    bottom->addWidget(m_targetsTitle, 0, 0);
    bottom->addWidget(risksTitle, 0, 1);
    bottom->addWidget(m_changesTitle, 0, 2);
    bottom->addWidget(m_targets, 1, 0);
    bottom->addWidget(m_topRisks, 1, 1);
    bottom->addWidget(m_changes, 1, 2);
    bottom->setColumnStretch(0, 2);
    bottom->setColumnStretch(1, 3);
    bottom->setColumnStretch(2, 3);
    return bottom;
}

void OverviewPage::refresh(const Store& store)
{
    // The posture today: the latest scan of each target (of the one picked), as of now (acceptances made, revoked or
    // expired since count); the trend keeps the scores each scan was written with.
    const std::int64_t now = QDateTime::currentSecsSinceEpoch();
    const EstatePosture estate = store.estate(now, m_target);
    if (estate.targets.empty()) {
        m_stack->setCurrentIndex(0);
        return;
    }
    m_stack->setCurrentIndex(1);
    m_points = store.estateHistory(m_target);
    const EstatePoint* before = m_points.size() > 1 ? &m_points[m_points.size() - 2] : nullptr;
    showPosture(estate, before);
    showCounts(estate);
    showTiles(estate, before);
    showTargets(estate);
    buildTrend();
    m_storePath = store.path();
    m_parts.clear();
    for (const auto& t : estate.targets)
        m_parts.emplace_back(t.scanId, t.target);
    loadLifecycle();
    loadFindings(estate, now);
}

void OverviewPage::showPosture(const EstatePosture& estate, const EstatePoint* before)
{
    const auto overall = estate.score;
    m_posture->setText(
        QStringLiteral("<span style='font-size:26pt; font-weight:600; color:%1'>%2</span>")
            .arg(theme::scoreColor(overall).name(), overall ? QString::number(*overall) : QStringLiteral("—")));
    QString detail = m_target.empty()
        ? tr("Estate · %1").arg(overall ? QString::fromLatin1(scoreBand(*overall)) : tr("no score"))
        : tr("%1 · %2").arg(
            QString::fromStdString(m_target), overall ? QString::fromLatin1(scoreBand(*overall)) : tr("no score"));
    if (before && before->score && overall) {
        const int d = *overall - *before->score;
        detail += d == 0 ? tr(" · unchanged")
                         : tr(" · %1%2 since %3")
                               .arg(d > 0 ? QStringLiteral("▲") : QStringLiteral("▼"))
                               .arg(std::abs(d))
                               .arg(QDateTime::fromSecsSinceEpoch(before->at).toString(QStringLiteral("d MMM HH:mm")));
    }
    const auto newest = std::max_element(estate.targets.begin(), estate.targets.end(),
        [](const auto& a, const auto& b) { return a.scannedAt < b.scannedAt; });
    const int stale
        = int(std::count_if(estate.targets.begin(), estate.targets.end(), [](const auto& t) { return t.stale; }));
    detail += tr("\n%n target(s), latest scan %1", nullptr, int(estate.targets.size()))
                  .arg(QDateTime::fromSecsSinceEpoch(newest->scannedAt).toString(QStringLiteral("d MMM yyyy HH:mm")));
    if (stale > 0)
        detail += tr(" · %n stale", nullptr, stale);
    m_postureDetail->setText(detail);
}

void OverviewPage::showCounts(const EstatePosture& estate)
{
    std::array<int, 5> total {};
    for (const auto& ls : estate.layers)
        for (std::size_t i = 0; i < 5; ++i)
            total[i] += ls.tally.openBySeverity[i];
    QStringList parts;
    for (Severity s : { Severity::Critical, Severity::High, Severity::Medium, Severity::Low }) {
        parts << QStringLiteral("<span style='color:%1'>●</span> %2 %3")
                     .arg(theme::severityColor(s).name())
                     .arg(total[std::size_t(s)])
                     .arg(theme::severityTitle(s).toLower());
    }
    m_counts->setText(parts.join(QStringLiteral(" &nbsp; ")));
}

void OverviewPage::showTiles(const EstatePosture& estate, const EstatePoint* before)
{
    for (std::size_t i = 0; i < kAllLayers.size(); ++i) {
        const Layer l = kAllLayers[i];
        auto it
            = std::find_if(estate.layers.begin(), estate.layers.end(), [&](const auto& ls) { return ls.layer == l; });
        if (it == estate.layers.end()) {
            m_tiles[i]->set(std::nullopt, false, std::nullopt, {});
            continue;
        }
        std::optional<int> delta;
        if (before && it->score)
            if (auto pit = before->layers.find(l); pit != before->layers.end())
                delta = *it->score - pit->second;
        m_tiles[i]->set(it->score, true, delta, it->tally);
    }
}

void OverviewPage::showTargets(const EstatePosture& estate)
{
    // One row per target: its score, when it was scanned, stale since when.
    m_targets->clear();
    m_targetsTitle->setText(m_target.empty() ? tr("<b>Targets</b> (the latest scan of each)") : tr("<b>Target</b>"));
    for (const auto& t : estate.targets) {
        const QString when = QDateTime::fromSecsSinceEpoch(t.scannedAt).toString(QStringLiteral("d MMM HH:mm"));
        auto* item = new QListWidgetItem(
            QStringLiteral("%1  %2 · %3%4")
                .arg(t.score ? QString::number(*t.score) : QStringLiteral("—"), QString::fromStdString(t.target),
                    t.stale ? tr("stale since %1").arg(when) : when,
                    t.kind.empty() ? QString() : tr(" · %1").arg(QString::fromStdString(t.kind))));
        item->setData(Qt::UserRole, QString::fromStdString(t.target));
        item->setForeground(t.stale ? QColor(0xB0, 0x1E, 0x2D) : theme::scoreColor(t.score));
        item->setToolTip(
            tr("Scan %1 of %2%3")
                .arg(t.scanId)
                .arg(QString::fromStdString(t.target),
                    t.stale ? tr(": not scanned for more than %n day(s)", nullptr, int(estate.staleAfter / 86400))
                            : QString()));
        m_targets->addItem(item);
    }
}

void OverviewPage::loadFindings(const EstatePosture& estate, std::int64_t now)
{
    // Top risks and changes read findings: in the background, so a million-finding scan never blocks. Each target
    // is compared with its own previous scan: scanning one target never "resolves" another's findings.
    struct Part {
        std::string target;
        std::int64_t scan = 0;
        std::optional<std::int64_t> previous;
    };
    std::vector<Part> partsToRead;
    for (const auto& t : estate.targets)
        partsToRead.push_back({ t.target, t.scanId, t.previousScanId });
    struct Side {
        std::vector<Finding> top;
        Changes changes;
    };
    m_worker->run<Side>(
        m_storePath,
        [partsToRead, now](const Store& reader, const std::atomic<bool>&) {
            Side side;
            for (const auto& p : partsToRead) {
                auto top = reader.topFindings(p.scan, 12, now, p.target);
                std::move(top.begin(), top.end(), std::back_inserter(side.top));
                if (!p.previous)
                    continue;
                auto d = reader.diffSummary(*p.previous, p.scan, 200, p.target);
                ++side.changes.compared;
                side.changes.added += d.added;
                side.changes.resolved += d.resolved;
                std::move(d.addedFirst.begin(), d.addedFirst.end(), std::back_inserter(side.changes.addedFirst));
                std::move(
                    d.resolvedFirst.begin(), d.resolvedFirst.end(), std::back_inserter(side.changes.resolvedFirst));
            }
            auto bySeverity = [](const Finding& a, const Finding& b) { return a.severity < b.severity; };
            std::stable_sort(side.top.begin(), side.top.end(), bySeverity);
            if (side.top.size() > 12)
                side.top.resize(12);
            std::stable_sort(side.changes.addedFirst.begin(), side.changes.addedFirst.end(), bySeverity);
            std::stable_sort(side.changes.resolvedFirst.begin(), side.changes.resolvedFirst.end(), bySeverity);
            return side;
        },
        [this](Side side) { showFindings(side.top, side.changes); },
        [this](const QString& message) {
            m_topRisks->clear();
            m_topRisks->addItem(tr("The cache could not be read: %1").arg(message));
        });
}

void OverviewPage::showFindings(const std::vector<Finding>& top, const Changes& changes)
{
    m_topRisks->clear();
    for (const auto& f : top) {
        auto* item = new QListWidgetItem(QStringLiteral("%1  %2 — %3")
                                             .arg(theme::severityTitle(f.severity), QString::fromStdString(f.title),
                                                 FindingsModel::resourceText(f)));
        item->setForeground(theme::severityColor(f.severity));
        item->setToolTip(QString::fromStdString(f.message));
        item->setData(Qt::UserRole, QString::fromStdString(f.id));
        item->setData(Qt::UserRole + 1, QString::fromStdString(f.subject.target));
        m_topRisks->addItem(item);
    }
    if (top.empty())
        m_topRisks->addItem(tr("No open findings in the scanned layers."));

    m_changes->clear();
    if (changes.compared == 0) {
        m_changesTitle->setText(tr("<b>Changed since the previous scan</b>"));
        m_changes->addItem(tr("No target has been scanned twice yet: the next scan will show what changed."));
        return;
    }
    m_changesTitle->setText(tr("<b>Changed since each target's previous scan</b>: %1 new · %2 resolved")
                                .arg(changes.added)
                                .arg(changes.resolved));
    constexpr std::size_t kShown = 200;
    std::size_t shown = 0;
    for (const auto& f : changes.addedFirst) {
        if (shown++ >= kShown)
            break;
        auto* item = new QListWidgetItem(
            QStringLiteral("+ %1 — %2").arg(QString::fromStdString(f.title), FindingsModel::resourceText(f)));
        item->setData(Qt::UserRole, QString::fromStdString(f.id));
        item->setData(Qt::UserRole + 1, QString::fromStdString(f.subject.target));
        m_changes->addItem(item);
    }
    for (const auto& f : changes.resolvedFirst) {
        if (shown++ >= kShown)
            break;
        auto* item = new QListWidgetItem(QStringLiteral("− %1 — %2 (resolved)")
                                             .arg(QString::fromStdString(f.title), FindingsModel::resourceText(f)));
        item->setForeground(QColor(0x2E, 0x8B, 0x57));
        m_changes->addItem(item);
    }
    const int listed = int(std::min(shown, kShown));
    if (changes.added + changes.resolved > listed)
        m_changes->addItem(
            tr("… and %n more (History → compare scans)", nullptr, changes.added + changes.resolved - listed));
    if (changes.added == 0 && changes.resolved == 0)
        m_changes->addItem(tr("No change."));
}

std::optional<LayerTally> OverviewPage::tileTally(Layer layer) const
{
    for (std::size_t i = 0; i < kAllLayers.size(); ++i)
        if (kAllLayers[i] == layer && m_tiles[i]->scanned())
            return m_tiles[i]->tally();
    return std::nullopt;
}

bool OverviewPage::waitUntilLoaded(int timeoutMs)
{
    return m_worker->waitForIdle(timeoutMs) && m_lifecycleWorker->waitForIdle(timeoutMs);
}

void OverviewPage::loadLifecycle()
{
    if (m_storePath.empty() || m_parts.empty())
        return;
    struct Lifecycle {
        std::array<int, 5> overdue {};
        std::array<RemediationTime, 5> mttr {};
    };
    const int days = m_range->currentData().toInt();
    const std::int64_t now = QDateTime::currentSecsSinceEpoch();
    const std::int64_t from = days > 0 ? now - std::int64_t(days) * 86400 : 0;
    const auto parts = m_parts;
    const std::string target = m_target;
    const QString period = days > 0 ? m_range->currentText().toLower() : tr("all scans");
    m_lifecycleWorker->run<Lifecycle>(
        m_storePath,
        [parts, target, now, from](const Store& reader, const std::atomic<bool>&) {
            Lifecycle out;
            FindingQuery q;
            q.parts = parts;
            q.filter.asOf = now;
            q.filter.overdueAt = now;
            out.overdue = reader.severityCounts(q);
            out.mttr = reader.remediationTimes(from, now, target);
            return out;
        },
        [this, period](Lifecycle l) {
            const int overdue = std::accumulate(l.overdue.begin(), l.overdue.end(), 0);
            QStringList bySeverity, fixed;
            for (Severity s : kAllSeverities) {
                const auto i = std::size_t(s);
                if (l.overdue[i] > 0)
                    bySeverity << QStringLiteral("%1 %2").arg(l.overdue[i]).arg(theme::severityTitle(s).toLower());
                if (l.mttr[i].fixed > 0)
                    fixed << tr("%1 %2 days (%3 fixed)")
                                 .arg(theme::severityTitle(s).toLower())
                                 .arg(double(l.mttr[i].meanSeconds) / 86400.0, 0, 'f', 1)
                                 .arg(l.mttr[i].fixed);
            }
            const QString late = overdue == 0
                ? tr("No finding past its deadline")
                : tr("<a href='overdue' style='color:%1; font-weight:600'>%2 overdue</a> (%3)")
                      .arg(theme::severityColor(Severity::Critical).name())
                      .arg(overdue)
                      .arg(bySeverity.join(QStringLiteral(", ")));
            m_lifecycle->setText(
                tr("%1 &nbsp;·&nbsp; <b>Mean time to remediate</b>, %2: %3")
                    .arg(late, period, fixed.isEmpty() ? tr("nothing fixed yet") : fixed.join(QStringLiteral(" · "))));
            m_lifecycle->setToolTip(tr("Deadlines after a finding is first seen: critical %1 days, high %2, medium %3, "
                                       "low %4. Time to remediate: from the scan that found a finding to the first "
                                       "scan of its target without it.")
                                        .arg(kDefaultSlaDays[0])
                                        .arg(kDefaultSlaDays[1])
                                        .arg(kDefaultSlaDays[2])
                                        .arg(kDefaultSlaDays[3]));
        },
        [this](const QString& message) { m_lifecycle->setText(tr("The cache could not be read: %1").arg(message)); });
}

void OverviewPage::setTrendRange(int days)
{
    m_range->setCurrentIndex(m_range->findData(days));
}

namespace {

/**
 * At most `buckets` × 2 points: per bucket of the time axis, the lowest and the highest score in their
 * time order (a dip stays visible however many scans fall in one pixel).
 */
QList<QPointF> downsample(const QList<QPointF>& points, int buckets)
{
    if (points.size() <= 2 * buckets || buckets <= 0)
        return points;
    QList<QPointF> out;
    out.reserve(2 * buckets + 2);
    const double x0 = points.front().x();
    const double span = std::max(1.0, points.back().x() - x0);
    qsizetype i = 0;
    for (int b = 0; b < buckets && i < points.size(); ++b) {
        const double end = x0 + span * double(b + 1) / double(buckets);
        const qsizetype first = i;
        qsizetype lo = i, hi = i;
        for (; i < points.size() && (points[i].x() <= end || b == buckets - 1); ++i) {
            if (points[i].y() < points[lo].y())
                lo = i;
            if (points[i].y() > points[hi].y())
                hi = i;
        }
        if (i == first)
            continue; // no scan in this bucket
        if (lo == hi) {
            out.append(points[lo]);
            continue;
        }
        out.append(points[std::min(lo, hi)]);
        out.append(points[std::max(lo, hi)]);
    }
    return out;
}

} // namespace

void OverviewPage::buildTrend()
{
    const int days = m_range->currentData().toInt();
    const qint64 newest = m_points.empty() ? 0 : m_points.back().at;
    const qint64 from = days > 0 ? newest - qint64(days) * 86400 : std::numeric_limits<qint64>::min();
    auto* chart = new QChart;
    chart->setTheme(theme::isDark() ? QChart::ChartThemeDark : QChart::ChartThemeLight); // before the series
    chart->legend()->setAlignment(Qt::AlignRight);
    chart->setMargins(QMargins(4, 4, 4, 4));
    auto* x = new QDateTimeAxis;
    auto* y = new QValueAxis;
    y->setRange(0, 100);
    y->setLabelFormat(QStringLiteral("%d"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    qint64 minT = std::numeric_limits<qint64>::max(), maxT = std::numeric_limits<qint64>::min();
    int inRange = 0;
    for (const auto& p : m_points)
        if (p.at >= from) {
            minT = std::min<qint64>(minT, p.at);
            maxT = std::max<qint64>(maxT, p.at);
            ++inRange;
        }
    m_trendPoints = 0;
    // Two points per pixel of the plot at most: more cost frame time and show nothing more.
    const int buckets = std::max(50, m_chart->width() / 4);
    for (Layer l : kAllLayers) {
        QList<QPointF> points;
        for (const auto& p : m_points) { // the estate after each scan: the latest of every target then
            if (p.at < from)
                continue;
            if (auto it = p.layers.find(l); it != p.layers.end())
                points.append(QPointF(double(p.at) * 1000.0, it->second));
        }
        if (points.isEmpty())
            continue;
        points = downsample(points, buckets);
        m_trendPoints = std::max(m_trendPoints, int(points.size()));
        auto* series = new QLineSeries;
        series->setName(theme::layerTitle(l));
        series->setPen(QPen(theme::layerColor(l), 2));
        series->setPointsVisible(points.size() < 40);
        series->replace(points);
        chart->addSeries(series);
        series->attachAxis(x);
        series->attachAxis(y);
        const QString layer = theme::layerTitle(l);
        connect(series, &QLineSeries::hovered, this, [this, layer](const QPointF& p, bool state) {
            m_hover->setText(state ? tr("%1 · %2 · score %3")
                                         .arg(layer,
                                             QDateTime::fromMSecsSinceEpoch(qint64(p.x()))
                                                 .toString(QStringLiteral("d MMM yyyy HH:mm")))
                                         .arg(qRound(p.y()))
                                   : QString());
        });
    }
    if (inRange == 0)
        minT = maxT = newest;
    const qint64 spanSecs = maxT - minT;
    x->setFormat(spanSecs > 180 * 86400
            ? QStringLiteral("MMM yyyy")
            : (spanSecs > 2 * 86400 ? QStringLiteral("d MMM") : QStringLiteral("d MMM HH:mm")));
    x->setTickCount(std::min<int>(7, std::max<int>(2, inRange)));
    if (maxT == minT) { // one scan: in the middle of an hour
        minT -= 1800;
        maxT += 1800;
    }
    x->setRange(QDateTime::fromSecsSinceEpoch(minT - (maxT - minT) / 20),
        QDateTime::fromSecsSinceEpoch(maxT + (maxT - minT) / 20));
    QChart* old = m_chart->chart();
    m_chart->setChart(chart);
    delete old;
}

} // namespace lg
