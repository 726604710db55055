#pragma once

namespace lg {

/** Runs the desktop dashboard on the default cache; scans the demo lab on a first start. */
int runDashboard(int argc, char** argv);

} // namespace lg
