#pragma once

#include "findingtable.h"
#include "model.h"

#include <map>
#include <optional>

namespace lg {

/**
 * The one published score formula (README, "Scores").
 *
 *   E = sum of severity weights over every (rule, subject) pair evaluated in the layer
 *   F = sum of severity weights over the open failures (accepted risks count as passed)
 *   score = round(100 * (1 - F / E)), capped at 59 while an open critical finding remains
 *           and at 79 while an open high finding remains.
 *
 * Weights: critical 10, high 6, medium 3, low 1, info 0. A layer that was not scanned, or where
 * no rule applied (E = 0), has no score.
 */
[[nodiscard]] std::optional<int> layerScore(const LayerTally& tally);

/** The same formula over every scanned layer together. */
[[nodiscard]] std::optional<int> overallScore(const std::map<Layer, LayerTally>& tallies);

/** Score band names shown in the UI: good (>= 90), fair (70-89), poor (50-69), bad (< 50). */
[[nodiscard]] const char* scoreBand(int score);

/** Adds the open / accepted findings into tallies (the engine counts evaluations only). */
void tallyFindings(std::map<Layer, LayerTally>& tallies, const std::vector<Finding>& findings);
void tallyFindings(std::map<Layer, LayerTally>& tallies, const FindingTable& findings);

} // namespace lg
