#include "connectors/http/httpclient.h"

#include "core/masking.h"

#include <QByteArray>
#include <QUrl>

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace lg {

namespace {

void globalInit()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
    HttpResponse* response;
    std::size_t maxBody;
    bool tooLarge = false;
    const CancelToken* cancel;
    bool failed = false; ///< a callback could not store data (no exception may cross libcurl)
    CURL* handle = nullptr;
    const HttpClient::ChunkFn* chunk = nullptr; ///< stream(): a successful body goes here, not into the response
    bool stopped = false; ///< the chunk receiver wanted no more
};

/** stream()'s successful body, handed on; 0 stops the transfer. */
size_t toReceiver(Transfer* t, char* data, size_t bytes)
{
    try {
        if ((*t->chunk)(std::string_view(data, bytes)))
            return bytes;
        t->stopped = true;
    } catch (...) {
        t->failed = true;
    }
    return 0;
}

size_t onBody(char* data, size_t size, size_t n, void* user)
{
    auto* t = static_cast<Transfer*>(user);
    const size_t bytes = size * n;
    if (t->chunk) {
        long status = 0;
        curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && status < 300)
            return toReceiver(t, data, bytes);
    }
    if (t->response->body.size() + bytes > t->maxBody) {
        t->tooLarge = true;
        return 0; // aborts the transfer
    }
    try {
        t->response->body.append(data, bytes);
    } catch (...) {
        t->failed = true;
        return 0;
    }
    return bytes;
}

size_t onHeader(char* data, size_t size, size_t n, void* user)
{
    auto* t = static_cast<Transfer*>(user);
    const size_t bytes = size * n;
    try {
        std::string line(data, bytes);
        const auto colon = line.find(':');
        if (colon != std::string::npos) {
            std::string name = line.substr(0, colon);
            std::transform(
                name.begin(), name.end(), name.begin(), [](unsigned char c) { return char(std::tolower(c)); });
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(" \t"));
            value.erase(value.find_last_not_of(" \t\r\n") + 1);
            t->response->headers.emplace(std::move(name), std::move(value));
        }
    } catch (...) {
        t->failed = true;
        return 0;
    }
    return bytes;
}

int onProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
{
    auto* t = static_cast<Transfer*>(user);
    return t->cancel && t->cancel->load() ? 1 : 0;
}

std::atomic<long> g_timeoutOverride { 0 };

bool passingTrouble(long status)
{
    return status == 429 || status == 502 || status == 503 || status == 504;
}

bool brokenConnection(int curlCode)
{
    return curlCode == CURLE_RECV_ERROR || curlCode == CURLE_SEND_ERROR || curlCode == CURLE_GOT_NOTHING
        || curlCode == CURLE_PARTIAL_FILE;
}

std::string hintFor(CURLcode code, const HttpEndpoint& ep, const std::string& detail)
{
    // curl says "certificate verification failed" both for an unknown CA and for a certificate of another
    // name: its error text tells which, and the way out differs.
    const bool wrongName = detail.find("subject name") != std::string::npos
        || detail.find("does not match target host") != std::string::npos
        || detail.find("no alternative certificate") != std::string::npos;
    if (code == CURLE_PEER_FAILED_VERIFICATION && wrongName)
        return "the server's certificate was issued for another name than the one connected to: use the name it "
               "was issued for (or, for Kubernetes, tls-server-name in the kubeconfig)";
    // A TLS server spoken to in plain HTTP drops the connection or answers garbage.
    if (ep.unixSocket.empty() && ep.baseUrl.starts_with("http://")
        && (code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING || code == CURLE_WEIRD_SERVER_REPLY))
        return "the server may expect https: check that the URL starts with https://, not http://";
    switch (code) {
    case CURLE_COULDNT_CONNECT:
        return ep.unixSocket.empty() ? "is the service running and listening there? check the host and port"
                                     : "is the daemon running? check the socket path (DOCKER_HOST, --docker) and that "
                                       "you may open it (the docker group, or rootless Docker)";
    case CURLE_COULDNT_RESOLVE_HOST:
        return "check the host name";
    case CURLE_OPERATION_TIMEDOUT:
        return "the endpoint did not answer in time; check the network or raise the timeout";
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        if (!ep.tlsHint.empty())
            return ep.tlsHint;
        return "the server's certificate is not trusted: give its CA with --ca-file (or DOCKER_CERT_PATH/ca.pem)";
    case CURLE_SSL_CERTPROBLEM:
        return "the client certificate or key could not be used; check the files and their permissions";
    case CURLE_SSL_CONNECT_ERROR:
        return "the TLS handshake failed; check that the endpoint speaks TLS and the client certificate is accepted";
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
        return "the connection was cut; try again, and check the server's logs";
    default:
        return "check the endpoint and try again";
    }
}

} // namespace

