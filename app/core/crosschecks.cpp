// Checks that span resources: they need to see the whole inventory before they can decide.
#include "core/jsonutil.h"
#include "core/kubeshape.h"
#include "core/rbacdefaults.h"
#include "core/ruleengine.h"

#include <QDateTime>

#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <tuple>

namespace lg {

namespace {

/** Moves what another instance of a check observed to the end of this one's list (a per-source merge). */
template <class T> void appendMoved(std::vector<T>& to, std::vector<T>& from)
{
    if (to.empty())
        to.swap(from);
    else
        to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
    from.clear();
}

/** What of a resource's metadata the exemptions of a policy can read (see identityOf). */
struct KeptMetadata {
    bool labels = false;
    bool annotations = false;
};

KeptMetadata keptFor(const lg::Policy& policy)
{
    KeptMetadata kept;
    for (const auto& e : policy.exemptions) {
        kept.labels = kept.labels || !e.label.empty();
        kept.annotations = kept.annotations || !e.annotation.empty();
    }
    return kept;
}

/**
 * What a check keeps of a resource until finish(): its identity and, of its metadata, only what exemptions
 * read (messages use the identity): the layerguard.io/ignore annotation, whatever its length, and labels and
 * short annotations when the policy exempts by them. Not its body: a 50,000-pod scan keeps 50,000 of these.
 */
Resource identityOf(const Resource& r, const KeptMetadata& keep)
{
    Resource stub;
    stub.layer = r.layer;
    stub.target = r.target;
    stub.kind = r.kind;
    stub.namespace_ = r.namespace_;
    stub.name = r.name;
    stub.origin = r.origin;
    const auto& meta = member(r.data, "metadata");
    nlohmann::json m = nlohmann::json::object();
    if (const auto& v = member(meta, "labels"); keep.labels && !v.is_null())
        m["labels"] = v;
    if (const auto& ann = member(meta, "annotations"); ann.is_object()) {
        // long annotations, such as last-applied configurations, are never exemption selectors
        nlohmann::json kept = nlohmann::json::object();
        for (auto it = ann.begin(); it != ann.end(); ++it)
            if (it.key() == "layerguard.io/ignore"
                || (keep.annotations && (!it->is_string() || it->get_ref<const std::string&>().size() <= 256)))
                kept[it.key()] = *it;
        if (!kept.empty())
            m["annotations"] = std::move(kept);
    }
    if (!m.empty())
        stub.data = { { "metadata", std::move(m) } };
    return stub;
}

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
            const std::string key = text(e, "key");
            const std::string op = text(e, "operator");
            const auto& values = member(e, "values");
            if (!values.is_array() && (op == "In" || op == "NotIn"))
                return false;
            const auto* v = label(key);
            const bool in = v && values.is_array() && std::find(values.begin(), values.end(), *v) != values.end();
            if ((op == "In" && !in) || (op == "NotIn" && in) || (op == "Exists" && !v) || (op == "DoesNotExist" && v))
                return false;
        }
    }
    return true;
}

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
class NetworkPolicyCoverage final : public CrossCheck {
public:
    NetworkPolicyCoverage(const Rule& rule, const lg::Policy& policy)
        : m_rule(rule)
        , m_kept(keptFor(policy))
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
    const Rule& m_rule;
    KeptMetadata m_kept; ///< what identityOf keeps, for the scan's policy
    const bool m_anyPolicy; ///< networkpolicy-none: fails only where no policy selects the pods
    std::vector<Policy> m_policies;
    std::vector<Workload> m_workloads;
};

bool hasAll(const nlohmann::json& list, const char* value)
{
    return list.is_array() && std::find(list.begin(), list.end(), value) != list.end();
}

/** A role whose rules grant every verb on every resource of every API group: cluster-admin by another name. */
bool isAdminEquivalent(const nlohmann::json& role)
{
    const auto& rules = member(role, "rules");
    if (!rules.is_array())
        return false;
    for (const auto& r : rules) {
        if (!hasAll(member(r, "apiGroups"), "*") || !hasAll(member(r, "resources"), "*"))
            continue;
        const auto& verbs = member(r, "verbs");
        // every verb, or every write verb: either way the subject can change anything
        if (hasAll(verbs, "*")
            || (hasAll(verbs, "create") && hasAll(verbs, "update") && hasAll(verbs, "patch")
                && hasAll(verbs, "delete")))
            return true;
    }
    return false;
}

/**
 * Bindings that grant cluster-admin, or a role equivalent to it (every verb on every resource),
 * resolved across the inventory (CIS-K8S 5.1.1, C-0035, Polaris clusterrolebindingClusterAdmin).
 */
