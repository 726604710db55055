#include "connectors/registry/registryconnector.h"

#include "core/jsonutil.h"

#include <QFileInfo>
#include <QUrl>

#include <algorithm>
#include <atomic>
#include <future>
#include <set>

namespace lg {

namespace {

QString q(const std::string& s)
{
    return QString::fromStdString(s);
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

/** What the tags of one repository share while they are read. */
struct RepositoryRead {
    std::string repo;
    std::set<std::string> signatureTags; ///< cosign's sha256-<digest>.sig tags
    int referrersSupported = -1; ///< unknown, no, yes: asked per repository (a proxy cache may serve some only)
    /** Tags that share a config are one image: config digest -> (its inspect, its "repo:tag" names). */
    std::map<std::string, std::pair<nlohmann::json, std::vector<std::string>>> byConfig;
    /** Tags that name one manifest are read once: the manifests read, by the digest their tags resolved to. */
    std::map<std::string, RegistryManifest> manifests;
    std::map<std::string, bool> referrerSigned; ///< by manifest digest, as the referrers API answered
    std::vector<Resource>& out;
};

/**
 * One scan of one registry: the endpoint and what an anonymous client may do, the repositories (the catalog or
 * the names given), each read by one of a few workers with its own keep-alive connection, and the resources
 * handed on from the scanning thread in repository order.
 */
class RegistryScan {
public:
    RegistryScan(const RegistryOptions& options, const std::string& target, const CancelToken& cancel,
        const ProgressFn& progress)
        : m_options(options)
        , m_target(target)
        , m_host(registryHostOf(options.url))
        , m_cancel(cancel)
        , m_progress(progress)
    {
    }
    void run(const ResourceSink& sink);

private:
    [[nodiscard]] HttpEndpoint endpoint(const QUrl& url) const;
    [[nodiscard]] std::optional<RegistryCredential> credential() const;
    [[nodiscard]] Resource probeEndpoint(RegistrySession& anonymous, const QUrl& url) const;
    [[nodiscard]] std::vector<std::string> repositories(RegistrySession& session) const;
    std::vector<std::vector<Resource>> readRepositories(const std::vector<std::string>& repositories,
        const HttpEndpoint& ep, const std::optional<RegistryCredential>& credential, RegistryTokenCache& tokens);
    void scanRepository(RegistrySession& worker, const std::string& repo, std::vector<Resource>& out);
    void readTag(RegistrySession& worker, RepositoryRead& read, const std::string& tag);
    std::string readImage(RegistrySession& worker, RepositoryRead& read, const std::string& tag, Resource& image);
    [[nodiscard]] bool signedByReferrer(RegistrySession& worker, RepositoryRead& read, const std::string& digest) const;
    [[nodiscard]] bool anonymousPull(
        RegistrySession& anonymous, const std::vector<std::vector<Resource>>& results, const ResourceSink& sink) const;
    void say(const std::string& m) const
    {
        if (m_progress)
            m_progress(m);
    }
    void sayLocked(const std::string& m)
    {
        std::lock_guard lock(m_sayMutex);
        say(m);
    }

    const RegistryOptions& m_options;
    const std::string& m_target;
    const std::string m_host;
    const CancelToken& m_cancel;
    const ProgressFn& m_progress;
    std::mutex m_sayMutex; ///< the workers' progress lines
    std::atomic<std::size_t> m_images { 0 };
};

void RegistryScan::run(const ResourceSink& sink)
{
    const QUrl url(q(m_options.url));
    const HttpEndpoint ep = endpoint(url);
    const auto credential = this->credential();
    RegistryTokenCache tokens;
    RegistrySession anonymous(ep, std::nullopt, tokens, m_target, &m_cancel);
    RegistrySession session(ep, credential, tokens, m_target, &m_cancel);
    Resource endpoint = probeEndpoint(anonymous, url);
    const std::vector<std::string> repositories = this->repositories(session);
    say("registry " + m_host + ": " + std::to_string(repositories.size()) + " repositories");
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
    const auto results = readRepositories(repositories, ep, credential, tokens);
    endpoint.data["anonymous"]["pull"] = anonymousPull(anonymous, results, sink);
    sink(endpoint);
    say("registry " + m_host + ": " + std::to_string(m_images.load()) + " images read");
}

/** The registry's HTTP endpoint from a checked URL: its CA (certs.d), timeouts, the redirects blobs need. */
HttpEndpoint RegistryScan::endpoint(const QUrl& url) const
{
    if (!url.isValid() || (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http"))
        || m_host.empty())
        throw ConnectorError(m_target, "\"" + m_options.url + "\" is not a registry URL",
            "give --registry host:port or https://host:port");
    if (!url.userInfo().isEmpty())
        throw ConnectorError(m_target, "the registry URL carries credentials",
            "log in with docker login (credentials are read from the docker config), never in the URL");
    HttpEndpoint ep;
    ep.baseUrl = m_options.url;
    ep.caFile = m_options.caFile;
    if (ep.caFile.empty()) {
        const std::string certsD = "/etc/docker/certs.d/" + m_host + "/ca.crt";
        if (QFileInfo::exists(q(certsD)))
            ep.caFile = certsD;
    }
    ep.verifyTls = !m_options.insecureSkipVerify;
    if (m_options.insecureSkipVerify && url.scheme() == QLatin1String("https"))
        say("registry " + m_host
            + ": TLS verification is turned off by your configuration; anyone on the path can pose as the registry");
    ep.totalTimeout = std::chrono::seconds(60);
    ep.maxBody = 64u * 1024 * 1024;
    ep.redirects = 5; // hosted registries send blobs (and some manifests) to a CDN or signed storage URLs
    ep.tlsHint
        = "the registry's certificate is not trusted: give its CA with --ca-file or put it in /etc/docker/certs.d/"
        + m_host + "/ca.crt";
    return ep;
}

/** The login given, else the one docker or podman stored for the host; an empty entry is no login. */
std::optional<RegistryCredential> RegistryScan::credential() const
{
    auto credential = m_options.credential ? m_options.credential : findRegistryCredential(m_host);
    if (credential && credential->username.empty())
        credential.reset();
    if (credential)
        say("registry " + m_host + ": credentials from " + credential->source);
    return credential;
}

/** The endpoint: transport and what an anonymous client may do (its pull is probed after the images). */
Resource RegistryScan::probeEndpoint(RegistrySession& anonymous, const QUrl& url) const
{
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
    return endpoint;
}

/**
 * Every repository of the catalog, filtered by the user's patterns. Repositories named exactly are read without
 * it: hosted registries (Docker Hub, GHCR, ECR, ...) do not serve the catalog.
 */
std::vector<std::string> RegistryScan::repositories(RegistrySession& session) const
{
    const bool exactNames = !m_options.repositories.empty()
        && std::none_of(m_options.repositories.begin(), m_options.repositories.end(),
            [](const std::string& r) { return r.find_first_of("*?[") != std::string::npos; });
    if (exactNames)
        return m_options.repositories;
    return listCatalog(
        session, [this](const std::string& repo) { return wanted(m_options.repositories, repo); }, m_cancel);
}

/** Reads the repositories on a few workers, each with its own keep-alive connection; results in repository order. */
std::vector<std::vector<Resource>> RegistryScan::readRepositories(const std::vector<std::string>& repositories,
    const HttpEndpoint& ep, const std::optional<RegistryCredential>& credential, RegistryTokenCache& tokens)
{
    const std::size_t workers = std::clamp<std::size_t>(std::size_t(std::max(1, m_options.connections)), 1, 16);
    std::vector<std::vector<Resource>> results(repositories.size());
    std::atomic<std::size_t> next { 0 };
    std::atomic<std::size_t> reposDone { 0 };
    std::vector<std::future<void>> pool;
    for (std::size_t w = 0; w < std::min(workers, repositories.size()); ++w) {
        pool.push_back(std::async(std::launch::async, [&] {
            RegistrySession own(ep, credential, tokens, m_target, &m_cancel);
            for (std::size_t i = next++; i < repositories.size(); i = next++) {
                if (m_cancel.load())
                    return;
                scanRepository(own, repositories[i], results[i]);
                const std::size_t finished = ++reposDone;
                if (m_progress && (finished % 10 == 0 || finished == repositories.size())) {
                    std::lock_guard lock(m_sayMutex);
                    m_progress(Progress("registry " + m_host + ": " + std::to_string(finished) + " of "
                            + std::to_string(repositories.size()) + " repositories read",
                        std::int64_t(finished), std::int64_t(repositories.size())));
                }
            }
        }));
    }
    for (auto& f : pool)
        f.get(); // rethrows a worker's ConnectorError or Cancelled
    if (m_cancel.load())
        throw Cancelled();
    return results;
}

/** One repository: its tags (cosign's artifacts set apart), a RegistryImage each, a ContainerImage per config. */
void RegistryScan::scanRepository(RegistrySession& worker, const std::string& repo, std::vector<Resource>& out)
{
    RepositoryRead read { repo, {}, -1, {}, {}, {}, out };
    std::vector<std::string> tags;
    for (const auto& tag : listTags(worker, repo, m_cancel)) {
        if (isCosignArtifactTag(tag))
            read.signatureTags.insert(tag);
        else if (wanted(m_options.tags, tag))
            tags.push_back(tag);
    }
    for (const auto& tag : tags) {
        if (m_cancel.load())
            throw Cancelled();
        readTag(worker, read, tag);
    }
    for (auto& [configDigest, entry] : read.byConfig) {
        Resource img;
        img.layer = Layer::Image;
        img.target = m_target;
        img.kind = "ContainerImage";
        img.name = entry.second.front();
        img.origin = m_options.url + "/v2/" + repo + "/blobs/" + configDigest;
        entry.first["RepoTags"] = entry.second;
        entry.first["metadata"] = { { "name", img.name } };
        img.data = std::move(entry.first);
        out.push_back(img);
    }
}

/** One tag's RegistryImage; a tag that cannot be read says why on it, and the other tags are still read. */
void RegistryScan::readTag(RegistrySession& worker, RepositoryRead& read, const std::string& tag)
{
    Resource image;
    image.layer = Layer::Registry;
    image.target = m_target;
    image.kind = "RegistryImage";
    image.name = read.repo + ":" + tag;
    image.data = { { "repository", read.repo }, { "tag", tag }, { "digest", "" }, { "readError", "" },
        { "schema1", false }, { "signature", { { "cosign", false }, { "referrers", false } } },
        { "metadata", { { "name", image.name } } } };
    if (auto prev = m_options.previousDigests.find(image.name); prev != m_options.previousDigests.end())
        image.data["previousDigest"] = prev->second;
    auto fail = [&](const std::string& why) {
        image.data["readError"] = why;
        image.origin = m_options.url + "/v2/" + read.repo + "/manifests/" + tag;
        sayLocked("registry " + m_host + ": " + image.name + " cannot be read: " + why);
        read.out.push_back(image);
    };
    try {
        if (const std::string why = readImage(worker, read, tag, image); !why.empty())
            fail(why);
    } catch (const RegistryRateLimited&) {
        throw; // every further request would be refused too
    } catch (const ConnectorError& e) {
        // transport trouble on one tag (a cut connection): report it there, go on with the rest
        if (m_cancel.load())
            throw Cancelled();
        fail(std::string(e.what()));
    }
}

/**
 * Reads the image `tag` names into `image` and hands it on; returns why it cannot be read instead (then `image`
 * holds what was learnt before).
 */
std::string RegistryScan::readImage(
    RegistrySession& worker, RepositoryRead& read, const std::string& tag, Resource& image)
{
    const RegistryManifest m = fetchManifest(worker, read.repo, tag, m_options.platform, &read.manifests);
    if (!m.error.empty())
        return m.error;
    // Docker's schema 1 (deprecated, refused by current engines, signed with keys nobody checks): its
    // tag is reported for what it is, not as unreadable.
    if (member(m.manifest, "schemaVersion") == 1
        || m.mediaType.starts_with("application/vnd.docker.distribution.manifest.v1")) {
        image.data["digest"] = m.digest;
        image.data["mediaType"]
            = m.mediaType.empty() ? std::string("application/vnd.docker.distribution.manifest.v1+json") : m.mediaType;
        image.data["schema1"] = true;
        image.origin = m_options.url + "/v2/" + read.repo + "@" + m.digest;
        read.out.push_back(image);
        return {};
    }
    const std::string configDigest = text(member(m.manifest, "config"), "digest");
    if (configDigest.empty())
        return "the manifest has no config (an artifact, not an image)";
    // a config read for another tag of this repository is the same blob (its digest says so): not read again
    nlohmann::json inspect;
    if (!read.byConfig.count(configDigest)) {
        std::string why;
        const auto config = fetchConfigBlob(worker, read.repo, configDigest, why);
        if (!why.empty())
            return why;
        inspect = inspectFromConfig(config, configDigest);
    }
    image.data["digest"] = m.digest;
    image.data["mediaType"] = m.mediaType;
    image.data["platforms"] = m.platforms;
    image.data["signature"]["cosign"] = read.signatureTags.count("sha256-" + m.digest.substr(7) + ".sig") > 0;
    if (signedByReferrer(worker, read, m.digest))
        image.data["signature"]["referrers"] = true;
    image.origin = m_options.url + "/v2/" + read.repo + "@" + m.digest;
    read.out.push_back(image);
    auto& entry = read.byConfig[configDigest];
    if (entry.first.is_null())
        entry.first = std::move(inspect);
    entry.second.push_back(read.repo + ":" + tag);
    entry.first["RepoDigests"] = nlohmann::json::array({ read.repo + "@" + m.digest });
    ++m_images;
    return {};
}

/** Whether the referrers API lists a signature of `digest`; tried until a registry shows it lacks it (404). */
bool RegistryScan::signedByReferrer(RegistrySession& worker, RepositoryRead& read, const std::string& digest) const
{
    if (read.referrersSupported == 0)
        return false;
    if (const auto known = read.referrerSigned.find(digest); known != read.referrerSigned.end())
        return known->second;
    const HttpResponse referrers = worker.get("/v2/" + read.repo + "/referrers/" + digest,
        "repository:" + read.repo + ":pull", { "Accept: application/vnd.oci.image.index.v1+json" });
    if (read.referrersSupported == -1)
        read.referrersSupported = referrers.status == 200 ? 1 : 0;
    if (referrers.status != 200)
        return false;
    const auto idx = nlohmann::json::parse(referrers.body, nullptr, false);
    return read.referrerSigned[digest] = std::any_of(member(idx, "manifests").begin(), member(idx, "manifests").end(),
               [](const nlohmann::json& d) { return isSignatureReferrer(d); });
}

/** Hands the resources on in repository order, then fetches one image without credentials. */
bool RegistryScan::anonymousPull(
    RegistrySession& anonymous, const std::vector<std::vector<Resource>>& results, const ResourceSink& sink) const
{
    std::string probeRepo, probeTag;
    for (const auto& list : results)
        for (const auto& r : list) {
            if (probeRepo.empty() && r.kind == "RegistryImage" && !text(r.data, "digest").empty()) {
                probeRepo = text(r.data, "repository");
                probeTag = text(r.data, "tag");
            }
            sink(r);
        }
    if (probeRepo.empty())
        return false;
    try {
        return anonymous
                   .get("/v2/" + probeRepo + "/manifests/" + probeTag, "repository:" + probeRepo + ":pull",
                       { kAcceptManifests }, "HEAD")
                   .status
            == 200;
    } catch (const ConnectorError& e) {
        say("registry " + m_host + ": anonymous pull probe failed: " + e.what());
        return false;
    }
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

std::string RegistryConnector::hostOf(const std::string& url)
{
    return registryHostOf(url);
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
    RegistryScan(m_options, m_target, cancel, progress).run(sink);
}

void RegistryConnector::rememberPrevious(const std::map<std::string, std::string>& originsByName)
{
    m_options.previousDigests.clear();
    for (const auto& [name, origin] : originsByName)
        if (auto at = origin.rfind('@'); at != std::string::npos)
            m_options.previousDigests[name] = origin.substr(at + 1);
}

} // namespace lg
