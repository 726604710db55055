#include "connectors/registry/registryclient.h"

#include "core/jsonutil.h"
#include "core/masking.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QDateTime>

#include <algorithm>
#include <cctype>

namespace lg {

namespace {

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

/** The `next` target of an RFC 8288 Link header, as a path on the same registry. */
std::string nextLink(const HttpResponse& r)
{
    const auto link = r.header("link");
    if (!link || link->find("rel=\"next\"") == std::string::npos)
        return {};
    const auto open = link->find('<');
    const auto close = link->find('>', open);
    if (open == std::string::npos || close == std::string::npos)
        return {};
    std::string target = link->substr(open + 1, close - open - 1);
    if (!target.starts_with("/")) {
        const QUrl u(q(target));
        target = u.path(QUrl::FullyEncoded).toStdString()
            + (u.hasQuery() ? "?" + u.query(QUrl::FullyEncoded).toStdString() : "");
    }
    return target.starts_with("/v2/") ? target : std::string();
}

/**
 * Follows a listing's Link pages and stops a registry that never ends one: a link seen before (a loop)
 * or more pages than any real listing has fails the source with the reason.
 */
class LinkPager {
public:
    LinkPager(std::string source, std::string what)
        : m_source(std::move(source))
        , m_what(std::move(what))
    {
    }
    /** The next page's path after `r`, empty at the end. */
    std::string next(const HttpResponse& r)
    {
        std::string path = nextLink(r);
        if (path.empty())
            return path;
        if (!m_seen.insert(path).second)
            throw ConnectorError(m_source,
                "the registry's " + m_what + " pages loop: page " + std::to_string(m_seen.size() + 1)
                    + " links back to " + path,
                "a registry (or a proxy in front of it) that rewrites Link headers: report it to its operator");
        if (m_seen.size() >= kMaxPages)
            throw ConnectorError(m_source,
                "the registry's " + m_what + " did not end after " + std::to_string(kMaxPages) + " pages",
                "name the repositories to read with --repo");
        return path;
    }

private:
    static constexpr std::size_t kMaxPages = 10'000; // 1,000,000 repositories at 100 a page
    std::string m_source;
    std::string m_what;
    std::set<std::string> m_seen;
};

} // namespace

std::string sha256Digest(const std::string& bytes)
{
    return "sha256:"
        + QCryptographicHash::hash(
            QByteArray::fromRawData(bytes.data(), qsizetype(bytes.size())), QCryptographicHash::Sha256)
              .toHex()
              .toStdString();
}

RegistryRateLimited rateLimited(const std::string& source, const HttpResponse& r, const std::string& path)
{
    std::string limits;
    for (const char* h : { "ratelimit-limit", "ratelimit-remaining", "retry-after" })
        if (const auto v = r.header(h))
            limits += std::string(limits.empty() ? "" : ", ") + h + ": " + maskText(v->substr(0, 64));
    return RegistryRateLimited(source,
        "the registry limits this client's requests (HTTP 429 on " + path + (limits.empty() ? "" : "; " + limits) + ")",
        "log in (authenticated clients get higher limits), scan fewer repositories (--repo, --tag), or try later");
}

/** The error message a registry put in its `errors` array, else the start of the body. */
std::string registryError(const HttpResponse& r)
{
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    std::string out;
    for (const auto& e : member(j, "errors")) {
        out += (out.empty() ? "" : "; ") + text(e, "code") + ": " + text(e, "message");
    }
    if (out.empty())
        out = r.body.substr(0, 160);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20)
            c = ' ';
    return maskText(out);
}

