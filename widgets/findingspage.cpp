#include "widgets/findingspage.h"

#include "core/user.h"
#include "widgets/cacheworker.h"
#include "widgets/findingdetail.h"
#include "widgets/findingsmodel.h"
#include "widgets/theme.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDataStream>
#include <QDateEdit>
#include <QDateTime>
#include <QDesktopServices>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QShortcut>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStackedLayout>
#include <QStackedWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace lg {

namespace {
QString esc(const std::string& s)
{
    return QString::fromStdString(s).toHtmlEscaped();
}
} // namespace

FindingsPage::FindingsPage(std::optional<Layer> layer, Store* store, QWidget* parent)
    : QWidget(parent)
    , m_layer(layer)
    , m_store(store)
    , m_model(new FindingsModel(this))
{
    m_model->setStore(store);
    m_stack = new QStackedLayout(this);
    auto* empty = new QWidget;
    auto* ev = new QVBoxLayout(empty);
    m_emptyText = new QLabel;
    m_emptyText->setAlignment(Qt::AlignCenter);
    m_emptyText->setWordWrap(true);
    ev->addStretch();
    ev->addWidget(m_emptyText);
    ev->addStretch();
    m_stack->addWidget(empty);

    auto* content = new QWidget;
    auto* v = new QVBoxLayout(content);
    v->setContentsMargins(12, 8, 12, 8);
    v->addLayout(createFilterBar());
    m_groupChip = new QToolButton;
    m_groupChip->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_groupChip->setToolTip(tr("Back to the groups"));
    m_groupChip->hide();
    connect(m_groupChip, &QToolButton::clicked, this, [this] {
        m_openGroupSet = false;
        m_openGroup.clear();
        refresh();
    });
    v->addWidget(m_groupChip, 0, Qt::AlignLeft);

    m_split = new QSplitter(Qt::Vertical);
    m_split->addWidget(createTables());
    m_split->addWidget(createDetailPane());
    m_split->setStretchFactor(0, 3);
    m_split->setStretchFactor(1, 2);
    v->addWidget(m_split, 1);
    m_stack->addWidget(content);
    connectSignals();
}

QHBoxLayout* FindingsPage::createFilterBar()
{
    auto* bar = new QHBoxLayout;
    m_search = new QLineEdit;
    m_search->setPlaceholderText(tr("Search rule, resource, message…  (Ctrl+F)"));
    m_search->setClearButtonEnabled(true);
    bar->addWidget(m_search, 1);
    // Severity chips: each shows its count and toggles its severity.
    for (Severity s : { Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info }) {
        auto* chip = new QToolButton;
        chip->setCheckable(true);
        chip->setChecked(true);
        chip->setAutoRaise(false);
        chip->setToolButtonStyle(Qt::ToolButtonTextOnly);
        chip->setToolTip(tr("Show or hide %1 findings").arg(theme::severityTitle(s).toLower()));
        chip->setStyleSheet(
            QStringLiteral("QToolButton { border: 1px solid %1; border-radius: 10px; padding: 2px 8px; }"
                           "QToolButton:checked { background: %1; color: white; }")
                .arg(theme::severityColor(s).name()));
        chip->setText(theme::severityTitle(s));
        connect(chip, &QToolButton::toggled, this, &FindingsPage::refresh);
        m_chips[std::size_t(s)] = chip;
        bar->addWidget(chip);
    }
    // Open findings past the deadline their severity has (see Policy::slaDays).
    m_overdueChip = new QToolButton;
    m_overdueChip->setCheckable(true);
    m_overdueChip->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_overdueChip->setText(tr("Overdue"));
    m_overdueChip->setToolTip(tr("Only open findings past their deadline: critical %1 days, high %2, medium %3, "
                                 "low %4 after they were first seen")
                                  .arg(kDefaultSlaDays[0])
                                  .arg(kDefaultSlaDays[1])
                                  .arg(kDefaultSlaDays[2])
                                  .arg(kDefaultSlaDays[3]));
    m_overdueChip->setStyleSheet(QStringLiteral("QToolButton { border: 1px dashed palette(mid); border-radius: 10px; "
                                                "padding: 2px 8px; } QToolButton:checked { border-style: solid; "
                                                "background: palette(highlight); color: palette(highlighted-text); }"));
    connect(m_overdueChip, &QToolButton::toggled, this, &FindingsPage::refresh);
    bar->addWidget(m_overdueChip);
    m_status = new QComboBox;
    m_status->addItem(tr("Any status"), -1);
    m_status->addItem(tr("Open"), int(FindingStatus::Open));
    m_status->addItem(tr("Accepted"), int(FindingStatus::Accepted));
    m_status->addItem(tr("Exempted"), int(FindingStatus::Exempted));
    m_groupBy = new QComboBox;
    m_groupBy->addItem(tr("No grouping"), int(FindingGroupBy::None));
    for (FindingGroupBy by :
        { FindingGroupBy::Rule, FindingGroupBy::Resource, FindingGroupBy::Namespace, FindingGroupBy::Target })
        m_groupBy->addItem(tr("Group by %1").arg(FindingGroupsModel::groupTitle(by).toLower()), int(by));
    m_count = new QLabel;
    m_count->setMinimumWidth(80);
    m_count->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    bar->addWidget(m_status);
    bar->addWidget(m_groupBy);
    bar->addWidget(m_count);
    return bar;
}

