#include "widgets/findingsmodel.h"

#include "report/exporters.h"
#include "widgets/cacheworker.h"
#include "widgets/theme.h"

#include <QDateTime>
#include <QIcon>
#include <QPainter>
#include <QPixmap>

#include <algorithm>
#include <set>

namespace lg {

namespace {
QIcon severityIcon(Severity s)
{
    static std::map<Severity, QIcon> cache;
    auto it = cache.find(s);
    if (it != cache.end())
        return it->second;
    QPixmap pm(12, 12);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setBrush(theme::severityColor(s));
    p.setPen(Qt::NoPen);
    p.drawEllipse(1, 1, 10, 10);
    p.end();
    return cache.emplace(s, QIcon(pm)).first->second;
}
} // namespace

FindingsModel::FindingsModel(QObject* parent)
    : QAbstractTableModel(parent)
    , m_worker(new CacheWorker(this))
    , m_countsWorker(new CacheWorker(this))
{
}

FindingsModel::~FindingsModel() = default;

void FindingsModel::setStore(Store* store)
{
    m_store = store;
    beginResetModel();
    m_ids.clear();
    clearWindows();
    endResetModel();
}

void FindingsModel::setQuery(const FindingQuery& query)
{
    m_query = query;
    m_haveQuery = true;
    startQuery();
}

void FindingsModel::startQuery()
{
    if (!m_store || !m_haveQuery)
        return;
    Q_EMIT queryStarted();
    const FindingQuery query = m_query;
    const qint64 started = QDateTime::currentMSecsSinceEpoch();
    m_worker->run<std::vector<std::int64_t>>(
        m_store->path(),
        [query](const Store& reader, const std::atomic<bool>& cancel) { return reader.findingRowIds(query, &cancel); },
        [this, started](std::vector<std::int64_t> ids) {
            beginResetModel();
            m_ids = std::move(ids);
            clearWindows();
            endResetModel();
            Q_EMIT queryFinished(int(m_ids.size()), QDateTime::currentMSecsSinceEpoch() - started);
        },
        [this](const QString& message) { Q_EMIT queryFailed(message); });
    updateSeverityCounts(query);
}

void FindingsModel::cancel()
{
    m_worker->cancel();
}

void FindingsModel::updateSeverityCounts(const FindingQuery& query)
{
    if (!m_store)
        return;
    m_countsWorker->run<std::array<int, 5>>(
        m_store->path(),
        [query](const Store& reader, const std::atomic<bool>&) { return reader.severityCounts(query); },
        [this](std::array<int, 5> counts) {
            m_severityCounts = counts;
            Q_EMIT severityCountsChanged();
        },
        [](const QString&) {});
}

bool FindingsModel::isLoading() const
{
    return m_worker->isBusy();
}

bool FindingsModel::waitForRows(int timeoutMs)
{
    return m_worker->waitForIdle(timeoutMs);
}

bool FindingsModel::waitForQuery(int timeoutMs)
{
    return m_worker->waitForIdle(timeoutMs) && m_countsWorker->waitForIdle(timeoutMs);
}

void FindingsModel::clearWindows()
{
    m_windows.clear();
    m_windowOrder.clear();
}

const Finding* FindingsModel::findingAt(int row) const
{
    if (row < 0 || row >= int(m_ids.size()) || !m_store)
        return nullptr;
    const int w = row / kWindow;
    auto it = m_windows.find(w);
    if (it != m_windows.end()) {
        // Least recently read goes first when a window must make room.
        m_windowOrder.erase(std::find(m_windowOrder.begin(), m_windowOrder.end(), w));
        m_windowOrder.push_back(w);
    } else {
        const std::size_t first = std::size_t(w) * kWindow;
        const std::size_t n = std::min<std::size_t>(kWindow, m_ids.size() - first);
        std::vector<Finding> rows;
        try {
            rows = m_store->findingsByRowId(m_query.scanId, m_ids.data() + first, n, m_query.filter.asOf);
        } catch (const StoreError&) {
            return nullptr; // not kept: the next paint tries again, and the next query refreshes
        }
        constexpr std::size_t kMaxWindows = 16; // ~4,000 rows: several screens either way
        if (m_windowOrder.size() >= kMaxWindows) {
            m_windows.erase(m_windowOrder.front());
            m_windowOrder.pop_front();
        }
        it = m_windows.emplace(w, std::move(rows)).first;
        m_windowOrder.push_back(w);
    }
    if (std::size_t(row % kWindow) >= it->second.size())
        return nullptr;
    const Finding& f = it->second[std::size_t(row % kWindow)];
    return f.id.empty() ? nullptr : &f;
}

int FindingsModel::rowOfRowId(std::int64_t rowId) const
{
    const auto it = std::find(m_ids.begin(), m_ids.end(), rowId);
    return it == m_ids.end() ? -1 : int(it - m_ids.begin());
}

int FindingsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_ids.size());
}
int FindingsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString FindingsModel::resourceText(const Finding& f)
{
    // Host files are named by their path: "HostFile /etc/docker/daemon.json" reads better than "HostFile//etc".
    QString r = QString::fromStdString(f.subject.kind)
        + (f.subject.name.starts_with('/') ? QLatin1Char(' ') : QLatin1Char('/'));
    if (!f.subject.namespace_.empty())
        r += QString::fromStdString(f.subject.namespace_) + QLatin1Char('/');
    r += QString::fromStdString(f.subject.name);
    if (!f.subject.container.empty())
        r += QStringLiteral(" [") + QString::fromStdString(f.subject.container) + QLatin1Char(']');
    return r;
}

