#include "connectors/registry/registryconnector.h"

#include "core/jsonutil.h"
#include "core/masking.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QUrl>

#include <algorithm>
#include <atomic>
#include <future>
#include <set>

namespace lg {

namespace {

constexpr const char* kAcceptManifests
    = "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
      "application/vnd.docker.distribution.manifest.v2+json, "
      "application/vnd.docker.distribution.manifest.list.v2+json, "
      "application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.1"; // schema 1: to report it

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

std::string sha256(const std::string& bytes)
{
    return "sha256:"
        + QCryptographicHash::hash(
            QByteArray::fromRawData(bytes.data(), qsizetype(bytes.size())), QCryptographicHash::Sha256)
              .toHex()
              .toStdString();
}

/** Shell-style glob with * and ?. */
bool glob(std::string_view pattern, std::string_view text)
{
    std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

bool wanted(const std::vector<std::string>& patterns, const std::string& name)
{
    return patterns.empty()
        || std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return glob(p, name); });
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

/** The registry kept answering 429 (after the client's bounded retries): the whole source stops, and says why. */
class RateLimited : public ConnectorError {
public:
    using ConnectorError::ConnectorError;
};

RateLimited rateLimited(const std::string& source, const HttpResponse& r, const std::string& path)
{
    std::string limits;
    for (const char* h : { "ratelimit-limit", "ratelimit-remaining", "retry-after" })
        if (const auto v = r.header(h))
            limits += std::string(limits.empty() ? "" : ", ") + h + ": " + maskText(v->substr(0, 64));
    return RateLimited(source,
        "the registry limits this client's requests (HTTP 429 on " + path + (limits.empty() ? "" : "; " + limits) + ")",
        "log in (authenticated clients get higher limits), scan fewer repositories (--repo, --tag), or try later");
}

std::optional<RegistryCredential> fromAuthsFile(
    const std::string& file, const std::string& host, const std::string& what)
{
    QFile f(q(file));
    if (!f.open(QIODevice::ReadOnly))
        return std::nullopt;
    const auto j = nlohmann::json::parse(f.readAll().toStdString(), nullptr, false);
    if (!j.is_object())
        throw ConnectorError(
            "registry " + host, file + " is not valid JSON", "fix or remove the file, then log in again");
    for (const auto& [key, entry] : member(j, "auths").items()) {
        if (RegistryConnector::hostOf(key) != host)
            continue;
        RegistryCredential c;
        c.source = what + " " + file;
        const std::string auth = text(entry, "auth");
        if (!auth.empty()) {
            const QByteArray decoded = QByteArray::fromBase64(QByteArray::fromStdString(auth));
            const auto colon = decoded.indexOf(':');
            if (colon < 0)
                throw ConnectorError("registry " + host, "the auth entry for " + host + " in " + file + " is malformed",
                    "log in again (docker login " + host + ")");
            c.username = decoded.left(colon).toStdString();
            c.password = decoded.mid(colon + 1).toStdString();
        } else {
            c.username = text(entry, "username");
            c.password = text(entry, "password");
        }
        if (const std::string token = text(entry, "identitytoken"); !token.empty()) {
            c.username = "<token>";
            c.password = token;
        }
        if (!c.username.empty())
            return c;
    }
    return std::nullopt;
}

/** The helper's credential for `host`; nothing when it has none ("credentials not found", exit 1). */
std::optional<RegistryCredential> fromHelper(const std::string& helper, const std::string& host)
{
    const std::string program = "docker-credential-" + helper;
    QProcess p;
    p.start(q(program), { QStringLiteral("get") });
    if (!p.waitForStarted(5000))
        throw ConnectorError("registry " + host, "the credential helper " + program + " could not be started",
            "install it, or remove credsStore/credHelpers from the docker config");
    p.write(QByteArray::fromStdString(host));
    p.closeWriteChannel();
    if (!p.waitForFinished(30'000)) {
        p.kill();
        throw ConnectorError("registry " + host, program + " did not answer within 30 s",
            "run `" + program + " get` by hand; it may wait for a keyring unlock");
    }
    if (p.exitCode() != 0)
        return std::nullopt; // as docker does: no stored login for this host means anonymous
    const auto j = nlohmann::json::parse(p.readAllStandardOutput().toStdString(), nullptr, false);
    if (!j.is_object())
        throw ConnectorError("registry " + host, program + " answered something that is not JSON", "check the helper");
    return RegistryCredential { text(j, "Username"), text(j, "Secret"), "credential helper " + helper };
}

} // namespace

std::string RegistryConnector::hostOf(const std::string& url)
{
    std::string s = url;
    if (auto pos = s.find("://"); pos != std::string::npos)
        s = s.substr(pos + 3);
    if (auto slash = s.find('/'); slash != std::string::npos)
        s = s.substr(0, slash);
    if (auto at = s.rfind('@'); at != std::string::npos) // user:password@ never names the host (nor is shown)
        s = s.substr(at + 1);
    return s;
}

std::optional<RegistryCredential> findRegistryCredential(const std::string& host)
{
    QString dockerConfig = qEnvironmentVariable("DOCKER_CONFIG");
    if (dockerConfig.isEmpty())
        dockerConfig = QDir::homePath() + QStringLiteral("/.docker");
    const std::string configFile = QString(dockerConfig + QStringLiteral("/config.json")).toStdString();
    QFile f(q(configFile));
    if (f.open(QIODevice::ReadOnly)) {
        const auto j = nlohmann::json::parse(f.readAll().toStdString(), nullptr, false);
        if (!j.is_object())
            throw ConnectorError("registry " + host, configFile + " is not valid JSON", "fix it or log in again");
        // docker's order: a helper for this host, else the credential store, else the auths entries
        for (const auto& [key, helper] : member(j, "credHelpers").items())
            if (RegistryConnector::hostOf(key) == host && helper.is_string())
                if (auto c = fromHelper(helper.get<std::string>(), host))
                    return c;
        if (const std::string store = text(j, "credsStore"); !store.empty())
            if (auto c = fromHelper(store, host))
                return c;
        if (auto c = fromAuthsFile(configFile, host, "docker config"))
            return c;
    }
    std::vector<std::string> podman;
    if (const QString e = qEnvironmentVariable("REGISTRY_AUTH_FILE"); !e.isEmpty())
        podman.push_back(e.toStdString());
    if (const QString r = qEnvironmentVariable("XDG_RUNTIME_DIR"); !r.isEmpty())
        podman.push_back(QString(r + QStringLiteral("/containers/auth.json")).toStdString());
    podman.push_back(QString(QDir::homePath() + QStringLiteral("/.config/containers/auth.json")).toStdString());
    for (const auto& file : podman)
        if (auto c = fromAuthsFile(file, host, "podman auth"))
            return c;
    return std::nullopt;
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

namespace {

/** Bearer tokens per scope, shared by the connections of one scan. */
struct TokenCache {
    std::mutex mutex;
    struct Token {
        std::string value;
        std::int64_t expires = 0;
        bool batch = false; ///< asked for several repositories at once: the service may have granted fewer
    };
    std::map<std::string, Token> tokens; ///< scope -> token
    std::optional<AuthChallenge> bearer; ///< the registry's Bearer challenge, once seen (realm, service)
};

/** One connection to the registry with its auth state. `credential` unset: anonymous. */
class Session {
public:
    Session(const HttpEndpoint& ep, std::optional<RegistryCredential> credential, TokenCache& cache, std::string source,
        const CancelToken* cancel)
        : m_endpoint(ep)
        , m_http(ep, cancel)
        , m_credential(std::move(credential))
        , m_cache(cache)
        , m_source(std::move(source))
        , m_cancel(cancel)
    {
    }

    /** GET with the auth dance: a 401 challenge is answered once (basic, or a token for the scope). */
    HttpResponse get(const std::string& path, const std::string& scope, const std::vector<std::string>& headers = {},
        const std::string& method = "GET")
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

private:
    std::string cachedToken(const std::string& scope, bool* batch = nullptr)
    {
        std::lock_guard lock(m_cache.mutex);
        auto it = m_cache.tokens.find(scopeKey(scope));
        if (it == m_cache.tokens.end() || it->second.expires <= QDateTime::currentSecsSinceEpoch() + 5)
            return {};
        if (batch)
            *batch = it->second.batch;
        return it->second.value;
    }
    std::string scopeKey(const std::string& scope) const { return (m_credential ? "auth|" : "anon|") + scope; }
    /** The registry's Bearer challenge once seen (a copy: the workers share it). */
    std::optional<AuthChallenge> bearerChallenge()
    {
        std::lock_guard lock(m_cache.mutex);
        return m_cache.bearer;
    }

public:
    /**
     * One token for many repositories (the token spec allows several scope parameters), cached under
     * each of them: a catalog of 1,000 repositories then costs a few token requests, not 1,000.
     */
    void prefetch(const std::vector<std::string>& scopes)
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

private:
    bool fetchToken(const AuthChallenge& c, const std::string& scope, const std::vector<std::string>& alsoFor = {})
    {
        {
            std::lock_guard lock(m_cache.mutex);
            if (!m_cache.bearer)
                m_cache.bearer = c;
        }
        const auto realmIt = c.params.find("realm");
        if (realmIt == c.params.end())
            return false;
        QUrl realm(q(realmIt->second));
        if (!realm.isValid() || (realm.scheme() != QLatin1String("https") && realm.scheme() != QLatin1String("http")))
            throw ConnectorError(m_source,
                "the registry's token realm \"" + realmIt->second + "\" is not an http(s) URL",
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
        HttpEndpoint tokenEp = m_endpoint;
        tokenEp.baseUrl = realm.toString(QUrl::RemovePath | QUrl::RemoveQuery).toStdString();
        tokenEp.authorization.clear();
        tokenEp.redirects = 0;
        // docker login's identity token (username "<token>") is an OAuth2 refresh token: it is exchanged with a
        // POST, never sent as a Basic password (the distribution token spec's OAuth2 flow).
        const bool identityToken = m_credential && m_credential->username == "<token>";
        if (m_credential && !identityToken)
            tokenEp.authorization = "Basic "
                + QByteArray::fromStdString(m_credential->username + ":" + m_credential->password)
                      .toBase64()
                      .toStdString();
        std::string path = realm.path(QUrl::FullyEncoded).toStdString() + "?";
        if (realm.hasQuery())
            path += realm.query(QUrl::FullyEncoded).toStdString() + "&";
        if (auto s = c.params.find("service"); s != c.params.end())
            path += "service=" + QUrl::toPercentEncoding(q(s->second)).toStdString() + "&";
        const std::string wantScope = c.params.count("scope") ? c.params.at("scope") : scope;
        if (!alsoFor.empty()) {
            for (const auto& sc : alsoFor)
                path += "scope=" + QUrl::toPercentEncoding(q(sc)).toStdString() + "&";
        } else if (!wantScope.empty()) {
            path += "scope=" + QUrl::toPercentEncoding(q(wantScope)).toStdString();
        }
        if (!m_tokenHttp || m_tokenHttp->endpoint().baseUrl != tokenEp.baseUrl
            || m_tokenHttp->endpoint().authorization != tokenEp.authorization)
            m_tokenHttp = std::make_unique<HttpClient>(tokenEp, m_cancel); // kept: keep-alive to the token service
        HttpResponse r;
        try {
            if (identityToken) {
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
                r = m_tokenHttp->request(
                    "POST", realm.path(QUrl::FullyEncoded).toStdString(), form, "application/x-www-form-urlencoded");
            } else {
                r = m_tokenHttp->get(path);
            }
        } catch (const HttpError& e) {
            throw ConnectorError(m_source, std::string("token service: ") + e.what(), e.hint());
        }
        if (r.status == 401 || r.status == 403) {
            if (m_credential)
                throw ConnectorError(m_source,
                    "the token service " + realm.toString(QUrl::RemoveQuery).toStdString()
                        + " refused the credentials from " + m_credential->source + " (HTTP " + std::to_string(r.status)
                        + ")",
                    "log in again (docker login " + RegistryConnector::hostOf(m_endpoint.baseUrl) + ")");
            return false; // anonymous: no token, the 401 stands
        }
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
        const TokenCache::Token entry { token,
            std::max<std::int64_t>(issued + lifetime, QDateTime::currentSecsSinceEpoch() + 6), alsoFor.size() > 1 };
        m_cache.tokens[scopeKey(scope)] = entry;
        for (const auto& sc : alsoFor)
            m_cache.tokens[scopeKey(sc)] = entry;
        if (issued + lifetime <= QDateTime::currentSecsSinceEpoch())
            m_expiredHint = true;
        return true;
    }

    HttpEndpoint m_endpoint;
    HttpClient m_http;
    std::optional<RegistryCredential> m_credential;
    TokenCache& m_cache;
    std::string m_source;
    const CancelToken* m_cancel;
    std::string m_basic;
    bool m_expiredHint = false;
    std::unique_ptr<HttpClient> m_tokenHttp;

public:
    [[nodiscard]] bool gotExpiredToken() const { return m_expiredHint; }
};

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

/** cosign's tags beside an image (signature, attestation, SBOM): artifacts, never images to judge. */
bool isCosignArtifactTag(const std::string& tag)
{
    return tag.starts_with("sha256-") && (tag.ends_with(".sig") || tag.ends_with(".att") || tag.ends_with(".sbom"));
}

/**
 * A referrer that is a signature: cosign's and Notation's signature artifact types, or a Sigstore bundle
 * whose predicate is a cosign signature. SBOMs, attestations and other referrers are not signatures.
 */
bool isSignatureReferrer(const nlohmann::json& descriptor)
{
    const std::string type = text(descriptor, "artifactType");
    if (type == "application/vnd.dev.cosign.artifact.sig.v1+json" || type == "application/vnd.cncf.notary.signature")
        return true;
    return type.starts_with("application/vnd.dev.sigstore.bundle")
        && text(member(descriptor, "annotations"), "dev.sigstore.bundle.predicateType")
        == "https://sigstore.dev/cosign/sign/v1";
}

} // namespace

nlohmann::json inspectFromConfig(const nlohmann::json& cfg, const std::string& configDigest)
{
    nlohmann::json out = { { "Id", configDigest }, { "Created", text(cfg, "created") },
        { "Architecture", text(cfg, "architecture") }, { "Os", text(cfg, "os") } };
    nlohmann::json config = nlohmann::json::object();
    const auto& c = member(cfg, "config");
    for (const char* key :
        { "User", "Env", "Labels", "Healthcheck", "Cmd", "Entrypoint", "ExposedPorts", "WorkingDir" })
        if (const auto& v = member(c, key); !v.is_null())
            config[key] = v;
    out["Config"] = std::move(config);
    nlohmann::json history = nlohmann::json::array();
    for (const auto& h : member(cfg, "history"))
        history.push_back({ { "Created", text(h, "created") }, { "CreatedBy", text(h, "created_by") },
            { "EmptyLayer", member(h, "empty_layer").is_boolean() && member(h, "empty_layer").get<bool>() } });
    out["History"] = std::move(history);
    out["RootFS"] = { { "Type", text(member(cfg, "rootfs"), "type") },
        { "Layers",
            member(member(cfg, "rootfs"), "diff_ids").is_array() ? member(member(cfg, "rootfs"), "diff_ids")
                                                                 : nlohmann::json::array() } };
    return out;
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

RegistryConnector::RegistryConnector(RegistryOptions options, std::string target)
    : m_options(std::move(options))
    , m_target(std::move(target))
{
    if (m_options.url.find("://") == std::string::npos)
        m_options.url = "https://" + m_options.url;
    while (m_options.url.ends_with("/"))
        m_options.url.pop_back();
    if (m_target.empty()) {
        m_target = "registry:" + hostOf(m_options.url);
        setDefaultNamed(true);
    }
}

void RegistryConnector::collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress)
{
    auto say = [&](const std::string& m) {
        if (progress)
            progress(m);
    };
    const std::string host = hostOf(m_options.url);
    const QUrl url(q(m_options.url));
    if (!url.isValid() || (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http"))
        || host.empty())
        throw ConnectorError(m_target, "\"" + m_options.url + "\" is not a registry URL",
            "give --registry host:port or https://host:port");
    if (!url.userInfo().isEmpty())
        throw ConnectorError(m_target, "the registry URL carries credentials",
            "log in with docker login (credentials are read from the docker config), never in the URL");
    HttpEndpoint ep;
    ep.baseUrl = m_options.url;
    ep.caFile = m_options.caFile;
    if (ep.caFile.empty()) {
        const std::string certsD = "/etc/docker/certs.d/" + host + "/ca.crt";
        if (QFileInfo::exists(q(certsD)))
            ep.caFile = certsD;
    }
    ep.verifyTls = !m_options.insecureSkipVerify;
    if (m_options.insecureSkipVerify && url.scheme() == QLatin1String("https"))
        say("registry " + RegistryConnector::hostOf(m_options.url)
            + ": TLS verification is turned off by your configuration; anyone on the path can pose as the registry");
    ep.totalTimeout = std::chrono::seconds(60);
    ep.maxBody = 64u * 1024 * 1024;
    ep.redirects = 5; // hosted registries send blobs (and some manifests) to a CDN or signed storage URLs
    ep.tlsHint
        = "the registry's certificate is not trusted: give its CA with --ca-file or put it in /etc/docker/certs.d/"
        + host + "/ca.crt";
    auto credential = m_options.credential ? m_options.credential : findRegistryCredential(host);
    if (credential && credential->username.empty())
        credential.reset(); // an empty entry is no login
    if (credential)
        say("registry " + host + ": credentials from " + credential->source);
    TokenCache tokens;
    Session anonymous(ep, std::nullopt, tokens, m_target, &cancel);
    Session session(ep, credential, tokens, m_target, &cancel);

    // The endpoint: transport and what an anonymous client may do.
    const HttpResponse ping = anonymous.get("/v2/", "");
    if (ping.status == 429)
        throw rateLimited(m_target, ping, "/v2/");
    if (ping.status != 200 && ping.status != 401)
        throw ConnectorError(m_target, m_options.url + "/v2/ answered HTTP " + std::to_string(ping.status),
            "check that the URL points at an OCI distribution registry (Docker Registry v2 API)");
    const HttpResponse anonCatalog = anonymous.get("/v2/_catalog?n=1", "registry:catalog:*");
    Resource endpoint;
    endpoint.layer = Layer::Registry;
    endpoint.target = m_target;
    endpoint.kind = "RegistryEndpoint";
    endpoint.name = m_options.url;
    endpoint.origin = m_options.url + "/v2/";
    endpoint.data = { { "url", m_options.url }, { "scheme", url.scheme().toStdString() },
        { "tls", { { "verified", url.scheme() == QLatin1String("https") && !m_options.insecureSkipVerify } } },
        { "anonymous", { { "catalog", anonCatalog.status == 200 }, { "pull", false } } },
        { "metadata", { { "name", m_options.url } } } };

    // Every repository of the catalog (paged with Link), filtered by the user's patterns. Repositories named
    // exactly are read without it: hosted registries (Docker Hub, GHCR, ECR, ...) do not serve the catalog.
    std::vector<std::string> repositories;
    const bool exactNames = !m_options.repositories.empty()
        && std::none_of(m_options.repositories.begin(), m_options.repositories.end(),
            [](const std::string& r) { return r.find_first_of("*?[") != std::string::npos; });
    if (exactNames)
        repositories = m_options.repositories;
    LinkPager catalogPages(m_target, "catalog");
    std::string path = exactNames ? std::string() : "/v2/_catalog?n=100";
    while (!path.empty()) {
        if (cancel.load())
            throw Cancelled();
        HttpResponse r = session.get(path, "registry:catalog:*");
        if (r.status == 401)
            throw ConnectorError(m_target,
                credential ? "the registry refused the credentials from " + credential->source
                        + " (HTTP 401: " + registryError(r) + ")"
                           : "the registry needs credentials and none are configured for " + host,
                session.gotExpiredToken() ? "the token service issued an expired token: check the clocks of the "
                                            "token service and this machine"
                                          : "log in with docker login " + host
                        + " (the docker config, a credential helper or podman's auth.json are read)");
        if (r.status == 429)
            throw rateLimited(m_target, r, path);
        if (r.status != 200)
            throw ConnectorError(m_target,
                "GET " + path + " answered HTTP " + std::to_string(r.status) + ": " + registryError(r),
                "this registry does not list its repositories (hosted registries seldom do): name them exactly, "
                "--repo team/app (repeatable), without wildcards");
        const auto j = nlohmann::json::parse(r.body, nullptr, false);
        if (!member(j, "repositories").is_array())
            throw ConnectorError(m_target, "GET " + path + " did not answer a repository list", "check the URL");
        for (const auto& repo : member(j, "repositories"))
            if (repo.is_string() && wanted(m_options.repositories, repo.get<std::string>()))
                repositories.push_back(repo.get<std::string>());
        path = catalogPages.next(r);
    }
    say("registry " + host + ": " + std::to_string(repositories.size()) + " repositories");

    // Repositories are read by a few workers, each with its own keep-alive connection; the resources
    // are handed on from this thread, in repository order.
    std::mutex sayMutex;
    auto sayLocked = [&](const std::string& m) {
        std::lock_guard lock(sayMutex);
        say(m);
    };
    std::atomic<std::size_t> images { 0 };
    auto scanRepository = [&](Session& worker, const std::string& repo, std::vector<Resource>& out) {
        auto sinkOut = [&out](const Resource& r) { out.push_back(r); };
        const std::string scope = "repository:" + repo + ":pull";
        // Asked per repository: a registry may serve referrers for some repositories only (a proxy cache).
        int referrersSupported = -1; // unknown, no, yes
        std::vector<std::string> tags;
        std::set<std::string> signatureTags;
        LinkPager tagPages(m_target, repo + " tag list");
        for (std::string tpath = "/v2/" + repo + "/tags/list?n=500"; !tpath.empty();) {
            if (cancel.load())
                throw Cancelled();
            HttpResponse r = worker.get(tpath, scope);
            if (r.status == 429)
                throw rateLimited(m_target, r, tpath);
            if (r.status != 200)
                throw ConnectorError(m_target,
                    "GET " + tpath + " answered HTTP " + std::to_string(r.status) + ": " + registryError(r),
                    r.status == 401 ? "the credentials may not pull " + repo : "check the repository");
            const auto j = nlohmann::json::parse(r.body, nullptr, false);
            // A login page or a proxy's error page with status 200 is not "no tags": the source is unreadable.
            // (A repository without tags answers "tags": null.)
            if (!j.is_object() || !(member(j, "tags").is_array() || member(j, "tags").is_null()))
                throw ConnectorError(m_target, "GET " + tpath + " did not answer a tag list but: " + registryError(r),
                    "check that the URL points at the registry itself, not a web page or a login portal in front of "
                    "it");
            for (const auto& t : member(j, "tags")) {
                if (!t.is_string())
                    continue;
                const std::string tag = t.get<std::string>();
                if (isCosignArtifactTag(tag))
                    signatureTags.insert(tag);
                else if (wanted(m_options.tags, tag))
                    tags.push_back(tag);
            }
            tpath = tagPages.next(r);
        }
        // Tags that share a digest are one image (its RepoTags list them all).
        std::map<std::string, std::pair<nlohmann::json, std::vector<std::string>>> byConfig;
        for (const auto& tag : tags) {
            if (cancel.load())
                throw Cancelled();
            Resource image;
            image.layer = Layer::Registry;
            image.target = m_target;
            image.kind = "RegistryImage";
            image.name = repo + ":" + tag;
            image.data = { { "repository", repo }, { "tag", tag }, { "digest", "" }, { "readError", "" },
                { "schema1", false }, { "signature", { { "cosign", false }, { "referrers", false } } },
                { "metadata", { { "name", image.name } } } };
            if (auto prev = m_options.previousDigests.find(image.name); prev != m_options.previousDigests.end())
                image.data["previousDigest"] = prev->second;
            auto fail = [&](const std::string& why) {
                image.data["readError"] = why;
                image.origin = m_options.url + "/v2/" + repo + "/manifests/" + tag;
                sayLocked("registry " + host + ": " + image.name + " cannot be read: " + why);
                sinkOut(image);
            };
            try {
                HttpResponse m = worker.get("/v2/" + repo + "/manifests/" + tag, scope, { kAcceptManifests });
                if (m.status == 429)
                    throw rateLimited(m_target, m, "/v2/" + repo + "/manifests/" + tag);
                if (m.status != 200) {
                    fail("manifest answered HTTP " + std::to_string(m.status) + ": " + registryError(m));
                    continue;
                }
                const std::string digest = sha256(m.body); // computed, never taken from a header
                auto manifest = nlohmann::json::parse(m.body, nullptr, false);
                if (!manifest.is_object()) {
                    fail("the manifest is not valid JSON");
                    continue;
                }
                std::string mediaType = text(manifest, "mediaType", m.header("content-type").value_or(std::string()));
                std::vector<std::string> platforms;
                if (mediaType.find("index") != std::string::npos || mediaType.find("list") != std::string::npos) {
                    const std::string child = selectIndexManifest(manifest, m_options.platform, &platforms);
                    if (child.empty()) {
                        fail("the index lists no manifest");
                        continue;
                    }
                    HttpResponse cm = worker.get("/v2/" + repo + "/manifests/" + child, scope, { kAcceptManifests });
                    if (cm.status != 200 || sha256(cm.body) != child) {
                        fail(cm.status != 200 ? "platform manifest answered HTTP " + std::to_string(cm.status)
                                              : "the platform manifest does not match its digest " + child);
                        continue;
                    }
                    manifest = nlohmann::json::parse(cm.body, nullptr, false);
                    if (!manifest.is_object()) {
                        fail("the platform manifest is not valid JSON");
                        continue;
                    }
                }
                // Docker's schema 1 (deprecated, refused by current engines, signed with keys nobody checks): its
                // tag is reported for what it is, not as unreadable.
                if (member(manifest, "schemaVersion") == 1
                    || mediaType.starts_with("application/vnd.docker.distribution.manifest.v1")) {
                    image.data["digest"] = digest;
                    image.data["mediaType"] = mediaType.empty()
                        ? std::string("application/vnd.docker.distribution.manifest.v1+json")
                        : mediaType;
                    image.data["schema1"] = true;
                    image.origin = m_options.url + "/v2/" + repo + "@" + digest;
                    sinkOut(image);
                    continue;
                }
                const std::string configDigest = text(member(manifest, "config"), "digest");
                if (configDigest.empty()) {
                    fail("the manifest has no config (an artifact, not an image)");
                    continue;
                }
                HttpResponse blob = worker.get("/v2/" + repo + "/blobs/" + configDigest, scope, { "Accept: */*" });
                if (blob.status != 200) {
                    fail("config blob answered HTTP " + std::to_string(blob.status));
                    continue;
                }
                if (sha256(blob.body) != configDigest) {
                    fail("the config blob does not match its digest " + configDigest);
                    continue;
                }
                const auto config = nlohmann::json::parse(blob.body, nullptr, false);
                if (!config.is_object()) {
                    fail("the config blob is not valid JSON");
                    continue;
                }
                image.data["digest"] = digest;
                image.data["mediaType"] = mediaType;
                image.data["platforms"] = platforms;
                image.data["signature"]["cosign"] = signatureTags.count("sha256-" + digest.substr(7) + ".sig") > 0;
                // The referrers API is tried until a registry shows it lacks it (404 on the first try).
                HttpResponse referrers;
                if (referrersSupported != 0) {
                    referrers = worker.get("/v2/" + repo + "/referrers/" + digest, scope,
                        { "Accept: application/vnd.oci.image.index.v1+json" });
                    if (referrersSupported == -1)
                        referrersSupported = referrers.status == 200 ? 1 : 0;
                }
                if (referrers.status == 200) {
                    const auto idx = nlohmann::json::parse(referrers.body, nullptr, false);
                    image.data["signature"]["referrers"] = std::any_of(member(idx, "manifests").begin(),
                        member(idx, "manifests").end(), [](const nlohmann::json& d) { return isSignatureReferrer(d); });
                }
                image.origin = m_options.url + "/v2/" + repo + "@" + digest;
                sinkOut(image);
                auto& entry = byConfig[configDigest];
                if (entry.first.is_null())
                    entry.first = inspectFromConfig(config, configDigest);
                entry.second.push_back(repo + ":" + tag);
                entry.first["RepoDigests"] = nlohmann::json::array({ repo + "@" + digest });
                ++images;
            } catch (const RateLimited&) {
                throw; // every further request would be refused too
            } catch (const ConnectorError& e) {
                // transport trouble on one tag (a cut connection): report it there, go on with the rest
                if (cancel.load())
                    throw Cancelled();
                fail(std::string(e.what()));
            }
        }
        for (auto& [configDigest, entry] : byConfig) {
            Resource img;
            img.layer = Layer::Image;
            img.target = m_target;
            img.kind = "ContainerImage";
            img.name = entry.second.front();
            img.origin = m_options.url + "/v2/" + repo + "/blobs/" + configDigest;
            entry.first["RepoTags"] = entry.second;
            entry.first["metadata"] = { { "name", img.name } };
            img.data = std::move(entry.first);
            sinkOut(img);
        }
    };
    // Tokens for the repositories in batches, before the workers ask one by one. 20 repositories keep a
    // token near 3 KB: it travels in every request's header, and proxies in front of registries often
    // refuse headers over 8 KB (100 repositories made ~10 KB).
    constexpr std::size_t kBatch = 20;
    for (std::size_t i = 0; i < repositories.size(); i += kBatch) {
        std::vector<std::string> scopes;
        for (std::size_t j = i; j < std::min(repositories.size(), i + kBatch); ++j)
            scopes.push_back("repository:" + repositories[j] + ":pull");
        session.prefetch(scopes);
    }
    const std::size_t workers = std::clamp<std::size_t>(std::size_t(std::max(1, m_options.connections)), 1, 16);
    std::vector<std::vector<Resource>> results(repositories.size());
    std::atomic<std::size_t> next { 0 };
    std::atomic<std::size_t> reposDone { 0 };
    std::vector<std::future<void>> pool;
    for (std::size_t w = 0; w < std::min(workers, repositories.size()); ++w) {
        pool.push_back(std::async(std::launch::async, [&] {
            Session own(ep, credential, tokens, m_target, &cancel);
            for (std::size_t i = next++; i < repositories.size(); i = next++) {
                if (cancel.load())
                    return;
                scanRepository(own, repositories[i], results[i]);
                const std::size_t finished = ++reposDone;
                if (progress && (finished % 10 == 0 || finished == repositories.size())) {
                    std::lock_guard lock(sayMutex);
                    progress(Progress("registry " + host + ": " + std::to_string(finished) + " of "
                            + std::to_string(repositories.size()) + " repositories read",
                        std::int64_t(finished), std::int64_t(repositories.size())));
                }
            }
        }));
    }
    for (auto& f : pool)
        f.get(); // rethrows a worker's ConnectorError or Cancelled
    if (cancel.load())
        throw Cancelled();
    std::string probeRepo, probeTag;
    for (auto& list : results)
        for (auto& r : list) {
            if (probeRepo.empty() && r.kind == "RegistryImage" && !text(r.data, "digest").empty()) {
                probeRepo = text(r.data, "repository");
                probeTag = text(r.data, "tag");
            }
            sink(r);
        }
    // Anonymous pull: one image fetched without credentials.
    bool anonymousPull = false;
    if (!probeRepo.empty()) {
        try {
            anonymousPull = anonymous
                                .get("/v2/" + probeRepo + "/manifests/" + probeTag, "repository:" + probeRepo + ":pull",
                                    { kAcceptManifests }, "HEAD")
                                .status
                == 200;
        } catch (const ConnectorError& e) {
            say("registry " + host + ": anonymous pull probe failed: " + e.what());
        }
    }
    endpoint.data["anonymous"]["pull"] = anonymousPull;
    sink(endpoint);
    say("registry " + host + ": " + std::to_string(images.load()) + " images read");
}

void RegistryConnector::rememberPrevious(const std::map<std::string, std::string>& originsByName)
{
    m_options.previousDigests.clear();
    for (const auto& [name, origin] : originsByName)
        if (auto at = origin.rfind('@'); at != std::string::npos)
            m_options.previousDigests[name] = origin.substr(at + 1);
}

} // namespace lg