QWidget* FindingsPage::createTables()
{
    m_table = new QTableView;
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(FindingsModel::SeverityColumn, Qt::AscendingOrder);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed); // a million rows, no per-row sizes
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setColumnWidth(FindingsModel::SeverityColumn, 90);
    m_table->setColumnWidth(FindingsModel::RuleColumn, 230);
    m_table->setColumnWidth(FindingsModel::ResourceColumn, 300);
    m_table->setColumnWidth(FindingsModel::TargetColumn, 110);
    m_table->setColumnWidth(FindingsModel::StatusColumn, 80);
    m_table->setColumnWidth(FindingsModel::AgeColumn, 140);
    m_groupsModel = new FindingGroupsModel(this);
    m_groupsWorker = new CacheWorker(this);
    m_groupsTable = new QTableView;
    m_groupsTable->setModel(m_groupsModel);
    m_groupsTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_groupsTable->setSelectionMode(QAbstractItemView::SingleSelection);
    m_groupsTable->verticalHeader()->hide();
    m_groupsTable->verticalHeader()->setDefaultSectionSize(m_groupsTable->fontMetrics().height() + 8);
    m_groupsTable->horizontalHeader()->setSectionResizeMode(FindingGroupsModel::KeyColumn, QHeaderView::Stretch);
    m_groupsTable->setAlternatingRowColors(true);
    m_groupsTable->setToolTip(tr("Enter or double-click: the group's findings"));
    connect(m_groupsTable, &QTableView::activated, this, [this](const QModelIndex& index) {
        openGroup(index.siblingAtColumn(0).data(FindingGroupsModel::KeyRole).toString());
    });
    m_tables = new QStackedWidget;
    m_tables->addWidget(m_table);
    m_tables->addWidget(m_groupsTable);
    return m_tables;
}

QWidget* FindingsPage::createDetailPane()
{
    auto* detail = new QWidget;
    auto* dh = new QHBoxLayout(detail);
    dh->setContentsMargins(0, 0, 0, 0);
    m_detail = new QTextBrowser;
    m_detail->setOpenLinks(false);
    connect(m_detail, &QTextBrowser::anchorClicked, this, [](const QUrl& url) {
        if (FindingDetail::isWebLink(url))
            QDesktopServices::openUrl(url);
    });
    auto* right = new QVBoxLayout;
    right->addWidget(new QLabel(tr("<b>Remediation checklist</b>")));
    m_checklist = new QListWidget;
    m_checklist->setWordWrap(true);
    right->addWidget(m_checklist, 1);
    m_accept = new QPushButton(tr("Accept risk…"));
    right->addWidget(m_accept);
    dh->addWidget(m_detail, 3);
    dh->addLayout(right, 2);
    return detail;
}

