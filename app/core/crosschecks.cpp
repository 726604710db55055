// Checks that span resources: they need to see the whole inventory before they can decide. Each family lives in
// its own file (crosschecks_network, _rbac, _workloads); this one holds what they share and picks the check.
#include "core/crosschecks_shared.h"
#include "core/jsonutil.h"

namespace lg {

namespace crosscheck {

KeptMetadata keptFor(const Policy& policy)
{
    KeptMetadata kept;
    for (const auto& e : policy.exemptions) {
        kept.labels = kept.labels || !e.label.empty();
        kept.annotations = kept.annotations || !e.annotation.empty();
    }
    return kept;
}

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

/** Whether a JSON array holds `value`. */
bool hasAll(const nlohmann::json& list, const char* value)
{
    return list.is_array() && std::find(list.begin(), list.end(), value) != list.end();
}

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

} // namespace crosscheck

std::unique_ptr<CrossCheck> makeCrossCheck(const Rule& rule, const Policy& policy)
{
    for (auto family : { crosscheck::networkCheck, crosscheck::rbacCheck, crosscheck::workloadCheck })
        if (auto check = family(rule, policy))
            return check;
    return nullptr;
}

} // namespace lg
