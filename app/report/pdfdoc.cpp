#include "report/pdfdoc.h"

#include "report/palette.h"

#include <QDateTime>
#include <QPainterPath>
#include <QPdfWriter>
#include <QTextLayout>

#include <stdexcept>

namespace lg::pdf {

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

QColor statusColor(ControlStatus s)
{
    switch (s) {
    case ControlStatus::Pass:
        return QColor(0x2E, 0x8B, 0x57);
    case ControlStatus::Fail:
        return QColor(0xB0, 0x1E, 0x2D);
    default:
        return QColor(0x70, 0x70, 0x70);
    }
}

QString resourceText(const Finding& f)
{
    const Subject& s = f.subject;
    return q(s.target + "\n" + s.kind + "/" + (s.namespace_.empty() ? "" : s.namespace_ + "/") + s.name
        + (s.container.empty() ? "" : " [" + s.container + "]"));
}

QString dateTime(std::int64_t secs)
{
    return QDateTime::fromSecsSinceEpoch(secs, Qt::UTC).toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'"));
}

Doc::Doc(QPdfWriter& writer, bool paint, const QString& header, LayoutCache& laid)
    : m_writer(writer)
    , m_paint(paint)
    , m_header(header)
    , m_laid(laid)
{
    if (m_paint)
        m_painter.begin(&m_writer);
    m_width = m_writer.width() - 2 * kMargin;
    m_bottom = m_writer.height() - kMargin - 24;
    const QString sans = QStringLiteral("DejaVu Sans");
    const QString mono = QStringLiteral("DejaVu Sans Mono");
    auto set = [&](Font id, const QString& family, double size, bool bold) {
        QFont f(family);
        f.setPointSizeF(size);
        f.setBold(bold);
        m_fonts[std::size_t(id)] = f;
    };
    set(Font::Body, sans, 9, false);
    set(Font::Bold, sans, 9, true);
    set(Font::Small, sans, 7, false);
    set(Font::SmallBold, sans, 7, true);
    set(Font::Mono, mono, 7, false);
    set(Font::MonoBold, mono, 7, true);
    set(Font::H1, sans, 15, true);
    set(Font::H2, sans, 11, true);
    set(Font::Title, sans, 24, true);
    set(Font::Big, sans, 40, true);
    m_y = kMargin;
    m_page = 1;
}

Doc::~Doc()
{
    if (m_paint)
        m_painter.end();
}

void Doc::newPage()
{
    if (m_cancel && m_cancel->load())
        throw std::runtime_error("cancelled");
    finishPage();
    if (m_paint)
        m_writer.newPage();
    ++m_page;
    m_y = kMargin + 18;
}

void Doc::ensure(double h)
{
    if (m_y + h > m_bottom)
        newPage();
}

const Laid& Doc::measure(const QString& text, Font font, double w)
{
    auto& cache = m_laid[{ int(font), int(w * 8) }];
    auto it = cache.constFind(text);
    if (it != cache.constEnd())
        return *it;
    QString lines = text;
    lines.replace(QLatin1Char('\n'), QChar::LineSeparator);
    QTextLayout layout(lines, this->font(font), &m_writer);
    QTextOption option;
    option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    layout.setTextOption(option);
    Laid laid;
    layout.beginLayout();
    for (QTextLine line = layout.createLine(); line.isValid(); line = layout.createLine()) {
        line.setLineWidth(w);
        line.setPosition(QPointF(0, laid.height));
        laid.height += line.height();
    }
    layout.endLayout();
    laid.runs = layout.glyphRuns();
    return *cache.insert(text, std::move(laid));
}

void Doc::text(const QString& t, Font font, const QColor& color, double indent, double after)
{
    const Laid& laid = measure(t, font, m_width - indent);
    ensure(laid.height);
    if (m_paint) {
        m_painter.setPen(color);
        draw(QPointF(kMargin + indent, m_y), laid);
    }
    const double h = laid.height;
    m_y += h + after;
}

void Doc::heading(const QString& t, int level)
{
    const Font f = level == 1 ? Font::H1 : Font::H2;
    if (level == 1) {
        newPage();
        m_section = t;
        m_toc.push_back({ t, m_page });
    } else {
        ensure(measure(t, f, m_width).height + 40);
        m_y += 6;
    }
    text(t, f, QColor(0x1F, 0x3A, 0x5F), 0, level == 1 ? 10 : 5);
}

double Doc::rowHeight(const std::vector<double>& widths, const Row& row)
{
    double h = 0;
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
        h = std::max(h, measure(row[i].text, row[i].font(), widths[i] - 6).height);
    return h + 5;
}

void Doc::drawRow(const std::vector<double>& widths, const Row& row, double h, bool isHeader, bool shade)
{
    if (m_paint) {
        if (isHeader)
            m_painter.fillRect(QRectF(kMargin, m_y, m_width, h), QColor(0xE8, 0xEE, 0xF5));
        else if (shade)
            m_painter.fillRect(QRectF(kMargin, m_y, m_width, h), QColor(0xF7, 0xF7, 0xF7));
        double x = kMargin;
        for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
            m_painter.setPen(row[i].color);
            draw(QPointF(x + 3, m_y + 2.5), measure(row[i].text, row[i].font(), widths[i] - 6));
            x += widths[i];
        }
        m_painter.setPen(QPen(QColor(0xDD, 0xDD, 0xDD), 0.5));
        m_painter.drawLine(QPointF(kMargin, m_y + h), QPointF(kMargin + m_width, m_y + h));
    }
    m_y += h;
}