std::optional<std::string> HttpResponse::header(const std::string& lowerName) const
{
    auto it = headers.find(lowerName);
    if (it == headers.end())
        return std::nullopt;
    return it->second;
}

struct HttpClient::Impl {
    CURL* handle = nullptr;
    ~Impl()
    {
        if (handle)
            curl_easy_cleanup(handle);
    }
};

namespace {
/** What an Authorization header gives away: the credential, and for Basic the decoded password. */
void registerCredential(const std::string& authorization)
{
    const auto space = authorization.find(' ');
    const std::string credential = space == std::string::npos ? authorization : authorization.substr(space + 1);
    registerSentSecret(credential);
    if (authorization.starts_with("Basic ")) {
        const std::string plain = QByteArray::fromBase64(QByteArray::fromStdString(credential)).toStdString();
        if (const auto colon = plain.find(':'); colon != std::string::npos)
            registerSentSecret(plain.substr(colon + 1));
    }
}
} // namespace

HttpClient::HttpClient(HttpEndpoint endpoint, const CancelToken* cancel)
    : m_impl(std::make_unique<Impl>())
    , m_endpoint(std::move(endpoint))
    , m_cancel(cancel)
{
    // Whatever a server echoes of the credentials it was sent can reach no finding, log or export.
    if (!m_endpoint.authorization.empty())
        registerCredential(m_endpoint.authorization);
    globalInit();
    m_impl->handle = curl_easy_init();
    if (!m_impl->handle)
        throw HttpError("cannot initialise libcurl", CURLE_FAILED_INIT, "out of memory?");
}

HttpClient::~HttpClient() = default;

void HttpClient::setAuthorization(std::string value)
{
    registerCredential(value);
    m_endpoint.authorization = std::move(value);
}

HttpResponse HttpClient::stream(const std::string& path, const ChunkFn& chunk)
{
    m_chunk = &chunk;
    struct Reset {
        const ChunkFn*& chunk;
        ~Reset() { chunk = nullptr; }
    } reset { m_chunk };
    return once("GET", path, {}, {}, {});
}

HttpResponse HttpClient::get(const std::string& path)
{
    return request("GET", path);
}

void setHttpTimeoutOverride(std::chrono::seconds timeout)
{
    g_timeoutOverride = long(timeout.count());
}

