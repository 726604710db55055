#include "scoring.h"

#include <algorithm>
#include <cmath>

namespace lg {

namespace {
std::optional<int> score(long evaluatedWeight, long failedWeight, bool openCritical, bool openHigh)
{
    if (evaluatedWeight <= 0)
        return std::nullopt;
    const double ratio = 1.0 - double(std::min(failedWeight, evaluatedWeight)) / double(evaluatedWeight);
    int s = int(std::lround(100.0 * ratio));
    if (openCritical)
        s = std::min(s, 59);
    else if (openHigh)
        s = std::min(s, 79);
    return std::clamp(s, 0, 100);
}
} // namespace

std::optional<int> layerScore(const LayerTally& t)
{
    if (!t.scanned)
        return std::nullopt;
    return score(t.evaluatedWeight, t.failedWeight, t.openBySeverity[0] > 0, t.openBySeverity[1] > 0);
}

std::optional<int> overallScore(const std::map<Layer, LayerTally>& tallies)
{
    long e = 0, f = 0;
    bool crit = false, high = false;
    for (const auto& [layer, t] : tallies) {
        if (!t.scanned)
            continue;
        e += t.evaluatedWeight;
        f += t.failedWeight;
        crit = crit || t.openBySeverity[0] > 0;
        high = high || t.openBySeverity[1] > 0;
    }
    return score(e, f, crit, high);
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
    each([&](Layer layer, Severity severity, FindingStatus status) {
        auto& t = tallies[layer];
        t.scanned = true;
        const int w = severityWeight(severity);
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
            count(f.layer, f.severity, f.status);
    });
}

void tallyFindings(std::map<Layer, LayerTally>& tallies, const FindingTable& findings)
{
    tally(tallies, [&](const auto& count) {
        for (std::size_t i = 0; i < findings.size(); ++i)
            count(findings.row(i).layer, findings.row(i).severity, findings.row(i).status);
    });
}

} // namespace lg
