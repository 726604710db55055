// Network checks across resources: which pods a NetworkPolicy selects, and which none does.
#include "core/crosschecks_shared.h"
#include "core/jsonutil.h"
#include "core/kubeshape.h"
#include "core/rbacdefaults.h"

#include <QDateTime>

#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <tuple>

namespace lg::crosscheck {

namespace {

/** Cilium's endpoint labels carry a source prefix ("k8s:app"); a selector may name it or not. */
nlohmann::json withoutCiliumSources(const nlohmann::json& selector)
{
    if (!selector.is_object())
        return selector;
    nlohmann::json out = selector;
    auto strip = [](const std::string& key) {
        for (const char* source : { "k8s:", "any:", "container:", "reserved:" })
            if (key.starts_with(source))
                return key.substr(std::string_view(source).size());
        return key;
    };
    if (auto ml = out.find("matchLabels"); ml != out.end() && ml->is_object()) {
        nlohmann::json labels = nlohmann::json::object();
        for (auto it = ml->begin(); it != ml->end(); ++it)
            labels[strip(it.key())] = it.value();
        *ml = std::move(labels);
    }
    if (auto me = out.find("matchExpressions"); me != out.end() && me->is_array())
        for (auto& e : *me)
            if (e.is_object() && e.contains("key") && e["key"].is_string())
                e["key"] = strip(e["key"].get<std::string>());
    return out;
}

/**
 * Network isolation of workloads, from Kubernetes NetworkPolicies and Cilium's (Clusterwide)NetworkPolicies.
 * Two checks share it: `networkpolicy-none`, a workload no policy selects at all (Kubescape C-0260, CIS-K8S
 * 5.3.2); `networkpolicy-coverage`, a workload that policies select but do not isolate in both directions
 * (with the first: Kubescape C-0030, Polaris missingNetworkPolicy). A policy isolates a direction when it selects
 * the pod and governs the direction: policyTypes (Ingress implied, Egress when egress rules exist), or a Cilium
 * rule's ingress/egress (or Deny) section. A governed direction without rules denies it: isolation, not a gap.
 */
class NetworkPolicyCoverage final : public PolicyCheck {
public:
    NetworkPolicyCoverage(const Rule& rule, const lg::Policy& policy)
        : PolicyCheck(rule, policy)
        , m_anyPolicy(rule.check == "networkpolicy-none")
    {
    }
    void observe(const Resource& r) override
    {
        if (r.layer != Layer::Orchestrator || !r.data.is_object())
            return;
        const std::string ns = r.namespace_.empty() ? std::string("default") : r.namespace_;
        if (r.kind == "NetworkPolicy") {
            const auto& spec = member(r.data, "spec");
            bool ingress = true, egress = !member(spec, "egress").is_null();
            if (member(spec, "policyTypes").is_array()) {
                ingress = egress = false;
                for (const auto& t : member(spec, "policyTypes")) {
                    ingress = ingress || t == "Ingress";
                    egress = egress || t == "Egress";
                }
            }
            // podSelector is required and defaults to {} (every pod of the namespace) when a manifest leaves it out
            const auto& selector = member(spec, "podSelector");
            m_policies.push_back({ r.target, ns, false, r.name,
                selector.is_null() ? nlohmann::json::object() : selector, ingress, egress });
            return;
        }
        if (r.kind == "CiliumNetworkPolicy" || r.kind == "CiliumClusterwideNetworkPolicy") {
            // one rule in spec, or several in specs
            std::vector<const nlohmann::json*> rules;
            if (member(r.data, "spec").is_object())
                rules.push_back(&member(r.data, "spec"));
            for (const auto& rule : member(r.data, "specs"))
                if (rule.is_object())
                    rules.push_back(&rule);
            for (const auto* rule : rules) {
                if (!member(*rule, "endpointSelector").is_object())
                    continue; // a nodeSelector rule governs hosts, not pods
                auto has = [&](const char* a, const char* b) {
                    return !member(*rule, a).is_null() || !member(*rule, b).is_null();
                };
                m_policies.push_back({ r.target, ns, r.kind == "CiliumClusterwideNetworkPolicy", r.name,
                    withoutCiliumSources(member(*rule, "endpointSelector")), has("ingress", "ingressDeny"),
                    has("egress", "egressDeny") });
            }
            return;
        }
        if (!isWorkloadKind(r.kind) || r.kind == "PodTemplate")
            return;
        nlohmann::json labels = nlohmann::json::object();
        if (const nlohmann::json* tmpl = podTemplate(r.data, r.kind);
            tmpl && path(*tmpl, "metadata", "labels").is_object())
            labels = path(*tmpl, "metadata", "labels");
        labels["io.kubernetes.pod.namespace"] = ns; // the label Cilium gives every endpoint
        m_workloads.push_back({ identityOf(r, m_kept), ns, std::move(labels) });
    }
    void finish(RuleEngine& engine) override
    {
        for (const auto& w : m_workloads) {
            bool ingress = false, egress = false;
            std::string names;
            for (const auto& p : m_policies) {
                if (p.target != w.stub.target || (!p.clusterwide && p.ns != w.ns) || !selects(p.selector, w.labels))
                    continue;
                ingress = ingress || p.ingress;
                egress = egress || p.egress;
                if (names.find(p.name) == std::string::npos)
                    names += (names.empty() ? "" : ", ") + p.name;
            }
            const bool failed = m_anyPolicy ? names.empty() : !names.empty() && !(ingress && egress);
            Subject subject { w.stub.target, w.stub.kind, w.stub.namespace_, w.stub.name, {} };
            std::string message;
            std::vector<Evidence> evidence;
            if (failed && m_anyPolicy) {
                message = w.stub.kind + " " + w.stub.name + " in namespace " + w.ns
                    + " is selected by no network policy: every pod can reach it, and it can reach anything";
                evidence.push_back({ "network policies selecting the pods", nlohmann::json::array() });
            } else if (failed) {
                const std::string missing = !ingress && !egress ? "ingress or egress" : !ingress ? "ingress" : "egress";
                message = w.stub.kind + " " + w.stub.name + " in namespace " + w.ns + " is not isolated for " + missing
                    + " (selected by " + names + ")";
                evidence.push_back({ "network policies selecting the pods", names });
                evidence.push_back({ "isolated.ingress", ingress });
                evidence.push_back({ "isolated.egress", egress });
            }
            engine.record(m_rule, w.stub, subject, failed, std::move(message), std::move(evidence));
        }
    }

    void merge(CrossCheck& other) override
    {
        auto& o = static_cast<NetworkPolicyCoverage&>(other);
        appendMoved(m_policies, o.m_policies);
        appendMoved(m_workloads, o.m_workloads);
    }

private:
    struct Policy {
        std::string target, ns;
        bool clusterwide;
        std::string name;
        nlohmann::json selector;
        bool ingress, egress;
    };
    struct Workload {
        Resource stub;
        std::string ns;
        nlohmann::json labels;
    };
    const bool m_anyPolicy; ///< networkpolicy-none: fails only where no policy selects the pods
    std::vector<Policy> m_policies;
    std::vector<Workload> m_workloads;
};

} // namespace

std::unique_ptr<CrossCheck> networkCheck(const Rule& rule, const Policy& policy)
{
    if (rule.check == "networkpolicy-coverage" || rule.check == "networkpolicy-none")
        return std::make_unique<NetworkPolicyCoverage>(rule, policy);
    return nullptr;
}

} // namespace lg::crosscheck
