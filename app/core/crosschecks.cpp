// Checks that span resources: they need to see the whole inventory before they can decide.
#include "ruleengine.h"

#include <map>
#include <set>

namespace lg {

namespace {

/** Namespaces with workloads but no NetworkPolicy selecting them (CIS-K8S 5.3.2, C-0260). */
class NetworkPolicyCoverage final : public CrossCheck {
public:
    explicit NetworkPolicyCoverage(const Rule& rule)
        : m_rule(rule)
    {
    }
    void observe(const Resource& r) override
    {
        if (r.layer != Layer::Orchestrator)
            return;
        const std::string ns = r.namespace_.empty() ? std::string("default") : r.namespace_;
        if (r.kind == "NetworkPolicy") {
            m_covered.insert({r.target, ns});
        } else if (isWorkloadKind(r.kind) && m_workload.find({r.target, ns}) == m_workload.end()) {
            Resource stub;
            stub.layer = r.layer;
            stub.target = r.target;
            stub.kind = "Namespace";
            stub.name = ns;
            stub.origin = r.origin;
            stub.data = {{"metadata", {{"name", ns}}}};
            m_workload.emplace(std::make_pair(r.target, ns), std::make_pair(std::move(stub), r.kind + "/" + r.name));
        }
    }
    void finish(RuleEngine& engine) override
    {
        for (const auto& [key, value] : m_workload) {
            const auto& [stub, example] = value;
            const bool failed = m_covered.find(key) == m_covered.end();
            Subject subject{key.first, "Namespace", "", key.second, {}};
            std::string message = failed ? "Namespace " + key.second + " runs workloads (e.g. " + example
                    + ") but no NetworkPolicy applies to it: every pod accepts traffic from anywhere"
                                         : std::string();
            std::vector<Evidence> evidence;
            if (failed)
                evidence.push_back({"NetworkPolicy objects in namespace " + key.second, 0});
            engine.record(m_rule, stub, subject, failed, std::move(message), std::move(evidence));
        }
    }

private:
    const Rule& m_rule;
    std::set<std::pair<std::string, std::string>> m_covered;
    std::map<std::pair<std::string, std::string>, std::pair<Resource, std::string>> m_workload;
};

} // namespace

std::unique_ptr<CrossCheck> makeCrossCheck(const Rule& rule)
{
    if (rule.check == "networkpolicy-coverage")
        return std::make_unique<NetworkPolicyCoverage>(rule);
    return nullptr;
}

} // namespace lg
