#include "widgets/scanspage.h"

#include "widgets/cacheworker.h"
#include "widgets/findingsmodel.h"
#include "widgets/theme.h"

#include <QComboBox>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QTextBrowser>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <set>

namespace lg {

namespace {
constexpr int kDiffRows = 2000; ///< findings listed per side; the counts are always complete

QString when(std::int64_t secs)
{
    return QDateTime::fromSecsSinceEpoch(secs).toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

bool hasTarget(const ScanInfo& s, const QString& target)
{
    return std::any_of(s.sources.begin(), s.sources.end(),
        [&](const SourceStatus& src) { return QString::fromStdString(src.target) == target; });
}
} // namespace

ScansPage::ScansPage(QWidget* parent)
    : QWidget(parent)
    , m_worker(new CacheWorker(this))
{
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(12, 8, 12, 8);
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("<b>Scan history</b> — score per layer, newest first")));
    top->addStretch();
    m_target = new QComboBox;
    m_target->setAccessibleName(tr("Target"));
    top->addWidget(new QLabel(tr("Target")));
    top->addWidget(m_target);
    v->addLayout(top);

    auto* split = new QSplitter(Qt::Vertical);
    m_table = new QTableWidget;
    QStringList headers { tr("Scan"), tr("Finished"), tr("Posture") };
    for (Layer l : kAllLayers)
        headers << theme::layerTitle(l);
    headers << tr("Resources") << tr("Sources");
    m_table->setColumnCount(int(headers.size()));
    m_table->setHorizontalHeaderLabels(headers);
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->horizontalHeader()->setStretchLastSection(true);
    split->addWidget(m_table);

    auto* bottom = new QSplitter(Qt::Horizontal);
    m_sources = new QTextBrowser;
    bottom->addWidget(m_sources);
    auto* cmp = new QWidget;
    auto* cv = new QVBoxLayout(cmp);
    cv->setContentsMargins(0, 0, 0, 0);
    auto* cmpBar = new QHBoxLayout;
    cmpBar->addWidget(new QLabel(tr("Compare with")));
    m_against = new QComboBox;
    m_against->setAccessibleName(tr("Compare with scan"));
    cmpBar->addWidget(m_against, 1);
    cv->addLayout(cmpBar);
    m_diffTitle = new QLabel;
    m_diffTitle->setWordWrap(true);
    m_diffTitle->setTextFormat(Qt::RichText);
    cv->addWidget(m_diffTitle);
    m_diff = new QTreeWidget;
    m_diff->setColumnCount(4);
    m_diff->setHeaderLabels({ tr("Severity"), tr("Rule"), tr("Resource"), tr("Message") });
    m_diff->setRootIsDecorated(true);
    m_diff->setUniformRowHeights(true);
    m_diff->setAlternatingRowColors(true);
    m_diff->header()->resizeSection(0, 110);
    m_diff->header()->resizeSection(1, 200);
    m_diff->header()->resizeSection(2, 260);
    cv->addWidget(m_diff, 1);
    bottom->addWidget(cmp);
    bottom->setStretchFactor(0, 2);
    bottom->setStretchFactor(1, 3);
    split->addWidget(bottom);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    v->addWidget(split, 1);

    connect(m_table, &QTableWidget::currentCellChanged, this, [this] {
        if (!m_filling)
            selectedScanChanged();
    });
    connect(m_target, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_filling)
            fillTable();
    });
    connect(m_against, &QComboBox::currentIndexChanged, this, [this] {
        if (m_filling)
            return;
        const int row = m_table->currentRow();
        if (row >= 0 && row < int(m_shown.size()) && m_against->currentData().isValid())
            compare(m_against->currentData().toLongLong(), m_shown[std::size_t(row)]->id);
    });
}

void ScansPage::refresh(const Store& store)
{
    m_cachePath = store.path();
    m_scans = store.scans();
    m_filling = true;
    const QString keep = m_target->currentData().toString();
    m_target->clear();
    m_target->addItem(tr("All targets"), QString());
    std::set<QString> targets;
    for (const auto& s : m_scans)
        for (const auto& src : s.sources)
            targets.insert(QString::fromStdString(src.target));
    for (const auto& t : targets)
        m_target->addItem(t, t);
    m_target->setCurrentIndex(std::max(0, m_target->findData(keep)));
    m_filling = false;
    fillTable();
}