namespace {
bool isOverdue(const Finding& f, const std::array<int, 5>& sla, std::int64_t now)
{
    return f.status == FindingStatus::Open && overdue(f.severity, f.firstSeen, now, sla);
}
} // namespace

QString FindingsModel::ageText(std::int64_t firstSeen, std::int64_t now)
{
    const std::int64_t s = std::max<std::int64_t>(now - firstSeen, 0);
    if (s < 3600)
        return tr("%1 min").arg(s / 60);
    if (s < 86400)
        return tr("%1 h").arg(s / 3600);
    return s < 2 * 86400 ? tr("1 day") : tr("%1 days").arg(s / 86400);
}

QVariant FindingsModel::data(const QModelIndex& index, int role) const
{
    const Finding* f = index.isValid() ? findingAt(index.row()) : nullptr;
    if (!f)
        return {};
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case SeverityColumn:
            return theme::severityTitle(f->severity);
        case RuleColumn:
            return QString::fromStdString(f->rule);
        case ResourceColumn:
            return resourceText(*f);
        case TargetColumn:
            return QString::fromStdString(f->subject.target);
        case StatusColumn:
            switch (f->status) {
            case FindingStatus::Accepted:
                return QStringLiteral("Accepted");
            case FindingStatus::Exempted:
                return QStringLiteral("Exempted");
            default:
                return QStringLiteral("Open");
            }
        case AgeColumn: {
            if (f->firstSeen <= 0)
                return QString();
            const auto now = QDateTime::currentSecsSinceEpoch();
            const QString age = ageText(f->firstSeen, now);
            return isOverdue(*f, m_query.filter.slaDays, now) ? tr("%1, overdue").arg(age) : age;
        }
        case MessageColumn:
            return QString::fromStdString(f->message);
        }
        break;
    case OverdueRole:
        return isOverdue(*f, m_query.filter.slaDays, QDateTime::currentSecsSinceEpoch());
    case Qt::DecorationRole:
        if (index.column() == SeverityColumn)
            return severityIcon(f->severity);
        break;
    case Qt::ToolTipRole:
        if (index.column() == AgeColumn && f->firstSeen > 0) {
            const int days = m_query.filter.slaDays[std::size_t(f->severity)];
            const QString seen
                = tr("First seen %1")
                      .arg(QDateTime::fromSecsSinceEpoch(f->firstSeen).toString(QStringLiteral("yyyy-MM-dd HH:mm")));
            return days > 0 ? tr("%1\nTo be fixed within %2 days of that (%3 findings)")
                                  .arg(seen)
                                  .arg(days)
                                  .arg(theme::severityTitle(f->severity).toLower())
                            : seen;
        }
        return QString::fromStdString(f->title + "\n" + f->message);
    case FindingIdRole:
        return QString::fromStdString(f->id);
    case SeverityRole:
        return int(f->severity);
    case Qt::ForegroundRole:
        if (f->status == FindingStatus::Accepted || f->status == FindingStatus::Exempted)
            return QColor(0x80, 0x80, 0x80);
        if (index.column() == AgeColumn && isOverdue(*f, m_query.filter.slaDays, QDateTime::currentSecsSinceEpoch()))
            return theme::severityColor(Severity::Critical);
        break;
    }
    return {};
}

