#pragma once

#include "core/model.h"

#include <QColor>

namespace lg::palette {

/** Severity colours shared by the window and the PDF; always shown with a word beside them. */
[[nodiscard]] QColor severity(Severity s);
/** One colour per layer, for charts and tiles. */
[[nodiscard]] QColor layer(Layer l);

} // namespace lg::palette
