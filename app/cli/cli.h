#pragma once

#include <QStringList>

namespace lg {

/** True when the first argument names a headless command (scan, findings, ...). */
[[nodiscard]] bool isCliCommand(const QStringList& args);

/**
 * The cache the window is asked to open: `layerguard --db FILE` or `layerguard FILE.sqlite`; empty when the
 * arguments ask for no particular cache (the window then opens the default one).
 */
[[nodiscard]] QString dashboardCache(const QStringList& args);

/**
 * Runs a headless command (ARCHITECTURE.md, "contract — CLI"). Needs a QCoreApplication.
 * Returns the process exit code: 0 ok, 1 failure, 2 usage error, 3 when --fail-on was met.
 */
int runCli(const QStringList& args);

} // namespace lg
