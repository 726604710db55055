#pragma once

#include "connector.h"
#include "store.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lg {

/**
 * What a saved connection may need that the cache must never hold: a registry or Prometheus password or
 * a Prometheus bearer token, from the OS keyring (the window) or the environment (the CLI). Memory only.
 */
struct TargetSecret {
    std::string password;
    std::string token;
    [[nodiscard]] bool empty() const { return password.empty() && token.empty(); }
    /** The keyring entry's text: {"password": ..., "token": ...} (only what is set). */
    [[nodiscard]] std::string toJson() const;
    /** Reads an entry back; anything that is not such an object gives an empty secret. */
    [[nodiscard]] static TargetSecret fromJson(const std::string& json);
};

struct TargetOptions {
    int pageSize = 500; ///< Kubernetes list page size
    /** Told before a kubeconfig exec plugin runs and when a context turns TLS verification off. */
    std::function<void(const std::string&)> notice;
};

/**
 * Tag re-pointing is judged against the digests each registry had in its target's previous scan: gives
 * every registry source among `sources` those digests ("repo:tag" -> digest) from the cache.
 */
void applyPreviousDigests(const Store& store, const std::vector<std::unique_ptr<Connector>>& sources);

/** The secret a saved connection of this kind can use ("password", "token" or empty: none). */
[[nodiscard]] std::string secretKindOf(const SavedTarget& target);

/**
 * The connector for a saved connection. Throws ConnectorError (an unreadable kubeconfig, a missing
 * context, an unknown kind) with a hint.
 */
[[nodiscard]] std::unique_ptr<Connector> connectorForTarget(
    const SavedTarget& target, const TargetSecret& secret = {}, const TargetOptions& options = {});

} // namespace lg
