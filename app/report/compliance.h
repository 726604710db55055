#pragma once

#include "core/frameworks.h"
#include "core/rule.h"
#include "store/store.h"

#include <string>
#include <vector>

namespace lg {

/** Resolves user spellings (cis-docker, cis-k8s, pss, nsa, ...) to frameworks; throws std::invalid_argument. */
[[nodiscard]] std::vector<Framework> parseFrameworks(const std::string& commaList);

enum class ControlStatus { Pass, Fail, NotApplicable, NotObserved };
[[nodiscard]] const char* toString(ControlStatus s);

/** One control of a framework as a scan saw it. */
struct ControlResult {
    std::string control; ///< e.g. "CIS-DOCKER-5.5" (several joined with ", ")
    const Rule* rule = nullptr;
    ControlStatus status = ControlStatus::NotObserved;
    int evaluated = 0;
    int failed = 0;
    std::vector<const Finding*> findings; ///< open and accepted findings of the rule
};

/** The controls of a framework for one scan, ordered by control id (numeric parts compared as numbers). */
[[nodiscard]] std::vector<ControlResult> controlResults(const Framework& framework, const RuleCatalog& catalog,
    const std::map<std::string, RuleOutcome>& outcomes, const std::vector<Finding>& findings);

/** JUnit XML: a testsuite per framework, a testcase per control (failure / skipped as it stands). */
[[nodiscard]] std::string exportJUnit(const ScanInfo& scan, const std::vector<Framework>& frameworks,
    const RuleCatalog& catalog, const std::map<std::string, RuleOutcome>& outcomes,
    const std::vector<Finding>& findings);

} // namespace lg