HttpResponse HttpClient::request(const std::string& method, const std::string& path, const std::string& body,
    const std::string& contentType, const std::vector<std::string>& extraHeaders)
{
    const bool idempotent = method == "GET" || method == "HEAD";
    for (int attempt = 0;; ++attempt) {
        const bool last = !idempotent || attempt >= m_endpoint.retries;
        std::chrono::milliseconds pause(250 << attempt);
        try {
            HttpResponse r = following(method, path, body, contentType, extraHeaders);
            if (last || !passingTrouble(r.status))
                return r;
            if (const auto after = r.header("retry-after")) {
                char* end = nullptr;
                const long secs = std::strtol(after->c_str(), &end, 10);
                if (end != after->c_str() && secs >= 0)
                    pause = std::chrono::milliseconds(std::min(secs, 5L) * 1000);
            }
        } catch (const HttpError& e) {
            if (last || !brokenConnection(e.curlCode()))
                throw;
        }
        for (auto waited = std::chrono::milliseconds(0); waited < pause; waited += std::chrono::milliseconds(50)) {
            if (m_cancel && m_cancel->load())
                throw Cancelled();
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
}

HttpResponse HttpClient::following(const std::string& method, const std::string& path, const std::string& body,
    const std::string& contentType, const std::vector<std::string>& extraHeaders)
{
    HttpResponse r = once(method, path, body, contentType, extraHeaders);
    if (m_endpoint.redirects <= 0 || (method != "GET" && method != "HEAD"))
        return r;
    const QUrl origin(QString::fromStdString(m_endpoint.baseUrl));
    QUrl at(QString::fromStdString(m_endpoint.baseUrl + path));
    for (int hop = 0; hop < m_endpoint.redirects; ++hop) {
        if (r.status != 301 && r.status != 302 && r.status != 303 && r.status != 307 && r.status != 308)
            return r;
        const auto location = r.header("location");
        if (!location)
            return r;
        at = at.resolved(QUrl(QString::fromStdString(*location)));
        if (at.scheme() != QLatin1String("https") && at.scheme() != QLatin1String("http"))
            throw HttpError(method + " " + at.toString(QUrl::RemoveQuery | QUrl::RemoveUserInfo).toStdString()
                    + ": redirected to something that is not an http(s) URL",
                0, "check the server");
        const std::string rest = at.path(QUrl::FullyEncoded).toStdString()
            + (at.hasQuery() ? "?" + at.query(QUrl::FullyEncoded).toStdString() : std::string());
        const bool sameOrigin = at.scheme() == origin.scheme() && at.host() == origin.host()
            && at.port(at.scheme() == QLatin1String("https") ? 443 : 80)
                == origin.port(origin.scheme() == QLatin1String("https") ? 443 : 80);
        if (sameOrigin) {
            r = once(method, rest, body, contentType, extraHeaders);
            continue;
        }
        // Another host: no credential goes there (a signed URL rejects them, and they would leak).
        HttpEndpoint away;
        away.baseUrl = at.toString(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveUserInfo | QUrl::RemoveFragment)
                           .toStdString();
        away.caFile = m_endpoint.caFile;
        away.caPem = m_endpoint.caPem;
        away.verifyTls = m_endpoint.verifyTls;
        away.proxy = m_endpoint.proxy;
        away.connectTimeout = m_endpoint.connectTimeout;
        away.totalTimeout = m_endpoint.totalTimeout;
        away.maxBody = m_endpoint.maxBody;
        away.tlsHint = m_endpoint.tlsHint;
        away.retries = 0;
        std::vector<std::string> headers;
        for (const auto& line : extraHeaders)
            if (QString::fromStdString(line)
                    .section(QLatin1Char(':'), 0, 0)
                    .trimmed()
                    .compare(QLatin1String("Authorization"), Qt::CaseInsensitive)
                != 0)
                headers.push_back(line);
        HttpClient elsewhere(away, m_cancel);
        r = elsewhere.once(method, rest, body, contentType, headers);
    }
    if (r.status >= 300 && r.status < 400)
        throw HttpError(method + " " + m_endpoint.baseUrl + path + ": more than " + std::to_string(m_endpoint.redirects)
                + " redirects",
            0, "the server redirects in a loop; check it (or the proxy in front of it)");
    return r;
}

namespace {
std::atomic<bool> g_allowPlainCredentials { false };

bool isLoopbackHost(const QString& host)
{
    return host == QLatin1String("localhost") || host.startsWith(QLatin1String("127.")) || host == QLatin1String("::1");
}
} // namespace

void allowPlainHttpCredentials(bool allow)
{
    g_allowPlainCredentials = allow;
}

bool isPlainHttpToAnotherHost(const std::string& url)
{
    const QUrl u(QString::fromStdString(url));
    return u.scheme() == QLatin1String("http") && !isLoopbackHost(u.host());
}

namespace {

using SlistPtr = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

/** Credentials never travel in clear to another machine unless the user said so (--allow-plain-http). */
void refusePlainCredentials(
    const HttpEndpoint& ep, const std::string& url, const std::vector<std::string>& extraHeaders)
{
    const bool sendsCredentials = !ep.authorization.empty()
        || std::any_of(extraHeaders.begin(), extraHeaders.end(),
            [](const std::string& line) { return line.rfind("Authorization:", 0) == 0; });
    if (sendsCredentials && ep.unixSocket.empty() && isPlainHttpToAnotherHost(url) && !g_allowPlainCredentials.load())
        throw HttpError("refused to send credentials in clear over http to "
                + QUrl(QString::fromStdString(url)).host().toStdString(),
            0,
            "use the server's https address; on an isolated test network only, --allow-plain-http lets them travel "
            "unencrypted");
}

/** The request's URL, method, timeouts and callbacks (`t` receives the answer), and the unix socket if any. */
void setTransfer(CURL* h, const std::string& method, const std::string& url, const HttpEndpoint& ep, Transfer& t)
{
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    if (method == "HEAD")
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L); // not CUSTOMREQUEST: curl would then wait for the body
    else
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, long(ep.connectTimeout.count()));
    const long timeoutOverride = g_timeoutOverride.load();
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeoutOverride > 0 ? timeoutOverride : long(ep.totalTimeout.count()));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, onProgress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    if (!ep.unixSocket.empty())
        curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, ep.unixSocket.c_str());
}

/**
 * TLS (CA, client certificate and key, as files or PEM text; verification), the proxy and CONNECT_TO. Returns the
 * CONNECT_TO list, which must outlive the transfer.
 */