void FindingsPage::connectSignals()
{
    auto* debounce = new QTimer(this);
    debounce->setSingleShot(true);
    debounce->setInterval(150);
    connect(m_search, &QLineEdit::textChanged, debounce, qOverload<>(&QTimer::start));
    connect(debounce, &QTimer::timeout, this, &FindingsPage::refresh);
    connect(m_status, &QComboBox::currentIndexChanged, this, &FindingsPage::refresh);
    connect(m_groupBy, &QComboBox::currentIndexChanged, this, [this] {
        m_openGroupSet = false;
        m_openGroup.clear();
        refresh();
    });
    connect(m_model, &FindingsModel::queryStarted, this, [this] { m_count->setText(tr("Loading…")); });
    connect(m_model, &FindingsModel::queryFinished, this, [this](int rows, qint64) { queryFinished(rows); });
    connect(m_model, &FindingsModel::severityCountsChanged, this, [this] {
        const auto& counts = m_model->severityCounts();
        for (std::size_t i = 0; i < m_chips.size(); ++i)
            m_chips[i]->setText(QStringLiteral("%1 %2").arg(theme::severityTitle(Severity(i))).arg(counts[i]));
    });
    connect(m_model, &FindingsModel::queryFailed, this, [this](const QString& message) { showQueryError(message); });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &FindingsPage::showDetail);
    connect(m_accept, &QPushButton::clicked, this, &FindingsPage::acceptRisk);
    connect(m_checklist, &QListWidget::itemChanged, this, [this](QListWidgetItem* item) {
        if (m_filling || m_currentId.empty())
            return;
        const bool done = item->checkState() == Qt::Checked;
        m_store->setChecklistStep(
            m_currentId, m_checklist->row(item), done, currentUser(), QDateTime::currentSecsSinceEpoch());
        showDetail();
        Q_EMIT stateChanged();
    });
    auto* find = new QShortcut(QKeySequence::Find, this);
    connect(find, &QShortcut::activated, m_search, [this] {
        m_search->setFocus();
        m_search->selectAll();
    });
    auto* copy = new QShortcut(QKeySequence::Copy, m_table);
    copy->setContext(Qt::WidgetShortcut);
    connect(copy, &QShortcut::activated, this, &FindingsPage::copySelection);
}

void FindingsPage::setTarget(const QString& target)
{
    m_target = target.toStdString();
    m_stale = true;
}

void FindingsPage::refresh()
{
    // The estate: the latest scan of each target (of the one picked), as of now.
    const std::int64_t now = QDateTime::currentSecsSinceEpoch();
    const EstatePosture estate = m_store->estate(now, m_target);
    if (estate.targets.empty()) {
        m_emptyText->setText(m_target.empty() ? tr("No scan yet. Run a scan from the toolbar.")
                                              : tr("No scan of %1 yet.").arg(QString::fromStdString(m_target)));
        m_stack->setCurrentIndex(0);
        return;
    }
    if (m_layer) {
        const bool scanned = std::any_of(
            estate.layers.begin(), estate.layers.end(), [&](const auto& ls) { return ls.layer == *m_layer; });
        if (!scanned) {
            m_emptyText->setText(QStringLiteral("<h3>%1 — not scanned</h3>%2")
                                     .arg(theme::layerTitle(*m_layer), theme::layerHint(*m_layer)));
            m_stack->setCurrentIndex(0);
            return;
        }
    }
    m_stack->setCurrentIndex(1);
    m_stale = false;
    FindingQuery query = currentQuery(estate.targets.front().scanId);
    query.filter.asOf = now;
    if (estate.targets.size() == 1) {
        query.filter.target = estate.targets.front().target;
    } else {
        query.scanId = 0;
        for (const auto& t : estate.targets)
            query.parts.emplace_back(t.scanId, t.target);
    }
    const auto by = FindingGroupBy(m_groupBy->currentData().toInt());
    if (m_openGroupSet)
        m_groupChip->setText(
            tr("%1: %2   ✕")
                .arg(FindingGroupsModel::groupTitle(by), m_openGroup.isEmpty() ? tr("(none)") : m_openGroup));
    m_groupChip->setVisible(m_openGroupSet);
    if (by != FindingGroupBy::None && !m_openGroupSet) {
        m_model->cancel(); // a flat result arriving now would write over the groups' count and detail
        m_tables->setCurrentWidget(m_groupsTable);
        loadGroups(query);
        m_model->updateSeverityCounts(query);
        return;
    }
    m_groupsWorker->cancel();
    m_tables->setCurrentWidget(m_table);
    m_model->setQuery(query);
}

