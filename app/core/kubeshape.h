#pragma once
// The shapes of Kubernetes objects that the connectors and the rule engine share: pod templates, controllers,
// owner references, and whether an owned object is the very replica its controller's template describes.

#include "core/model.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lg {

/**
 * The pod template inside a workload (Pod itself, Deployment/StatefulSet/... spec.template, CronJob
 * spec.jobTemplate.spec.template, PodTemplate template) and, in `prefix`, its field path; nullptr when
 * the object has none.
 */
[[nodiscard]] const nlohmann::json* podTemplate(
    const nlohmann::json& data, std::string_view kind, std::string* prefix = nullptr);

/** The pod spec inside a workload's template (an object), with its template's path in `prefix`; nullptr when none. */
[[nodiscard]] const nlohmann::json* podSpec(const nlohmann::json& data, std::string_view kind, std::string* prefix);

/**
 * The newest Kubernetes minor whose Pod Security Admission behaviour the PSS rules know (1.37: its two new
 * safe sysctls). A newer cluster is judged as this one, as PSA itself clamps a newer version to its newest.
 */
inline constexpr int kNewestKubernetesMinor = 37;

/** The minor of a Kubernetes version ("v1.32.4-eks-1234" -> 32, "1.35" -> 35); nullopt when it is none. */
[[nodiscard]] std::optional<int> kubernetesMinor(std::string_view version);

/**
 * A resource that carries no object, only the Kubernetes version a target's manifests are judged for:
 * offline scans emit it (`--k8s-version`, or the newest supported), live scans the cluster's KubernetesVersion.
 * Data: {"gitVersion": "v1.35", "source": "why this version"}.
 */
inline constexpr std::string_view kPolicyContextKind = "PolicyContext";

/** Kinds that carry a pod template (Pod, the controllers, ReplicationController, PodTemplate). */
[[nodiscard]] bool isWorkloadKind(std::string_view kind);

/** Whether `kind` is a built-in controller (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob). */
[[nodiscard]] bool isControllerKind(std::string_view kind);

/** The `controller: true` owner reference of an object (the first, as the garbage collector reads it). */
struct ControllingOwner {
    std::string kind;
    std::string name;
    std::string uid;
};
[[nodiscard]] std::optional<ControllingOwner> controllingOwner(const nlohmann::json& data);

/**
 * 16 bytes of SHA-256 over what a pod template runs, written canonically: its spec and the labels and
 * security annotations of its metadata, without what the API server, the scheduler and the controllers
 * add to each replica (node name, tolerations, affinity, priority, the service-account token volume,
 * persistent volume claims, controller labels such as pod-template-hash). No rule reads what is left out,
 * so two objects with the same digest are judged alike. A cryptographic hash: a forged pod cannot be made
 * to collide with its controller's template.
 */
using TemplateDigest = std::array<std::uint8_t, 16>;

/** The digest of a pod template ({metadata, spec}); a Pod is its own template. */
[[nodiscard]] TemplateDigest templateDigest(const nlohmann::json& tmpl);
/** SHA-256 (first 16 bytes) of canonical bytes written by the template walker (kubeshapecanonical.h). */
[[nodiscard]] TemplateDigest digestOfCanonical(std::string_view canonical);

/** What decides whether an owned object is judged through its controller (see OwnershipIndex::verdict). */
enum class Ownership : std::uint8_t {
    Own, ///< judged on its own: no controller, or one that is not listed, not proven (UIDs) or runs something else
    ThroughController, ///< the controller's replica: its controller's findings stand for it
    InactiveRevision, ///< a ReplicaSet of an older revision scaled to zero: it runs nothing
};

/**
 * The controllers of one inventory, by kind/namespace/name, with their UID and template digest. An owned
 * object (Pod, ReplicaSet, Job) is judged through its controller only when that controller is listed, both
 * UIDs are known and equal, and the object runs exactly the controller's template. Anything else is judged
 * on its own: a forged owner reference, a pod changed after it was made (`kubectl debug` adds ephemeral
 * containers), the ReplicaSet of an older rollout that still runs pods.
 */
class OwnershipIndex {
public:
    /** Remembers a listed controller; objects without a UID can own nothing. */
    void addController(std::string_view kind, std::string_view ns, std::string_view name, std::string_view uid,
        const TemplateDigest& digest);
    /** How an object of `ns` whose controlling owner is `owner` and whose template digest is `digest` is judged. */
    [[nodiscard]] Ownership verdict(const ControllingOwner& owner, std::string_view ns, std::string_view objectKind,
        const TemplateDigest& digest, bool scaledToZero) const;
    [[nodiscard]] bool empty() const { return m_controllers.empty(); }

private:
    struct Entry {
        std::string uid;
        TemplateDigest digest;
    };
    std::unordered_map<std::string, Entry> m_controllers; ///< "Kind/ns/name"
};

} // namespace lg
