#include "connectors/kubernetes/kubelistpage.h"

#include "core/jsonutil.h"
#include "core/kubeshape.h"
#include "core/kubeshapecanonical.h"
#include "core/masking.h"
#include "core/plural.h"

#include <QByteArray>
#include <QFile>
#include <QUrl>

#include <simdjson.h>

#include <charconv>
#include <chrono>
#include <future>
#include <set>
#include <thread>
#include <unordered_set>

namespace lg {

namespace {

constexpr int kMaxRetries = 3;
constexpr int kMaxRestarts = 3;
constexpr std::size_t kMaxPages = 20000; ///< 10 million objects of a kind at 500 a page

std::string urlEncode(const std::string& s)
{
    return QUrl::toPercentEncoding(QString::fromStdString(s)).toStdString();
}

std::string groupVersion(const KubeKind& k)
{
    return std::string(k.group).empty() ? std::string(k.version) : std::string(k.group) + "/" + k.version;
}

std::string apiPrefix(const KubeKind& k)
{
    return std::string(k.group).empty() ? "/api/v1" : "/apis/" + groupVersion(k);
}

/** plural.group as kubectl names a resource ("roles.rbac.authorization.k8s.io", "pods"). */
std::string resourceName(const KubeKind& k)
{
    return std::string(k.group).empty() ? std::string(k.plural) : std::string(k.plural) + "." + k.group;
}

/** The message of a Kubernetes Status answer, or the start of whatever else the server sent. */
std::string statusMessage(const HttpResponse& r, std::string* reason = nullptr)
{
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_object() && text(j, "kind") == "Status") {
        if (reason)
            *reason = text(j, "reason");
        return maskText(text(j, "message", "(no message)"));
    }
    std::string body = r.body.substr(0, 200);
    for (char& c : body)
        if (static_cast<unsigned char>(c) < 0x20)
            c = ' ';
    return body.empty() ? "(empty answer)" : maskText(body);
}

/** simdjson DOM → nlohmann::json; drops managedFields and last-applied-configuration (noise, never checked). */
nlohmann::json convert(simdjson::dom::element e, int depth, bool inMetadata)
{
    using simdjson::dom::element_type;
    if (depth > 64)
        throw std::runtime_error("JSON nested deeper than 64 levels");
    switch (e.type()) {
    case element_type::ARRAY: {
        nlohmann::json a = nlohmann::json::array();
        auto& vec = a.get_ref<nlohmann::json::array_t&>();
        const simdjson::dom::array arr = e.get_array().value_unsafe(); // a copy: the result object is a temporary
        vec.reserve(arr.size());
        for (simdjson::dom::element x : arr)
            vec.push_back(convert(x, depth + 1, false));
        return a;
    }
    case element_type::OBJECT: {
        nlohmann::json o = nlohmann::json::object();
        auto& map = o.get_ref<nlohmann::json::object_t&>();
        const simdjson::dom::object obj = e.get_object().value_unsafe();
        for (auto field : obj) {
            if (inMetadata && field.key == "managedFields")
                continue;
            const bool isMetadata = depth == 0 && field.key == "metadata";
            nlohmann::json v = convert(field.value, depth + 1, isMetadata);
            if (inMetadata && field.key == "annotations" && v.is_object())
                v.erase("kubectl.kubernetes.io/last-applied-configuration");
            map.emplace(std::string(field.key), std::move(v));
        }
        return o;
    }
    case element_type::INT64:
        return e.get_int64().value_unsafe();
    case element_type::UINT64:
        return e.get_uint64().value_unsafe();
    case element_type::DOUBLE:
        return e.get_double().value_unsafe();
    case element_type::STRING:
        return std::string(e.get_string().value_unsafe());
    case element_type::BOOL:
        return e.get_bool().value_unsafe();
    case element_type::NULL_VALUE:
        return nullptr;
    }
    return nullptr;
}

/** The canonical template writer's view of simdjson's DOM (see kubeshapecanonical.h). */
struct SimdAdapter {
    using Node = simdjson::dom::element;
    static canonical::JsonType type(const Node& n)
    {
        using T = canonical::JsonType;
        switch (n.type()) {
        case simdjson::dom::element_type::ARRAY:
            return T::Array;
        case simdjson::dom::element_type::OBJECT:
            return T::Object;
        case simdjson::dom::element_type::INT64:
        case simdjson::dom::element_type::UINT64:
        case simdjson::dom::element_type::DOUBLE:
            return T::Number;
        case simdjson::dom::element_type::STRING:
            return T::String;
        case simdjson::dom::element_type::BOOL:
            return T::Bool;
        case simdjson::dom::element_type::NULL_VALUE:
            return T::Null;
        }
        return T::Null;
    }
    static bool boolean(const Node& n) { return n.get_bool().value_unsafe(); }
    static std::string_view string(const Node& n) { return n.get_string().value_unsafe(); }
    static void appendNumber(std::string& out, const Node& n)
    {
        char buf[32];
        std::to_chars_result r {};
        if (n.type() == simdjson::dom::element_type::INT64)
            r = std::to_chars(buf, buf + sizeof buf, n.get_int64().value_unsafe());
        else if (n.type() == simdjson::dom::element_type::UINT64)
            r = std::to_chars(buf, buf + sizeof buf, n.get_uint64().value_unsafe());
        else
            r = std::to_chars(buf, buf + sizeof buf, n.get_double().value_unsafe());
        out.append(buf, r.ptr);
    }
    template <class Fn> static void forEachField(const Node& n, Fn fn)
    {
        const simdjson::dom::object obj = n.get_object().value_unsafe();
        for (auto field : obj)
            fn(field.key, field.value);
    }
    template <class Fn> static void forEachItem(const Node& n, Fn fn)
    {
        const simdjson::dom::array arr = n.get_array().value_unsafe();
        for (simdjson::dom::element item : arr)
            fn(item);
    }
    static std::optional<Node> field(const Node& n, std::string_view key)
    {
        Node e;
        if (n.type() != simdjson::dom::element_type::OBJECT || n.get_object().value_unsafe()[key].get(e))
            return std::nullopt;
        return e;
    }
};

/** templateDigest() of an item of `kind` straight from the parsed page; nullopt when it has no pod template. */
std::optional<TemplateDigest> simdTemplateDigest(simdjson::dom::element item, std::string_view kind)
{
    std::optional<simdjson::dom::element> tmpl = item;
    if (kind == "CronJob")
        for (const char* key : { "spec", "jobTemplate", "spec", "template" })
            tmpl = tmpl ? SimdAdapter::field(*tmpl, key) : std::nullopt;
    else if (kind != "Pod")
        for (const char* key : { "spec", "template" })
            tmpl = tmpl ? SimdAdapter::field(*tmpl, key) : std::nullopt;
    if (!tmpl || tmpl->type() != simdjson::dom::element_type::OBJECT)
        return std::nullopt;
    thread_local std::string buffer;
    buffer.clear();
    canonical::Writer<SimdAdapter>(buffer).podTemplate(*tmpl);
    return digestOfCanonical(buffer);
}

std::string readTokenFile(const std::string& file, const std::string& source)
{
    QFile f(QString::fromStdString(file));
    if (!f.open(QIODevice::ReadOnly))
        throw ConnectorError(source, "cannot read the token file " + file + ": " + f.errorString().toStdString(),
            "check users[].user.tokenFile in the kubeconfig");
    return f.read(64 * 1024).trimmed().toStdString();
}

std::string authHint(const KubeContext& ctx)
{
    const std::string kind = ctx.user.kind();
    if (kind == "exec")
        return "the exec plugin's credential was refused even after a refresh; log in again with the provider's "
               "tool, then scan again";
    if (kind == "client-certificate")
        return "the client certificate is not accepted (expired, or signed by another CA); get a fresh kubeconfig";
    if (kind == "token" || kind == "token-file")
        return "the token is wrong, revoked or expired; get a new one (kubectl create token SA, or from the "
               "cluster admin) and update the kubeconfig";
    if (kind == "basic")
        return "basic auth was removed in Kubernetes 1.19; use a token or client certificate";
    return "this context has no credentials; add a token, a client certificate or an exec plugin to the user "
           "\""
        + ctx.userName + "\"";
}

} // namespace

