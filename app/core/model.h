#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lg {

/** The five stack layers of a container estate, in the order the product shows them. */
enum class Layer : std::uint8_t { Host, Image, Runtime, Registry, Orchestrator };
inline constexpr std::array<Layer, 5> kAllLayers { Layer::Host, Layer::Image, Layer::Runtime, Layer::Registry,
    Layer::Orchestrator };

/** Severities, most severe first. */
enum class Severity : std::uint8_t { Critical, High, Medium, Low, Info };
inline constexpr std::array<Severity, 5> kAllSeverities { Severity::Critical, Severity::High, Severity::Medium,
    Severity::Low, Severity::Info };

/**
 * Open; Accepted (a risk someone accepted, with owner and expiry); Resolved (gone in a later scan); Exempted
 * (the policy or a `layerguard.io/ignore` annotation exempts the resource; stored, counted, never scored).
 */
enum class FindingStatus : std::uint8_t { Open, Accepted, Resolved, Exempted };

[[nodiscard]] std::string_view toString(Layer layer);
[[nodiscard]] std::string_view toString(Severity severity);
[[nodiscard]] std::string_view toString(FindingStatus status);
[[nodiscard]] std::optional<Layer> layerFromString(std::string_view text);
[[nodiscard]] std::optional<Severity> severityFromString(std::string_view text);
[[nodiscard]] std::optional<FindingStatus> statusFromString(std::string_view text);

/** Weight of a severity in the score formula (see scoring.h). */
[[nodiscard]] int severityWeight(Severity severity);

/**
 * One normalised object a connector observed: a Kubernetes object, a container, an image, a host.
 * `data` is the object's JSON as the source gave it (for Kubernetes, the manifest/API object).
 * `origin` says where it came from for error messages and evidence (file:line, URL).
 */
struct Resource {
    Layer layer = Layer::Orchestrator;
    std::string target; ///< the scan target (saved connection or source) it belongs to
    std::string kind;
    std::string namespace_;
    std::string name;
    std::string origin;
    nlohmann::json data;
};

/** The identity of what a finding is about: a resource, optionally one container inside it. */
struct Subject {
    std::string target;
    std::string kind;
    std::string namespace_;
    std::string name;
    std::string container; ///< empty when the finding is about the whole resource
};

struct Evidence {
    std::string path; ///< field path, e.g. spec.containers[0].securityContext.privileged
    nlohmann::json value; ///< observed value (masked when it looks secret); null when absent
};

/** One remediation step as a person ticks it off. */
struct RemediationStep {
    std::string text;
    std::string snippet; ///< YAML or flag that fixes it, may be empty
};

/** Who or what exempted a finding, and why: a policy file and line, or an annotation on the resource. */
struct ExemptionInfo {
    std::string by; ///< "policy.yaml:12" or "annotation layerguard.io/ignore"
    std::string reason;
};

/** Who accepted a finding's risk, why, when and until when. */
struct AcceptanceInfo {
    std::string owner; ///< who owns the risk
    std::string reason;
    std::string by; ///< who recorded the acceptance
    std::int64_t at = 0; ///< unix seconds
    std::optional<std::int64_t> expires;
};

struct Finding {
    std::string id; ///< stable fingerprint: same rule + same subject -> same id in every scan
    std::string rule;
    std::string title;
    Layer layer = Layer::Orchestrator;
    Severity severity = Severity::Medium;
    FindingStatus status = FindingStatus::Open;
    Subject subject;
    std::string message;
    std::vector<Evidence> evidence;
    std::vector<RemediationStep> remediation;
    std::vector<std::string> references;
    std::vector<std::string> frameworks;
    std::string origin;
    ExemptionInfo exemption; ///< set when status is Exempted
    std::optional<AcceptanceInfo> acceptance; ///< set when status is Accepted (as the cache knows it)
    bool scored = true; ///< false for coverage findings (what a source could not see): never in a score
    std::int64_t firstSeen = 0; ///< unix seconds: when its fingerprint was first stored (0: not stored yet)
};

/** Computes the stable fingerprint of a finding (hex, 16 bytes of SHA-256). */
[[nodiscard]] std::string fingerprint(std::string_view ruleId, const Subject& subject);

/** 8 bytes of a text from `at` as a big-endian integer, zero-padded: integer order is memcmp order. */
[[nodiscard]] std::uint64_t textPrefix(std::string_view text, std::size_t at = 0);

/** Contract JSON of a finding (ARCHITECTURE.md, "finding JSON"). */
[[nodiscard]] nlohmann::json toJson(const Finding& finding);
/** Reads a finding back from contract JSON; throws nlohmann::json::exception on bad input. */
[[nodiscard]] Finding findingFromJson(const nlohmann::json& json);

/** Outcome counters of one layer in one scan: what was evaluated and what failed. */
struct LayerTally {
    int evaluated = 0; ///< (rule, subject) pairs evaluated
    long evaluatedWeight = 0; ///< sum of severity weights over evaluated pairs
    long failedWeight = 0; ///< sum of weights of open (not accepted) failures
    long acceptedWeight = 0; ///< sum of weights of failures covered by an accepted risk
    std::array<int, 5> openBySeverity {}; ///< open findings per severity (index = Severity)
    bool scanned = false; ///< at least one source of this layer was scanned
};

/** Tallies per target and layer: what each target of a scan contributed (the estate is made of targets). */
using TargetTallies = std::map<std::string, std::map<Layer, LayerTally>>;

} // namespace lg
