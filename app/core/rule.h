#pragma once

#include "core/messagetemplate.h"
#include "core/model.h"

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lg {

/** What a rule iterates over inside a resource. */
enum class RuleScope : std::uint8_t {
    Resource, ///< the resource as a whole; root "resource"
    Pod, ///< each pod template (Pod, Deployment, ..., CronJob); roots "resource", "pod"
    Container ///< each container of each pod template; roots "resource", "pod", "container"
};

/**
 * A check loaded from resources/rules/<id>.json. Either `predicate` (true = violation) or `check`
 * (the name of a C++ check that spans resources, see crosschecks.h) is set.
 */
struct Rule {
    std::string id;
    std::string title;
    std::string description;
    Layer layer = Layer::Orchestrator;
    Severity severity = Severity::Medium;
    RuleScope scope = RuleScope::Resource;
    /**
     * Container scope: which lists are judged, a bit per list (1 initContainers, 2 containers, 4
     * ephemeralContainers). Probes, for one, exist on regular containers only: the API server refuses them on
     * the others.
     */
    std::uint8_t containerLists = 7;
    std::vector<std::string> appliesTo; ///< resource kinds; "@workload" = every pod-template kind
    std::shared_ptr<const Predicate> when; ///< optional precondition; false = not applicable
    /**
     * Optional: what the rule needs to have been observed (e.g. audit rules that could be read); false = "not
     * observed": no finding, no pass, no weight in any score. A check that could not look never passes.
     */
    std::shared_ptr<const Predicate> requires_;
    std::shared_ptr<const Predicate> predicate;
    /**
     * Reports what a source could not see (a list it may not read, a query without data): its findings are
     * shown and counted, but neither its passes nor its failures move a score.
     */
    bool coverage = false;
    std::string check;
    std::string message;
    MessageTemplate messageTemplate; ///< `message`, compiled
    std::vector<RemediationStep> remediation;
    std::vector<std::string> references;
    std::vector<std::string> frameworks;
    std::string sourceFile;

    [[nodiscard]] bool appliesToKind(std::string_view kind) const;
    [[nodiscard]] nlohmann::json toJson() const; ///< reference form for `layerguard rules --format json`
};

/** Parses one rule; throws std::invalid_argument with the reason (the caller adds the file name). */
[[nodiscard]] Rule parseRule(const nlohmann::json& json);

/**
 * The rule catalogue: the built-in rules (Qt resource :/rules) plus rule folders a user adds;
 * a user rule with an existing id replaces the built-in one.
 */
class RuleCatalog {
public:
    /** Loads the built-in rules; throws std::runtime_error naming the file on a broken rule. */
    static RuleCatalog builtin();
    /** Adds or overrides rules from every *.json in `dir`; throws std::runtime_error naming the file. */
    void addFolder(const std::string& dir);
    void add(Rule rule);

    [[nodiscard]] const std::vector<Rule>& rules() const { return m_rules; }
    [[nodiscard]] const Rule* find(std::string_view id) const;

private:
    void loadFile(const std::string& displayName, const std::string& text);
    std::vector<Rule> m_rules;
};

/**
 * Per-rule settings a team keeps next to its manifests: severity overrides, disabled rules, and
 * exemptions by namespace / name / label / annotation, each with a reason. Resources may also carry
 * the annotation `layerguard.io/ignore: RULE-ID[,RULE-ID...]`.
 */
/** The deadlines a policy sets unless it says otherwise: critical 7 days, high 30, medium 90, low 180. */
inline constexpr std::array<int, 5> kDefaultSlaDays { 7, 30, 90, 180, 0 };

/** Whether image reference `image` comes from one of `allowed` (see Policy::allowedRegistries). */
[[nodiscard]] bool imageFromAllowedRegistry(std::string_view image, const std::vector<std::string>& allowed);

/** Whether an open finding first seen at `firstSeen` is past its deadline at `now`. */
[[nodiscard]] inline bool overdue(
    Severity severity, std::int64_t firstSeen, std::int64_t now, const std::array<int, 5>& sla)
{
    const int days = sla[static_cast<std::size_t>(severity)];
    return days > 0 && firstSeen > 0 && now - firstSeen > std::int64_t(days) * 86400;
}

struct Policy {
    struct Exemption {
        std::string rule; ///< rule id or a peer id it cites (KSV017); "*" only when written so
        std::string namespace_; ///< empty = any
        std::string name; ///< empty = any
        std::string label; ///< "key=value" (or "key"), empty = any
        std::string annotation; ///< "key=value" (or "key"), empty = any
        std::string reason;
        std::string source; ///< where it is written: "policy.yaml:12"
    };
    std::map<std::string, Severity> severityOverrides;
    std::vector<std::string> disabled;
    std::vector<Exemption> exemptions;
    int importMaxAgeDays = 30; ///< an imported report older than this is itself a finding
    /**
     * Registries workloads may pull from (LG-K8S-ALLOWED-REGISTRIES; empty: not judged). An entry without "/" is a
     * registry host, matching it and its subdomains ("amazonaws.com" takes every ECR); with "/", a repository
     * prefix ("ghcr.io/acme"). Images without a registry are Docker Hub's ("docker.io").
     */
    std::vector<std::string> allowedRegistries;
    /** Days to fix an open finding, per severity (critical, high, medium, low, info; 0: no deadline). */
    std::array<int, 5> slaDays = kDefaultSlaDays;

    [[nodiscard]] bool isDisabled(std::string_view ruleId) const;
    /**
     * Who exempts `rule` for `resource`, and why: the resource's `layerguard.io/ignore` annotation (its reason
     * in `layerguard.io/ignore-reason`, when given) or the first matching exemption of the policy; nullopt
     * when nothing does.
     */
    [[nodiscard]] std::optional<ExemptionInfo> exemption(const Rule& rule, const Resource& resource) const;

    /**
     * Parses a policy (JSON or YAML text already converted to JSON); throws std::invalid_argument. `source`
     * names the file; `lineOfExemption(i)` the line of its i-th exemption (0 when unknown).
     */
    static Policy fromJson(const nlohmann::json& json, const std::string& source = {},
        const std::function<int(std::size_t)>& lineOfExemption = {});
    /** Reads a policy file (YAML or JSON, a regular file of at most 4 MiB); throws std::invalid_argument. */
    static Policy load(const std::string& path);
};

} // namespace lg