class AdminBinding final : public CrossCheck {
public:
    AdminBinding(const Rule& rule, const Policy& /*policy: bindings are few, kept whole*/)
        : m_rule(rule)
    {
    }
    void observe(const Resource& r) override
    {
        if (r.layer != Layer::Orchestrator || !r.data.is_object())
            return;
        if (r.kind == "ClusterRole" || r.kind == "Role") {
            if (isAdminEquivalent(r.data))
                m_adminRoles.insert({ r.target, r.kind, r.kind == "Role" ? r.namespace_ : std::string(), r.name });
        } else if (r.kind == "ClusterRoleBinding" || r.kind == "RoleBinding") {
            // The cluster's own unchanged defaults (cluster-admin to system:masters) are not the user's to fix.
            if (RbacDefaults::builtin().isDefault(r))
                return;
            Resource stub = r;
            m_bindings.push_back(std::move(stub));
        }
    }
    void finish(RuleEngine& engine) override
    {
        for (const auto& b : m_bindings) {
            const auto& roleRef = member(b.data, "roleRef");
            const std::string kind = text(roleRef, "kind");
            const std::string name = text(roleRef, "name");
            const bool builtin = kind == "ClusterRole" && name == "cluster-admin";
            const bool equivalent
                = m_adminRoles.count({ b.target, kind, kind == "Role" ? b.namespace_ : std::string(), name }) > 0;
            const bool failed = builtin || equivalent;
            std::string message;
            std::vector<Evidence> evidence;
            if (failed) {
                message = b.kind + " " + b.name + " grants "
                    + (builtin ? std::string("cluster-admin")
                               : kind + " " + name + ", which allows every verb on every resource")
                    + " to " + dumpJson(member(b.data, "subjects"));
                evidence.push_back({ "roleRef", roleRef });
                evidence.push_back({ "subjects", member(b.data, "subjects") });
            }
            engine.record(m_rule, b, { b.target, b.kind, b.namespace_, b.name, {} }, failed, std::move(message),
                std::move(evidence));
        }
    }

    void merge(CrossCheck& other) override
    {
        auto& o = static_cast<AdminBinding&>(other);
        m_adminRoles.merge(o.m_adminRoles);
        appendMoved(m_bindings, o.m_bindings);
    }

private:
    const Rule& m_rule;
    std::set<std::tuple<std::string, std::string, std::string, std::string>> m_adminRoles;
    std::vector<Resource> m_bindings;
};

/** The roles of the inventory, to resolve what a binding grants. */
class RoleIndex {
public:
    void add(const Resource& r)
    {
        m_roles[{ r.target, r.kind, r.kind == "Role" ? r.namespace_ : std::string(), r.name }]
            = { member(r.data, "rules"), member(r.data, "aggregationRule"), path(r.data, "metadata", "labels") };
    }
    void merge(RoleIndex& other) { m_roles.merge(other.m_roles); }

    /**
     * The rules a binding's roleRef grants: the role listed in the scan (an aggregated role's from the roles it
     * selects), else the default of that name; null when neither is known.
     */
    [[nodiscard]] nlohmann::json rulesOf(const Resource& binding) const
    {
        const auto& roleRef = member(binding.data, "roleRef");
        const std::string kind = text(roleRef, "kind"), name = text(roleRef, "name");
        const std::string ns = kind == "Role" ? binding.namespace_ : std::string();
        auto it = m_roles.find({ binding.target, kind, ns, name });
        if (it == m_roles.end()) {
            const nlohmann::json* known = RbacDefaults::builtin().role(kind, ns, name);
            return known ? member(*known, "rules") : nlohmann::json();
        }
        nlohmann::json rules = it->second.rules.is_array() ? it->second.rules : nlohmann::json::array();
        for (const auto& selector : member(it->second.aggregation, "clusterRoleSelectors"))
            for (const auto& [key, role] : m_roles)
                if (std::get<0>(key) == binding.target && std::get<1>(key) == "ClusterRole"
                    && selects(selector, role.labels))
                    for (const auto& rule : role.rules)
                        rules.push_back(rule);
        return rules;
    }

private:
    struct Role {
        nlohmann::json rules, aggregation, labels;
    };
    using RoleKey = std::tuple<std::string, std::string, std::string, std::string>; // target, kind, ns, name
    std::map<RoleKey, Role> m_roles;
};

/**
 * Bindings that give anonymous users (system:anonymous, system:unauthenticated) or every authenticated user
 * (system:authenticated) more than the public information every cluster serves them: what the bound role
 * allows is resolved through the inventory (or the bootstrap policy for a default role the scan did not
 * list), so the default system:public-info-viewer binding passes and a binding of any real permission fails.
 */