void ScansPage::setTargetFilter(const QString& target)
{
    m_target->setCurrentIndex(std::max(0, m_target->findData(target)));
}

const ScanInfo* ScansPage::scanById(std::int64_t id) const
{
    for (const auto& s : m_scans)
        if (s.id == id)
            return &s;
    return nullptr;
}

void ScansPage::fillTable()
{
    const QString target = m_target->currentData().toString();
    m_shown.clear();
    for (auto it = m_scans.rbegin(); it != m_scans.rend(); ++it)
        if (target.isEmpty() || hasTarget(*it, target))
            m_shown.push_back(&*it);
    m_filling = true;
    m_table->clearContents();
    m_table->setRowCount(int(m_shown.size()));
    for (int row = 0; row < int(m_shown.size()); ++row) {
        const auto& s = *m_shown[std::size_t(row)];
        auto cell = [&](int col, const QString& text, QColor color = {}) {
            auto* item = new QTableWidgetItem(text);
            if (color.isValid())
                item->setForeground(color);
            if (col != 1 && col != 9)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_table->setItem(row, col, item);
        };
        cell(0, QString::number(s.id));
        cell(1, when(s.finishedAt));
        cell(2, s.overallScore ? QString::number(*s.overallScore) : QStringLiteral("—"),
            theme::scoreColor(s.overallScore));
        int col = 3;
        for (Layer l : kAllLayers) {
            auto ls = std::find_if(s.layers.begin(), s.layers.end(), [&](const auto& x) { return x.layer == l; });
            if (ls == s.layers.end())
                cell(col++, tr("not scanned"), QColor(0x90, 0x90, 0x90));
            else
                cell(
                    col++, ls->score ? QString::number(*ls->score) : QStringLiteral("—"), theme::scoreColor(ls->score));
        }
        cell(col++, QString::number(s.resources));
        QStringList names;
        for (const auto& src : s.sources)
            names << QString::fromStdString(src.target) + (src.ok ? QString() : tr(" (failed)"));
        cell(col, names.join(QStringLiteral(", ")));
    }
    m_table->resizeColumnsToContents();
    m_filling = false;
    if (!m_shown.empty()) {
        m_table->setCurrentCell(0, 0);
        selectedScanChanged(); // also when row 0 was already current: it now shows another scan
    } else {
        m_sources->setHtml(tr("<p>No scan yet.</p>"));
        m_diff->clear();
        m_diffTitle->clear();
    }
}

void ScansPage::selectedScanChanged()
{
    const int row = m_table->currentRow();
    if (row < 0 || row >= int(m_shown.size()))
        return;
    const ScanInfo& s = *m_shown[std::size_t(row)];
    QString html = s.runBy.empty()
        ? tr("<b>Scan %1</b> with %2<ul>").arg(s.id).arg(QString::fromStdString(s.toolVersion).toHtmlEscaped())
        : tr("<b>Scan %1</b> by %2 with %3<ul>")
              .arg(s.id)
              .arg(QString::fromStdString(s.runBy).toHtmlEscaped(),
                  QString::fromStdString(s.toolVersion).toHtmlEscaped());
    for (const auto& src : s.sources) {
        html += QStringLiteral("<li>%1 <b>%2</b> (%3): %4</li>")
                    .arg(src.ok ? QStringLiteral("✔") : QStringLiteral("✘"),
                        QString::fromStdString(src.target).toHtmlEscaped(), QString::fromStdString(src.kind),
                        src.ok ? QString::fromStdString(src.location).toHtmlEscaped()
                               : QString::fromStdString(src.error + " — " + src.hint).toHtmlEscaped());
    }
    m_sources->setHtml(html + QStringLiteral("</ul>"));

    // Compare with any older scan; by default the previous one of the same list (same target when filtered).
    m_filling = true;
    m_against->clear();
    for (std::size_t i = std::size_t(row) + 1; i < m_shown.size(); ++i)
        m_against->addItem(
            tr("scan %1 · %2").arg(m_shown[i]->id).arg(when(m_shown[i]->finishedAt)), qlonglong(m_shown[i]->id));
    for (const auto& other : m_scans) // newer scans too, after the older ones
        if (other.id > s.id && std::find(m_shown.begin(), m_shown.end(), &other) != m_shown.end())
            m_against->addItem(
                tr("scan %1 · %2 (newer)").arg(other.id).arg(when(other.finishedAt)), qlonglong(other.id));
    m_filling = false;
    if (m_against->count() == 0) {
        m_against->addItem(tr("no other scan"));
        m_against->setEnabled(false);
        m_diff->clear();
        m_diffTitle->setText(tr("This is the only scan in the list: the next one can be compared with it."));
        return;
    }
    m_against->setEnabled(true);
    m_against->setCurrentIndex(0);
    compare(m_against->currentData().toLongLong(), s.id);
}

