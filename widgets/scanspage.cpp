#include "scanspage.h"

#include "theme.h"

#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace lg {

ScansPage::ScansPage(QWidget* parent)
    : QWidget(parent)
{
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(12, 8, 12, 8);
    v->addWidget(new QLabel(tr("<b>Scan history</b> — score per layer, newest first")));
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
    m_table->horizontalHeader()->setStretchLastSection(true);
    split->addWidget(m_table);
    m_sources = new QTextBrowser;
    split->addWidget(m_sources);
    split->setStretchFactor(0, 3);
    v->addWidget(split);
    connect(m_table, &QTableWidget::currentCellChanged, this, [this](int row) {
        if (row < 0 || row >= int(m_scans.size()))
            return;
        const auto& s = m_scans[m_scans.size() - 1 - std::size_t(row)];
        QString html = tr("<b>Scan %1</b> by %2 with %3<ul>")
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
    });
}

void ScansPage::refresh(const Store& store)
{
    m_scans = store.scans();
    m_table->setRowCount(int(m_scans.size()));
    int row = 0;
    for (auto it = m_scans.rbegin(); it != m_scans.rend(); ++it, ++row) {
        const auto& s = *it;
        auto cell = [&](int col, const QString& text, QColor color = {}) {
            auto* item = new QTableWidgetItem(text);
            if (color.isValid())
                item->setForeground(color);
            if (col != 1 && col != 9)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_table->setItem(row, col, item);
        };
        cell(0, QString::number(s.id));
        cell(1, QDateTime::fromSecsSinceEpoch(s.finishedAt).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
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
    if (!m_scans.empty())
        m_table->setCurrentCell(0, 0);
}

} // namespace lg
