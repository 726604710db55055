#pragma once

#include "connectors/common/connector.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lg {

/** Where and how to reach an HTTP endpoint. Secrets (keys) are file paths, never logged. */
struct HttpEndpoint {
    std::string baseUrl; ///< "http://localhost" for unix sockets, "https://host:2376" for TCP+TLS
    std::string unixSocket; ///< set: talk HTTP over this socket
    std::string caFile; ///< extra CA bundle; empty: the system store
    std::string clientCert;
    std::string clientKey;
    std::string caPem; ///< CA certificates as PEM text (kubeconfig certificate-authority-data)
    std::string clientCertPem; ///< client certificate as PEM text; secret material, never logged
    std::string clientKeyPem;
    std::string authorization; ///< Authorization header value ("Bearer ...", "Basic ..."); never logged
    std::string connectTo; ///< libcurl CONNECT_TO entry: verify TLS against one name, connect to another
    std::string proxy; ///< proxy URL (kubeconfig proxy-url); empty: libcurl's environment defaults
    std::string tlsHint; ///< what to tell the user when the server's certificate is not trusted
    bool verifyTls = true; ///< off only when the user's own configuration says so
    std::chrono::seconds connectTimeout { 5 };
    std::chrono::seconds totalTimeout { 60 };
    std::size_t maxBody = 256u * 1024 * 1024;
    int retries = 2; ///< GET/HEAD again after 429/502/503/504 or a broken connection (0: never)
    /**
     * Redirects of GET/HEAD followed, at most this many (0: none, the 3xx is returned). One to another host (a
     * CDN, a signed storage URL) is fetched without the Authorization header and without credentials of any
     * kind; each hop has the same body limit.
     */
    int redirects = 0;
};

/**
 * Overrides every endpoint's total timeout for the rest of the process (`scan --timeout`); 0 restores
 * each endpoint's own.
 */
void setHttpTimeoutOverride(std::chrono::seconds timeout);

/**
 * Whether credentials may be sent over plain http to a host other than this machine (`--allow-plain-http`, for
 * isolated test networks). Off by default: such a request fails with the reason instead.
 */
void allowPlainHttpCredentials(bool allow);
/** An http:// URL whose host is not this machine (credentials sent there travel in clear). */
[[nodiscard]] bool isPlainHttpToAnotherHost(const std::string& url);

struct HttpResponse {
    long status = 0;
    std::string body;
    std::multimap<std::string, std::string> headers; ///< names lower-cased
    [[nodiscard]] std::optional<std::string> header(const std::string& lowerName) const;
};

/** A transport failure (no HTTP status): which URL, what curl said, and a hint for the user. */
class HttpError : public std::runtime_error {
public:
    HttpError(const std::string& what, int curlCode, std::string hint)
        : std::runtime_error(what)
        , m_code(curlCode)
        , m_hint(std::move(hint))
    {
    }
    [[nodiscard]] int curlCode() const { return m_code; }
    [[nodiscard]] const std::string& hint() const { return m_hint; }

private:
    int m_code;
    std::string m_hint;
};

/**
 * A libcurl easy handle with keep-alive, TLS and unix-socket support. One client per thread; requests
 * are blocking and honour the cancel token (checked while transferring). GET and HEAD are tried again,
 * `retries` times with backoff (Retry-After honoured up to 5 s), when the server says it is passing
 * trouble (429, 502, 503, 504) or the connection broke off; the last answer or error is what the caller
 * sees. Throws HttpError on transport failures and Cancelled when cancelled; HTTP error statuses are
 * returned, not thrown.
 */
class HttpClient {
public:
    explicit HttpClient(HttpEndpoint endpoint, const CancelToken* cancel = nullptr);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    HttpResponse get(const std::string& path);
    /** Receives a body piece by piece; returns false to stop reading (the transfer then ends without an error). */
    using ChunkFn = std::function<bool(std::string_view)>;
    /**
     * GET whose successful body goes to `chunk` as it arrives, never held whole (an image export of gigabytes).
     * Tried once and not redirected (the receiver has seen part of the body), with no total time limit: five
     * minutes without a byte end it. An error status's body is kept in the response, within `maxBody`.
     */
    HttpResponse stream(const std::string& path, const ChunkFn& chunk);
    /** Replaces the Authorization header of later requests (a refreshed token). */
    void setAuthorization(std::string value);
    /** `headers` are extra "Name: value" lines; an "Accept:" among them replaces the default JSON one. */
    HttpResponse request(const std::string& method, const std::string& path, const std::string& body = {},
        const std::string& contentType = {}, const std::vector<std::string>& headers = {});
    [[nodiscard]] const HttpEndpoint& endpoint() const { return m_endpoint; }

private:
    HttpResponse following(const std::string& method, const std::string& path, const std::string& body,
        const std::string& contentType, const std::vector<std::string>& extraHeaders);
    HttpResponse once(const std::string& method, const std::string& path, const std::string& body,
        const std::string& contentType, const std::vector<std::string>& headers);
    const ChunkFn* m_chunk = nullptr; ///< set while stream() runs
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    HttpEndpoint m_endpoint;
    const CancelToken* m_cancel;
};

} // namespace lg
