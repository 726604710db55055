#include "findingspage.h"
#include "jsonutil.h"

#include "findingsmodel.h"
#include "theme.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDateEdit>
#include <QDateTime>
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
#include <QSplitter>
#include <QStackedLayout>
#include <QTableView>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

namespace lg {

namespace {
QString esc(const std::string& s)
{
    return QString::fromStdString(s).toHtmlEscaped();
}

/** A link for a peer reference, where the peer publishes one. */
QString referenceLink(const std::string& ref)
{
    const QString r = QString::fromStdString(ref);
    QString url;
    if (r.startsWith(QLatin1String("KSV-")) || r.startsWith(QLatin1String("KCV-")))
        url = QStringLiteral("https://avd.aquasec.com/misconfig/") + r.toLower().remove(QLatin1Char('-'));
    else if (r.startsWith(QLatin1String("C-0")))
        url = QStringLiteral("https://hub.armosec.io/docs/") + r.toLower();
    else if (r.startsWith(QLatin1String("CVE-")))
        url = QStringLiteral("https://www.cve.org/CVERecord?id=") + r;
    else if (r.startsWith(QLatin1String("PSS-")))
        url = QStringLiteral("https://kubernetes.io/docs/concepts/security/pod-security-standards/");
    if (url.isEmpty())
        return r.toHtmlEscaped();
    return QStringLiteral("<a href=\"%1\">%2</a>").arg(url, r.toHtmlEscaped());
}
} // namespace

FindingsPage::FindingsPage(std::optional<Layer> layer, Store* store, QWidget* parent)
    : QWidget(parent)
    , m_layer(layer)
    , m_store(store)
    , m_model(new FindingsModel(this))
{
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
    auto* bar = new QHBoxLayout;
    m_search = new QLineEdit;
    m_search->setPlaceholderText(tr("Search rule, resource, message…  (Ctrl+F)"));
    m_search->setClearButtonEnabled(true);
    m_severity = new QComboBox;
    m_severity->addItem(tr("All severities"), -1);
    for (Severity s : { Severity::Critical, Severity::High, Severity::Medium, Severity::Low })
        m_severity->addItem(tr("%1 or worse").arg(theme::severityTitle(s)), int(s));
    m_status = new QComboBox;
    m_status->addItem(tr("Open and accepted"), -1);
    m_status->addItem(tr("Open"), int(FindingStatus::Open));
    m_status->addItem(tr("Accepted"), int(FindingStatus::Accepted));
    m_count = new QLabel;
    bar->addWidget(m_search, 1);
    bar->addWidget(m_severity);
    bar->addWidget(m_status);
    bar->addWidget(m_count);
    v->addLayout(bar);

    auto* split = new QSplitter(Qt::Vertical);
    m_table = new QTableView;
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(FindingsModel::SeverityColumn, Qt::AscendingOrder);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setColumnWidth(FindingsModel::SeverityColumn, 90);
    m_table->setColumnWidth(FindingsModel::RuleColumn, 230);
    m_table->setColumnWidth(FindingsModel::ResourceColumn, 300);
    m_table->setColumnWidth(FindingsModel::TargetColumn, 110);
    m_table->setColumnWidth(FindingsModel::StatusColumn, 80);
    split->addWidget(m_table);

    auto* detail = new QWidget;
    auto* dh = new QHBoxLayout(detail);
    dh->setContentsMargins(0, 0, 0, 0);
    m_detail = new QTextBrowser;
    m_detail->setOpenExternalLinks(true);
    auto* right = new QVBoxLayout;
    right->addWidget(new QLabel(tr("<b>Remediation checklist</b>")));
    m_checklist = new QListWidget;
    m_checklist->setWordWrap(true);
    right->addWidget(m_checklist, 1);
    m_accept = new QPushButton(tr("Accept risk…"));
    right->addWidget(m_accept);
    dh->addWidget(m_detail, 3);
    dh->addLayout(right, 2);
    split->addWidget(detail);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    v->addWidget(split, 1);
    m_stack->addWidget(content);

    auto* debounce = new QTimer(this);
    debounce->setSingleShot(true);
    debounce->setInterval(150);
    connect(m_search, &QLineEdit::textChanged, debounce, qOverload<>(&QTimer::start));
    connect(debounce, &QTimer::timeout, this, &FindingsPage::refresh);
    connect(m_severity, &QComboBox::currentIndexChanged, this, &FindingsPage::refresh);
    connect(m_status, &QComboBox::currentIndexChanged, this, &FindingsPage::refresh);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &FindingsPage::showDetail);
    connect(m_accept, &QPushButton::clicked, this, &FindingsPage::acceptRisk);
    connect(m_checklist, &QListWidget::itemChanged, this, [this](QListWidgetItem* item) {
        if (m_filling || m_currentId.empty())
            return;
        const bool done = item->checkState() == Qt::Checked;
        m_store->setChecklistStep(m_currentId, m_checklist->row(item), done,
            qEnvironmentVariable("USER", QStringLiteral("unknown")).toStdString(), QDateTime::currentSecsSinceEpoch());
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

void FindingsPage::refresh()
{
    const auto latest = m_store->latestScanId();
    if (!latest) {
        m_emptyText->setText(tr("No scan yet. Run a scan from the toolbar."));
        m_stack->setCurrentIndex(0);
        return;
    }
    if (m_layer) {
        const auto info = m_store->scan(*latest);
        const bool scanned = info && std::any_of(info->layers.begin(), info->layers.end(), [&](const auto& ls) {
            return ls.layer == *m_layer;
        });
        if (!scanned) {
            m_emptyText->setText(QStringLiteral("<h3>%1 — not scanned</h3>%2")
                                     .arg(theme::layerTitle(*m_layer), theme::layerHint(*m_layer)));
            m_stack->setCurrentIndex(0);
            return;
        }
    }
    m_stack->setCurrentIndex(1);
    FindingFilter filter;
    filter.layer = m_layer;
    filter.search = m_search->text().trimmed().toStdString();
    if (const int s = m_severity->currentData().toInt(); s >= 0)
        filter.minSeverity = Severity(s);
    if (const int st = m_status->currentData().toInt(); st >= 0)
        filter.status = FindingStatus(st);
    const std::string keep = m_currentId;
    m_model->setFindings(m_store->findings(*latest, filter));
    const auto& header = *m_table->horizontalHeader();
    m_model->sort(header.sortIndicatorSection(), header.sortIndicatorOrder());
    m_count->setText(tr("%n finding(s)", nullptr, m_model->rowCount()));
    int row = 0;
    for (int r = 0; r < m_model->rowCount(); ++r)
        if (m_model->findingAt(r)->id == keep)
            row = r;
    if (m_model->rowCount() > 0)
        m_table->selectRow(row);
    else
        m_detail->setHtml(tr("<p>No finding matches. %1</p>")
                              .arg(filter.search.empty() && !filter.minSeverity
                                      ? tr("Every rule that applied to this layer passed in the latest scan.")
                                      : tr("Clear the filters to see all findings.")));
    showDetail();
}

void FindingsPage::showDetail()
{
    const Finding* f = m_model->findingAt(m_table->currentIndex().row());
    m_filling = true;
    m_checklist->clear();
    if (!f) {
        m_currentId.clear();
        m_accept->setEnabled(false);
        m_filling = false;
        return;
    }
    m_currentId = f->id;
    QString html = QStringLiteral("<h3 style='margin:0'><span style='color:%1'>●</span> %2 — %3</h3>")
                       .arg(theme::severityColor(f->severity).name(), theme::severityTitle(f->severity), esc(f->title));
    html += QStringLiteral("<p>%1</p>").arg(esc(f->message));
    html += QStringLiteral("<p><b>Resource</b> %1 &nbsp; <b>Target</b> %2 &nbsp; <b>Rule</b> %3<br><b>Finding id</b> "
                           "<code>%4</code></p>")
                .arg(FindingsModel::resourceText(*f).toHtmlEscaped(), esc(f->subject.target), esc(f->rule), esc(f->id));
    if (!f->evidence.empty()) {
        html += QStringLiteral("<p><b>Evidence</b></p><table cellspacing='0' cellpadding='2'>");
        for (const auto& e : f->evidence)
            html += QStringLiteral("<tr><td><code>%1</code></td><td>= <code>%2</code></td></tr>")
                        .arg(esc(e.path), esc(e.value.is_null() ? std::string("(not set)") : dumpJson(e.value)));
        html += QStringLiteral("</table>");
    }
    if (!f->origin.empty())
        html += QStringLiteral("<p><b>Source</b> <code>%1</code></p>").arg(esc(f->origin));
    QStringList refs;
    for (const auto& r : f->references)
        refs << referenceLink(r);
    html += QStringLiteral("<p><b>References</b> %1</p>").arg(refs.join(QStringLiteral(" · ")));
    for (const auto& risk : m_store->acceptedRisks()) {
        if (risk.fid != f->id)
            continue;
        const bool expired = risk.expiresAt && *risk.expiresAt <= QDateTime::currentSecsSinceEpoch();
        html
            += QStringLiteral("<p style='color:%1'><b>%2</b> by %3: %4%5</p>")
                   .arg(expired ? QStringLiteral("#B01E2D") : QStringLiteral("#666666"),
                       expired ? tr("Risk acceptance expired") : tr("Risk accepted"), esc(risk.owner), esc(risk.reason),
                       risk.expiresAt
                           ? tr(" (until %1)")
                                 .arg(QDateTime::fromSecsSinceEpoch(*risk.expiresAt).date().toString(Qt::ISODate))
                           : QString());
    }
    m_detail->setHtml(html);

    const auto done = m_store->checklist(f->id);
    for (std::size_t i = 0; i < f->remediation.size(); ++i) {
        const auto& step = f->remediation[i];
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
    m_accept->setEnabled(true);
    m_accept->setText(f->status == FindingStatus::Accepted ? tr("Revoke acceptance") : tr("Accept risk…"));
    m_filling = false;
}

void FindingsPage::acceptRisk()
{
    const Finding* f = m_model->findingAt(m_table->currentIndex().row());
    if (!f)
        return;
    if (f->status == FindingStatus::Accepted) {
        m_store->revokeRisk(f->id);
        refresh();
        Q_EMIT stateChanged();
        return;
    }
    QDialog dlg(this);
    dlg.setWindowTitle(tr("Accept risk"));
    auto* form = new QFormLayout(&dlg);
    auto* owner = new QLineEdit(qEnvironmentVariable("USER"));
    auto* reason = new QLineEdit;
    reason->setPlaceholderText(tr("Why is this risk acceptable?"));
    auto* expires = new QDateEdit(QDate::currentDate().addDays(90));
    expires->setCalendarPopup(true);
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
    m_store->acceptRisk({ f->id, owner->text().trimmed().toStdString(), reason->text().trimmed().toStdString(),
        QDateTime(expires->date(), QTime(0, 0)).toSecsSinceEpoch(), QDateTime::currentSecsSinceEpoch() });
    refresh();
    Q_EMIT stateChanged();
}

void FindingsPage::copySelection()
{
    const auto rows = m_table->selectionModel()->selectedRows();
    QApplication::clipboard()->setText(m_model->toCsv(rows));
}

} // namespace lg
