#include "core/rbacdefaults.h"

#include "core/jsonutil.h"
#include "core/yamlio.h"

#include <QDirIterator>
#include <QFile>

#include <algorithm>
#include <stdexcept>

namespace lg {

namespace {

/** The strings of a rule's list field ("verbs", "resources", ...); empty when absent. */
std::vector<std::string> strings(const nlohmann::json& rule, const char* key)
{
    std::vector<std::string> out;
    const auto& list = member(rule, key);
    if (list.is_array())
        for (const auto& v : list)
            if (v.is_string())
                out.push_back(v.get<std::string>());
    return out;
}

bool has(const std::vector<std::string>& list, const std::string& value)
{
    return std::find(list.begin(), list.end(), value) != list.end();
}

bool matchesOrStar(const std::vector<std::string>& list, const std::string& value)
{
    return has(list, "*") || has(list, value);
}

/** A non-resource URL pattern as RBAC reads it: exact, or a prefix ending in '*'. */
bool urlMatches(const std::string& pattern, const std::string& url)
{
    if (pattern == "*")
        return true;
    if (!pattern.empty() && pattern.back() == '*')
        return url.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
    return pattern == url;
}

/** One permission: a verb on a group/resource (with a name, or any), or on a non-resource URL. */
struct Permission {
    std::string verb, group, resource, name, url;
};

/** Every permission one rule grants, spelled out (a `*` stays a `*`: it is only covered by a `*`). */
std::vector<Permission> permissionsOf(const nlohmann::json& rule)
{
    std::vector<Permission> out;
    const auto verbs = strings(rule, "verbs");
    for (const auto& url : strings(rule, "nonResourceURLs"))
        for (const auto& verb : verbs)
            out.push_back({ verb, {}, {}, {}, url });
    auto groups = strings(rule, "apiGroups");
    auto names = strings(rule, "resourceNames");
    if (names.empty())
        names.push_back({});
    for (const auto& group : groups)
        for (const auto& resource : strings(rule, "resources"))
            for (const auto& name : names)
                for (const auto& verb : verbs)
                    out.push_back({ verb, group, resource, name, {} });
    return out;
}

bool ruleGrants(const nlohmann::json& rule, const Permission& p)
{
    if (!matchesOrStar(strings(rule, "verbs"), p.verb))
        return false;
    if (!p.url.empty()) {
        const auto urls = strings(rule, "nonResourceURLs");
        return std::any_of(urls.begin(), urls.end(), [&](const std::string& u) { return urlMatches(u, p.url); });
    }
    if (!matchesOrStar(strings(rule, "apiGroups"), p.group) || !matchesOrStar(strings(rule, "resources"), p.resource))
        return false;
    const auto names = strings(rule, "resourceNames");
    return names.empty() || (!p.name.empty() && has(names, p.name));
}

bool labelsIncluded(const nlohmann::json& expected, const nlohmann::json& actual)
{
    if (!expected.is_object())
        return true;
    for (auto it = expected.begin(); it != expected.end(); ++it) {
        const auto& v = member(actual, it.key());
        if (v != *it)
            return false;
    }
    return true;
}

/** The subject as RBAC compares it: kind, name and (service accounts) namespace. */
std::string subjectKey(const nlohmann::json& s, const std::string& bindingNs)
{
    const std::string kind = text(s, "kind");
    std::string ns = text(s, "namespace");
    if (kind == "ServiceAccount" && ns.empty())
        ns = bindingNs;
    return kind + "/" + ns + "/" + text(s, "name");
}

} // namespace

namespace {

bool covered(const Permission& p, const nlohmann::json& allowed)
{
    return allowed.is_array()
        && std::any_of(allowed.begin(), allowed.end(), [&](const nlohmann::json& a) { return ruleGrants(a, p); });
}

std::string describe(const Permission& p)
{
    if (!p.url.empty())
        return p.verb + " " + p.url;
    std::string what = p.resource + (p.group.empty() ? std::string() : "." + p.group);
    return p.verb + " " + what + (p.name.empty() ? std::string() : " " + p.name);
}

} // namespace

bool rulesCoveredBy(const nlohmann::json& rules, const nlohmann::json& allowed)
{
    if (!rules.is_array())
        return true;
    for (const auto& rule : rules)
        for (const auto& p : permissionsOf(rule))
            if (!covered(p, allowed))
                return false;
    return true;
}

std::vector<std::string> beyondPublicInformation(const nlohmann::json& rules, std::size_t limit)
{
    // What system:public-info-viewer, system:discovery and system:basic-user grant every user by default.
    static const nlohmann::json kPublic = nlohmann::json::parse(R"([
        {"verbs": ["get"], "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/", "/api",
            "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*", "/.well-known/openid-configuration",
            "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/"]},
        {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
            "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]},
        {"verbs": ["create"], "apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"]}
    ])");
    std::vector<std::string> out;
    if (!rules.is_array())
        return out;
    for (const auto& rule : rules)
        for (const auto& p : permissionsOf(rule))
            if (!covered(p, kPublic)) {
                std::string d = describe(p);
                if (std::find(out.begin(), out.end(), d) == out.end())
                    out.push_back(std::move(d));
                if (out.size() >= limit)
                    return out;
            }
    return out;
}