std::optional<AuthChallenge> parseWwwAuthenticate(const std::string& header)
{
    AuthChallenge c;
    std::size_t i = header.find_first_not_of(' ');
    if (i == std::string::npos)
        return std::nullopt;
    const auto sp = header.find(' ', i);
    c.scheme = header.substr(i, sp == std::string::npos ? std::string::npos : sp - i);
    if (c.scheme.empty())
        return std::nullopt;
    i = sp == std::string::npos ? header.size() : sp + 1;
    while (i < header.size()) {
        while (i < header.size() && (header[i] == ' ' || header[i] == ','))
            ++i;
        const auto eq = header.find('=', i);
        if (eq == std::string::npos)
            break;
        std::string key = header.substr(i, eq - i);
        std::transform(key.begin(), key.end(), key.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
        std::string value;
        i = eq + 1;
        if (i < header.size() && header[i] == '"') {
            ++i;
            while (i < header.size() && header[i] != '"') {
                if (header[i] == '\\' && i + 1 < header.size())
                    ++i;
                value += header[i++];
            }
            ++i; // closing quote
        } else {
            const auto end = header.find(',', i);
            value = header.substr(i, end == std::string::npos ? std::string::npos : end - i);
            i = end == std::string::npos ? header.size() : end;
        }
        if (key.size() > 64 || value.size() > 4096)
            return std::nullopt; // not a challenge a registry sends
        c.params[key] = value;
    }
    return c;
}

std::string selectIndexManifest(
    const nlohmann::json& index, const std::string& platform, std::vector<std::string>* platforms)
{
    std::string child;
    for (const auto& d : member(index, "manifests")) {
        const auto& pl = member(d, "platform");
        const std::string name = text(pl, "os") + "/" + text(pl, "architecture");
        if (platforms)
            platforms->push_back(name);
        if ((name == platform || child.empty()) && !text(d, "digest").empty())
            child = text(d, "digest");
    }
    return child;
}

RegistrySession::RegistrySession(const HttpEndpoint& ep, std::optional<RegistryCredential> credential,
    RegistryTokenCache& cache, std::string source, const CancelToken* cancel)
    : m_endpoint(ep)
    , m_http(ep, cancel)
    , m_credential(std::move(credential))
    , m_cache(cache)
    , m_source(std::move(source))
    , m_cancel(cancel)
{
}

HttpResponse RegistrySession::get(const std::string& path, const std::string& scope,
    const std::vector<std::string>& headers, const std::string& method)
{
    for (int attempt = 0; attempt < 2; ++attempt) {
        std::vector<std::string> h = headers;
        bool batchToken = false;
        if (!m_basic.empty())
            h.push_back("Authorization: Basic " + m_basic);
        else if (auto token = cachedToken(scope, &batchToken); !token.empty())
            h.push_back("Authorization: Bearer " + token);
        HttpResponse r;
        try {
            r = m_http.request(method, path, {}, {}, h);
        } catch (const HttpError& e) {
            throw ConnectorError(m_source, e.what(), e.hint());
        }
        if (r.status == 403 && batchToken && attempt == 0) {
            // Some registries answer a token that lacks the repository with 403 instead of 401
            // insufficient_scope: a token for this repository alone decides.
            if (auto c = bearerChallenge()) {
                c->params["scope"] = scope;
                if (fetchToken(*c, scope))
                    continue;
            }
            return r;
        }
        if (r.status != 401 || attempt == 1)
            return r;
        const auto challenge = parseWwwAuthenticate(r.header("www-authenticate").value_or(std::string()));
        if (!challenge)
            return r;
        if (challenge->scheme == "Basic" || challenge->scheme == "basic") {
            if (!m_credential)
                return r;
            m_basic = QByteArray::fromStdString(m_credential->username + ":" + m_credential->password)
                          .toBase64()
                          .toStdString();
            continue;
        }
        if (!fetchToken(*challenge, scope))
            return r;
    }
    return {};
}

std::string RegistrySession::cachedToken(const std::string& scope, bool* batch)
{
    std::lock_guard lock(m_cache.mutex);
    auto it = m_cache.tokens.find(scopeKey(scope));
    if (it == m_cache.tokens.end() || it->second.expires <= QDateTime::currentSecsSinceEpoch() + 5)
        return {};
    if (batch)
        *batch = it->second.batch;
    return it->second.value;
}

std::string RegistrySession::scopeKey(const std::string& scope) const
{
    return (m_credential ? "auth|" : "anon|") + scope;
}

std::optional<AuthChallenge> RegistrySession::bearerChallenge()
{
    std::lock_guard lock(m_cache.mutex); // a copy: the workers share it
    return m_cache.bearer;
}

void RegistrySession::prefetch(const std::vector<std::string>& scopes)
{
    auto c = bearerChallenge();
    if (!c || scopes.empty() || !m_credential)
        return;
    c->params.erase("scope");
    try {
        fetchToken(*c, scopes.front(), scopes);
    } catch (const ConnectorError&) {
        // a service that refuses several scopes in one request: each repository asks for its own
    }
}

bool RegistrySession::fetchToken(
    const AuthChallenge& c, const std::string& scope, const std::vector<std::string>& alsoFor)
{
    {
        std::lock_guard lock(m_cache.mutex);
        if (!m_cache.bearer)
            m_cache.bearer = c;
    }
    const auto realmIt = c.params.find("realm");
    if (realmIt == c.params.end())
        return false;
    const QUrl realm = checkedRealm(realmIt->second);
    const std::string wantScope = c.params.count("scope") ? c.params.at("scope") : scope;
    const HttpResponse r = requestToken(c, realm, wantScope, alsoFor);
    if (r.status == 401 || r.status == 403) {
        if (m_credential)
            throw ConnectorError(m_source,
                "the token service " + realm.toString(QUrl::RemoveQuery).toStdString()
                    + " refused the credentials from " + m_credential->source + " (HTTP " + std::to_string(r.status)
                    + ")",
                "log in again (docker login " + registryHostOf(m_endpoint.baseUrl) + ")");
        return false; // anonymous: no token, the 401 stands
    }
    storeToken(r, scope, alsoFor);
    return true;
}

/** The token service's URL, refused when it is not http(s) or would take the password in clear elsewhere. */
QUrl RegistrySession::checkedRealm(const std::string& realmText) const
{
    QUrl realm(q(realmText));
    if (!realm.isValid() || (realm.scheme() != QLatin1String("https") && realm.scheme() != QLatin1String("http")))
        throw ConnectorError(m_source, "the registry's token realm \"" + realmText + "\" is not an http(s) URL",
            "check the registry's auth.token.realm setting");
    // Credentials go to another host only over TLS: an http realm elsewhere would receive the password in
    // clear (a downgrade a hostile registry can ask for).
    const QUrl registryUrl(q(m_endpoint.baseUrl));
    const bool sameHost = realm.host().compare(registryUrl.host(), Qt::CaseInsensitive) == 0
        && realm.port(realm.scheme() == QLatin1String("https") ? 443 : 80)
            == registryUrl.port(registryUrl.scheme() == QLatin1String("https") ? 443 : 80);
    if (m_credential && realm.scheme() == QLatin1String("http") && !sameHost)
        throw ConnectorError(m_source,
            "the registry asks for its password to be sent in clear to another host (token realm "
                + realm.toString(QUrl::RemoveQuery | QUrl::RemoveUserInfo).toStdString() + "); Layerguard refused",
            "the token service must be served over https (the registry's auth.token.realm setting)");
    return realm;
}

/** The connection to the token service, kept while it stays the same service with the same credentials. */
HttpClient& RegistrySession::tokenClient(const QUrl& realm)
{
    HttpEndpoint tokenEp = m_endpoint;
    tokenEp.baseUrl = realm.toString(QUrl::RemovePath | QUrl::RemoveQuery).toStdString();
    tokenEp.authorization.clear();
    tokenEp.redirects = 0;
    // docker login's identity token (username "<token>") is an OAuth2 refresh token: it is exchanged with a
    // POST, never sent as a Basic password (the distribution token spec's OAuth2 flow).
    const bool identityToken = m_credential && m_credential->username == "<token>";
    if (m_credential && !identityToken)
        tokenEp.authorization = "Basic "
            + QByteArray::fromStdString(m_credential->username + ":" + m_credential->password).toBase64().toStdString();
    if (!m_tokenHttp || m_tokenHttp->endpoint().baseUrl != tokenEp.baseUrl
        || m_tokenHttp->endpoint().authorization != tokenEp.authorization)
        m_tokenHttp = std::make_unique<HttpClient>(tokenEp, m_cancel);
    return *m_tokenHttp;
}

/** Asks the token service: a GET with the scopes, or the OAuth2 refresh-token POST for an identity token. */
HttpResponse RegistrySession::requestToken(
    const AuthChallenge& c, const QUrl& realm, const std::string& wantScope, const std::vector<std::string>& alsoFor)
{
    std::string path = realm.path(QUrl::FullyEncoded).toStdString() + "?";
    if (realm.hasQuery())
        path += realm.query(QUrl::FullyEncoded).toStdString() + "&";
    if (auto s = c.params.find("service"); s != c.params.end())
        path += "service=" + QUrl::toPercentEncoding(q(s->second)).toStdString() + "&";
    if (!alsoFor.empty()) {
        for (const auto& sc : alsoFor)
            path += "scope=" + QUrl::toPercentEncoding(q(sc)).toStdString() + "&";
    } else if (!wantScope.empty()) {
        path += "scope=" + QUrl::toPercentEncoding(q(wantScope)).toStdString();
    }
    HttpClient& http = tokenClient(realm);
    try {
        if (!m_credential || m_credential->username != "<token>")
            return http.get(path);
        registerSentSecret(m_credential->password);
        std::string form = "grant_type=refresh_token&client_id=layerguard&refresh_token="
            + QUrl::toPercentEncoding(q(m_credential->password)).toStdString();
        if (auto sv = c.params.find("service"); sv != c.params.end())
            form += "&service=" + QUrl::toPercentEncoding(q(sv->second)).toStdString();
        std::string scopes; // the OAuth2 form takes the scopes space-separated, in one field
        for (const auto& sc : alsoFor.empty() ? std::vector<std::string> { wantScope } : alsoFor)
            if (!sc.empty())
                scopes += (scopes.empty() ? "" : " ") + sc;
        if (!scopes.empty())
            form += "&scope=" + QUrl::toPercentEncoding(q(scopes)).toStdString();
        return http.request(
            "POST", realm.path(QUrl::FullyEncoded).toStdString(), form, "application/x-www-form-urlencoded");
    } catch (const HttpError& e) {
        throw ConnectorError(m_source, std::string("token service: ") + e.what(), e.hint());
    }
}

/** Keeps the token the service answered for `scope` (and each of `alsoFor`) until it expires. */
void RegistrySession::storeToken(
    const HttpResponse& r, const std::string& scope, const std::vector<std::string>& alsoFor)
{
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    std::string token = text(j, "token", text(j, "access_token"));
    if (r.status != 200 || token.empty())
        throw ConnectorError(m_source,
            "the token service answered HTTP " + std::to_string(r.status) + " without a token",
            "check the registry's auth.token.realm and the token service's logs");
    std::int64_t lifetime = 60; // the distribution spec's default
    if (const auto& e = member(j, "expires_in"); e.is_number())
        lifetime = e.get<std::int64_t>();
    std::int64_t issued = QDateTime::currentSecsSinceEpoch();
    if (const std::string at = text(j, "issued_at"); !at.empty()) {
        const auto t = QDateTime::fromString(q(at), Qt::ISODateWithMs);
        if (t.isValid())
            issued = t.toSecsSinceEpoch();
    }
    std::lock_guard lock(m_cache.mutex);
    // An already expired token is still tried once (the registry decides), but never cached. A token
    // asked for several scopes is kept for each: if the service granted fewer, the registry answers
    // insufficient_scope for the others and get() fetches a token for that scope alone.
    const RegistryTokenCache::Token entry { token,
        std::max<std::int64_t>(issued + lifetime, QDateTime::currentSecsSinceEpoch() + 6), alsoFor.size() > 1 };
    m_cache.tokens[scopeKey(scope)] = entry;
    for (const auto& sc : alsoFor)
        m_cache.tokens[scopeKey(sc)] = entry;
    if (issued + lifetime <= QDateTime::currentSecsSinceEpoch())
        m_expiredHint = true;
}

std::vector<std::string> listCatalog(
    RegistrySession& session, const std::function<bool(const std::string&)>& keep, const CancelToken& cancel)
{
    const std::string& source = session.source();
    const std::string host = session.host();
    const auto& credential = session.credential();
    std::vector<std::string> repositories;
    LinkPager catalogPages(source, "catalog");
    for (std::string path = "/v2/_catalog?n=100"; !path.empty();) {
        if (cancel.load())
            throw Cancelled();
        HttpResponse r = session.get(path, "registry:catalog:*");
        if (r.status == 401)
            throw ConnectorError(source,
                credential ? "the registry refused the credentials from " + credential->source
                        + " (HTTP 401: " + registryError(r) + ")"
                           : "the registry needs credentials and none are configured for " + host,
                session.gotExpiredToken() ? "the token service issued an expired token: check the clocks of the "
                                            "token service and this machine"
                                          : "log in with docker login " + host
                        + " (the docker config, a credential helper or podman's auth.json are read)");
        if (r.status == 429)
            throw rateLimited(source, r, path);
        if (r.status != 200)
            throw ConnectorError(source,
                "GET " + path + " answered HTTP " + std::to_string(r.status) + ": " + registryError(r),
                "this registry does not list its repositories (hosted registries seldom do): name them exactly, "
                "--repo team/app (repeatable), without wildcards");
        const auto j = nlohmann::json::parse(r.body, nullptr, false);
        if (!member(j, "repositories").is_array())
            throw ConnectorError(source, "GET " + path + " did not answer a repository list", "check the URL");
        for (const auto& repo : member(j, "repositories"))
            if (repo.is_string() && keep(repo.get<std::string>()))
                repositories.push_back(repo.get<std::string>());
        path = catalogPages.next(r);
    }
    return repositories;
}

std::vector<std::string> listTags(RegistrySession& session, const std::string& repo, const CancelToken& cancel)
{
    const std::string& source = session.source();
    std::vector<std::string> tags;
    LinkPager tagPages(source, repo + " tag list");
    for (std::string tpath = "/v2/" + repo + "/tags/list?n=500"; !tpath.empty();) {
        if (cancel.load())
            throw Cancelled();
        HttpResponse r = session.get(tpath, "repository:" + repo + ":pull");
        if (r.status == 429)
            throw rateLimited(source, r, tpath);
        if (r.status != 200)
            throw ConnectorError(source,
                "GET " + tpath + " answered HTTP " + std::to_string(r.status) + ": " + registryError(r),
                r.status == 401 ? "the credentials may not pull " + repo : "check the repository");
        const auto j = nlohmann::json::parse(r.body, nullptr, false);
        // A login page or a proxy's error page with status 200 is not "no tags": the source is unreadable.
        // (A repository without tags answers "tags": null.)
        if (!j.is_object() || !(member(j, "tags").is_array() || member(j, "tags").is_null()))
            throw ConnectorError(source, "GET " + tpath + " did not answer a tag list but: " + registryError(r),
                "check that the URL points at the registry itself, not a web page or a login portal in front of "
                "it");
        for (const auto& t : member(j, "tags"))
            if (t.is_string())
                tags.push_back(t.get<std::string>());
        tpath = tagPages.next(r);
    }
    return tags;
}

namespace {

/** Whether `text` is a sha256 digest ("sha256:" and 64 lower-case hex digits). */
bool isSha256Digest(const std::string& text)
{
    return text.size() == 71 && text.starts_with("sha256:") && std::all_of(text.begin() + 7, text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
    });
}

/**
 * The manifest `ref` (a tag or a digest) names, read with a GET; an index resolved to `platform`. `digest` of the
 * result is computed over the bytes received.
 */
RegistryManifest readManifest(
    RegistrySession& session, const std::string& repo, const std::string& ref, const std::string& platform)
{
    const std::string scope = "repository:" + repo + ":pull";
    RegistryManifest out;
    HttpResponse m = session.get("/v2/" + repo + "/manifests/" + ref, scope, { kAcceptManifests });
    if (m.status == 429)
        throw rateLimited(session.source(), m, "/v2/" + repo + "/manifests/" + ref);
    if (m.status != 200) {
        out.error = "manifest answered HTTP " + std::to_string(m.status) + ": " + registryError(m);
        return out;
    }
    out.digest = sha256Digest(m.body);
    out.manifest = nlohmann::json::parse(m.body, nullptr, false);
    if (!out.manifest.is_object()) {
        out.error = "the manifest is not valid JSON";
        return out;
    }
    out.mediaType = text(out.manifest, "mediaType", m.header("content-type").value_or(std::string()));
    if (out.mediaType.find("index") == std::string::npos && out.mediaType.find("list") == std::string::npos)
        return out;
    const std::string child = selectIndexManifest(out.manifest, platform, &out.platforms);
    if (child.empty()) {
        out.error = "the index lists no manifest";
        return out;
    }
    HttpResponse cm = session.get("/v2/" + repo + "/manifests/" + child, scope, { kAcceptManifests });
    if (cm.status != 200 || sha256Digest(cm.body) != child) {
        out.error = cm.status != 200 ? "platform manifest answered HTTP " + std::to_string(cm.status)
                                     : "the platform manifest does not match its digest " + child;
        return out;
    }
    out.manifest = nlohmann::json::parse(cm.body, nullptr, false);
    if (!out.manifest.is_object())
        out.error = "the platform manifest is not valid JSON";
    return out;
}

} // namespace

