#include "core/ruleengine.h"

#include "core/jsonutil.h"
#include "core/kubeshape.h"
#include "core/masking.h"
#include "core/rbacdefaults.h"

#include <algorithm>
#include <array>

namespace lg {

namespace {

std::string join(const std::string& a, const std::string& b)
{
    return a.empty() ? b : a + "." + b;
}

} // namespace

RuleEngine::RuleEngine(const RuleCatalog& catalog, Policy policy, std::int64_t now)
    : m_catalog(catalog)
    , m_policy(std::move(policy))
    , m_now(now)
{
    for (const auto& rule : m_catalog.rules()) {
        if (!rule.check.empty() && !m_policy.isDisabled(rule.id)) {
            if (auto check = makeCrossCheck(rule, m_policy))
                m_crossChecks.push_back(std::move(check));
        }
    }
}

RuleEngine::~RuleEngine() = default;

Severity RuleEngine::effectiveSeverity(const Rule& rule) const
{
    auto it = m_policy.severityOverrides.find(rule.id);
    return it == m_policy.severityOverrides.end() ? rule.severity : it->second;
}

/**
 * One resource's evaluation contexts, built once for all its rules (a pod is judged by ~80): the resource
 * alone, with its pod template, and one per container, with the container's subject.
 */
struct RuleEngine::ResourceScope {
    struct Container {
        const nlohmann::json* doc;
        std::string path;
        Subject subject;
        std::uint8_t list; ///< the bit of its list in Rule::containerLists
    };
    Subject base;
    EvalContext resource;
    EvalContext pod;
    EvalContext container;
    bool podRead = false;
    bool hasPod = false;
    std::vector<Container> containers;

