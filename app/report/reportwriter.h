#pragma once

#include "report/compliance.h"

#include <atomic>
#include <string>

namespace lg {

/**
 * Writes a report of a stored scan in one of the formats pdf, json, csv, sarif, junit (atomically:
 * a failed write leaves no half file). With `filterFindings`, json/csv/sarif keep only findings of the
 * given frameworks. Returns a one-line summary for the user. Throws std::runtime_error or StoreError.
 * The PDF needs a QGuiApplication; `cancel`, once set, stops a PDF at its next page. The latest scan is
 * reported as of `now` (0: the clock), acceptances made, revoked or expired since it ran counted; an older
 * scan as it was recorded. With a `target`, only that target's findings and scores (a scan may cover several).
 * "Changed since the previous scan" compares each target with its own previous scan.
 */
std::string writeReport(const Store& store, std::int64_t scanId, const std::string& format, const std::string& path,
    const std::vector<Framework>& frameworks, bool filterFindings, const std::atomic<bool>* cancel = nullptr,
    std::int64_t now = 0, const std::string& target = {});

} // namespace lg
