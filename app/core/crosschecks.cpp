// Checks that span resources: they need to see the whole inventory before they can decide.
#include "ruleengine.h"

#include <map>
#include <set>

namespace lg {

namespace {

/** Kubernetes label selector semantics (matchLabels + matchExpressions); an empty selector selects all. */
bool selects(const nlohmann::json& selector, const nlohmann::json& labels)
{
    if (!selector.is_object())
        return false;
    auto label = [&](const std::string& key) -> const nlohmann::json* {
        if (!labels.is_object())
            return nullptr;
        auto it = labels.find(key);
        return it == labels.end() ? nullptr : &*it;
    };
    if (auto ml = selector.find("matchLabels"); ml != selector.end() && ml->is_object()) {
        for (auto it = ml->begin(); it != ml->end(); ++it) {
            const auto* v = label(it.key());
            if (!v || *v != it.value())
                return false;
        }
    }
    if (auto me = selector.find("matchExpressions"); me != selector.end() && me->is_array()) {
        for (const auto& e : *me) {
            const std::string key = e.value("key", std::string());
            const std::string op = e.value("operator", std::string());
            const auto values = e.value("values", nlohmann::json::array());
            const auto* v = label(key);
            const bool in = v && std::find(values.begin(), values.end(), *v) != values.end();
            if ((op == "In" && !in) || (op == "NotIn" && in) || (op == "Exists" && !v) || (op == "DoesNotExist" && v))
                return false;
        }
    }
    return true;
}

/**
 * Workloads whose pods no NetworkPolicy isolates for ingress and for egress (CIS-K8S 5.3.2, C-0260,
 * Polaris missingNetworkPolicy). A policy isolates a direction when it selects the pod and lists the
 * direction in policyTypes (Ingress is implied; Egress when egress rules exist). A policy with a
 * direction and no rules denies that direction: that is isolation, not a gap.
 */
class NetworkPolicyCoverage final : public CrossCheck {
public:
    explicit NetworkPolicyCoverage(const Rule& rule)
        : m_rule(rule)
    {
    }
    void observe(const Resource& r) override
    {
        if (r.layer != Layer::Orchestrator || !r.data.is_object())
            return;
        const std::string ns = r.namespace_.empty() ? std::string("default") : r.namespace_;
        if (r.kind == "NetworkPolicy") {
            const auto spec = r.data.value("spec", nlohmann::json::object());
            bool ingress = true, egress = spec.contains("egress");
            if (spec.contains("policyTypes") && spec["policyTypes"].is_array()) {
                ingress = egress = false;
                for (const auto& t : spec["policyTypes"]) {
                    ingress = ingress || t == "Ingress";
                    egress = egress || t == "Egress";
                }
            }
            m_policies.push_back({r.target, ns, r.name, spec.value("podSelector", nlohmann::json::object()), ingress,
                                  egress});
            return;
        }
        if (!isWorkloadKind(r.kind) || r.kind == "PodTemplate")
            return;
        const auto meta = r.data.value("metadata", nlohmann::json::object());
        if (r.kind == "Pod" && meta.is_object() && meta.contains("ownerReferences"))
            return; // judged through its controller
        nlohmann::json labels = nlohmann::json::object();
        const nlohmann::json* tmpl = &r.data;
        if (r.kind == "CronJob")
            tmpl = &r.data["spec"]["jobTemplate"]["spec"]["template"];
        else if (r.kind != "Pod")
            tmpl = &r.data["spec"]["template"];
        if (tmpl->is_object() && tmpl->contains("metadata") && (*tmpl)["metadata"].is_object())
            labels = (*tmpl)["metadata"].value("labels", nlohmann::json::object());
        Resource stub;
        stub.layer = r.layer;
        stub.target = r.target;
        stub.kind = r.kind;
        stub.namespace_ = r.namespace_;
        stub.name = r.name;
        stub.origin = r.origin;
        stub.data = {{"metadata", meta}};
        m_workloads.push_back({std::move(stub), ns, std::move(labels)});
    }
    void finish(RuleEngine& engine) override
    {
        for (const auto& w : m_workloads) {
            bool ingress = false, egress = false;
            std::string names;
            for (const auto& p : m_policies) {
                if (p.target != w.stub.target || p.ns != w.ns || !selects(p.selector, w.labels))
                    continue;
                ingress = ingress || p.ingress;
                egress = egress || p.egress;
                names += (names.empty() ? "" : ", ") + p.name;
            }
            const bool failed = !(ingress && egress);
            Subject subject{w.stub.target, w.stub.kind, w.stub.namespace_, w.stub.name, {}};
            std::string message;
            std::vector<Evidence> evidence;
            if (failed) {
                const std::string missing = !ingress && !egress ? "ingress or egress" : !ingress ? "ingress" : "egress";
                message = w.stub.kind + " " + w.stub.name + " in namespace " + w.ns + " is not isolated for "
                    + missing + " by any NetworkPolicy"
                    + (names.empty() ? std::string(" (no policy selects its pods)") : " (selected by " + names + ")");
                evidence.push_back({"NetworkPolicies selecting the pods", names.empty() ? nlohmann::json::array()
                                                                                        : nlohmann::json(names)});
                evidence.push_back({"isolated.ingress", ingress});
                evidence.push_back({"isolated.egress", egress});
            }
            engine.record(m_rule, w.stub, subject, failed, std::move(message), std::move(evidence));
        }
    }

private:
    struct Policy {
        std::string target, ns, name;
        nlohmann::json selector;
        bool ingress, egress;
    };
    struct Workload {
        Resource stub;
        std::string ns;
        nlohmann::json labels;
    };
    const Rule& m_rule;
    std::vector<Policy> m_policies;
    std::vector<Workload> m_workloads;
};

} // namespace

std::unique_ptr<CrossCheck> makeCrossCheck(const Rule& rule)
{
    if (rule.check == "networkpolicy-coverage")
        return std::make_unique<NetworkPolicyCoverage>(rule);
    return nullptr;
}

} // namespace lg
