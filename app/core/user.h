#pragma once

#include <string>

namespace lg {

/**
 * Who is running Layerguard, as scans, acceptances and checklist ticks record it: $USER, else the passwd entry
 * of the process's user, else "uid N". Never empty, never "unknown".
 */
[[nodiscard]] std::string currentUser();

} // namespace lg
