#pragma once
// Talking to an OCI distribution registry: who the client is (stored logins, auth challenges, bearer tokens per
// scope), the Link-paged catalog and tag lists, and manifests and config blobs checked against their digests.
// What the answers mean for security is the connector's job (registryconnector.cpp).

#include "connectors/common/connector.h"
#include "connectors/http/httpclient.h"

#include <QUrl>

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

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

/** "host:port" of a registry URL; user:password@ never names the host. */
[[nodiscard]] std::string registryHostOf(const std::string& url);

/** A parsed `WWW-Authenticate` challenge: scheme ("Bearer", "Basic") and its parameters. */
struct AuthChallenge {
    std::string scheme;
    std::map<std::string, std::string> params;
};
[[nodiscard]] std::optional<AuthChallenge> parseWwwAuthenticate(const std::string& header);

/**
 * The digest of the manifest an index (or manifest list) names for `platform` ("linux/amd64"), else its
 * first; empty when it names none. `platforms` receives every platform it lists.
 */
[[nodiscard]] std::string selectIndexManifest(
    const nlohmann::json& index, const std::string& platform, std::vector<std::string>* platforms = nullptr);

/** The Accept header for manifests: all four media types, Docker's schema 1 last (only to report it). */
inline constexpr const char* kAcceptManifests
    = "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
      "application/vnd.docker.distribution.manifest.v2+json, "
      "application/vnd.docker.distribution.manifest.list.v2+json, "
      "application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.1";

/** "sha256:<hex>" of `bytes`: digests are computed over what was received, never taken from a header. */
[[nodiscard]] std::string sha256Digest(const std::string& bytes);

/** The registry kept answering 429 (after the client's bounded retries): the whole source stops, and says why. */
class RegistryRateLimited : public ConnectorError {
public:
    using ConnectorError::ConnectorError;
};
[[nodiscard]] RegistryRateLimited rateLimited(
    const std::string& source, const HttpResponse& r, const std::string& path);

/** The error message a registry put in its `errors` array, else the start of the body; masked, one line. */
[[nodiscard]] std::string registryError(const HttpResponse& r);

/** Bearer tokens per scope, shared by the sessions of one scan. */
struct RegistryTokenCache {
    std::mutex mutex;
    struct Token {
        std::string value;
        std::int64_t expires = 0;
        bool batch = false; ///< asked for several repositories at once: the service may have granted fewer
    };
    std::map<std::string, Token> tokens; ///< scope -> token
    std::optional<AuthChallenge> bearer; ///< the registry's Bearer challenge, once seen (realm, service)
};

/** One connection to the registry with its auth state (one per thread). `credential` unset: anonymous. */
class RegistrySession {
public:
    RegistrySession(const HttpEndpoint& ep, std::optional<RegistryCredential> credential, RegistryTokenCache& cache,
        std::string source, const CancelToken* cancel);

    /** GET with the auth dance: a 401 challenge is answered once (basic, or a token for the scope). */
    HttpResponse get(const std::string& path, const std::string& scope, const std::vector<std::string>& headers = {},
        const std::string& method = "GET");
    /**
     * One token for many repositories (the token spec allows several scope parameters), cached under
     * each of them: a catalog of 1,000 repositories then costs a few token requests, not 1,000.
     */
    void prefetch(const std::vector<std::string>& scopes);
    /** The token service issued a token that had already expired (a clock apart). */
    [[nodiscard]] bool gotExpiredToken() const { return m_expiredHint; }
    [[nodiscard]] const std::optional<RegistryCredential>& credential() const { return m_credential; }
    /** The source errors are reported for (the connector's target). */
    [[nodiscard]] const std::string& source() const { return m_source; }
    /** "host:port" of the registry. */
    [[nodiscard]] std::string host() const { return registryHostOf(m_endpoint.baseUrl); }

private:
    std::string cachedToken(const std::string& scope, bool* batch = nullptr);
    [[nodiscard]] std::string scopeKey(const std::string& scope) const;
    std::optional<AuthChallenge> bearerChallenge();
    bool fetchToken(const AuthChallenge& c, const std::string& scope, const std::vector<std::string>& alsoFor = {});
    [[nodiscard]] QUrl checkedRealm(const std::string& realm) const;
    HttpClient& tokenClient(const QUrl& realm);
    HttpResponse requestToken(const AuthChallenge& c, const QUrl& realm, const std::string& wantScope,
        const std::vector<std::string>& alsoFor);
    void storeToken(const HttpResponse& r, const std::string& scope, const std::vector<std::string>& alsoFor);

    HttpEndpoint m_endpoint;
    HttpClient m_http;
    std::optional<RegistryCredential> m_credential;
    RegistryTokenCache& m_cache;
    std::string m_source;
    const CancelToken* m_cancel;
    std::string m_basic;
    bool m_expiredHint = false;
    std::unique_ptr<HttpClient> m_tokenHttp; ///< kept: keep-alive to the token service
};

/**
 * Every repository of the catalog that `keep` accepts, following its Link pages. Throws ConnectorError when the
 * registry refuses or does not list its repositories, RegistryRateLimited on 429, Cancelled.
 */
[[nodiscard]] std::vector<std::string> listCatalog(
    RegistrySession& session, const std::function<bool(const std::string&)>& keep, const CancelToken& cancel);

/**
 * Every tag of `repo`, following its Link pages. Throws ConnectorError when the tags cannot be read (also for an
 * answer that is not a tag list, such as a login page), RegistryRateLimited on 429, Cancelled.
 */
[[nodiscard]] std::vector<std::string> listTags(
    RegistrySession& session, const std::string& repo, const CancelToken& cancel);

/** A tag's manifest as read; `error` says why it could not be (the rest then means nothing). */
struct RegistryManifest {
    std::string digest; ///< of the tag's own manifest (an index's, for a multi-platform tag)
    std::string mediaType; ///< of the tag's own manifest
    std::vector<std::string> platforms; ///< every platform an index lists
    nlohmann::json manifest; ///< the image manifest; for an index, the one for the wanted platform
    std::string error;
};

/**
 * The digest of the manifest `repo:tag` names, from the Docker-Content-Digest of a HEAD (which hosted registries do
 * not count against pull limits); empty when the registry refuses the HEAD or does not say. Throws
 * RegistryRateLimited on 429, ConnectorError on transport trouble.
 */
[[nodiscard]] std::string resolveTag(RegistrySession& session, const std::string& repo, const std::string& tag);

/**
 * The manifest of `repo:tag`, an index resolved to `platform` (its manifest checked against the index's digest).
 * The tag is resolved with a HEAD and its manifest read by digest, once per digest with `read` (the manifests read
 * so far in this repository, by the digest the tag resolved to); a registry that gives no digest, or whose
 * manifest does not match it, is read by tag. Throws RegistryRateLimited when a manifest answers 429,
 * ConnectorError on transport trouble.
 */
[[nodiscard]] RegistryManifest fetchManifest(RegistrySession& session, const std::string& repo, const std::string& tag,
    const std::string& platform, std::map<std::string, RegistryManifest>* read = nullptr);

/** The config blob `digest` of `repo`, checked against it; empty, with `error` set, when it cannot be read. */
[[nodiscard]] nlohmann::json fetchConfigBlob(
    RegistrySession& session, const std::string& repo, const std::string& digest, std::string& error);

} // namespace lg
