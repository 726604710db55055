#pragma once
// The compliance frameworks, as data: resources/frameworks/<id>.json names each framework's controls and the rules
// that judge them (as Kubescape's frameworks/*.json and Trivy's compliance specs do).

#include <string>
#include <string_view>
#include <vector>

namespace lg {

struct FrameworkControl {
    std::string id; ///< "CIS-DOCKER-5.5"; a framework without its own numbering uses the rule's id
    std::vector<std::string> rules; ///< the rules that judge it
};

struct Framework {
    std::string id; ///< cis-docker-1.6.0, cis-kubernetes, pss-baseline, pss-restricted, nsa-cisa
    std::string title;
    int order = 0; ///< where reports and dialogs list it
    std::vector<std::string> aliases; ///< other spellings users give (cis-docker, cis-k8s, pss, nsa)
    std::vector<std::string> referencePrefixes; ///< the reference spellings that name its controls ("CIS-DOCKER-")
    std::vector<FrameworkControl> controls;

    /** The controls `rule` judges here, in the file's order; empty when it judges none. */
    [[nodiscard]] std::vector<std::string> controlsOf(std::string_view rule) const;
};

/** Every framework, read once from the built-in resources, in their `order`. */
[[nodiscard]] const std::vector<Framework>& allFrameworks();
/** The frameworks whose id or alias is `name` (an alias may name several: "pss"). */
[[nodiscard]] std::vector<const Framework*> frameworksNamed(std::string_view name);
/** The ids of the frameworks `rule` judges a control of. */
[[nodiscard]] std::vector<std::string> frameworksOfRule(std::string_view rule);
/** The ids of the frameworks whose controls a reference names ("CIS-K8S-1.2.1": cis-kubernetes). */
[[nodiscard]] std::vector<std::string> frameworksOfReference(std::string_view reference);

} // namespace lg