class PublicSubjectAccess final : public CrossCheck {
public:
    PublicSubjectAccess(const Rule& rule, const lg::Policy& /*policy: bindings are few, kept whole*/)
        : m_rule(rule)
        , m_subjects(rule.check == "rbac-anonymous-access"
                  ? std::vector<std::string> { "system:anonymous", "system:unauthenticated" }
                  : std::vector<std::string> { "system:authenticated" })
    {
    }
    void observe(const Resource& r) override
    {
        if (r.layer != Layer::Orchestrator || !r.data.is_object())
            return;
        if (r.kind == "ClusterRole" || r.kind == "Role")
            m_roles.add(r);
        else if (r.kind == "ClusterRoleBinding" || r.kind == "RoleBinding")
            m_bindings.push_back(r);
    }
    void finish(RuleEngine& engine) override
    {
        for (const auto& b : m_bindings) {
            std::vector<std::string> named;
            for (const auto& s : member(b.data, "subjects")) {
                const std::string name = text(s, "name");
                if (std::find(m_subjects.begin(), m_subjects.end(), name) != m_subjects.end()
                    && std::find(named.begin(), named.end(), name) == named.end())
                    named.push_back(name);
            }
            const Subject subject { b.target, b.kind, b.namespace_, b.name, {} };
            // A default binding passes by what its role allows, never by its name: the role may have been changed.
            if (named.empty()) {
                engine.record(m_rule, b, subject, false, {}, {});
                continue;
            }
            const auto& roleRef = member(b.data, "roleRef");
            const std::string kind = text(roleRef, "kind"), name = text(roleRef, "name");
            const nlohmann::json rules = m_roles.rulesOf(b);
            std::vector<std::string> excess;
            std::string what;
            if (rules.is_null()) {
                what = "the " + kind + " " + name + ", which the scan did not see";
            } else {
                excess = beyondPublicInformation(rules);
                what = kind + " " + name + " (" + join(excess) + ")";
            }
            const bool failed = rules.is_null() || !excess.empty();
            std::string message;
            std::vector<Evidence> evidence;
            if (failed) {
                message = b.kind + " " + b.name + " gives " + join(named) + " " + what + ".";
                evidence.push_back({ "roleRef", roleRef });
                evidence.push_back({ "subjects", nlohmann::json(named) });
                if (!excess.empty())
                    evidence.push_back(
                        { kind + "/" + name + ".rules beyond public information", nlohmann::json(excess) });
            }
            engine.record(m_rule, b, subject, failed, std::move(message), std::move(evidence));
        }
    }
    void merge(CrossCheck& other) override
    {
        auto& o = static_cast<PublicSubjectAccess&>(other);
        m_roles.merge(o.m_roles);
        appendMoved(m_bindings, o.m_bindings);
    }

private:
    static std::string join(const std::vector<std::string>& items)
    {
        std::string out;
        for (const auto& i : items)
            out += (out.empty() ? "" : ", ") + i;
        return out;
    }

    const Rule& m_rule;
    std::vector<std::string> m_subjects;
    RoleIndex m_roles;
    std::vector<Resource> m_bindings;
};

/**
 * Namespaces where nothing controls which pods are admitted: no Pod Security Admission `enforce` at baseline or
 * restricted, and no admission policy covering their pods — a validating webhook on pods whose namespaceSelector
 * matches (Kyverno, Gatekeeper and other policy engines register one), or a
 * ValidatingAdmissionPolicyBinding whose namespaceSelector matches. Kubescape C-0192 and its baseline controls judge
 * the same way; the system namespaces are left out as PSA's own exemptions usually are.
 */