FindingQuery FindingsPage::currentQuery(std::int64_t scanId) const
{
    FindingQuery q;
    q.scanId = scanId;
    q.filter.asOf = m_store->statusTime(scanId, QDateTime::currentSecsSinceEpoch()); // the latest scan as of now
    q.filter.layer = m_layer;
    q.filter.search = m_search->text().trimmed().toStdString();
    q.filter.severities = 0;
    for (std::size_t i = 0; i < m_chips.size(); ++i)
        if (m_chips[i]->isChecked())
            q.filter.severities |= 1U << i;
    if (const int st = m_status->currentData().toInt(); st >= 0)
        q.filter.status = FindingStatus(st);
    if (m_overdueChip->isChecked())
        q.filter.overdueAt = QDateTime::currentSecsSinceEpoch();
    if (m_openGroupSet) {
        q.filter.groupBy = FindingGroupBy(m_groupBy->currentData().toInt());
        q.filter.groupKey = m_openGroup.toStdString();
    }
    const auto& header = *m_table->horizontalHeader();
    q.sort = FindingsModel::sortForColumn(header.sortIndicatorSection());
    q.descending = header.sortIndicatorOrder() == Qt::DescendingOrder;
    return q;
}

void FindingsPage::loadGroups(const FindingQuery& query)
{
    const auto by = FindingGroupBy(m_groupBy->currentData().toInt());
    m_count->setText(tr("Loading…"));
    m_groupsWorker->run<std::vector<FindingGroup>>(
        m_store->path(),
        [query, by](const Store& reader, const std::atomic<bool>&) { return reader.findingGroups(query, by); },
        [this, by](std::vector<FindingGroup> groups) {
            long total = 0;
            for (const auto& g : groups)
                total += g.findings;
            m_groupsModel->setGroups(by, std::move(groups));
            m_count->setText(tr("%n group(s)", nullptr, m_groupsModel->rowCount()));
            m_groupsTable->setToolTip(
                tr("%n finding(s) in these groups. Enter or double-click: the group's findings", nullptr, int(total)));
            if (m_groupsModel->rowCount() > 0 && !m_groupsTable->currentIndex().isValid())
                m_groupsTable->selectRow(0);
            m_detail->setHtml(m_groupsModel->rowCount() > 0
                    ? tr("<p>Pick a group (Enter or double-click) to see its findings.</p>")
                    : tr("<p>No finding matches. Clear the filters to see all findings.</p>"));
            m_currentId.clear();
            m_checklist->clear();
            m_accept->setEnabled(false);
        },
        [this](const QString& message) { showQueryError(message); });
}

void FindingsPage::showQueryError(const QString& message)
{
    m_count->setText(tr("Query failed"));
    m_detail->setHtml(
        tr("<p style='color:#B01E2D'><b>The cache could not be read.</b> %1</p>").arg(message.toHtmlEscaped()));
}