std::string resolveTag(RegistrySession& session, const std::string& repo, const std::string& tag)
{
    const std::string path = "/v2/" + repo + "/manifests/" + tag;
    const HttpResponse r = session.get(path, "repository:" + repo + ":pull", { kAcceptManifests }, "HEAD");
    if (r.status == 429)
        throw rateLimited(session.source(), r, path);
    const std::string digest = r.status == 200 ? r.header("docker-content-digest").value_or(std::string()) : "";
    return isSha256Digest(digest) ? digest : std::string();
}

RegistryManifest fetchManifest(RegistrySession& session, const std::string& repo, const std::string& tag,
    const std::string& platform, std::map<std::string, RegistryManifest>* read)
{
    // The digest from a HEAD (Docker Hub counts manifest GETs against its pull limit, not HEADs), and a GET only for
    // a digest not read before. The GET by digest must give those very bytes; when it does not (a schema 1
    // manifest's digest is over its payload without signatures), or the registry does not say, the tag is read as
    // it always was.
    const std::string digest = resolveTag(session, repo, tag);
    if (!digest.empty() && read)
        if (const auto it = read->find(digest); it != read->end())
            return it->second;
    if (!digest.empty()) {
        RegistryManifest byDigest = readManifest(session, repo, digest, platform);
        if (byDigest.error.empty() && byDigest.digest == digest) {
            if (read)
                read->emplace(digest, byDigest);
            return byDigest;
        }
    }
    return readManifest(session, repo, tag, platform);
}

nlohmann::json fetchConfigBlob(
    RegistrySession& session, const std::string& repo, const std::string& digest, std::string& error)
{
    HttpResponse blob
        = session.get("/v2/" + repo + "/blobs/" + digest, "repository:" + repo + ":pull", { "Accept: */*" });
    if (blob.status != 200) {
        error = "config blob answered HTTP " + std::to_string(blob.status);
        return {};
    }
    if (sha256Digest(blob.body) != digest) {
        error = "the config blob does not match its digest " + digest;
        return {};
    }
    auto config = nlohmann::json::parse(blob.body, nullptr, false);
    if (!config.is_object()) {
        error = "the config blob is not valid JSON";
        return {};
    }
    return config;
}

} // namespace lg
