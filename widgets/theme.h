#pragma once

#include "model.h"

#include <QColor>
#include <QString>

namespace lg::theme {

/** Severity colours, legible on light and dark palettes; always shown with a word beside them. */
[[nodiscard]] QColor severityColor(Severity s);
/** Score band colour: good green, fair amber, poor orange, bad red; grey when there is no score. */
[[nodiscard]] QColor scoreColor(std::optional<int> score);
[[nodiscard]] QColor layerColor(Layer l);
[[nodiscard]] QString layerTitle(Layer l);
[[nodiscard]] QString severityTitle(Severity s);
/** One-line explanation of a layer for empty states. */
[[nodiscard]] QString layerHint(Layer l);

} // namespace lg::theme