class AdmissionControl final : public CrossCheck {
public:
    AdmissionControl(const Rule& rule, const lg::Policy& policy)
        : m_rule(rule)
        , m_kept(keptFor(policy))
    {
    }
    void observe(const Resource& r) override
    {
        if (r.layer != Layer::Orchestrator || !r.data.is_object())
            return;
        // Validating webhooks only: a mutating one (a sidecar injector) may admit anything it is shown.
        if (r.kind == "ValidatingWebhookConfiguration") {
            for (const auto& hook : member(r.data, "webhooks"))
                if (coversPods(member(hook, "rules")))
                    m_controls.push_back(
                        { r.target, r.kind + "/" + r.name, selectorOrAll(member(hook, "namespaceSelector")) });
            return;
        }
        if (r.kind == "ValidatingAdmissionPolicyBinding") {
            const auto& spec = member(r.data, "spec");
            m_controls.push_back(
                { r.target, r.kind + "/" + r.name, selectorOrAll(path(spec, "matchResources", "namespaceSelector")) });
            return;
        }
        if (r.kind != "Namespace")
            return;
        const std::string& name = r.name;
        if (name == "kube-system" || name == "kube-public" || name == "kube-node-lease")
            return;
        const auto& labels = path(r.data, "metadata", "labels");
        Namespace n { identityOf(r, m_kept), labels.is_object() ? labels : nlohmann::json::object(),
            text(labels, "pod-security.kubernetes.io/enforce") };
        n.labels["kubernetes.io/metadata.name"] = name; // set on every namespace by the API server
        m_namespaces.push_back(std::move(n));
    }
    void finish(RuleEngine& engine) override
    {
        for (const auto& n : m_namespaces) {
            const bool enforced = n.enforce == "baseline" || n.enforce == "restricted";
            std::string by;
            for (const auto& c : m_controls)
                if (c.target == n.stub.target && selects(c.namespaceSelector, n.labels))
                    by += (by.empty() ? "" : ", ") + c.name;
            const bool failed = !enforced && by.empty();
            std::string message;
            std::vector<Evidence> evidence;
            if (failed) {
                message = "Namespace " + n.stub.name + " admits any pod: "
                    + (n.enforce.empty() ? std::string("no pod-security.kubernetes.io/enforce label")
                                         : "Pod Security Admission enforces " + n.enforce)
                    + ", and no admission webhook or policy covers its pods";
                evidence.push_back({ "metadata.labels[\"pod-security.kubernetes.io/enforce\"]",
                    n.enforce.empty() ? nlohmann::json() : nlohmann::json(n.enforce) });
                evidence.push_back({ "admission webhooks and policies covering its pods", nlohmann::json::array() });
            }
            engine.record(m_rule, n.stub, { n.stub.target, n.stub.kind, n.stub.namespace_, n.stub.name, {} }, failed,
                std::move(message), std::move(evidence));
        }
    }
    void merge(CrossCheck& other) override
    {
        auto& o = static_cast<AdmissionControl&>(other);
        appendMoved(m_controls, o.m_controls);
        appendMoved(m_namespaces, o.m_namespaces);
    }

private:
    /** A webhook rule list that intercepts pod creation (core group, pods or *, CREATE or *, not cluster scope only).
     */
    static bool coversPods(const nlohmann::json& rules)
    {
        for (const auto& rule : rules) {
            const bool group = hasAll(member(rule, "apiGroups"), "") || hasAll(member(rule, "apiGroups"), "*");
            const bool pods = hasAll(member(rule, "resources"), "pods") || hasAll(member(rule, "resources"), "*");
            const bool create = hasAll(member(rule, "operations"), "CREATE") || hasAll(member(rule, "operations"), "*");
            const bool namespaced = text(rule, "scope", "*") != "Cluster"; // "Cluster" leaves namespaced pods out
            if (group && pods && create && namespaced)
                return true;
        }
        return false;
    }
    /** An absent namespaceSelector matches every namespace. */
    static nlohmann::json selectorOrAll(const nlohmann::json& selector)
    {
        return selector.is_object() ? selector : nlohmann::json::object();
    }
    struct Control {
        std::string target, name;
        nlohmann::json namespaceSelector;
    };
    struct Namespace {
        Resource stub;
        nlohmann::json labels;
        std::string enforce;
    };
    const Rule& m_rule;
    KeptMetadata m_kept;
    std::vector<Control> m_controls;
    std::vector<Namespace> m_namespaces;
};

/**
 * Which service account's token each workload gets: the pod's automountServiceAccountToken wins, else the
 * ServiceAccount's (when the inventory has it), else Kubernetes mounts it. Shared by the checks that judge the token.
 */
class TokenMounts {
public:
    struct Pod {
        Resource stub;
        std::string ns, account, path; ///< path: where the pod's own setting is (or would be)
        std::optional<bool> podSetting;
    };
    /** Records a ServiceAccount's setting or a workload's pod; anything else is left alone. */
    void observe(const Resource& r, const KeptMetadata& kept)
    {
        const std::string ns = r.namespace_.empty() ? std::string("default") : r.namespace_;
        if (r.kind == "ServiceAccount") {
            if (auto it = r.data.find("automountServiceAccountToken"); it != r.data.end() && it->is_boolean())
                m_accounts[{ r.target, ns, r.name }] = it->get<bool>();
            return;
        }
        if (!isWorkloadKind(r.kind) || r.kind == "PodTemplate")
            return;
        std::string prefix;
        const nlohmann::json* tmpl = podTemplate(r.data, r.kind, &prefix);
        const auto& spec = tmpl ? member(*tmpl, "spec") : member(r.data, "no-template");
        if (!spec.is_object())
            return;
        Pod p;
        p.stub = identityOf(r, kept);
        p.ns = ns;
        p.account = text(spec, "serviceAccountName", text(spec, "serviceAccount", "default"));
        if (auto a = spec.find("automountServiceAccountToken"); a != spec.end() && a->is_boolean())
            p.podSetting = a->get<bool>();
        p.path = (prefix.empty() ? prefix : prefix + ".") + "spec.automountServiceAccountToken";
        m_pods.push_back(std::move(p));
    }
    [[nodiscard]] std::optional<bool> accountSetting(const Pod& p) const
    {
        const auto it = m_accounts.find({ p.stub.target, p.ns, p.account });
        return it == m_accounts.end() ? std::nullopt : std::optional<bool>(it->second);
    }
    [[nodiscard]] bool mounted(const Pod& p) const { return p.podSetting.value_or(accountSetting(p).value_or(true)); }
    [[nodiscard]] const std::vector<Pod>& pods() const { return m_pods; }
    void merge(TokenMounts& other)
    {
        m_accounts.merge(other.m_accounts);
        appendMoved(m_pods, other.m_pods);
    }

private:
    std::map<std::tuple<std::string, std::string, std::string>, bool> m_accounts;
    std::vector<Pod> m_pods;
};

/**
 * Pods that get a service account token mounted: the pod's automountServiceAccountToken wins, else
 * the ServiceAccount's (when the inventory has it), else Kubernetes mounts it (CIS-K8S 5.1.6, C-0034,
 * Polaris automountServiceAccountToken).
 */
