#include "scan/external.h"

#include "core/jsonutil.h"
#include "core/masking.h"

#include <algorithm>
#include <unordered_map>

namespace lg {

namespace {

std::string lower(std::string s)
{
    for (auto& c : s)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string subjectKey(std::string_view target, std::string_view kind, std::string_view ns, std::string_view name)
{
    std::string key;
    key.reserve(target.size() + kind.size() + ns.size() + name.size() + 3);
    key.append(target).append(1, '\x1f').append(lower(std::string(kind))).append(1, '\x1f');
    key.append(ns).append(1, '\x1f').append(name);
    return key;
}

std::vector<std::string> strings(const nlohmann::json& j, const char* key)
{
    std::vector<std::string> out;
    for (const auto& v : member(j, key))
        if (v.is_string())
            out.push_back(v.get<std::string>());
    return out;
}

/** Exemptions match imported results like any rule's, by id, namespace and name. */
std::optional<ExemptionInfo> exemptionOf(
    const Policy& policy, const std::string& ruleId, const nlohmann::json& d, const Subject& subject)
{
    Rule asRule;
    asRule.id = ruleId;
    asRule.references = strings(d, "references");
    Resource asResource;
    asResource.namespace_ = subject.namespace_;
    asResource.name = subject.name;
    asResource.data = { { "metadata", { { "namespace", subject.namespace_ }, { "name", subject.name } } } };
    return policy.exemption(asRule, asResource);
}

using BySubject = std::unordered_multimap<std::string, std::size_t>;

/** Adds the tool as a second source of a Layerguard finding of the same control on the same resource, if any. */
bool foldIntoRule(FindingTable& findings, const BySubject& bySubject, const RuleCatalog& catalog,
    const Subject& subject, const std::vector<std::string>& sameAs, const std::string& source)
{
    if (sameAs.empty())
        return false;
    auto [it, end] = bySubject.equal_range(subjectKey(subject.target, subject.kind, subject.namespace_, subject.name));
    for (; it != end; ++it) {
        const Rule* rule = catalog.find(findings.text(findings.row(it->second).rule));
        if (!rule)
            continue;
        for (const auto& ref : rule->references)
            if (std::find(sameAs.begin(), sameAs.end(), ref) != sameAs.end()) {
                findings.addEvidence(it->second, { "also reported by", source });
                return true;
            }
    }
    return false;
}

/** The finding of a tool's result, its texts masked; an exempted failure is kept with its exemption, as a rule's. */
Finding toFinding(const Resource& r, const std::string& ruleId, Severity severity, Subject subject,
    const std::string& source, const std::optional<ExemptionInfo>& exempted)
{
    const auto& d = r.data;
    Finding f;
    f.rule = ruleId;
    f.title = maskText(text(d, "title"));
    f.layer = r.layer;
    f.severity = severity;
    f.subject = std::move(subject);
    f.id = fingerprint(f.rule, f.subject);
    f.message = maskText(text(d, "message"));
    for (const auto& e : member(d, "evidence")) {
        const std::string path = text(e, "path");
        f.evidence.push_back({ path, maskIfSecret(path, member(e, "value")) });
    }
    f.evidence.push_back({ "reported by", source });
    if (const std::string fix = text(d, "remediation"); !fix.empty())
        f.remediation.push_back({ maskText(fix), {} });
    f.references = strings(d, "references");
    f.frameworks = strings(d, "frameworks");
    f.origin = text(d, "file");
    if (exempted) {
        f.status = FindingStatus::Exempted;
        f.exemption = *exempted;
    }
    return f;
}

} // namespace

void applyExternalChecks(const std::vector<Resource>& checks, const RuleCatalog& catalog, const Policy& policy,
    FindingTable& findings, std::map<std::string, RuleOutcome>& outcomes, std::map<Layer, LayerTally>& tallies,
    TargetTallies& targetTallies)
{
    if (checks.empty())
        return;
    // Layerguard's findings by resource, to fold in a tool's report of the same control.
    BySubject bySubject;
    for (std::size_t i = 0; i < findings.size(); ++i) {
        const auto& row = findings.row(i);
        bySubject.emplace(subjectKey(findings.text(row.target), findings.text(row.kind), findings.text(row.ns),
                              findings.text(row.name)),
            i);
    }
    std::vector<Finding> added;
    for (const Resource& r : checks) {
        const auto& d = r.data;
        const std::string status = text(d, "status");
        if (status == "info")
            continue;
        const std::string ruleId = text(d, "rule");
        if (policy.isDisabled(ruleId))
            continue;
        // A check the tool could not decide (kube-bench WARN, XCCDF notchecked) is an info finding to review:
        // it carries no weight, so it neither lowers nor raises the score.
        Severity severity
            = status == "manual" ? Severity::Info : severityFromString(text(d, "severity")).value_or(Severity::Medium);
        if (auto o = policy.severityOverrides.find(ruleId); o != policy.severityOverrides.end() && status != "manual")
            severity = o->second;
        auto& outcome = outcomes[ruleId];
        if (status == "not_applicable") {
            ++outcome.notApplicable;
            continue;
        }
        const auto& subj = member(d, "subject");
        Subject subject { r.target, text(subj, "kind"), text(subj, "namespace"), text(subj, "name"),
            maskText(text(subj, "container")) };
        const std::optional<ExemptionInfo> exempted = exemptionOf(policy, ruleId, d, subject);
        const std::string source = text(d, "tool") + " " + text(d, "control") + " (" + text(d, "file") + ")";
        // The same control on the same resource, found by a Layerguard rule: one finding, both sources.
        if (status == "fail" && foldIntoRule(findings, bySubject, catalog, subject, strings(d, "same_as"), source))
            continue; // the Layerguard rule already counted this pair
        if (status != "manual") {
            ++outcome.evaluated;
            for (auto* tally : { &tallies[r.layer], &targetTallies[r.target][r.layer] }) {
                tally->scanned = true;
                ++tally->evaluated;
                tally->evaluatedWeight += severityWeight(severity);
            }
            if (status == "pass")
                continue;
            ++(exempted ? outcome.exempted : outcome.failed);
        }
        added.push_back(toFinding(r, ruleId, severity, std::move(subject), source, exempted));
    }
    findings.appendAll(added);
}

} // namespace lg