QVariant FindingsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case SeverityColumn:
        return tr("Severity");
    case RuleColumn:
        return tr("Rule");
    case ResourceColumn:
        return tr("Resource");
    case TargetColumn:
        return tr("Target");
    case StatusColumn:
        return tr("Status");
    case AgeColumn:
        return tr("Age");
    case MessageColumn:
        return tr("Message");
    }
    return {};
}

FindingSort FindingsModel::sortForColumn(int column)
{
    switch (column) {
    case RuleColumn:
        return FindingSort::Rule;
    case ResourceColumn:
        return FindingSort::Resource;
    case TargetColumn:
        return FindingSort::Target;
    case StatusColumn:
        return FindingSort::Status;
    case MessageColumn:
        return FindingSort::Message;
    case AgeColumn:
        return FindingSort::Age;
    default:
        return FindingSort::Severity;
    }
}

void FindingsModel::sort(int column, Qt::SortOrder order)
{
    const FindingSort s = sortForColumn(column);
    const bool descending = order == Qt::DescendingOrder;
    if (s == m_query.sort && descending == m_query.descending)
        return;
    m_query.sort = s;
    m_query.descending = descending;
    startQuery();
}

QString FindingsModel::toCsv(const QModelIndexList& rows) const
{
    std::set<int> wanted;
    for (const auto& i : rows)
        wanted.insert(i.row());
    std::vector<Finding> subset;
    for (int r : wanted)
        if (const Finding* f = findingAt(r))
            subset.push_back(*f);
    return QString::fromStdString(exportCsv(subset));
}

FindingGroupsModel::FindingGroupsModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void FindingGroupsModel::setGroups(FindingGroupBy by, std::vector<FindingGroup> groups)
{
    beginResetModel();
    m_by = by;
    m_groups = std::move(groups);
    endResetModel();
}

const FindingGroup* FindingGroupsModel::groupAt(int row) const
{
    return row >= 0 && row < int(m_groups.size()) ? &m_groups[std::size_t(row)] : nullptr;
}

int FindingGroupsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_groups.size());
}

int FindingGroupsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString FindingGroupsModel::groupTitle(FindingGroupBy by)
{
    switch (by) {
    case FindingGroupBy::Rule:
        return tr("Rule");
    case FindingGroupBy::Resource:
        return tr("Resource");
    case FindingGroupBy::Namespace:
        return tr("Namespace");
    case FindingGroupBy::Target:
        return tr("Target");
    case FindingGroupBy::None:
        break;
    }
    return tr("Group");
}

QVariant FindingGroupsModel::data(const QModelIndex& index, int role) const
{
    const FindingGroup* g = index.isValid() ? groupAt(index.row()) : nullptr;
    if (!g)
        return {};
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case KeyColumn:
            return g->key.empty() ? tr("(none)") : QString::fromStdString(g->key);
        case CountColumn:
            return g->findings;
        case WorstColumn:
            return theme::severityTitle(g->worst);
        case LayersColumn:
            return g->layers;
        }
        break;
    case Qt::DecorationRole:
        if (index.column() == WorstColumn)
            return severityIcon(g->worst);
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == CountColumn || index.column() == LayersColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case KeyRole:
        return QString::fromStdString(g->key);
    }
    return {};
}

QVariant FindingGroupsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case KeyColumn:
        return groupTitle(m_by);
    case CountColumn:
        return tr("Findings");
    case WorstColumn:
        return tr("Worst");
    case LayersColumn:
        return tr("Layers");
    }
    return {};
}

} // namespace lg