class ServiceAccountToken final : public CrossCheck {
public:
    ServiceAccountToken(const Rule& rule, const lg::Policy& policy)
        : m_rule(rule)
        , m_kept(keptFor(policy))
    {
    }
    void observe(const Resource& r) override
    {
        if (r.layer == Layer::Orchestrator && r.data.is_object())
            m_tokens.observe(r, m_kept);
    }
    void finish(RuleEngine& engine) override
    {
        for (const auto& p : m_tokens.pods()) {
            const std::optional<bool> accountSetting = m_tokens.accountSetting(p);
            const bool mounted = m_tokens.mounted(p);
            std::string message;
            std::vector<Evidence> evidence;
            if (mounted) {
                message = p.stub.kind + " " + p.stub.name + " gets the token of service account " + p.account
                    + " mounted "
                    + (p.podSetting          ? "(the pod sets automountServiceAccountToken: true)"
                            : accountSetting ? "(the service account sets it to true)"
                                             : "(neither the pod nor the service account turns it off)");
                evidence.push_back({ p.path, p.podSetting ? nlohmann::json(*p.podSetting) : nlohmann::json() });
                evidence.push_back({ "ServiceAccount/" + p.account + ".automountServiceAccountToken",
                    accountSetting ? nlohmann::json(*accountSetting) : nlohmann::json() });
            }
            engine.record(m_rule, p.stub, { p.stub.target, p.stub.kind, p.stub.namespace_, p.stub.name, {} }, mounted,
                std::move(message), std::move(evidence));
        }
    }

    void merge(CrossCheck& other) override { m_tokens.merge(static_cast<ServiceAccountToken&>(other).m_tokens); }

private:
    const Rule& m_rule;
    KeptMetadata m_kept; ///< what identityOf keeps, for the scan's policy
    TokenMounts m_tokens;
};

/**
 * Imported vulnerability reports (VulnerabilityReport resources) matched to the images of the scan by
 * digest. Three modes, by the rule's check: "vulnerabilities" reports every vulnerability whose severity
 * is the rule's own; "vulnerability-report-missing" an image no report covers; "vulnerability-report-stale"
 * an image whose newest report is older than the image. Nothing is judged when the scan has no report
 * at all (the user did not import any).
 */
class VulnerabilityReports final : public CrossCheck {
public:
    VulnerabilityReports(const Rule& rule, const lg::Policy& policy)
        : m_rule(rule)
        , m_kept(keptFor(policy))
    {
    }
    void observe(const Resource& r) override
    {
        if (r.kind == "VulnerabilityReport") {
            Report rep;
            rep.createdAt
                = member(r.data, "createdAt").is_number() ? member(r.data, "createdAt").get<std::int64_t>() : 0;
            rep.tool = text(r.data, "tool");
            rep.file = text(r.data, "file");
            for (const auto& d : member(r.data, "digests"))
                rep.digests.insert(scalarText(d));
            // only what this rule reports is kept
            if (m_rule.check == "vulnerabilities")
                for (const auto& v : member(r.data, "vulnerabilities"))
                    if (text(v, "severity") == toString(m_rule.severity))
                        rep.vulns.push_back(v);
            m_reports.push_back(std::move(rep));
            return;
        }
        if (r.kind != "ContainerImage" && r.kind != "DockerImage")
            return;
        Image img;
        img.stub = identityOf(r, m_kept);
        img.digests.insert(text(r.data, "Id"));
        for (const auto& d : member(r.data, "RepoDigests")) {
            const std::string s = scalarText(d);
            img.digests.insert(s);
            if (auto at = s.rfind('@'); at != std::string::npos)
                img.digests.insert(s.substr(at + 1));
        }
        const QDateTime created
            = QDateTime::fromString(QString::fromStdString(text(r.data, "Created")), Qt::ISODateWithMs);
        img.created = created.isValid() ? created.toSecsSinceEpoch() : 0;
        m_images.push_back(std::move(img));
    }
    void finish(RuleEngine& engine) override
    {
        if (m_reports.empty())
            return;
        for (const auto& img : m_images) {
            const Report* newest = nullptr;
            for (const auto& rep : m_reports) {
                const bool matches = std::any_of(rep.digests.begin(), rep.digests.end(),
                    [&](const std::string& d) { return img.digests.count(d) > 0; });
                if (matches && (!newest || rep.createdAt > newest->createdAt))
                    newest = &rep;
            }
            const Subject subject { img.stub.target, img.stub.kind, img.stub.namespace_, img.stub.name, {} };
            if (m_rule.check == "vulnerability-report-missing") {
                engine.record(m_rule, img.stub, subject, !newest,
                    newest ? std::string()
                           : "No Trivy or Grype report covers image " + img.stub.name + " (matched by digest).",
                    { { "RepoDigests",
                        nlohmann::json(std::vector<std::string>(img.digests.begin(), img.digests.end())) } });
                continue;
            }
            if (!newest)
                continue;
            if (m_rule.check == "vulnerability-report-stale") {
                const bool stale = newest->createdAt > 0 && img.created > 0 && newest->createdAt < img.created;
                engine.record(m_rule, img.stub, subject, stale,
                    stale ? "The newest " + newest->tool + " report for image " + img.stub.name + " (" + newest->file
                            + ") is older than the image: it judged something else."
                          : std::string(),
                    { { "report.createdAt", newest->createdAt }, { "image.Created", img.created } });
                continue;
            }
            if (newest->vulns.empty()) {
                engine.record(m_rule, img.stub, subject, false, {}, {});
                continue;
            }
            for (const auto& v : newest->vulns) {
                Subject s = subject;
                s.container = text(v, "id") + " " + text(v, "pkg"); // one finding per vulnerability and package
                const std::string fixed = text(v, "fixed");
                engine.record(m_rule, img.stub, s, true,
                    text(v, "id") + " in " + text(v, "pkg") + " " + text(v, "installed") + " of image " + img.stub.name
                        + (fixed.empty() ? " (no fixed version yet)" : "; fixed in " + fixed) + " (" + newest->tool
                        + " report " + newest->file + ")",
                    { { "vulnerability", v } });
            }
        }
    }
    void merge(CrossCheck& other) override
    {
        auto& o = static_cast<VulnerabilityReports&>(other);
        appendMoved(m_reports, o.m_reports);
        appendMoved(m_images, o.m_images);
    }

private:
    struct Report {
        std::set<std::string> digests;
        std::int64_t createdAt = 0;
        std::string tool, file;
        std::vector<nlohmann::json> vulns;
    };
    struct Image {
        Resource stub;
        std::set<std::string> digests;
        std::int64_t created = 0;
    };
    const Rule& m_rule;
    KeptMetadata m_kept; ///< what identityOf keeps, for the scan's policy
    std::vector<Report> m_reports;
    std::vector<Image> m_images;
};

