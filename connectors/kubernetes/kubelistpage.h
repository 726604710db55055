#pragma once
// Reading one page of a Kubernetes list with simdjson: kept out of kubeconnector.h so that simdjson stays inside
// the connector (and its fuzz target).

#include "connectors/kubernetes/kubeconnector.h"
#include "core/kubeshape.h"

#include <simdjson.h>

#include <functional>
#include <optional>
#include <string>

namespace lg {

/** What a list page says of the list: its continue token (empty on the last page), its size, what remains. */
struct KubeListPage {
    std::string next;
    std::size_t items = 0;
    std::optional<std::int64_t> remaining; ///< metadata.remainingItemCount, when the server says
};

/**
 * Reads one page of a Kubernetes list with simdjson: calls `onPage` once the page is parsed (the body may then
 * be freed), then `onItem` with each item as JSON (managedFields and last-applied-configuration dropped). An
 * item `skip` returns true for is never converted (a pod judged through its controller). Throws KubeListError.
 */
void readKubeListPage(simdjson::dom::parser& parser, const std::string& body,
    const std::function<void(const KubeListPage&)>& onPage, const std::function<void(nlohmann::json&&)>& onItem,
    const std::function<bool(simdjson::dom::element)>& skip = {});

/** templateDigest() of an item of `kind` straight from the parsed page; nullopt when it has no pod template. */
[[nodiscard]] std::optional<TemplateDigest> simdTemplateDigest(simdjson::dom::element item, std::string_view kind);

} // namespace lg
