#pragma once

#include "core/findingtable.h"
#include "core/model.h"
#include "core/rule.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace lg {

/** Outcome counters of one rule in one scan, for control tables (pass / fail / not applicable). */
struct RuleOutcome {
    int evaluated = 0; ///< judged on data (exempted failures included)
    int failed = 0; ///< failures not exempted
    int notApplicable = 0;
    int exempted = 0; ///< failures the policy or an annotation exempts (stored with status exempted)
    int notObserved = 0; ///< could not be judged: the data the rule needs was not observed
};

class CrossCheck;

/**
 * Evaluates the rule catalogue over resources as they arrive (streaming: a resource can be dropped
 * after add() returns). Pure: no I/O, no clock. Not thread-safe; one engine per scan.
 */
class RuleEngine {
public:
    /** `now` (unix seconds) is the scan clock the age operators compare with. */
    RuleEngine(const RuleCatalog& catalog, Policy policy, std::int64_t now = 0);
    ~RuleEngine();
    RuleEngine(const RuleEngine&) = delete;
    RuleEngine& operator=(const RuleEngine&) = delete;

    /** Marks a layer as scanned: it gets a score even when nothing failed. */
    void markScanned(Layer layer) { m_scanned.insert(layer); }
    /** Evaluates every applicable rule on one resource. */
    void add(const Resource& resource);
    /** Runs the checks that span resources (RBAC, NetworkPolicy coverage); call once, at the end. */
    void finish();

    /**
     * Failed checks go straight into `table` (compact, see FindingTable) instead of findings(); nullptr
     * (the default) keeps them in findings(). The table must outlive the engine's use of it.
     */
    void setSink(FindingTable* table) { m_sink = table; }
    [[nodiscard]] std::vector<Finding>& findings() { return m_findings; }
    [[nodiscard]] const std::map<Layer, LayerTally>& tallies() const { return m_tallies; }
    /** The same, per target of the evaluated subjects. */
    [[nodiscard]] const TargetTallies& targetTallies() const { return m_targetTallies; }
    [[nodiscard]] const std::map<std::string, RuleOutcome>& outcomes() const { return m_outcomes; }
    [[nodiscard]] const std::set<Layer>& scannedLayers() const { return m_scanned; }
    [[nodiscard]] std::size_t resourceCount() const { return m_resourceCount; }

    /**
     * Moves another engine's findings, tallies, outcomes and cross-resource observations into this one
     * (per-source merge: a source's results count only once it succeeded). Both engines must share the
     * catalogue and policy. Cross-resource checks then run once, in finish(), over every source.
     */
    void absorb(RuleEngine& other);

    /** Used by cross-resource checks to report one evaluation and, when failed, a finding. */
    void record(const Rule& rule, const Resource& resource, const Subject& subject, bool failed, std::string message,
        std::vector<Evidence> evidence, bool messageMasked = false);
    [[nodiscard]] const Policy& policy() const { return m_policy; }

private:
    struct ResourceScope; // what every rule of one resource shares: its contexts, pod template and containers
    void evaluateRule(const Rule& rule, const Resource& resource, ResourceScope& scope);
    [[nodiscard]] Severity effectiveSeverity(const Rule& rule) const;

    /** The `cluster` root of a target's rules: the Kubernetes version its PSS profile is judged for. */
    const nlohmann::json& clusterFacts(const std::string& target);
    void noteKubernetesVersion(const Resource& resource);

    const RuleCatalog& m_catalog;
    Policy m_policy;
    std::map<std::string, nlohmann::json> m_clusterFacts; ///< by target
    std::vector<Finding> m_findings;
    FindingTable* m_sink = nullptr;
    std::string m_evidence; ///< evidence JSON of the finding being recorded into m_sink (a reused buffer)
    std::map<Layer, LayerTally> m_tallies;
    TargetTallies m_targetTallies;
    std::map<std::string, RuleOutcome> m_outcomes;
    std::unordered_map<const Rule*, RuleOutcome*> m_outcomeOf; ///< per-rule shortcut into m_outcomes
    RuleOutcome& outcomeOf(const Rule& rule);
    std::set<Layer> m_scanned;
    std::vector<std::unique_ptr<CrossCheck>> m_crossChecks;
    std::size_t m_resourceCount = 0;
    std::int64_t m_now = 0;
};

/**
 * A check over several resources. observe() sees every resource; finish() reports evaluations
 * through RuleEngine::record. Implementations keep only the few fields they need.
 */
class CrossCheck {
public:
    virtual ~CrossCheck() = default;
    virtual void observe(const Resource& resource) = 0;
    virtual void finish(RuleEngine& engine) = 0;
    /** Takes over what another instance of the same check observed (another source of the scan). */
    virtual void merge(CrossCheck& other) = 0;
};

/**
 * Creates the C++ check a rule names; nullptr when unknown. `policy` decides what of each resource's metadata
 * the check keeps for exemptions.
 */
[[nodiscard]] std::unique_ptr<CrossCheck> makeCrossCheck(const Rule& rule, const Policy& policy);

} // namespace lg