void readKubeListPage(simdjson::dom::parser& parser, const std::string& body,
    const std::function<void(const KubeListPage&)>& onPage, const std::function<void(nlohmann::json&&)>& onItem,
    const std::function<bool(simdjson::dom::element)>& skip)
{
    simdjson::dom::element doc;
    if (auto err = parser.parse(body).get(doc))
        throw KubeListError(std::string("is not valid JSON (") + simdjson::error_message(err) + ")");
    std::string_view listKindName;
    if (doc.type() != simdjson::dom::element_type::OBJECT || doc["kind"].get(listKindName)
        || !listKindName.ends_with("List"))
        throw KubeListError("is not a Kubernetes list");
    KubeListPage page;
    std::string_view next;
    if (!doc["metadata"]["continue"].get(next))
        page.next = std::string(next);
    std::int64_t remaining = 0;
    if (!doc["metadata"]["remainingItemCount"].get(remaining))
        page.remaining = remaining;
    simdjson::dom::array arr;
    const bool hasItems = doc["items"].get(arr) == simdjson::SUCCESS;
    page.items = hasItems ? arr.size() : 0;
    onPage(page); // the body is no longer needed: the DOM holds the page
    if (!hasItems)
        return;
    for (simdjson::dom::element item : arr) {
        if (skip && skip(item))
            continue;
        nlohmann::json j;
        try {
            j = convert(item, 0, false);
        } catch (const std::exception& e) {
            throw KubeListError(std::string("has an item that cannot be read: ") + e.what());
        }
        if (j.is_object())
            onItem(std::move(j));
    }
}

