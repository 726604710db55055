#pragma once

#include "core/model.h"

#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace lg {

/**
 * The RBAC objects a cluster has before anyone changes it: the kube-apiserver bootstrap policy and the
 * providers' documented defaults (resources/kubernetes/rbac-defaults/). An object of the inventory is a
 * default only when kind, namespace and exact name match, it carries the entry's labels (the bootstrap
 * policy's `kubernetes.io/bootstrapping: rbac-defaults`), and its content is within the entry's: a role's
 * rules covered by the default rules (an aggregated role's selectors equal), a binding's role the same and
 * its subjects among the default ones. A `system:` name proves nothing; neither does the label alone.
 */
class RbacDefaults {
public:
    /** The defaults compiled into the binary; throws std::runtime_error naming a broken file. */
    static const RbacDefaults& builtin();

    /** Whether `r` (a Role, ClusterRole, RoleBinding or ClusterRoleBinding) is one of the defaults, unchanged. */
    [[nodiscard]] bool isDefault(const Resource& r) const;
    /** The default role of that name (rules as a live cluster shows them), or nullptr. */
    [[nodiscard]] const nlohmann::json* role(std::string_view kind, std::string_view ns, std::string_view name) const;

    /** Adds the objects of a YAML or JSON text (tests). */
    void addDocuments(const std::string& text, const std::string& fileName);

private:
    using Key = std::tuple<std::string, std::string, std::string>; // kind, namespace, name
    std::map<Key, nlohmann::json> m_objects;
};

/**
 * What `rules` (a role's rules) allow beyond what every user may do on a default cluster — read the health,
 * version and discovery endpoints and review their own access — as "verb resource" texts, at most `limit`.
 * Empty: nothing worth a finding when granted to anonymous or all users.
 */
[[nodiscard]] std::vector<std::string> beyondPublicInformation(const nlohmann::json& rules, std::size_t limit = 5);

/** Whether every permission of `rules` is also granted by `allowed` (RBAC rule semantics, `*` included). */
[[nodiscard]] bool rulesCoveredBy(const nlohmann::json& rules, const nlohmann::json& allowed);

} // namespace lg
