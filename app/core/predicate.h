#pragma once

#include "core/evalcontext.h"
#include "core/model.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lg {

/**
 * A compiled predicate. It is true when the resource violates the rule. The closed set of operators
 * (documented in README.md, "Rules"): all, any, not, each (over array items), and leaf tests
 * exists, absent, equals, not_equals, in, not_in, true, not_true, matches, gt, gte, lt, lte,
 * contains, contains_any, any_not_in, empty, not_empty, bits_outside (octal file modes), any_key_not_in,
 * older_than_days (RFC 3339 timestamps, against the scan clock), version_lt, version_gte (dotted versions,
 * size_gt (array / object length),
 * "v" prefixes and suffixes such as "-generic" ignored).
 */
class Predicate {
public:
    virtual ~Predicate() = default;
    /** Evaluates; appends evidence of the leaves that made the result true (when `evidence` is set). */
    [[nodiscard]] virtual bool eval(const EvalContext& ctx, std::vector<Evidence>* evidence, bool polarity) const = 0;
};

/** Compiles a predicate from rule JSON; throws std::invalid_argument naming what is wrong. */
[[nodiscard]] std::unique_ptr<Predicate> compilePredicate(const nlohmann::json& json);

/** Compares dotted versions numerically ("1.1.12" < "1.1.9" is false); -1, 0 or 1. */
[[nodiscard]] int compareVersions(std::string_view a, std::string_view b);

/** Human text of a JSON value for messages: strings bare, the rest as compact JSON. */
[[nodiscard]] std::string displayValue(const nlohmann::json& value);

} // namespace lg
