#pragma once

#include "core/model.h"

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

/** The colour scheme: the system's (the platform theme's palette), or forced light or dark. */
enum class Scheme { System, Light, Dark };
/** Applies a scheme to the application's palette (Fusion style). */
void applyScheme(Scheme scheme);
[[nodiscard]] Scheme currentScheme();
/** True when the palette in use is dark (window colour darker than its text). */
[[nodiscard]] bool isDark();

} // namespace lg::theme
