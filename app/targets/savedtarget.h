#pragma once

#include "connector.h"
#include "kubeconfig.h"
#include "promconnector.h"
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

/**
 * A Prometheus endpoint from its settings: the password comes from LAYERGUARD_PROM_PASSWORD when a user
 * is set, the token from its file (never argv). Throws ConnectorError when the token file is unreadable.
 */
[[nodiscard]] PrometheusEndpoint prometheusEndpoint(const std::string& url, const std::string& caFile,
    const std::string& user, const std::string& tokenFile, const std::string& cert, const std::string& key);

/**
 * A cluster connector that tells `notice` when its context turns TLS verification off and before an exec
 * plugin runs.
 */
[[nodiscard]] std::unique_ptr<Connector> kubernetesConnector(KubeContext context, const std::string& target,
    int pageSize, const std::function<void(const std::string&)>& notice);

/** The secret a saved connection of this kind can use ("password", "token" or empty: none). */
[[nodiscard]] std::string secretKindOf(const SavedTarget& target);

/**
 * The connector for a saved connection. Throws ConnectorError (an unreadable kubeconfig, a missing
 * context, an unknown kind) with a hint.
 */
[[nodiscard]] std::unique_ptr<Connector> connectorForTarget(
    const SavedTarget& target, const TargetSecret& secret = {}, const TargetOptions& options = {});

} // namespace lg
