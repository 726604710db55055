#pragma once

#include "connectors/common/connector.h"
#include "core/model.h"
#include "core/rule.h"
#include "core/ruleengine.h"

#include <map>
#include <string>
#include <vector>

namespace lg {

/**
 * Turns the results other tools reported into findings, rule outcomes and layer tallies, next to the
 * findings of Layerguard's own rules. An ExternalCheck's data:
 *   tool, file, control (as the tool names it), rule (Layerguard's id for it, e.g. KUBE-BENCH-1.1.1),
 *   title, status (pass | fail | not_applicable | manual | info), severity, message, remediation (text),
 *   references, frameworks, same_as (control ids a Layerguard rule may cite: CIS-DOCKER-5.5, C-0017),
 *   subject {kind, namespace, name, container}, evidence [{path, value}].
 * Passes and failures count for the layer's score. A manual result (the tool could not decide) is an
 * info finding that carries no weight; an informational result is dropped. A failure that a Layerguard rule citing one
 * of its `same_as` ids also reports on the same resource of the same target is shown once: the Layerguard finding
 * gains an "also reported by" evidence line naming the tool, its control and its file. The policy applies as to any
 * rule, by the imported rule id: disabled, severity overrides, exemptions (by namespace and name).
 */
void applyExternalChecks(const std::vector<Resource>& checks, const RuleCatalog& catalog, const Policy& policy,
    FindingTable& findings, std::map<std::string, RuleOutcome>& outcomes, std::map<Layer, LayerTally>& tallies,
    TargetTallies& targetTallies);

} // namespace lg