/** Whether an RBAC rule lists one of `values` (or "*") in `field`. */
bool lists(const nlohmann::json& rule, const char* field, std::initializer_list<std::string_view> values)
{
    const auto& list = member(rule, field);
    if (!list.is_array())
        return false;
    for (const auto& v : list)
        if (v.is_string()
            && (v == "*" || std::find(values.begin(), values.end(), v.get<std::string>()) != values.end()))
            return true;
    return false;
}

/**
 * Workloads that run with the token of a service account bound to powerful permissions: whoever gets into the pod
 * has them. `workload-sa-takeover` (Kubescape C-0267): the account may create or change pods or workload controllers,
 * read secrets, or escalate, bind or impersonate. `workload-sa-admin` (C-0272): every verb on every resource of the
 * core group or of all groups. The token counts as mounted as TokenMounts resolves it; a binding
 * counts wherever it is (a RoleBinding in another namespace still grants there), its role resolved through the
 * inventory or the Kubernetes defaults.
 */
class WorkloadServiceAccountRoles final : public CrossCheck {
public:
    WorkloadServiceAccountRoles(const Rule& rule, const lg::Policy& policy)
        : m_rule(rule)
        , m_kept(keptFor(policy))
        , m_admin(rule.check == "workload-sa-admin")
    {
    }
    void observe(const Resource& r) override
    {
        if (r.layer != Layer::Orchestrator || !r.data.is_object())
            return;
        if (r.kind == "ClusterRole" || r.kind == "Role") {
            m_roles.add(r);
        } else if (r.kind == "ClusterRoleBinding" || r.kind == "RoleBinding") {
            const auto& subjects = member(r.data, "subjects");
            if (std::any_of(subjects.begin(), subjects.end(),
                    [](const nlohmann::json& s) { return text(s, "kind") == "ServiceAccount"; }))
                m_bindings.push_back(r);
        } else {
            m_tokens.observe(r, m_kept);
        }
    }
    void finish(RuleEngine& engine) override
    {
        // what each account may do: (target, namespace, name) -> the grants that matter, as text
        std::map<std::tuple<std::string, std::string, std::string>, std::vector<std::string>> grants;
        for (const auto& b : m_bindings) {
            const nlohmann::json rules = m_roles.rulesOf(b);
            std::vector<std::string> powers;
            for (const auto& rule : rules) {
                if (m_admin) {
                    if (lists(rule, "verbs", {}) && lists(rule, "resources", {}) && lists(rule, "apiGroups", { "" }))
                        powers.push_back("every verb on every resource");
                    continue;
                }
                const bool write = lists(rule, "verbs", { "create", "update", "patch" });
                if (write && lists(rule, "apiGroups", { "" })
                    && lists(rule, "resources", { "pods", "replicationcontrollers" }))
                    powers.push_back("create or change pods");
                if (write && lists(rule, "apiGroups", { "apps", "batch" })
                    && lists(rule, "resources",
                        { "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs" }))
                    powers.push_back("create or change workload controllers");
                if (lists(rule, "verbs", { "get", "list", "watch" }) && lists(rule, "apiGroups", { "" })
                    && lists(rule, "resources", { "secrets" }))
                    powers.push_back("read secrets");
                if (lists(rule, "verbs", { "escalate", "bind" })
                    && lists(rule, "apiGroups", { "rbac.authorization.k8s.io" })
                    && lists(rule, "resources", { "roles", "clusterroles" }))
                    powers.push_back("escalate or bind roles");
                if (lists(rule, "verbs", { "impersonate" })
                    && lists(rule, "resources", { "users", "groups", "serviceaccounts" }))
                    powers.push_back("impersonate");
            }
            if (powers.empty())
                continue;
            std::sort(powers.begin(), powers.end());
            powers.erase(std::unique(powers.begin(), powers.end()), powers.end());
            const auto& roleRef = member(b.data, "roleRef");
            std::string how;
            for (const auto& p : powers)
                how += (how.empty() ? "" : ", ") + p;
            how += " (" + b.kind + " " + (b.namespace_.empty() ? "" : b.namespace_ + "/") + b.name + " → "
                + text(roleRef, "kind") + " " + text(roleRef, "name") + ")";
            for (const auto& s : member(b.data, "subjects"))
                if (text(s, "kind") == "ServiceAccount") {
                    // a subject's namespace defaults to the RoleBinding's
                    const std::string sns = text(s, "namespace", b.namespace_.empty() ? "default" : b.namespace_);
                    grants[{ b.target, sns, text(s, "name") }].push_back(how);
                }
        }
        for (const auto& p : m_tokens.pods()) {
            const auto g = grants.find({ p.stub.target, p.ns, p.account });
            const bool failed = m_tokens.mounted(p) && g != grants.end();
            std::string message;
            std::vector<Evidence> evidence;
            if (failed) {
                std::string what;
                for (const auto& how : g->second)
                    what += (what.empty() ? "" : "; ") + how;
                message = p.stub.kind + " " + p.stub.name + " runs with the token of service account " + p.account
                    + ", which may " + what + ": whoever gets into the pod may too";
                evidence.push_back({ "serviceAccountName", p.account });
                evidence.push_back({ "grants", g->second });
            }
            engine.record(m_rule, p.stub, { p.stub.target, p.stub.kind, p.stub.namespace_, p.stub.name, {} }, failed,
                std::move(message), std::move(evidence));
        }
    }
    void merge(CrossCheck& other) override
    {
        auto& o = static_cast<WorkloadServiceAccountRoles&>(other);
        m_tokens.merge(o.m_tokens);
        m_roles.merge(o.m_roles);
        appendMoved(m_bindings, o.m_bindings);
    }

private:
    const Rule& m_rule;
    KeptMetadata m_kept; ///< what identityOf keeps, for the scan's policy
    const bool m_admin;
    TokenMounts m_tokens;
    RoleIndex m_roles;
    std::vector<Resource> m_bindings;
};