void ScansPage::compare(std::int64_t older, std::int64_t newer)
{
    if (older > newer)
        std::swap(older, newer);
    const ScanInfo* a = scanById(older);
    const ScanInfo* b = scanById(newer);
    if (!a || !b || m_cachePath.empty())
        return;
    // Score changes per layer come from the scans themselves; the findings from SQL, in the background.
    QStringList deltas;
    for (Layer l : kAllLayers) {
        auto la = std::find_if(a->layers.begin(), a->layers.end(), [&](const auto& x) { return x.layer == l; });
        auto lb = std::find_if(b->layers.begin(), b->layers.end(), [&](const auto& x) { return x.layer == l; });
        if (la == a->layers.end() || lb == b->layers.end() || !la->score || !lb->score)
            continue;
        const int d = *lb->score - *la->score;
        deltas << QStringLiteral("%1 <span style='color:%2'>%3%4</span>")
                      .arg(theme::layerTitle(l), d < 0 ? QStringLiteral("#B01E2D") : QStringLiteral("#2E8B57"),
                          d > 0 ? QStringLiteral("+") : QString())
                      .arg(d);
    }
    const QString header
        = tr("<b>Scan %1 → scan %2</b> (%3 → %4)<br>%5")
              .arg(older)
              .arg(newer)
              .arg(when(a->finishedAt), when(b->finishedAt),
                  deltas.isEmpty() ? tr("no layer scored in both") : deltas.join(QStringLiteral(" · ")));
    m_diffTitle->setText(header + tr("<br>Comparing…"));
    m_diff->clear();
    m_worker->run<ScanDiffSummary>(
        m_cachePath,
        [older, newer](
            const Store& reader, const std::atomic<bool>&) { return reader.diffSummary(older, newer, kDiffRows); },
        [this, header](ScanDiffSummary d) {
            m_diffTitle->setText(
                header + tr("<br>%1 new · %2 resolved · %3 unchanged").arg(d.added).arg(d.resolved).arg(d.unchanged));
            const auto group = [this](const QString& title, const std::vector<Finding>& fs, int total, QColor color) {
                auto* top = new QTreeWidgetItem(m_diff,
                    { total > int(fs.size()) ? tr("%1 (%2, first %3 shown)").arg(title).arg(total).arg(fs.size())
                                             : tr("%1 (%2)").arg(title).arg(total) });
                top->setFirstColumnSpanned(true);
                QFont bold = top->font(0);
                bold.setBold(true);
                top->setFont(0, bold);
                for (const auto& f : fs) {
                    auto* item = new QTreeWidgetItem(top,
                        { theme::severityTitle(f.severity), QString::fromStdString(f.rule),
                            FindingsModel::resourceText(f), QString::fromStdString(f.message) });
                    item->setForeground(0, theme::severityColor(f.severity));
                    item->setForeground(3, color);
                    item->setToolTip(3, QString::fromStdString(f.message));
                }
                top->setExpanded(true);
            };
            group(tr("New"), d.addedFirst, d.added, palette().color(QPalette::Text));
            group(tr("Resolved"), d.resolvedFirst, d.resolved, QColor(0x2E, 0x8B, 0x57));
        },
        [this, header](const QString& message) {
            m_diffTitle->setText(header
                + tr("<br><span style='color:#B01E2D'>The comparison failed: %1</span>").arg(message.toHtmlEscaped()));
        });
}

bool ScansPage::waitUntilCompared(int timeoutMs)
{
    return m_worker->waitForIdle(timeoutMs);
}

} // namespace lg
