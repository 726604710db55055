#pragma once

#include "connectors/common/connector.h"
#include "connectors/registry/registryclient.h"

#include <map>
#include <optional>

namespace lg {

/** An image config blob in the shape of `docker image inspect` (Config, history, created), for the image rules. */
[[nodiscard]] nlohmann::json inspectFromConfig(const nlohmann::json& config, const std::string& configDigest);

struct RegistryOptions {
    std::string url; ///< https://host:port (default scheme https) or http://host:port
    std::string caFile; ///< else /etc/docker/certs.d/<host:port>/ca.crt when present, else the system store
    bool insecureSkipVerify = false; ///< the user's explicit choice (--registry-insecure); reported as a finding
    std::vector<std::string> repositories; ///< glob patterns; empty: every repository of the catalog
    std::vector<std::string> tags; ///< glob patterns; empty: every tag
    std::optional<RegistryCredential> credential; ///< unset: looked up with findRegistryCredential
    std::map<std::string, std::string> previousDigests; ///< "repo:tag" -> digest of the previous scan
    int connections = 4;
    std::string platform = "linux/amd64"; ///< which manifest of an index is judged
};

/**
 * An OCI distribution registry (docker-registry, Harbor, GHCR, ...): /v2/ ping; anonymous, basic and
 * bearer-token auth (tokens cached per scope until they expire); catalog and tags with Link pagination;
 * manifests with all four media types accepted, indexes resolved to one platform; config blobs with their
 * digests checked. Emits RegistryEndpoint (transport, anonymous access), RegistryImage (tag, digest,
 * signature, the previous digest) and ContainerImage (the config: user, env, history, age) resources.
 * A tag that cannot be read is reported on its RegistryImage, the others are still scanned.
 */
class RegistryConnector final : public Connector {
public:
    explicit RegistryConnector(RegistryOptions options, std::string target = {});
    [[nodiscard]] std::string kind() const override { return "registry"; }
    [[nodiscard]] std::string target() const override { return m_target; }
    void renameTarget(const std::string& name) override { m_target = name; }
    [[nodiscard]] std::string location() const override { return m_options.url; }
    [[nodiscard]] std::vector<Layer> layers() const override { return { Layer::Registry, Layer::Image }; }
    void collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress) override;
    /** The previous scan's images ("repo:tag" -> origin ending in "@<digest>"), to report re-pointed tags. */
    void rememberPrevious(const std::map<std::string, std::string>& originsByName) override;

    /** "host:port" of a registry URL. */
    [[nodiscard]] static std::string hostOf(const std::string& url);

private:
    RegistryOptions m_options;
    std::string m_target;
};

} // namespace lg