/**
 * Sandboxed runtimes (informational): whether a cluster offers a RuntimeClass whose handler is a sandbox (gVisor's
 * runsc, Kata Containers, Firecracker), which gives a pod its own kernel. Judged for clusters whose nodes the scan
 * listed (a live cluster, or manifests that include the nodes): a folder of workloads says nothing about them.
 */
class SandboxRuntimes final : public CrossCheck {
public:
    explicit SandboxRuntimes(const Rule& rule)
        : m_rule(rule)
    {
    }
    static bool sandboxed(const std::string& handler)
    {
        static const std::regex kSandbox("(runsc|gvisor|kata|firecracker)", std::regex::icase);
        return std::regex_search(handler, kSandbox);
    }
    void observe(const Resource& r) override
    {
        if (r.layer != Layer::Orchestrator && r.kind != "Node")
            return;
        if (r.kind == "Node") {
            m_clusters.insert(r.target);
        } else if (r.kind == "RuntimeClass") {
            const std::string handler = text(r.data, "handler");
            if (sandboxed(handler))
                m_sandboxes[r.target].push_back(r.name + " (" + handler + ")");
        } else if (isWorkloadKind(r.kind) && r.kind != "PodTemplate") {
            const nlohmann::json* tmpl = podTemplate(r.data, r.kind);
            const auto& spec = tmpl ? member(*tmpl, "spec") : member(r.data, "no-template");
            if (!text(spec, "runtimeClassName").empty())
                ++m_using[r.target];
        }
    }
    void finish(RuleEngine& engine) override
    {
        for (const auto& target : m_clusters) {
            const auto it = m_sandboxes.find(target);
            const bool failed = it == m_sandboxes.end();
            Resource stub;
            stub.target = target;
            stub.kind = "Cluster";
            stub.name = "cluster"; // one per target; named alike however the cluster was read (live or its manifests)
            stub.layer = Layer::Orchestrator;
            std::string message;
            std::vector<Evidence> evidence;
            if (failed) {
                message = "Cluster " + target
                    + " offers no sandboxed runtime (a RuntimeClass for gVisor or Kata Containers): every pod shares "
                      "its "
                      "node's kernel, so one kernel exploit reaches every pod of the node";
                evidence.push_back({ "RuntimeClasses with a sandbox handler", nlohmann::json::array() });
                evidence.push_back({ "workloads naming a runtimeClassName", m_using[target] });
            }
            engine.record(m_rule, stub, { target, "Cluster", {}, "cluster", {} }, failed, std::move(message),
                std::move(evidence));
        }
    }
    void merge(CrossCheck& other) override
    {
        auto& o = static_cast<SandboxRuntimes&>(other);
        m_clusters.merge(o.m_clusters);
        for (auto& [t, list] : o.m_sandboxes)
            appendMoved(m_sandboxes[t], list);
        for (const auto& [t, n] : o.m_using)
            m_using[t] += n;
    }

private:
    const Rule& m_rule;
    std::set<std::string> m_clusters;
    std::map<std::string, std::vector<std::string>> m_sandboxes;
    std::map<std::string, int> m_using;
};

