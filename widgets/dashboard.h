#pragma once

#include <string>

namespace lg {

/**
 * Runs the desktop dashboard on `cachePath` (empty: the default cache); scans the demo lab on a first start.
 */
int runDashboard(int argc, char** argv, const std::string& cachePath = {});

} // namespace lg
