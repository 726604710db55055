#pragma once

#include "report/compliance.h"

#include <atomic>
#include <optional>

namespace lg {

/** What the PDF report shows; all of it comes from the cache. */
struct PdfReportInput {
    ScanInfo scan;
    std::vector<ScanInfo> history; ///< oldest first, for the trend
    std::optional<ScanDiff> diffFromPrevious;
    std::vector<Finding> findings;
    std::map<std::string, RuleOutcome> outcomes;
    std::vector<AcceptedRisk> acceptedRisks;
    std::map<std::string, std::vector<ChecklistEntry>> checklist; ///< by finding id
    const RuleCatalog* catalog = nullptr;
    std::vector<Framework> frameworks;
    const std::atomic<bool>* cancel = nullptr; ///< checked at every page: set, the writer stops ("cancelled")
    /** Open findings past these deadlines (days per severity) at `deadlinesAt` are listed as overdue. */
    std::array<int, 5> slaDays = kDefaultSlaDays;
    std::int64_t deadlinesAt = 0; ///< 0: when the scan finished
    /** Set for an estate report: each target's latest scan (a section each); `scan` then holds the estate. */
    std::vector<TargetPosture> targets;
    /** Mean time to remediate per severity over the 90 days before `deadlinesAt`. */
    std::array<RemediationTime, 5> remediation {};
};

/**
 * Draws the compliance report with QPainter on QPdfWriter (A4): cover, contents, executive summary
 * with scores and the trend, a section per framework (control table, then failing resources with
 * evidence and remediation), overdue findings and time to remediate, accepted risks, checklist progress, and an
 * appendix (method, sources, score formula). Running headers, "page X of N", tables that repeat their header across
 * pages. Needs a QGuiApplication (fonts). Returns the number of pages; throws std::runtime_error.
 */
int writePdfReport(const std::string& path, const PdfReportInput& input);

} // namespace lg
