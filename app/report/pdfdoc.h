#pragma once

#include "core/model.h"
#include "report/compliance.h"

#include <QColor>
#include <QFont>
#include <QGlyphRun>
#include <QHash>
#include <QPainter>
#include <QString>

#include <array>
#include <atomic>
#include <map>
#include <vector>

class QPdfWriter;

/** The PDF report's page model, shared by the report's sections; not a public API. */
namespace lg::pdf {

QString q(const std::string& s);
QColor statusColor(ControlStatus s);
/** "target" over "Kind/namespace/name [container]". */
QString resourceText(const Finding& f);
QString dateTime(std::int64_t secs);

/** The report's fonts. */
enum class Font { Body, Bold, Small, SmallBold, Mono, MonoBold, H1, H2, Title, Big, Count };

/**
 * Texts laid out once for both passes, keyed by font, width and text: the first pass lays out and
 * measures, the second only draws the glyph runs (no shaping, no line breaking a second time).
 */
struct Laid {
    double height = 0;
    QList<QGlyphRun> runs; ///< positions relative to the text's top left
};
using LayoutCache = std::map<std::pair<int, int>, QHash<QString, Laid>>;

/** Lays out and (in the second pass) paints; the first pass only measures, to number the contents. */
class Doc {
public:
    struct TocEntry {
        QString title;
        int page;
    };
    struct Cell {
        QString text;
        QColor color = Qt::black;
        bool bold = false;
        bool mono = false;
        Font font() const
        {
            if (mono)
                return bold ? Font::MonoBold : Font::Mono;
            return bold ? Font::SmallBold : Font::Small;
        }
    };
    using Row = std::vector<Cell>;

    Doc(QPdfWriter& writer, bool paint, const QString& header, LayoutCache& laid);
    ~Doc();
    Doc(const Doc&) = delete;
    Doc& operator=(const Doc&) = delete;

    static constexpr double kMargin = 48;
    int page() const { return m_page; }
    double width() const { return m_width; }
    const QFont& font(Font id) const { return m_fonts[std::size_t(id)]; }
    std::vector<TocEntry>& toc() { return m_toc; }
    void setSection(const QString& s) { m_section = s; }
    void setTotalPages(int n) { m_total = n; }
    QPainter* painter() { return m_paint ? &m_painter : nullptr; }
    double y() const { return m_y; }
    void advance(double h) { m_y += h; }
    void setCancel(const std::atomic<bool>* cancel) { m_cancel = cancel; }

    void newPage();
    void ensure(double h);
    /** Wraps at word boundaries, inside a word only when it is longer than the line (paths, digests). */
    const Laid& measure(const QString& text, Font font, double w);
    void text(const QString& t, Font font, const QColor& color = Qt::black, double indent = 0, double after = 4);
    void heading(const QString& t, int level);
    /** A table whose header repeats on every page it spans; rows never split across pages. */
    void table(const std::vector<double>& fractions, const std::vector<QString>& header, const std::vector<Row>& rows);
    void finishPage();

private:
    void draw(const QPointF& topLeft, const Laid& laid);
    void drawRow(const std::vector<double>& widths, const Row& row, double h, bool isHeader, bool shade);
    double rowHeight(const std::vector<double>& widths, const Row& row);

    QPdfWriter& m_writer;
    QPainter m_painter;
    bool m_paint;
    QString m_header;
    QString m_section;
    double m_width = 0, m_bottom = 0, m_y = 0;
    int m_page = 1, m_total = 0;
    std::array<QFont, std::size_t(Font::Count)> m_fonts;
    std::vector<TocEntry> m_toc;
    LayoutCache& m_laid;
    const std::atomic<bool>* m_cancel = nullptr;
};

/** The score of a layer per scan, oldest first, as lines (the executive summary's trend). */
void drawTrend(Doc& doc, const std::vector<ScanInfo>& history);

} // namespace lg::pdf
