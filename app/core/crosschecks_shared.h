#pragma once
// What the cross-resource checks (crosschecks_*.cpp, one file per family) share: the merge of per-source
// instances, what a check keeps of a resource, and each family's factory.

#include "core/ruleengine.h"

#include <initializer_list>
#include <iterator>
#include <memory>
#include <string_view>
#include <vector>

namespace lg::crosscheck {

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

KeptMetadata keptFor(const Policy& policy);

/**
 * What a check keeps of a resource until finish(): its identity and, of its metadata, only what exemptions
 * read (messages use the identity): the layerguard.io/ignore annotation, whatever its length, and labels and
 * short annotations when the policy exempts by them. Not its body: a 50,000-pod scan keeps 50,000 of these.
 */
Resource identityOf(const Resource& r, const KeptMetadata& keep);

/** Kubernetes label selector semantics (matchLabels + matchExpressions); an empty selector selects all. */
bool selects(const nlohmann::json& selector, const nlohmann::json& labels);

/** Whether a JSON array holds `value`. */
bool hasAll(const nlohmann::json& list, const char* value);
/** Whether an RBAC rule lists one of `values` (or "*") in `field`. */
bool lists(const nlohmann::json& rule, const char* field, std::initializer_list<std::string_view> values);

/** A check that keeps identities under a policy: its rule, and what of a resource the policy's exemptions read. */
class PolicyCheck : public CrossCheck {
public:
    PolicyCheck(const Rule& rule, const Policy& policy)
        : m_rule(rule)
        , m_kept(keptFor(policy))
    {
    }

protected:
    const Rule& m_rule;
    KeptMetadata m_kept; ///< what identityOf keeps, for the scan's policy
};

// Each family's checks, or null when the rule's check is not one of them.
std::unique_ptr<CrossCheck> networkCheck(const Rule& rule, const Policy& policy);
std::unique_ptr<CrossCheck> rbacCheck(const Rule& rule, const Policy& policy);
std::unique_ptr<CrossCheck> workloadCheck(const Rule& rule, const Policy& policy);

} // namespace lg::crosscheck
