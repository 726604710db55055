// Other tools' reports: OpenSCAP XCCDF/ARF, Lynis, kube-bench, docker-bench, Kubescape, Trivy, Grype;
// what they give goes through the rules and the merge with Layerguard's findings.
#include "connectors/importers/importers.h"
#include "fuzz.h"
#include "scan/external.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::vector<lg::Resource> resources;
    try {
        resources = lg::ImportConnector::parse(lg::fuzz::input(data, size), "fuzz", {}, 1);
    } catch (const std::exception&) {
        return 0;
    }
    std::vector<lg::Resource> checks, others;
    for (auto& r : resources)
        (r.kind == lg::kExternalCheckKind ? checks : others).push_back(std::move(r));
    lg::FindingTable findings;
    lg::RuleEngine engine(lg::fuzz::catalog(), lg::Policy {}, 1795910400);
    engine.setSink(&findings);
    for (const auto& r : others)
        engine.add(r);
    engine.finish();
    auto outcomes = engine.outcomes();
    auto tallies = engine.tallies();
    auto targetTallies = engine.targetTallies();
    lg::applyExternalChecks(checks, lg::fuzz::catalog(), lg::Policy {}, findings, outcomes, tallies, targetTallies);
    findings.removeDuplicates();
    (void)findings.findings();
    return 0;
}