    void readPod(const Resource& r)
    {
        podRead = true;
        std::string prefix;
        const nlohmann::json* tmpl = podTemplate(r.data, r.kind, &prefix);
        if (!tmpl)
            return;
        hasPod = true;
        pod = resource;
        pod.bind("pod", tmpl, prefix);
        container = pod;
        const auto specIt = tmpl->find("spec");
        if (specIt == tmpl->end() || !specIt->is_object())
            return;
        static constexpr std::array<const char*, 3> kContainerLists { "initContainers", "containers",
            "ephemeralContainers" };
        for (std::size_t l = 0; l < kContainerLists.size(); ++l) {
            const char* list = kContainerLists[l];
            auto it = specIt->find(list);
            if (it == specIt->end() || !it->is_array())
                continue;
            for (std::size_t i = 0; i < it->size(); ++i) {
                const auto& c = (*it)[i];
                if (!c.is_object())
                    continue;
                const std::string item = std::string(list) + "[" + std::to_string(i) + "]";
                Subject subject = base;
                subject.container = text(c, "name", item);
                containers.push_back({ &c, join(prefix, "spec." + item), std::move(subject), std::uint8_t(1u << l) });
            }
        }
    }
};

namespace {
nlohmann::json kubernetesFacts(int minor, const std::string& source)
{
    minor = std::min(minor, kNewestKubernetesMinor); // as PSA clamps a newer version to the newest it knows
    return { { "kubernetes",
        { { "minor", minor }, { "version", "1." + std::to_string(minor) }, { "source", source } } } };
}
} // namespace

const nlohmann::json& RuleEngine::clusterFacts(const std::string& target)
{
    auto it = m_clusterFacts.find(target);
    if (it == m_clusterFacts.end())
        it = m_clusterFacts
                 .emplace(
                     target, kubernetesFacts(kNewestKubernetesMinor, "the newest Kubernetes version Layerguard knows"))
                 .first;
    return it->second;
}

void RuleEngine::noteKubernetesVersion(const Resource& resource)
{
    const std::string version = text(resource.data, "gitVersion");
    const auto minor = kubernetesMinor(version);
    if (!minor)
        return;
    const std::string source = resource.kind == "KubernetesVersion"
        ? "the cluster's API server (" + version + ")"
        : text(resource.data, "source", "given as " + version);
    m_clusterFacts[resource.target] = kubernetesFacts(*minor, source);
}

void RuleEngine::add(const Resource& resource)
{
    if (resource.kind == kPolicyContextKind || resource.kind == "KubernetesVersion")
        noteKubernetesVersion(resource); // the version the target's Pod Security Standards are judged for
    if (resource.kind == kPolicyContextKind)
        return;
    ++m_resourceCount;
    m_scanned.insert(resource.layer);
    ResourceScope scope;
    scope.base = { resource.target, resource.kind, resource.namespace_, resource.name, {} };
    scope.resource.setNow(m_now);
    scope.resource.bind("resource", &resource.data, "");
    scope.resource.bind("cluster", &clusterFacts(resource.target), "cluster");
    // What the engine knows of the resource beyond its own fields (root "facts"): whether an RBAC object is
    // one of the cluster's unchanged defaults.
    nlohmann::json facts;
    if (resource.kind == "Role" || resource.kind == "ClusterRole" || resource.kind == "RoleBinding"
        || resource.kind == "ClusterRoleBinding") {
        facts = { { "builtinDefault", RbacDefaults::builtin().isDefault(resource) } };
        scope.resource.bind("facts", &facts, "");
    }
    for (const auto& rule : m_catalog.rules()) {
        if (!rule.predicate || m_policy.isDisabled(rule.id) || !rule.appliesToKind(resource.kind))
            continue;
        evaluateRule(rule, resource, scope);
    }
    for (auto& check : m_crossChecks)
        check->observe(resource);
}

void RuleEngine::finish()
{
    for (auto& check : m_crossChecks)
        check->finish(*this);
    m_crossChecks.clear();
}

void RuleEngine::absorb(RuleEngine& other)
{
    if (m_findings.empty())
        m_findings.swap(other.m_findings);
    else {
        m_findings.reserve(m_findings.size() + other.m_findings.size());
        for (auto& f : other.m_findings)
            m_findings.push_back(std::move(f));
    }
    other.m_findings.clear();
    for (const auto& [layer, t] : other.m_tallies) {
        auto& dst = m_tallies[layer];
        dst.scanned = true;
        dst.evaluated += t.evaluated;
        dst.evaluatedWeight += t.evaluatedWeight;
    }
    for (const auto& [target, layers] : other.m_targetTallies)
        for (const auto& [layer, t] : layers) {
            auto& dst = m_targetTallies[target][layer];
            dst.scanned = true;
            dst.evaluated += t.evaluated;
            dst.evaluatedWeight += t.evaluatedWeight;
        }
    for (const auto& [rule, o] : other.m_outcomes) {
        auto& dst = m_outcomes[rule];
        dst.evaluated += o.evaluated;
        dst.failed += o.failed;
        dst.notApplicable += o.notApplicable;
        dst.exempted += o.exempted;
        dst.notObserved += o.notObserved;
    }
    m_resourceCount += other.m_resourceCount;
    for (auto& [target, facts] : other.m_clusterFacts)
        m_clusterFacts.insert_or_assign(target, std::move(facts));
    for (std::size_t i = 0; i < m_crossChecks.size() && i < other.m_crossChecks.size(); ++i)
        m_crossChecks[i]->merge(*other.m_crossChecks[i]);
}

void RuleEngine::record(const Rule& rule, const Resource& resource, const Subject& subject, bool failed,
    std::string message, std::vector<Evidence> evidence, bool messageMasked)
{
    auto& outcome = outcomeOf(rule);
    const Severity severity = effectiveSeverity(rule);
    auto& tally = m_tallies[rule.layer];
    auto& targetTally = m_targetTallies[subject.target][rule.layer];
    tally.scanned = targetTally.scanned = true;
    ++outcome.evaluated;
    if (!rule.coverage) { // what a source could not see is reported, never scored
        ++tally.evaluated;
        tally.evaluatedWeight += severityWeight(severity);
        ++targetTally.evaluated;
        targetTally.evaluatedWeight += severityWeight(severity);
    }
    if (!failed)
        return;
    // An exempted failure is kept and shown with who exempted it and why; it never counts against the score.
    std::optional<ExemptionInfo> exempted = m_policy.exemption(rule, resource);
    ++(exempted ? outcome.exempted : outcome.failed);
    std::string id = fingerprint(rule.id, subject);
    std::string shown = messageMasked ? std::move(message) : maskText(message);
    if (m_sink) {
        m_evidence.clear();
        appendEvidenceJson(m_evidence, evidence);
        m_sink->append(id, rule.id, rule.title, rule.layer, severity, subject, shown, m_evidence, resource.origin);
        const std::size_t row = m_sink->size() - 1;
        if (exempted)
            m_sink->setExemption(row, *exempted);
        if (rule.coverage)
            m_sink->setScored(row, false);
        return;
    }
    // A Finding is large to move, and a 50,000-pod scan makes ~600,000: the vector grows fourfold (its growth
    // then moves a third as many as doubling would; capacity never touched costs no memory), and each
    // finding is filled in place.
    if (m_findings.size() == m_findings.capacity())
        m_findings.reserve(std::max<std::size_t>(1024, m_findings.capacity() * 4));
    Finding& f = m_findings.emplace_back();
    f.rule = rule.id;
    f.title = rule.title;
    f.layer = rule.layer;
    f.severity = severity;
    f.subject = subject;
    f.id = std::move(id);
    f.message = std::move(shown);
    f.evidence = std::move(evidence);
    // remediation, references and frameworks stay in the rule: the scan record points at it once
    f.origin = resource.origin;
    f.scored = !rule.coverage;
    if (exempted) {
        f.status = FindingStatus::Exempted;
        f.exemption = std::move(*exempted);
    }
}

RuleOutcome& RuleEngine::outcomeOf(const Rule& rule)
{
    auto it = m_outcomeOf.find(&rule);
    if (it != m_outcomeOf.end())
        return *it->second;
    RuleOutcome& o = m_outcomes[rule.id]; // std::map: the reference stays valid as the map grows
    m_outcomeOf.emplace(&rule, &o);
    return o;
}

void RuleEngine::evaluateRule(const Rule& rule, const Resource& resource, ResourceScope& scope)
{
    auto evaluate = [&](const EvalContext& ctx, const Subject& subject) {
        if (rule.when && !rule.when->eval(ctx, nullptr, true)) {
            ++outcomeOf(rule).notApplicable;
            return;
        }
        if (rule.requires_ && !rule.requires_->eval(ctx, nullptr, true)) {
            ++outcomeOf(rule).notObserved; // the data it judges was not observed: neither a pass nor a failure
            return;
        }
        std::vector<Evidence> evidence;
        const bool failed = rule.predicate->eval(ctx, &evidence, true);
        std::string message = failed ? rule.messageTemplate.render(ctx, evidence) : std::string();
        record(rule, resource, subject, failed, std::move(message), std::move(evidence), true);
    };

    if (rule.scope == RuleScope::Resource) {
        evaluate(scope.resource, scope.base);
        return;
    }
    if (!scope.podRead)
        scope.readPod(resource);
    if (!scope.hasPod)
        return;
    if (rule.scope == RuleScope::Pod) {
        evaluate(scope.pod, scope.base);
        return;
    }
    for (const auto& c : scope.containers) {
        if (!(rule.containerLists & c.list))
            continue;
        scope.container.bind("container", c.doc, c.path);
        evaluate(scope.container, c.subject);
    }
}

} // namespace lg
