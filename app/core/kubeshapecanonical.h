#pragma once
// The canonical form templateDigest() hashes, written once for any JSON tree: the connectors give it
// nlohmann trees or simdjson's DOM (the live scan's pods are never converted), and both must give the same
// bytes. An adapter `A` provides, for its `A::Node`:
//   type(n) -> JsonType; boolean(n); string(n) -> std::string_view; appendNumber(std::string&, n);
//   forEachField(n, fn(std::string_view key, const Node& child)); forEachItem(n, fn(const Node& child));
//   field(n, key) -> std::optional<Node>.
// Internal to kubeshape.cpp and the Kubernetes connector.

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lg::canonical {

enum class JsonType { Null, Bool, Number, String, Array, Object };

inline constexpr std::string_view kTokenMountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Labels a controller puts on its replicas (and ReplicaSet or Job templates), never the user. */
inline bool isControllerLabel(std::string_view key)
{
    static constexpr std::array<std::string_view, 10> kLabels { "pod-template-hash", "controller-revision-hash",
        "pod-template-generation", "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index",
        "controller-uid", "job-name", "batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name",
        "batch.kubernetes.io/job-completion-index" };
    return std::find(kLabels.begin(), kLabels.end(), key) != kLabels.end();
}

/** Annotations that rules read (AppArmor and seccomp before their fields existed). */
inline bool isSecurityAnnotation(std::string_view key)
{
    return key.starts_with("container.apparmor.security.beta.kubernetes.io/")
        || key == "seccomp.security.alpha.kubernetes.io/pod"
        || key.starts_with("container.seccomp.security.alpha.kubernetes.io/");
}

/**
 * Pod spec fields that the scheduler, admission and the controllers set on each replica, and that no rule
 * reads. serviceAccountName is written separately (empty means "default"), the token volume is skipped.
 */
inline bool isReplicaOnlySpecField(std::string_view key)
{
    static constexpr std::array<std::string_view, 14> kFields { "nodeName", "tolerations", "affinity", "priority",
        "priorityClassName", "preemptionPolicy", "schedulerName", "hostname", "subdomain", "overhead",
        "schedulingGates", "readinessGates", "serviceAccount", "serviceAccountName" };
    return std::find(kFields.begin(), kFields.end(), key) != kFields.end();
}

template <class A> class Writer {
public:
    using Node = typename A::Node;
    explicit Writer(std::string& out)
        : m_out(out)
    {
    }

    /** A pod template or a Pod: {metadata, spec}, everything else (status, kind) left out. */
    void podTemplate(const Node& tmpl)
    {
        if (A::type(tmpl) != JsonType::Object) {
            m_out += 'x';
            return;
        }
        m_out += "meta{";
        if (auto meta = A::field(tmpl, "metadata"); meta && A::type(*meta) == JsonType::Object) {
            if (auto labels = A::field(*meta, "labels"))
                filteredMap("labels", *labels, [](std::string_view k) { return !isControllerLabel(k); });
            if (auto ann = A::field(*meta, "annotations"))
                filteredMap("annotations", *ann, isSecurityAnnotation);
        }
        m_out += "}spec";
        if (auto spec = A::field(tmpl, "spec"))
            podSpec(*spec);
        else
            m_out += 'n';
    }

private:
    template <class Keep> void filteredMap(std::string_view name, const Node& map, Keep keep)
    {
        if (A::type(map) != JsonType::Object)
            return;
        auto fields = sortedFields(map, [&](std::string_view k, const Node&) { return keep(k); });
        if (fields.empty())
            return;
        str(name);
        m_out += '{';
        for (const auto& [k, v] : fields) {
            str(k);
            value(v);
        }
        m_out += '}';
    }

    void podSpec(const Node& spec)
    {
        if (A::type(spec) != JsonType::Object) {
            value(spec);
            return;
        }
        // The service-account token volume is added to each replica by admission (kube-api-access-*, or a
        // <account>-token-* secret on old clusters), with a mount in every container: both are left out.
        std::vector<std::string_view> tokenVolumes;
        for (const char* list : { "containers", "initContainers" }) {
            if (auto cs = A::field(spec, list); cs && A::type(*cs) == JsonType::Array)
                A::forEachItem(*cs, [&](const Node& c) {
                    if (auto mounts = A::field(c, "volumeMounts"); mounts && A::type(*mounts) == JsonType::Array)
                        A::forEachItem(*mounts, [&](const Node& m) {
                            if (isTokenMount(m))
                                if (auto n = A::field(m, "name"); n && A::type(*n) == JsonType::String)
                                    tokenVolumes.push_back(A::string(*n));
                        });
                });
        }
        auto fields = sortedFields(spec, [](std::string_view k, const Node&) { return !isReplicaOnlySpecField(k); });
        m_out += '{';
        std::string_view account = "default";
        for (const char* key : { "serviceAccountName", "serviceAccount" }) {
            auto sa = A::field(spec, key);
            if (sa && A::type(*sa) == JsonType::String && !A::string(*sa).empty()) {
                account = A::string(*sa);
                break;
            }
        }
        str("serviceAccountName");
        str(account);
        for (const auto& [k, v] : fields) {
            if ((k == "containers" || k == "initContainers") && A::type(v) == JsonType::Array) {
                str(k);
                m_out += '[';
                A::forEachItem(v, [&](const Node& c) { container(c); });
                m_out += ']';
            } else if (k == "volumes" && A::type(v) == JsonType::Array) {
                items(k, v, [&](const Node& vol) { return !isReplicaOnlyVolume(vol, tokenVolumes); });
            } else {
                str(k);
                value(v);
            }
        }
        m_out += '}';
    }

    void container(const Node& c)
    {
        if (A::type(c) != JsonType::Object) {
            value(c);
            return;
        }
        auto fields = sortedFields(c, [](std::string_view, const Node&) { return true; });
        m_out += '{';
        for (const auto& [k, v] : fields) {
            if (k == "volumeMounts" && A::type(v) == JsonType::Array) {
                items(k, v, [](const Node& m) { return !isTokenMount(m); });
            } else {
                str(k);
                value(v);
            }
        }
        m_out += '}';
    }

    /** A list with some items left out; nothing at all when none is left (as if the list were absent). */
    template <class Keep> void items(std::string_view key, const Node& list, Keep keep)
    {
        std::vector<Node> kept;
        A::forEachItem(list, [&](const Node& item) {
            if (keep(item))
                kept.push_back(item);
        });
        if (kept.empty())
            return;
        str(key);
        m_out += '[';
        for (const auto& item : kept)
            value(item);
        m_out += ']';
    }

    static bool isTokenMount(const Node& m)
    {
        auto p = A::field(m, "mountPath");
        return p && A::type(*p) == JsonType::String && A::string(*p) == kTokenMountPath;
    }

    static bool isReplicaOnlyVolume(const Node& vol, const std::vector<std::string_view>& tokenVolumes)
    {
        if (A::type(vol) != JsonType::Object)
            return false;
        if (A::field(vol, "persistentVolumeClaim"))
            return true; // a StatefulSet's claims, one per replica; never a risk a rule reads
        auto n = A::field(vol, "name");
        if (!n || A::type(*n) != JsonType::String)
            return false;
        const std::string_view name = A::string(*n);
        const bool token = std::find(tokenVolumes.begin(), tokenVolumes.end(), name) != tokenVolumes.end();
        return token && (A::field(vol, "projected") || A::field(vol, "secret"));
    }

    /** An empty object or array, or null: the same as absent. */
    static bool isEmpty(const Node& n)
    {
        switch (A::type(n)) {
        case JsonType::Null:
            return true;
        case JsonType::Array:
        case JsonType::Object: {
            bool any = false;
            if (A::type(n) == JsonType::Array)
                A::forEachItem(n, [&](const Node&) { any = true; });
            else
                A::forEachField(n, [&](std::string_view, const Node&) { any = true; });
            return !any;
        }
        default:
            return false;
        }
    }

    template <class Keep> std::vector<std::pair<std::string_view, Node>> sortedFields(const Node& obj, Keep keep)
    {
        std::vector<std::pair<std::string_view, Node>> fields;
        A::forEachField(obj, [&](std::string_view k, const Node& v) {
            if (keep(k, v) && !isEmpty(v))
                fields.emplace_back(k, v);
        });
        std::sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        return fields;
    }

    void str(std::string_view s)
    {
        m_out += 's';
        m_out += std::to_string(s.size());
        m_out += ':';
        m_out += s;
    }

    void value(const Node& n)
    {
        switch (A::type(n)) {
        case JsonType::Null:
            m_out += 'n';
            return;
        case JsonType::Bool:
            m_out += A::boolean(n) ? 't' : 'f';
            return;
        case JsonType::Number:
            m_out += '#';
            A::appendNumber(m_out, n);
            m_out += ';';
            return;
        case JsonType::String:
            str(A::string(n));
            return;
        case JsonType::Array:
            m_out += '[';
            A::forEachItem(n, [&](const Node& c) { value(c); });
            m_out += ']';
            return;
        case JsonType::Object: {
            m_out += '{';
            for (const auto& [k, v] : sortedFields(n, [](std::string_view, const Node&) { return true; })) {
                str(k);
                value(v);
            }
            m_out += '}';
            return;
        }
        }
    }

    std::string& m_out;
};

} // namespace lg::canonical
