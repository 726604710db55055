// RBAC checks across resources: admin bindings, what anonymous users may do, service account tokens and roles.
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
        const nlohmann::json* spec = podSpec(r.data, r.kind, &prefix);
        if (!spec)
            return;
        Pod p;
        p.stub = identityOf(r, kept);
        p.ns = ns;
        p.account = text(*spec, "serviceAccountName", text(*spec, "serviceAccount", "default"));
        if (auto a = spec->find("automountServiceAccountToken"); a != spec->end() && a->is_boolean())
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
class ServiceAccountToken final : public PolicyCheck {
public:
    using PolicyCheck::PolicyCheck;
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
    TokenMounts m_tokens;
};

/**
 * Workloads that run with the token of a service account bound to powerful permissions: whoever gets into the pod
 * has them. `workload-sa-takeover` (Kubescape C-0267): the account may create or change pods or workload controllers,
 * read secrets, or escalate, bind or impersonate. `workload-sa-admin` (C-0272): every verb on every resource of the
 * core group or of all groups. The token counts as mounted as TokenMounts resolves it; a binding
 * counts wherever it is (a RoleBinding in another namespace still grants there), its role resolved through the
 * inventory or the Kubernetes defaults.
 */
class WorkloadServiceAccountRoles final : public PolicyCheck {
public:
    WorkloadServiceAccountRoles(const Rule& rule, const lg::Policy& policy)
        : PolicyCheck(rule, policy)
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
    const bool m_admin;
    TokenMounts m_tokens;
    RoleIndex m_roles;
    std::vector<Resource> m_bindings;
};

} // namespace

std::unique_ptr<CrossCheck> rbacCheck(const Rule& rule, const Policy& policy)
{
    if (rule.check == "rbac-admin-binding")
        return std::make_unique<AdminBinding>(rule, policy);
    if (rule.check == "rbac-anonymous-access" || rule.check == "rbac-authenticated-access")
        return std::make_unique<PublicSubjectAccess>(rule, policy);
    if (rule.check == "sa-token-automount")
        return std::make_unique<ServiceAccountToken>(rule, policy);
    if (rule.check == "workload-sa-takeover" || rule.check == "workload-sa-admin")
        return std::make_unique<WorkloadServiceAccountRoles>(rule, policy);
    return nullptr;
}

} // namespace lg::crosscheck