/**
 * Images from registries the policy does not allow (KSV-0125, Kubescape C-0078). Judged only when the policy lists
 * registries: without a list the rule is not applicable. Each container of each workload is one subject.
 */
class AllowedRegistries final : public CrossCheck {
public:
    AllowedRegistries(const Rule& rule, const lg::Policy& policy)
        : m_rule(rule)
        , m_kept(keptFor(policy))
        , m_allowed(policy.allowedRegistries)
    {
    }
    void observe(const Resource& r) override
    {
        if (m_allowed.empty() || r.layer != Layer::Orchestrator || !r.data.is_object() || !isWorkloadKind(r.kind))
            return;
        std::string prefix;
        const nlohmann::json* tmpl = podTemplate(r.data, r.kind, &prefix);
        const auto& spec = tmpl ? member(*tmpl, "spec") : member(r.data, "no-template");
        if (!spec.is_object())
            return;
        const Resource stub = identityOf(r, m_kept);
        for (const char* list : { "initContainers", "containers", "ephemeralContainers" }) {
            const auto& containers = member(spec, list);
            if (!containers.is_array())
                continue;
            for (std::size_t i = 0; i < containers.size(); ++i) {
                const std::string image = text(containers[i], "image");
                if (image.empty())
                    continue;
                m_containers.push_back({ stub, text(containers[i], "name"), image,
                    (prefix.empty() ? prefix : prefix + ".") + "spec." + list + "[" + std::to_string(i) + "].image" });
            }
        }
    }
    void finish(RuleEngine& engine) override
    {
        std::string allowed;
        for (const auto& a : m_allowed)
            allowed += (allowed.empty() ? "" : ", ") + a;
        for (const auto& c : m_containers) {
            const bool failed = !imageFromAllowedRegistry(c.image, m_allowed);
            std::string message;
            std::vector<Evidence> evidence;
            if (failed) {
                message = "Container " + c.name + " of " + c.stub.kind + " " + c.stub.name + " runs image " + c.image
                    + ", from a registry the policy does not allow (allowed: " + allowed + ")";
                evidence.push_back({ c.path, c.image });
                evidence.push_back({ "policy.allowed_registries", m_allowed });
            }
            engine.record(m_rule, c.stub, { c.stub.target, c.stub.kind, c.stub.namespace_, c.stub.name, c.name },
                failed, std::move(message), std::move(evidence));
        }
    }
    void merge(CrossCheck& other) override
    {
        appendMoved(m_containers, static_cast<AllowedRegistries&>(other).m_containers);
    }

private:
    struct Container {
        Resource stub;
        std::string name, image, path;
    };
    const Rule& m_rule;
    KeptMetadata m_kept; ///< what identityOf keeps, for the scan's policy
    std::vector<std::string> m_allowed;
    std::vector<Container> m_containers;
};

} // namespace

std::unique_ptr<CrossCheck> makeCrossCheck(const Rule& rule, const Policy& policy)
{
    if (rule.check == "networkpolicy-coverage" || rule.check == "networkpolicy-none")
        return std::make_unique<NetworkPolicyCoverage>(rule, policy);
    if (rule.check == "rbac-admin-binding")
        return std::make_unique<AdminBinding>(rule, policy);
    if (rule.check == "rbac-anonymous-access" || rule.check == "rbac-authenticated-access")
        return std::make_unique<PublicSubjectAccess>(rule, policy);
    if (rule.check == "admission-control")
        return std::make_unique<AdmissionControl>(rule, policy);
    if (rule.check == "sa-token-automount")
        return std::make_unique<ServiceAccountToken>(rule, policy);
    if (rule.check == "allowed-registries")
        return std::make_unique<AllowedRegistries>(rule, policy);
    if (rule.check == "sandbox-runtimes")
        return std::make_unique<SandboxRuntimes>(rule);
    if (rule.check == "workload-sa-takeover" || rule.check == "workload-sa-admin")
        return std::make_unique<WorkloadServiceAccountRoles>(rule, policy);
    if (rule.check == "vulnerabilities" || rule.check == "vulnerability-report-missing"
        || rule.check == "vulnerability-report-stale")
        return std::make_unique<VulnerabilityReports>(rule, policy);
    return nullptr;
}

} // namespace lg
