#pragma once

#include "connectors/common/connector.h"
#include "connectors/common/sourcekind.h"
#include "store/store.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lg {

struct TargetOptions {
    int pageSize = 500; ///< list page size for sources that page
    /** Told before a kubeconfig exec plugin runs and when a context turns TLS verification off. */
    std::function<void(const std::string&)> notice;
};

/**
 * Gives each source among `sources` what its target's previous scan recorded of the resources its kind compares
 * against (SourceKind::previousOrigins: a registry's digests, to report re-pointed tags).
 */
void applyPreviousScan(const Store& store, const std::vector<std::unique_ptr<Connector>>& sources);

/** The secret a saved connection of this kind can use ("password", "token" or empty: none). */
[[nodiscard]] std::string secretKindOf(const SavedTarget& target);

/**
 * The connector for a saved connection. Throws ConnectorError (an unreadable kubeconfig, a missing
 * context, an unknown kind) with a hint.
 */
[[nodiscard]] std::unique_ptr<Connector> connectorForTarget(
    const SavedTarget& target, const TargetSecret& secret = {}, const TargetOptions& options = {});

} // namespace lg
