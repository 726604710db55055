#pragma once

#include "core/findingtable.h"
#include "core/model.h"

#include <map>
#include <optional>

namespace lg {

/**
 * The one published score formula (README, "Scores"). It moves with every fix: no cap flattens it.
 *
 *   E = sum of severity weights over every (rule, subject) pair evaluated on data in the layer
 *   F = sum of severity weights over the open failures (accepted risks and exemptions count as passed)
 *   score = round(100 * (1 - F / E))
 *
 * Weights: critical 10, high 6, medium 3, low 1, info 0. What a source could not see (coverage rules) never
 * weighs. A layer that was not scanned, or where nothing was evaluated on data (E = 0), has no score.
 */
[[nodiscard]] std::optional<int> layerScore(const LayerTally& tally);

/** The gate shown beside a score, never folded into it: Critical while a critical is open, else High while a
 * high is open, else none. */
[[nodiscard]] std::optional<Severity> scoreGate(const LayerTally& tally);

/** The same formula over every scanned layer together. */
[[nodiscard]] std::optional<int> overallScore(const std::map<Layer, LayerTally>& tallies);

/** Score band names shown in the UI: good (>= 90), fair (70-89), poor (50-69), bad (< 50). */
[[nodiscard]] const char* scoreBand(int score);

/** Adds the open / accepted findings into tallies (the engine counts evaluations only). */
void tallyFindings(std::map<Layer, LayerTally>& tallies, const std::vector<Finding>& findings);
void tallyFindings(std::map<Layer, LayerTally>& tallies, const FindingTable& findings);
/** The same per target: each finding counts in its own target's tallies. */
void tallyFindings(TargetTallies& tallies, const FindingTable& findings);

} // namespace lg
