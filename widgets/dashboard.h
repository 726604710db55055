#pragma once

#include <functional>
#include <string>

class QMainWindow;

namespace lg {

/**
 * Runs the desktop dashboard on `cachePath` (empty: the default cache); scans the demo lab on a first start.
 * `shown` is called once the window is shown (the startup benchmark watches its first frame).
 */
int runDashboard(
    int argc, char** argv, const std::string& cachePath = {}, const std::function<void(QMainWindow&)>& shown = {});

} // namespace lg
