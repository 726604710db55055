#include "widgets/layertile.h"

#include "core/scoring.h"
#include "widgets/theme.h"

#include <QKeyEvent>
#include <QPainter>

namespace lg {

LayerTile::LayerTile(Layer layer, QWidget* parent)
    : QFrame(parent)
    , m_layer(layer)
{
    setFrameShape(QFrame::StyledPanel);
    setMinimumSize(170, 118);
    setFocusPolicy(Qt::StrongFocus);
    setCursor(Qt::PointingHandCursor);
    setAccessibleName(theme::layerTitle(layer));
}

void LayerTile::set(std::optional<int> score, bool scanned, std::optional<int> delta, const LayerTally& t)
{
    m_score = score;
    m_scanned = scanned;
    m_delta = delta;
    m_tally = t;
    setToolTip(scanned ? tr("%1 layer: open findings and score of the latest scan. Click to see them.")
                             .arg(theme::layerTitle(m_layer))
                       : theme::layerHint(m_layer));
    update();
}

void LayerTile::paintEvent(QPaintEvent* e)
{
    QFrame::paintEvent(e);
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QRect r = rect().adjusted(12, 10, -12, -10);
    p.fillRect(QRect(0, 0, 4, height()), theme::layerColor(m_layer));
    QFont f = font();
    f.setBold(true);
    p.setFont(f);
    p.setPen(palette().color(QPalette::WindowText));
    p.drawText(r, Qt::AlignLeft | Qt::AlignTop, theme::layerTitle(m_layer));
    if (hasFocus()) {
        p.setPen(QPen(palette().color(QPalette::Highlight), 2));
        p.drawRect(rect().adjusted(1, 1, -1, -1));
    }
    if (!m_scanned) {
        f.setBold(false);
        p.setFont(f);
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(r.adjusted(0, 30, 0, 0), Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, tr("Not scanned"));
        return;
    }
    QFont big = font();
    big.setPointSizeF(font().pointSizeF() * 2.4);
    big.setBold(true);
    p.setFont(big);
    p.setPen(theme::scoreColor(m_score));
    const QString scoreText = m_score ? QString::number(*m_score) : QStringLiteral("—");
    p.drawText(r.adjusted(0, 20, 0, 0), Qt::AlignLeft | Qt::AlignTop, scoreText);
    const int scoreWidth = QFontMetrics(big).horizontalAdvance(scoreText);
    f.setBold(false);
    p.setFont(f);
    p.setPen(palette().color(QPalette::WindowText));
    QString band = m_score       ? QString::fromLatin1(scoreBand(*m_score))
        : m_tally.evaluated == 0 ? tr("not observed: no check had data")
                                 : tr("no score");
    if (m_delta && *m_delta != 0)
        band += QStringLiteral("  %1%2")
                    .arg(*m_delta > 0 ? QStringLiteral("▲") : QStringLiteral("▼"))
                    .arg(std::abs(*m_delta));
    p.drawText(r.adjusted(scoreWidth + 8, 34, 0, 0), Qt::AlignLeft | Qt::AlignTop, band);
    int x = r.left();
    const int y = r.bottom() - QFontMetrics(f).height();
    for (Severity s : { Severity::Critical, Severity::High, Severity::Medium, Severity::Low }) {
        const int n = m_tally.openBySeverity[std::size_t(s)];
        const QString text = QStringLiteral("%1%2").arg(n).arg(theme::severityTitle(s).left(1).toLower());
        p.setPen(n > 0 ? theme::severityColor(s) : palette().color(QPalette::PlaceholderText));
        p.drawText(QPoint(x, y + QFontMetrics(f).ascent()), text);
        x += QFontMetrics(f).horizontalAdvance(text) + 10;
    }
}

void LayerTile::mouseReleaseEvent(QMouseEvent*)
{
    if (onActivate)
        onActivate(m_layer);
}

void LayerTile::keyPressEvent(QKeyEvent* e)
{
    if ((e->key() == Qt::Key_Return || e->key() == Qt::Key_Enter || e->key() == Qt::Key_Space) && onActivate)
        onActivate(m_layer);
    else
        QFrame::keyPressEvent(e);
}

} // namespace lg
