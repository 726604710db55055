#include "findingsmodel.h"

#include "exporters.h"
#include "theme.h"

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
{
}

void FindingsModel::setFindings(std::vector<Finding> findings)
{
    beginResetModel();
    m_findings = std::move(findings);
    endResetModel();
}

const Finding* FindingsModel::findingAt(int row) const
{
    return row >= 0 && row < int(m_findings.size()) ? &m_findings[std::size_t(row)] : nullptr;
}

int FindingsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_findings.size());
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
            return f->status == FindingStatus::Accepted ? QStringLiteral("Accepted") : QStringLiteral("Open");
        case MessageColumn:
            return QString::fromStdString(f->message);
        }
        break;
    case Qt::DecorationRole:
        if (index.column() == SeverityColumn)
            return severityIcon(f->severity);
        break;
    case Qt::ToolTipRole:
        return QString::fromStdString(f->title + "\n" + f->message);
    case FindingIdRole:
        return QString::fromStdString(f->id);
    case SeverityRole:
        return int(f->severity);
    case Qt::ForegroundRole:
        if (f->status == FindingStatus::Accepted)
            return QColor(0x80, 0x80, 0x80);
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
    case MessageColumn:
        return tr("Message");
    }
    return {};
}

void FindingsModel::sort(int column, Qt::SortOrder order)
{
    Q_EMIT layoutAboutToBeChanged();
    auto key = [column](const Finding& f) -> std::string {
        switch (column) {
        case SeverityColumn:
            return std::string(1, char('0' + int(f.severity)));
        case RuleColumn:
            return f.rule;
        case ResourceColumn:
            return f.subject.kind + f.subject.namespace_ + f.subject.name + f.subject.container;
        case TargetColumn:
            return f.subject.target;
        case StatusColumn:
            return std::string(toString(f.status));
        default:
            return f.message;
        }
    };
    std::stable_sort(m_findings.begin(), m_findings.end(), [&](const Finding& a, const Finding& b) {
        return order == Qt::AscendingOrder ? key(a) < key(b) : key(b) < key(a);
    });
    Q_EMIT layoutChanged();
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

} // namespace lg