SlistPtr setConnection(CURL* h, const HttpEndpoint& ep)
{
    if (!ep.caFile.empty())
        curl_easy_setopt(h, CURLOPT_CAINFO, ep.caFile.c_str());
    if (!ep.clientCert.empty())
        curl_easy_setopt(h, CURLOPT_SSLCERT, ep.clientCert.c_str());
    if (!ep.clientKey.empty())
        curl_easy_setopt(h, CURLOPT_SSLKEY, ep.clientKey.c_str());
    // PEM given as text (kubeconfig *-data fields) never touches the disk; libcurl copies the blobs.
    auto blob = [](const std::string& pem) {
        return curl_blob { const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY };
    };
    if (!ep.caPem.empty()) {
        curl_blob b = blob(ep.caPem);
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
    }
    if (!ep.clientCertPem.empty()) {
        curl_blob b = blob(ep.clientCertPem);
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &b);
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (!ep.clientKeyPem.empty()) {
        curl_blob b = blob(ep.clientKeyPem);
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &b);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (!ep.proxy.empty())
        curl_easy_setopt(h, CURLOPT_PROXY, ep.proxy.c_str());
    curl_slist* connectTo = nullptr;
    if (!ep.connectTo.empty()) {
        connectTo = curl_slist_append(connectTo, ep.connectTo.c_str());
        curl_easy_setopt(h, CURLOPT_CONNECT_TO, connectTo);
    }
    SlistPtr connectGuard(connectTo, curl_slist_free_all);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, ep.verifyTls ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, ep.verifyTls ? 2L : 0L);
    return connectGuard;
}

/** Accept (JSON unless the caller gives one), the caller's lines, Content-Type and the endpoint's Authorization. */
SlistPtr requestHeaders(
    const HttpEndpoint& ep, const std::vector<std::string>& extraHeaders, const std::string& contentType)
{
    curl_slist* headers = nullptr;
    const bool ownAccept = std::any_of(extraHeaders.begin(), extraHeaders.end(),
        [](const std::string& line) { return line.rfind("Accept:", 0) == 0; });
    if (!ownAccept)
        headers = curl_slist_append(headers, "Accept: application/json");
    for (const auto& line : extraHeaders)
        headers = curl_slist_append(headers, line.c_str());
    if (!contentType.empty())
        headers = curl_slist_append(headers, ("Content-Type: " + contentType).c_str());
    if (!ep.authorization.empty())
        headers = curl_slist_append(headers, ("Authorization: " + ep.authorization).c_str());
    return SlistPtr(headers, curl_slist_free_all);
}

} // namespace

HttpResponse HttpClient::once(const std::string& method, const std::string& path, const std::string& body,
    const std::string& contentType, const std::vector<std::string>& extraHeaders)
{
    CURL* h = m_impl->handle;
    curl_easy_reset(h); // keeps the connection cache: keep-alive across requests
    HttpResponse response;
    Transfer t { &response, m_endpoint.maxBody, false, m_cancel };
    t.handle = h;
    t.chunk = m_chunk;
    const std::string url = m_endpoint.baseUrl + path;
    refusePlainCredentials(m_endpoint, url, extraHeaders);
    setTransfer(h, method, url, m_endpoint, t);
    if (m_chunk) { // however long it takes while it moves; a stall of five minutes ends it
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 0L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 300L);
    }
    const SlistPtr connectTo = setConnection(h, m_endpoint);
    const SlistPtr headers = requestHeaders(m_endpoint, extraHeaders, contentType);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    if (method == "POST" || method == "PUT" || !body.empty()) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.size()));
    }
    char curlError[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curlError);
    const CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_ABORTED_BY_CALLBACK && m_cancel && m_cancel->load())
        throw Cancelled();
    if (t.failed)
        throw HttpError(method + " " + url + ": out of memory while reading the answer", CURLE_OUT_OF_MEMORY,
            "the answer was too large for this machine");
    if (t.tooLarge)
        throw HttpError(
            method + " " + url + ": answer larger than " + std::to_string(m_endpoint.maxBody >> 20) + " MiB",
            CURLE_WRITE_ERROR, "the endpoint sent far more data than expected; check it is the right service");
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && t.stopped)) {
        const std::string where = m_endpoint.unixSocket.empty() ? url : "unix://" + m_endpoint.unixSocket + " " + path;
        // libcurl's category ("Timeout was reached"), then its detail when it says more (which name a
        // certificate was for, how many bytes were missing).
        const std::string detail = curlError;
        throw HttpError(where + ": " + curl_easy_strerror(rc) + (detail.empty() ? std::string() : " (" + detail + ")"),
            rc, hintFor(rc, m_endpoint, detail));
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
}

} // namespace lg