const std::vector<KubeKind>& kubeKinds()
{
    // Controllers first: what they own is then recognised as evaluated through them.
    static const std::vector<KubeKind> kinds {
        { "", "v1", "namespaces", "Namespace", false },
        { "", "v1", "nodes", "Node", false },
        { "apps", "v1", "deployments", "Deployment", true },
        { "apps", "v1", "statefulsets", "StatefulSet", true },
        { "apps", "v1", "daemonsets", "DaemonSet", true },
        { "batch", "v1", "cronjobs", "CronJob", true },
        { "batch", "v1", "jobs", "Job", true },
        { "apps", "v1", "replicasets", "ReplicaSet", true },
        { "", "v1", "pods", "Pod", true },
        { "", "v1", "serviceaccounts", "ServiceAccount", true },
        { "", "v1", "services", "Service", true },
        { "", "v1", "configmaps", "ConfigMap", true },
        { "networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true },
        { "cilium.io", "v2", "ciliumnetworkpolicies", "CiliumNetworkPolicy", true, true },
        { "cilium.io", "v2", "ciliumclusterwidenetworkpolicies", "CiliumClusterwideNetworkPolicy", false, true },
        { "networking.k8s.io", "v1", "ingresses", "Ingress", true },
        { "rbac.authorization.k8s.io", "v1", "roles", "Role", true },
        { "rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true },
        { "rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false },
        { "rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false },
        // the runtimes pods may ask for (sandboxes such as gVisor or Kata)
        { "node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", false, true },
        // what admits pods besides Pod Security Admission (policy engines register webhooks)
        { "admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration",
            false, true },
        { "admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding",
            false, true },
    };
    return kinds;
}

HttpEndpoint kubeEndpoint(
    const KubeContext& ctx, bool refreshExec, const std::function<void(const std::string&)>& notice)
{
    const std::string source = "context " + ctx.name;
    const KubeUser& u = ctx.user;
    if (!u.authProvider.empty()) {
        std::string hint = "replace it with an exec plugin";
        if (u.authProvider == "gcp")
            hint = "install gke-gcloud-auth-plugin and run `gcloud container clusters get-credentials` again";
        else if (u.authProvider == "azure")
            hint = "install kubelogin and run `kubelogin convert-kubeconfig -l azurecli`";
        else if (u.authProvider == "oidc")
            hint = "use an exec plugin such as kubelogin (`kubectl oidc-login`)";
        throw ConnectorError(source,
            "user \"" + ctx.userName + "\" uses the auth-provider \"" + u.authProvider
                + "\", which kubectl removed in 1.26",
            hint);
    }
    if (!u.impersonate.empty())
        throw ConnectorError(source, "user \"" + ctx.userName + "\" impersonates \"" + u.impersonate + "\" (as:)",
            "impersonation is not supported; use a context whose own identity may list the cluster");

    HttpEndpoint ep;
    QUrl url(QString::fromStdString(ctx.cluster.server));
    if (!url.isValid() || (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http"))
        || url.host().isEmpty())
        throw ConnectorError(source, "the server URL \"" + ctx.cluster.server + "\" is not an http(s) URL",
            "fix clusters[].cluster.server in the kubeconfig");
    if (!url.userInfo().isEmpty())
        throw ConnectorError(source, "the server URL carries credentials", "put them in the user entry instead");
    ep.baseUrl = url.toString(QUrl::StripTrailingSlash).toStdString();
    ep.caFile = ctx.cluster.caFile;
    ep.caPem = ctx.cluster.caPem;
    ep.verifyTls = !ctx.cluster.insecureSkipTlsVerify;
    ep.proxy = ctx.cluster.proxyUrl;
    ep.totalTimeout = std::chrono::seconds(120);
    ep.maxBody = 512u * 1024 * 1024;
    ep.tlsHint = "the API server's certificate is not signed by the CA of cluster \"" + ctx.clusterName
        + "\" (certificate-authority or certificate-authority-data in " + ctx.origin
        + "); get a current kubeconfig from the cluster admin";
    if (!ctx.cluster.tlsServerName.empty()) {
        // Verify the certificate for tls-server-name while connecting to the server's address.
        const int port = url.port(url.scheme() == QLatin1String("https") ? 443 : 80);
        QUrl named = url;
        named.setHost(QString::fromStdString(ctx.cluster.tlsServerName));
        ep.baseUrl = named.toString(QUrl::StripTrailingSlash).toStdString();
        ep.connectTo = ctx.cluster.tlsServerName + ":" + std::to_string(port) + ":" + url.host().toStdString() + ":"
            + std::to_string(port);
    }
    ep.clientCert = u.clientCertFile;
    ep.clientKey = u.clientKeyFile;
    ep.clientCertPem = u.clientCertPem;
    ep.clientKeyPem = u.clientKeyPem;
    if (u.exec) {
        const ExecCredential cred = ExecCredentialProvider::get(*u.exec, ctx.cluster, source, refreshExec, notice);
        if (!cred.token.empty())
            ep.authorization = "Bearer " + cred.token;
        else {
            ep.clientCertPem = cred.clientCertPem;
            ep.clientKeyPem = cred.clientKeyPem;
        }
    } else if (!u.token.empty()) {
        ep.authorization = "Bearer " + u.token;
    } else if (!u.tokenFile.empty()) {
        ep.authorization = "Bearer " + readTokenFile(u.tokenFile, source);
    } else if (!u.username.empty()) {
        ep.authorization = "Basic " + QByteArray::fromStdString(u.username + ":" + u.password).toBase64().toStdString();
    }
    return ep;
}

/** One connection to the API server with its credentials, retries and refresh on 401. */
struct KubernetesConnector::Session {
    const KubeContext& ctx;
    const CancelToken& cancel;
    std::string source;
    std::function<void(const std::string&)> notice;
    std::unique_ptr<HttpClient> client;
    bool refreshed = false;

    Session(const KubeContext& c, const CancelToken& t, std::string src, std::function<void(const std::string&)> n)
        : ctx(c)
        , cancel(t)
        , source(std::move(src))
        , notice(std::move(n))
    {
        client = std::make_unique<HttpClient>(kubeEndpoint(ctx, false, notice), &cancel);
    }

    HttpResponse get(const std::string& path)
    {
        for (int attempt = 0;; ++attempt) {
            if (cancel.load())
                throw Cancelled();
            HttpResponse r;
            try {
                r = client->get(path);
            } catch (const HttpError& e) {
                throw ConnectorError(source, e.what(), e.hint());
            }
            if (r.status == 401 && !refreshed && (ctx.user.exec || !ctx.user.tokenFile.empty())) {
                // An expired exec credential or a rotated token file: fetch it again once.
                refreshed = true;
                client->setAuthorization(kubeEndpoint(ctx, true, notice).authorization);
                continue;
            }
            const bool transient
                = r.status == 429 || r.status == 500 || r.status == 502 || r.status == 503 || r.status == 504;
            if (transient && attempt < kMaxRetries) {
                int wait = 200 << attempt;
                if (auto ra = r.header("retry-after"))
                    wait = std::clamp(std::atoi(ra->c_str()), 0, 5) * 1000;
                for (int slept = 0; slept < wait && !cancel.load(); slept += 50)
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                continue;
            }
            return r;
        }
    }

    [[noreturn]] void fail(const std::string& what, const HttpResponse& r)
    {
        std::string reason;
        const std::string msg = statusMessage(r, &reason);
        const std::string head
            = what + ": " + std::to_string(r.status) + (reason.empty() ? "" : " " + reason) + ": " + msg;
        if (r.status == 401)
            throw ConnectorError(source, "the API server refused the credentials (" + head + ")", authHint(ctx));
        if (r.status == 403)
            throw ConnectorError(source, head,
                "the identity of context " + ctx.name
                    + " may not read this; ask for a read-only ClusterRole "
                      "(get, list on the listed resources) bound to it");
        if (r.status >= 500 || r.status == 429)
            throw ConnectorError(source, head + " (after " + std::to_string(kMaxRetries) + " retries)",
                "the API server is overloaded or failing; try again later and check its health");
        throw ConnectorError(source, head, "check that the server URL points at a Kubernetes API server");
    }
};

KubernetesConnector::KubernetesConnector(KubeContext context, std::string target, int pageSize)
    : m_context(std::move(context))
    , m_target(std::move(target))
    , m_pageSize(std::clamp(pageSize, 1, 5000))
{
    if (m_target.empty()) {
        m_target = "kube:" + m_context.name;
        setDefaultNamed(true);
    }
}

std::string KubernetesConnector::location() const
{
    return QUrl(QString::fromStdString(m_context.cluster.server)).toString(QUrl::RemoveUserInfo).toStdString();
}

void KubernetesConnector::collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress)
{
    Session session(m_context, cancel, m_target, m_notice);
    std::size_t kindsListed = 0; // how far the scan is: kinds listed of kubeKinds()
    auto say = [&](const std::string& msg) {
        if (progress)
            progress(Progress(msg, std::int64_t(kindsListed), std::int64_t(kubeKinds().size())));
    };

    // How Layerguard reached the cluster: rules report TLS verification off, plain http and legacy auth.
    const bool plainHttp = QUrl(QString::fromStdString(m_context.cluster.server)).scheme() == QLatin1String("http");
    if (plainHttp && m_notice)
        m_notice("context " + m_context.name + " reaches " + location()
            + " over plain http: nothing it sends or receives is encrypted or authenticated");
    if (m_context.cluster.insecureSkipTlsVerify && m_notice)
        m_notice("context " + m_context.name + " turns TLS verification off (insecure-skip-tls-verify)");
    {
        Resource r;
        r.layer = Layer::Orchestrator;
        r.target = m_target;
        r.kind = "KubeConnection";
        r.name = m_context.name;
        r.origin = m_context.origin;
        r.data = { { "context", m_context.name }, { "cluster", m_context.clusterName }, { "server", location() },
            { "insecureSkipTlsVerify", m_context.cluster.insecureSkipTlsVerify }, { "plainHttp", plainHttp },
            { "tlsServerName", m_context.cluster.tlsServerName }, { "auth", m_context.user.kind() },
            { "execCommand", m_context.user.exec ? m_context.user.exec->display() : std::string() } };
        sink(r);
    }

    HttpResponse version = session.get("/version");
    if (version.status != 200)
        session.fail("GET /version", version);
    {
        auto v = nlohmann::json::parse(version.body, nullptr, false);
        if (!v.is_object() || text(v, "gitVersion").empty())
            throw ConnectorError(m_target, location() + "/version did not answer a Kubernetes version",
                "check that the server URL points at a Kubernetes API server");
        Resource r;
        r.layer = Layer::Orchestrator;
        r.target = m_target;
        r.kind = "KubernetesVersion";
        r.name = m_context.clusterName.empty() ? m_context.name : m_context.clusterName;
        r.origin = location() + "/version";
        r.data = std::move(v);
        say("kubernetes " + text(r.data, "gitVersion") + " at " + location());
        sink(r);
    }

    // Discovery: which group versions the server serves (an old cluster may lack networking.k8s.io/v1).
    std::set<std::string> served { "v1" };
    {
        HttpResponse apis = session.get("/apis");
        if (apis.status != 200)
            session.fail("GET /apis", apis);
        const auto j = nlohmann::json::parse(apis.body, nullptr, false);
        if (!j.is_object() || !member(j, "groups").is_array())
            throw ConnectorError(m_target, "GET /apis did not answer an APIGroupList",
                "check that the server URL points at a Kubernetes API server");
        for (const auto& g : member(j, "groups"))
            for (const auto& v : member(g, "versions"))
                served.insert(text(v, "groupVersion"));
    }

    OwnershipIndex owners; // every controller listed, with its UID and template digest
    std::vector<std::string> nodeNames; // whose kubelets' configuration is read after the lists
    constexpr std::size_t kMaxKubeletConfigs = 1000;
    std::size_t viaController = 0;
    std::size_t inactiveRevisions = 0;
    simdjson::dom::parser parser;

    // One KubeCoverage resource per kind: what was read, and what could not be (a finding, never "secure").
    auto emitCoverage
        = [&](const KubeKind& k, const std::string& scope, std::size_t items, const HttpResponse* denied) {
              Resource cov;
              cov.layer = Layer::Orchestrator;
              cov.target = m_target;
              cov.kind = "KubeCoverage";
              cov.name = resourceName(k);
              cov.origin = location() + apiPrefix(k) + "/" + k.plural;
              std::string reason;
              const std::string msg = denied ? statusMessage(*denied, &reason) : std::string();
              cov.data = { { "resource", resourceName(k) }, { "kind", k.kind }, { "scope", scope },
                  { "complete", !denied }, { "items", items }, { "status", denied ? denied->status : 200 },
                  { "reason", reason }, { "message", msg }, { "context", m_context.name } };
              sink(cov);
              if (denied)
                  say("cannot list " + resourceName(k) + " (" + std::to_string(denied->status) + " " + reason
                      + "): reported as a coverage gap");
          };

    // Lists one kind, cluster-wide or in one namespace, page by page. Returns the final status (200 or the
    // 403/404 that stopped it before any item was read) and adds the items read to `total`.
    auto listKind = [&](const KubeKind& k, const std::string& ns, std::size_t& total) -> HttpResponse {
        const std::string base = apiPrefix(k) + (ns.empty() ? "" : "/namespaces/" + urlEncode(ns)) + "/" + k.plural
            + "?limit=" + std::to_string(m_pageSize);
        auto fetch = [&session, base](std::string cont) {
            return session.get(cont.empty() ? base : base + "&continue=" + urlEncode(cont));
        };
        std::unordered_set<std::string> seen; // uids handed on, so a restarted list does not repeat them
        std::string cont;
        int restarts = 0;
        std::size_t items = 0;
        std::size_t pages = 0;
        // A server that hands out the same continue token again, or new ones for ever, is never followed to the
        // end of time: repeated tokens fail the source, and so do more pages than the list can have.
        std::unordered_set<std::string> tokens;
        std::optional<std::size_t> pageBudget;
        int stalled = 0;
        // Counts an item once (a 410 restart lists it again; false then).
        auto listed = [&](const std::string& uid) {
            if (!uid.empty() && !seen.insert(uid).second)
                return false;
            ++items;
            return true;
        };
        // Most pods (and replica sets) of a cluster are replicas of a controller listed before them: those
        // are recognised on the parsed page (UIDs and template digest, see OwnershipIndex), counted without
        // building their JSON tree, and never handed on. Anything else goes to the item handler.
        auto judgedThroughController = [&](simdjson::dom::element item) {
            if (cancel.load())
                throw Cancelled();
            simdjson::dom::element meta;
            simdjson::dom::array ownerRefs;
            if (!isWorkloadKind(k.kind) || item["metadata"].get(meta) || meta["ownerReferences"].get(ownerRefs))
                return false;
            auto str = [](simdjson::dom::element e, const char* key) {
                std::string_view v;
                return e.is_object() && !e[key].get(v) ? std::string(v) : std::string();
            };
            std::optional<ControllingOwner> owner;
            for (simdjson::dom::element o : ownerRefs) {
                bool controller = false;
                if (o.is_object() && !o["controller"].get(controller) && controller) {
                    // the first controlling owner decides, as controllingOwner() reads the tree
                    owner = ControllingOwner { str(o, "kind"), str(o, "name"), str(o, "uid") };
                    break;
                }
            }
            if (!owner || owners.empty())
                return false;
            const auto digest = simdTemplateDigest(item, k.kind);
            if (!digest)
                return false;
            const std::string itemNs = str(meta, "namespace");
            std::int64_t replicas = -1, running = 0;
            if (std::string_view(k.kind) == "ReplicaSet") {
                if (item["spec"]["replicas"].get(replicas))
                    replicas = -1;
                if (item["status"]["replicas"].get(running))
                    running = 0;
            }
            const Ownership verdict = owners.verdict(*owner, itemNs, k.kind, *digest, replicas == 0 && running == 0);
            if (verdict == Ownership::Own)
                return false;
            const std::string uid = str(meta, "uid");
            if (listed(uid)) {
                owners.addController(k.kind, itemNs, str(meta, "name"), uid, *digest);
                ++(verdict == Ownership::ThroughController ? viaController : inactiveRevisions);
            }
            return true;
        };
        auto checkPage = [&](const KubeListPage& info, std::size_t done, std::unordered_set<std::string>& used,
                             std::optional<std::size_t>& budget) {
            auto stop = [&](const std::string& why) {
                throw ConnectorError(m_target, "listing " + resourceName(k) + ": " + why,
                    "the API server (or a proxy in front of it) pages wrongly; scan again, and report it if it stays");
            };
            if (info.items > std::max<std::size_t>(10000, std::size_t(m_pageSize) * 20))
                stop("the server ignored limit=" + std::to_string(m_pageSize) + " and sent "
                    + std::to_string(info.items) + " items in one page");
            if (!info.next.empty() && !used.insert(info.next).second)
                stop("the server handed out the same continue token twice (the list would never end)");
            if (info.remaining && !budget) // pages the rest can fill, with room for a list that grows meanwhile
                budget = done + 1 + std::size_t(*info.remaining) / std::size_t(m_pageSize) * 2 + 10;
            if (done + 1 > budget.value_or(kMaxPages))
                stop("more than " + std::to_string(budget.value_or(kMaxPages)) + " pages (the list would never end)");
        };
        auto pending = std::async(std::launch::async, fetch, std::string());
        while (true) {
            HttpResponse page = pending.get();
            if (page.status == 410 && !cont.empty()) {
                if (++restarts > kMaxRestarts)
                    session.fail("GET " + base + " (continue)", page);
                say(resourceName(k) + ": the continue token expired (410 Gone); listing again from the start");
                cont.clear();
                tokens.clear();
                pageBudget.reset();
                pending = std::async(std::launch::async, fetch, std::string());
                continue;
            }
            if (page.status != 200) {
                if (items == 0 && (page.status == 403 || page.status == 404))
                    return page;
                session.fail("GET " + base, page);
            }
            std::string nextToken;
            const std::size_t itemsBefore = items;
            try {
                readKubeListPage(
                    parser, page.body,
                    [&](const KubeListPage& info) {
                        nextToken = info.next;
                        page.body.clear();
                        page.body.shrink_to_fit();
                        checkPage(info, pages, tokens, pageBudget);
                        if (!nextToken.empty()) // fetch the next page while this one is evaluated
                            pending = std::async(std::launch::async, fetch, nextToken);
                    },
                    [&](nlohmann::json&& item) {
                        if (cancel.load())
                            throw Cancelled();
                        Resource r;
                        r.data = std::move(item);
                        const auto& meta = member(r.data, "metadata");
                        r.name = text(meta, "name");
                        r.namespace_ = text(meta, "namespace");
                        // Not a proven replica of a listed controller: judgedThroughController() took those.
                        if (!listed(text(meta, "uid")))
                            return;
                        if (isControllerKind(k.kind))
                            if (const nlohmann::json* tmpl = podTemplate(r.data, k.kind))
                                owners.addController(
                                    k.kind, r.namespace_, r.name, text(meta, "uid"), templateDigest(*tmpl));
                        r.data["kind"] = k.kind;
                        r.data["apiVersion"] = groupVersion(k);
                        r.kind = k.kind;
                        r.layer = r.kind == "Node" ? Layer::Host : Layer::Orchestrator;
                        if (r.kind == "Node" && nodeNames.size() < kMaxKubeletConfigs)
                            nodeNames.push_back(r.name);
                        r.target = m_target;
                        r.origin = location() + apiPrefix(k)
                            + (r.namespace_.empty() ? "" : "/namespaces/" + r.namespace_) + "/" + k.plural + "/"
                            + r.name;
                        sink(r);
                    },
                    judgedThroughController);
            } catch (const KubeListError& e) {
                throw ConnectorError(m_target, "the answer to GET " + base + " " + e.what(),
                    "the answer was cut or the server is not a Kubernetes API server; try again");
            }
            ++pages;
            if (nextToken.empty())
                break;
            // Pages that bring nothing new (every item seen before) while the list claims to go on: a loop.
            stalled = items == itemsBefore ? stalled + 1 : 0;
            if (stalled >= 3)
                throw ConnectorError(m_target,
                    "listing " + resourceName(k) + ": " + std::to_string(stalled)
                        + " pages in a row brought nothing new while the server said the list goes on",
                    "the API server (or a proxy in front of it) pages wrongly; scan again, and report it if it stays");
            cont = std::move(nextToken);
            if (pages % 10 == 0)
                say(resourceName(k) + ": " + std::to_string(items) + " read");
        }
        say(resourceName(k) + ": " + std::to_string(items) + " read in " + counted(pages, "page", "pages"));
        total += items;
        HttpResponse ok;
        ok.status = 200;
        return ok;
    };

    for (const auto& k : kubeKinds()) {
        if (cancel.load())
            throw Cancelled();
        kindsListed = std::size_t(&k - kubeKinds().data());
        if (!served.count(groupVersion(k))) {
            if (!k.optional)
                say(resourceName(k) + ": " + groupVersion(k) + " is not served by this cluster; skipped");
            continue;
        }
        std::size_t items = 0;
        HttpResponse r = listKind(k, {}, items);
        if (r.status == 404) {
            say(resourceName(k) + ": not served (404); skipped");
            continue;
        }
        if (r.status != 403) {
            emitCoverage(k, k.namespaced ? "all namespaces" : "cluster", items, nullptr);
            continue;
        }
        // Namespace-scoped access is common: read the context's namespace, and say the rest is missing.
        if (k.namespaced && !m_context.namespace_.empty() && listKind(k, m_context.namespace_, items).status == 200) {
            emitCoverage(k, "only namespace " + m_context.namespace_ + " could be read", items, &r);
            continue;
        }
        emitCoverage(k, k.namespaced ? "all namespaces" : "cluster", 0, &r);
    }
    // Each kubelet's configuration as it runs (/configz through the API server's node proxy; CIS-K8S 4.2). Where
    // the identity may not go through (managed control planes let nobody), the kubelet checks are not observed.
    std::size_t configs = 0;
    std::string hidden;
    for (const auto& node : nodeNames) {
        if (cancel.load())
            throw Cancelled();
        const std::string path = "/api/v1/nodes/" + urlEncode(node) + "/proxy/configz";
        const HttpResponse r = session.get(path);
        Resource kc;
        kc.layer = Layer::Host;
        kc.target = m_target;
        kc.kind = "KubeletConfig";
        kc.name = node;
        kc.origin = location() + path;
        kc.data = { { "metadata", { { "name", node } } } };
        nlohmann::json answer = r.status == 200 ? nlohmann::json::parse(r.body, nullptr, false) : nlohmann::json();
        if (answer.is_object() && member(answer, "kubeletconfig").is_object()) {
            kc.data["kubeletconfig"] = std::move(answer["kubeletconfig"]);
            ++configs;
        } else if (hidden.empty() && r.status == 200) {
            hidden = "an answer without kubeletconfig";
        } else if (hidden.empty()) {
            std::string reason;
            (void)statusMessage(r, &reason);
            hidden = std::to_string(r.status) + " " + reason;
        }
        sink(kc);
    }
    if (!nodeNames.empty())
        say("kubelet configuration read from " + std::to_string(configs) + " of "
            + counted(nodeNames.size(), "node", "nodes")
            + (hidden.empty() ? std::string() : " (the others answered " + hidden + ": not observed)"));
    if (viaController > 0)
        say(counted(viaController, "pod, replica set or job", "pods, replica sets and jobs")
            + " judged through their controllers");
    if (inactiveRevisions > 0)
        say(counted(inactiveRevisions, "replica set", "replica sets")
            + " of older revisions scaled to zero: they run nothing");
}

} // namespace lg