void FindingsPage::queryFinished(int rows)
{
    m_count->setText(tr("%n finding(s)", nullptr, rows));
    int row = 0;
    if (!m_currentId.empty()) {
        const auto& q = m_model->query();
        std::vector<std::int64_t> scans { q.scanId };
        if (!q.parts.empty()) {
            scans.clear();
            for (const auto& part : q.parts)
                scans.push_back(part.first);
        }
        for (auto scan : scans)
            if (const auto rowId = m_store->findingRowId(scan, m_currentId)) {
                row = std::max(0, m_model->rowOfRowId(*rowId));
                break;
            }
    }
    if (rows > 0) {
        m_table->selectRow(row);
        m_table->scrollTo(m_model->index(row, 0));
    } else {
        const auto& f = m_model->query().filter;
        m_detail->setHtml(tr("<p>No finding matches. %1</p>")
                              .arg(f.search.empty() && f.severities == 0x1f && !f.status && !f.overdueAt
                                          && f.groupBy == FindingGroupBy::None
                                      ? tr("Every rule that applied to this layer passed in the latest scan.")
                                      : tr("Clear the filters to see all findings.")));
    }
    showDetail();
}

void FindingsPage::setGroupBy(FindingGroupBy by)
{
    m_groupBy->setCurrentIndex(m_groupBy->findData(int(by)));
}

void FindingsPage::openGroup(const QString& key)
{
    m_openGroup = key;
    m_openGroupSet = true;
    refresh();
}

void FindingsPage::setSeverityShown(Severity severity, bool shown)
{
    m_chips[std::size_t(severity)]->setChecked(shown);
}

void FindingsPage::setOverdueOnly(bool only)
{
    m_overdueChip->setChecked(only);
}

void FindingsPage::selectFinding(const std::string& findingId)
{
    { // one refresh below, not one per cleared filter
        const QSignalBlocker search(m_search), overdue(m_overdueChip), status(m_status), group(m_groupBy);
        m_search->clear();
        for (auto* chip : m_chips) {
            const QSignalBlocker quiet(chip);
            chip->setChecked(true);
        }
        m_overdueChip->setChecked(false);
        m_status->setCurrentIndex(0);
        m_groupBy->setCurrentIndex(0);
    }
    m_openGroupSet = false;
    m_openGroup.clear();
    m_currentId = findingId; // selected when the rows arrive (queryFinished)
    m_stale = true;
    refresh();
}

QByteArray FindingsPage::saveLayout() const
{
    QByteArray out;
    QDataStream s(&out, QIODevice::WriteOnly);
    s << quint8(1) << m_table->horizontalHeader()->saveState() << m_split->saveState()
      << m_groupsTable->horizontalHeader()->saveState();
    return out;
}

void FindingsPage::restoreLayout(const QByteArray& layout)
{
    QDataStream s(layout);
    quint8 version = 0;
    QByteArray header, split, groups;
    s >> version >> header >> split >> groups;
    if (version != 1 || s.status() != QDataStream::Ok)
        return; // an older or damaged layout: keep the defaults
    m_table->horizontalHeader()->restoreState(header);
    m_split->restoreState(split);
    m_groupsTable->horizontalHeader()->restoreState(groups);
}

void FindingsPage::refreshWhenShown()
{
    m_stale = true;
    if (isVisible())
        refresh();
}

void FindingsPage::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    if (m_stale)
        refresh();
}

bool FindingsPage::waitUntilLoaded(int timeoutMs)
{
    return m_model->waitForQuery(timeoutMs) && m_groupsWorker->waitForIdle(timeoutMs);
}

void FindingsPage::showDetail()
{
    const Finding* f
        = m_tables->currentWidget() == m_table ? m_model->findingAt(m_table->currentIndex().row()) : nullptr;
    m_filling = true;
    m_checklist->clear();
    if (!f) {
        m_currentId.clear();
        m_accept->setEnabled(false);
        m_filling = false;
        return;
    }
    m_currentId = f->id;
    // The acceptance in force now, or the last one that ended (expired or revoked), for this finding.
    std::optional<AcceptedRisk> last;
    for (const auto& risk : m_store->acceptedRisks())
        if (risk.fid == f->id)
            last = risk;
    const int slaDays = m_model->query().filter.slaDays[std::size_t(f->severity)];
    m_detail->setHtml(FindingDetail::html(*f, slaDays, last, QDateTime::currentSecsSinceEpoch()));
    fillChecklist(*f);
    m_accept->setEnabled(f->status != FindingStatus::Exempted); // an exemption is changed in the policy
    m_accept->setText(f->status == FindingStatus::Accepted ? tr("Revoke acceptance…") : tr("Accept risk…"));
    m_filling = false;
}