const RbacDefaults& RbacDefaults::builtin()
{
    static const RbacDefaults defaults = [] {
        RbacDefaults d;
        QDirIterator it(QStringLiteral(":/kubernetes/rbac-defaults"), { QStringLiteral("*.yaml") }, QDir::Files);
        while (it.hasNext()) {
            QFile f(it.next());
            if (!f.open(QIODevice::ReadOnly))
                throw std::runtime_error("cannot read " + f.fileName().toStdString());
            d.addDocuments(f.readAll().toStdString(), f.fileName().toStdString());
        }
        return d;
    }();
    return defaults;
}

void RbacDefaults::addDocuments(const std::string& text, const std::string& fileName)
{
    for (const auto& doc : parseYamlDocuments(text, fileName)) {
        const auto& meta = member(doc.json, "metadata");
        m_objects[{ lg::text(doc.json, "kind"), lg::text(meta, "namespace"), lg::text(meta, "name") }] = doc.json;
    }
}

const nlohmann::json* RbacDefaults::role(std::string_view kind, std::string_view ns, std::string_view name) const
{
    auto it
        = m_objects.find({ std::string(kind), kind == "Role" ? std::string(ns) : std::string(), std::string(name) });
    return it == m_objects.end() ? nullptr : &it->second;
}

bool RbacDefaults::isDefault(const Resource& r) const
{
    const bool namespaced = r.kind == "Role" || r.kind == "RoleBinding";
    auto it = m_objects.find({ r.kind, namespaced ? r.namespace_ : std::string(), r.name });
    if (it == m_objects.end())
        return false;
    const auto& expected = it->second;
    if (!labelsIncluded(path(expected, "metadata", "labels"), path(r.data, "metadata", "labels")))
        return false;
    if (r.kind == "Role" || r.kind == "ClusterRole") {
        // An aggregated role's rules come from the roles its selectors pick, and those are judged on their own.
        if (const auto& agg = member(expected, "aggregationRule"); !agg.is_null())
            return member(r.data, "aggregationRule") == agg;
        const auto& rules = member(expected, "rules");
        return rules.is_array() && !rules.empty() && member(r.data, "aggregationRule").is_null()
            && rulesCoveredBy(member(r.data, "rules"), rules);
    }
    if (member(r.data, "roleRef") != member(expected, "roleRef")
        && (text(member(r.data, "roleRef"), "kind") != text(member(expected, "roleRef"), "kind")
            || text(member(r.data, "roleRef"), "name") != text(member(expected, "roleRef"), "name")))
        return false;
    std::vector<std::string> allowed;
    for (const auto& s : member(expected, "subjects"))
        allowed.push_back(subjectKey(s, r.namespace_));
    const auto& subjects = member(r.data, "subjects");
    if (!subjects.is_array())
        return true;
    return std::all_of(subjects.begin(), subjects.end(),
        [&](const nlohmann::json& s) { return has(allowed, subjectKey(s, r.namespace_)); });
}

} // namespace lg
