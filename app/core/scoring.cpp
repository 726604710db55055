#include "core/scoring.h"

#include <algorithm>
#include <cmath>

namespace lg {

namespace {
std::optional<int> score(long evaluatedWeight, long failedWeight)
{
    if (evaluatedWeight <= 0)
        return std::nullopt;
    const double ratio = 1.0 - double(std::min(failedWeight, evaluatedWeight)) / double(evaluatedWeight);
    return std::clamp(int(std::lround(100.0 * ratio)), 0, 100);
}
} // namespace

std::optional<int> layerScore(const LayerTally& t)
{
    if (!t.scanned)
        return std::nullopt;
    return score(t.evaluatedWeight, t.failedWeight);
}

std::optional<int> overallScore(const std::map<Layer, LayerTally>& tallies)
{
    long e = 0, f = 0;
    for (const auto& [layer, t] : tallies) {
        if (!t.scanned)
            continue;
        e += t.evaluatedWeight;
        f += t.failedWeight;
    }
    return score(e, f);
}

std::optional<Severity> scoreGate(const LayerTally& t)
{
    if (t.openBySeverity[std::size_t(Severity::Critical)] > 0)
        return Severity::Critical;
    if (t.openBySeverity[std::size_t(Severity::High)] > 0)
        return Severity::High;
    return std::nullopt;
}

const char* scoreBand(int s)
{
    if (s >= 90)
        return "good";
    if (s >= 70)
        return "fair";
    if (s >= 50)
        return "poor";
    return "bad";
}

namespace {

template <class Each> void tally(std::map<Layer, LayerTally>& tallies, Each each)
{
    for (auto& [layer, t] : tallies) {
        t.failedWeight = 0;
        t.acceptedWeight = 0;
        t.openBySeverity.fill(0);
    }
    each([&](Layer layer, Severity severity, FindingStatus status, bool scored) {
        auto& t = tallies[layer];
        t.scanned = true;
        const int w = scored ? severityWeight(severity) : 0;
        if (status == FindingStatus::Accepted) {
            t.acceptedWeight += w;
        } else if (status == FindingStatus::Open) {
            t.failedWeight += w;
            ++t.openBySeverity[static_cast<std::size_t>(severity)];
        }
    });
}

} // namespace

void tallyFindings(std::map<Layer, LayerTally>& tallies, const std::vector<Finding>& findings)
{
    tally(tallies, [&](const auto& count) {
        for (const auto& f : findings)
            count(f.layer, f.severity, f.status, f.scored);
    });
}

void tallyFindings(TargetTallies& tallies, const FindingTable& findings)
{
    for (auto& [target, layers] : tallies)
        for (auto& [layer, t] : layers) {
            t.failedWeight = 0;
            t.acceptedWeight = 0;
            t.openBySeverity.fill(0);
        }
    for (std::size_t i = 0; i < findings.size(); ++i) {
        const auto& row = findings.row(i);
        auto& t = tallies[std::string(findings.text(row.target))][row.layer];
        t.scanned = true;
        const int w = row.scored ? severityWeight(row.severity) : 0;
        if (row.status == FindingStatus::Accepted) {
            t.acceptedWeight += w;
        } else if (row.status == FindingStatus::Open) {
            t.failedWeight += w;
            ++t.openBySeverity[static_cast<std::size_t>(row.severity)];
        }
    }
}

void tallyFindings(std::map<Layer, LayerTally>& tallies, const FindingTable& findings)
{
    tally(tallies, [&](const auto& count) {
        for (std::size_t i = 0; i < findings.size(); ++i)
            count(findings.row(i).layer, findings.row(i).severity, findings.row(i).status, findings.row(i).scored);
    });
}

} // namespace lg