void FindingsPage::fillChecklist(const Finding& f)
{
    const auto done = m_store->checklist(f.id);
    for (std::size_t i = 0; i < f.remediation.size(); ++i) {
        const auto& step = f.remediation[i];
        QString text = QStringLiteral("%1. %2").arg(i + 1).arg(QString::fromStdString(step.text));
        auto it = std::find_if(done.begin(), done.end(), [&](const ChecklistEntry& e) { return e.step == int(i); });
        if (it != done.end())
            text += tr("\n   ✓ %1, %2")
                        .arg(QString::fromStdString(it->doneBy),
                            QDateTime::fromSecsSinceEpoch(it->doneAt).toString(QStringLiteral("d MMM HH:mm")));
        auto* item = new QListWidgetItem(text);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(it != done.end() ? Qt::Checked : Qt::Unchecked);
        if (!step.snippet.empty())
            item->setToolTip(QString::fromStdString(step.snippet));
        m_checklist->addItem(item);
    }
}

void FindingsPage::acceptRisk()
{
    // A copy: the dialog's event loop may deliver a new query, which frees the model's windows.
    const Finding* current = m_model->findingAt(m_table->currentIndex().row());
    if (!current)
        return;
    const Finding finding = *current;
    const Finding* f = &finding;
    if (f->status == FindingStatus::Accepted) {
        if (QMessageBox::question(this, tr("Revoke acceptance"),
                tr("Count this finding as open again from now on? Stored scans keep their scores."))
            != QMessageBox::Yes)
            return;
        m_store->revokeRisk(f->id, currentUser(), QDateTime::currentSecsSinceEpoch());
        refresh();
        Q_EMIT stateChanged();
        return;
    }
    QDialog dlg(this);
    dlg.setWindowTitle(tr("Accept risk"));
    auto* form = new QFormLayout(&dlg);
    auto* owner = new QLineEdit(QString::fromStdString(currentUser()));
    auto* reason = new QLineEdit;
    reason->setPlaceholderText(tr("Why is this risk acceptable?"));
    auto* expires = new QDateEdit(QDate::currentDate().addDays(90));
    expires->setCalendarPopup(true);
    expires->setMinimumDate(QDate::currentDate().addDays(1)); // an acceptance applies from now, never to the past
    form->addRow(new QLabel(
        QStringLiteral("<b>%1</b><br>%2").arg(esc(f->title), FindingsModel::resourceText(*f).toHtmlEscaped())));
    form->addRow(tr("Owner"), owner);
    form->addRow(tr("Reason"), reason);
    form->addRow(tr("Expires"), expires);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dlg, [&] {
        if (owner->text().trimmed().isEmpty() || reason->text().trimmed().isEmpty()) {
            QMessageBox::warning(&dlg, tr("Accept risk"), tr("An accepted risk needs an owner and a reason."));
            return;
        }
        dlg.accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, &dlg, &QDialog::reject);
    if (dlg.exec() != QDialog::Accepted)
        return;
    AcceptedRisk risk;
    risk.fid = f->id;
    risk.owner = owner->text().trimmed().toStdString();
    risk.reason = reason->text().trimmed().toStdString();
    risk.expiresAt = QDateTime(expires->date(), QTime(0, 0)).toSecsSinceEpoch();
    risk.createdAt = QDateTime::currentSecsSinceEpoch();
    risk.acceptedBy = currentUser();
    m_store->acceptRisk(risk);
    refresh();
    Q_EMIT stateChanged();
}

void FindingsPage::copySelection()
{
    const auto rows = m_table->selectionModel()->selectedRows();
    QApplication::clipboard()->setText(m_model->toCsv(rows));
}

} // namespace lg
