#pragma once

#include "core/rule.h"
#include "store/store.h"

#include <string>
#include <vector>

namespace lg {

/** Version of the JSON report schema (bumped on incompatible change). */
inline constexpr const char* kJsonReportSchema = "https://layerguard.io/schema/report/v1";

/** What every exporter writes: one scan, its findings, and the rule catalogue for rule metadata. */
struct ReportInput {
    ScanInfo scan;
    std::vector<Finding> findings;
    std::vector<AcceptedRisk> acceptedRisks;
    const RuleCatalog* catalog = nullptr;
};

/** Versioned JSON report: scan, per-layer scores, findings in the contract form. */
[[nodiscard]] std::string exportJson(const ReportInput& input);
/** RFC 4180 CSV, one row per finding, header first. */
[[nodiscard]] std::string exportCsv(const std::vector<Finding>& findings);
/** SARIF 2.1.0: one rule per rule id, partialFingerprints from the finding id. */
[[nodiscard]] std::string exportSarif(const ReportInput& input);

/** One CSV field quoted as RFC 4180 requires. */
[[nodiscard]] std::string csvField(const std::string& value);

} // namespace lg