void Doc::table(const std::vector<double>& fractions, const std::vector<QString>& header, const std::vector<Row>& rows)
{
    std::vector<double> widths;
    for (double f : fractions)
        widths.push_back(f * m_width);
    Row head;
    for (const auto& h : header)
        head.push_back({ h, QColor(0x1F, 0x3A, 0x5F), true, false });
    const double headHeight = rowHeight(widths, head);
    ensure(headHeight + (rows.empty() ? 0 : rowHeight(widths, rows.front())));
    drawRow(widths, head, headHeight, true, false);
    bool shade = false;
    for (const auto& row : rows) {
        const double h = rowHeight(widths, row);
        if (m_y + h > m_bottom) {
            newPage();
            drawRow(widths, head, headHeight, true, false);
        }
        drawRow(widths, row, h, false, shade);
        shade = !shade;
    }
    m_y += 8;
}

void Doc::draw(const QPointF& topLeft, const Laid& laid)
{
    for (const QGlyphRun& run : laid.runs)
        m_painter.drawGlyphRun(topLeft, run);
}

void Doc::finishPage()
{
    if (!m_paint)
        return;
    m_painter.setFont(font(Font::Small));
    m_painter.setPen(QColor(0x70, 0x70, 0x70));
    if (m_page > 1) {
        m_painter.drawText(QRectF(kMargin, kMargin - 14, m_width, 12), Qt::AlignLeft, m_header);
        m_painter.drawText(QRectF(kMargin, kMargin - 14, m_width, 12), Qt::AlignRight, m_section);
        m_painter.drawLine(QPointF(kMargin, kMargin), QPointF(kMargin + m_width, kMargin));
    }
    m_painter.drawText(QRectF(kMargin, m_writer.height() - kMargin + 4, m_width, 12), Qt::AlignCenter,
        QStringLiteral("Page %1 of %2").arg(m_page).arg(m_total));
}

namespace {

std::optional<int> layerScoreOf(const ScanInfo& s, Layer l)
{
    for (const auto& ls : s.layers)
        if (ls.layer == l)
            return ls.score;
    return std::nullopt;
}

} // namespace

void drawTrend(Doc& doc, const std::vector<ScanInfo>& history)
{
    const double h = 150;
    doc.ensure(h + 20);
    QPainter* p = doc.painter();
    const QRectF area(Doc::kMargin + 30, doc.y(), doc.width() - 130, h - 20);
    if (p && history.size() >= 1) {
        p->setPen(QPen(QColor(0xBB, 0xBB, 0xBB), 0.5));
        p->setFont(doc.font(Font::Small));
        for (int v = 0; v <= 100; v += 25) {
            const double y = area.bottom() - area.height() * v / 100.0;
            p->drawLine(QPointF(area.left(), y), QPointF(area.right(), y));
            p->setPen(QColor(0x70, 0x70, 0x70));
            p->drawText(QRectF(Doc::kMargin, y - 6, 26, 12), Qt::AlignRight, QString::number(v));
            p->setPen(QPen(QColor(0xBB, 0xBB, 0xBB), 0.5));
        }
        // At most two points per horizontal point of the chart.
        const std::size_t n = history.size();
        const std::size_t step = std::max<std::size_t>(1, n / std::size_t(area.width() * 2));
        double legendY = area.top();
        for (Layer l : kAllLayers) {
            QPainterPath path;
            bool started = false;
            for (std::size_t i = 0; i < n; i += step) {
                const auto s = layerScoreOf(history[i], l);
                if (!s)
                    continue;
                const double x = n == 1 ? area.center().x() : area.left() + area.width() * double(i) / double(n - 1);
                const double y = area.bottom() - area.height() * *s / 100.0;
                if (!started)
                    path.moveTo(x, y);
                else
                    path.lineTo(x, y);
                started = true;
            }
            if (!started)
                continue;
            const QColor c = palette::layer(l);
            p->setPen(QPen(c, 1.6));
            p->drawPath(path);
            if (n == 1)
                p->drawEllipse(path.currentPosition(), 2, 2);
            p->fillRect(QRectF(area.right() + 10, legendY + 3, 8, 8), c);
            p->setPen(Qt::black);
            p->drawText(QRectF(area.right() + 22, legendY, 80, 12), Qt::AlignLeft, q(std::string(toString(l))));
            legendY += 14;
        }
        p->setPen(QColor(0x70, 0x70, 0x70));
        p->drawText(QRectF(area.left(), area.bottom() + 4, area.width(), 12), Qt::AlignLeft,
            dateTime(history.front().finishedAt));
        p->drawText(QRectF(area.left(), area.bottom() + 4, area.width(), 12), Qt::AlignRight,
            dateTime(history.back().finishedAt));
    }
    doc.advance(h);
}
} // namespace lg::pdf
