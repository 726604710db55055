#pragma once

#include "core/model.h"

#include <QFrame>

#include <functional>
#include <optional>

namespace lg {

/** One layer on the overview: score, band, change since the previous scan, open counts; "not scanned" when so. */
class LayerTile : public QFrame {
public:
    LayerTile(Layer layer, QWidget* parent);
    void set(std::optional<int> score, bool scanned, std::optional<int> delta, const LayerTally& t);
    /** Called on a click, Enter or Space. */
    std::function<void(Layer)> onActivate;
    [[nodiscard]] const LayerTally& tally() const { return m_tally; }
    [[nodiscard]] bool scanned() const { return m_scanned; }

protected:
    void paintEvent(QPaintEvent* e) override;
    void mouseReleaseEvent(QMouseEvent*) override;
    void keyPressEvent(QKeyEvent* e) override;

private:
    Layer m_layer;
    std::optional<int> m_score;
    bool m_scanned = false;
    std::optional<int> m_delta;
    LayerTally m_tally;
};

} // namespace lg
