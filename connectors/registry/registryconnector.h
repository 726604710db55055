#pragma once

#include "connectors/common/connector.h"
#include "connectors/http/httpclient.h"

#include <map>
#include <mutex>
#include <optional>

namespace lg {

/** Credentials for one registry host, and where they came from (shown; the values never are). */
struct RegistryCredential {
    std::string username;
    std::string password; ///< or identity token; memory only
    std::string source; ///< "docker config (auths)", "credential helper pass", "podman auth.json"
};

/**
 * Finds credentials for `host` ("127.0.0.1:5000", "ghcr.io") the way docker and podman do:
 * $DOCKER_CONFIG/config.json (or ~/.docker/config.json) credHelpers, then credsStore, then auths; then
 * podman's auth.json ($REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
 * ~/.config/containers/auth.json). Helpers are run as `docker-credential-NAME get` with the host on stdin.
 * Returns nothing when no credential is configured. Throws ConnectorError on a broken config or helper.
 */
[[nodiscard]] std::optional<RegistryCredential> findRegistryCredential(const std::string& host);

/** A parsed `WWW-Authenticate` challenge: scheme ("Bearer", "Basic") and its parameters. */
struct AuthChallenge {
    std::string scheme;
    std::map<std::string, std::string> params;
};
[[nodiscard]] std::optional<AuthChallenge> parseWwwAuthenticate(const std::string& header);

/** An image config blob in the shape of `docker image inspect` (Config, history, created), for the image rules. */
[[nodiscard]] nlohmann::json inspectFromConfig(const nlohmann::json& config, const std::string& configDigest);

/**
 * The digest of the manifest an index (or manifest list) names for `platform` ("linux/amd64"), else its
 * first; empty when it names none. `platforms` receives every platform it lists.
 */
[[nodiscard]] std::string selectIndexManifest(
    const nlohmann::json& index, const std::string& platform, std::vector<std::string>* platforms = nullptr);

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
