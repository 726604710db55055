#include "connectors/kubernetes/kubeconnector.h"

#include "connectors/kubernetes/kubelisting.h"
#include "connectors/kubernetes/kubesession.h"
#include "core/jsonutil.h"
#include "core/plural.h"

#include <QUrl>

#include <set>

namespace lg {

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

namespace {

/**
 * One scan of one cluster: how it was reached, its version, the group versions it serves, every kind of kubeKinds()
 * (with what could not be read reported as coverage), then each kubelet's configuration.
 */
class KubeScan {
public:
    KubeScan(const KubeContext& context, const std::string& target, std::string location, int pageSize,
        const std::function<void(const std::string&)>& notice, const ResourceSink& sink, const CancelToken& cancel,
        const ProgressFn& progress)
        : m_context(context)
        , m_target(target)
        , m_location(std::move(location))
        , m_pageSize(pageSize)
        , m_notice(notice)
        , m_sink(sink)
        , m_cancel(cancel)
        , m_progress(progress)
        , m_session(context, cancel, target, notice)
    {
    }
    void run();

private:
    void connection();
    void version();
    [[nodiscard]] std::set<std::string> servedGroupVersions();
    void listKinds(const std::set<std::string>& served, KubeKindLister& lister);
    void coverage(const KubeKind& k, const std::string& scope, std::size_t items, const HttpResponse* denied);
    void kubeletConfigs(const std::vector<std::string>& nodeNames);
    void say(const std::string& msg) const
    {
        if (m_progress)
            m_progress(Progress(msg, std::int64_t(m_kindsListed), std::int64_t(kubeKinds().size())));
    }

    const KubeContext& m_context;
    const std::string& m_target;
    const std::string m_location;
    const int m_pageSize;
    const std::function<void(const std::string&)>& m_notice;
    const ResourceSink& m_sink;
    const CancelToken& m_cancel;
    const ProgressFn& m_progress;
    KubeSession m_session;
    std::size_t m_kindsListed = 0; ///< how far the scan is: kinds listed of kubeKinds()
};

void KubeScan::run()
{
    connection();
    version();
    const std::set<std::string> served = servedGroupVersions();
    KubeKindLister lister(
        m_session, m_sink, m_cancel, [this](const std::string& m) { say(m); }, m_target, m_location, m_pageSize);
    listKinds(served, lister);
    kubeletConfigs(lister.nodeNames());
    if (lister.viaController() > 0)
        say(counted(lister.viaController(), "pod, replica set or job", "pods, replica sets and jobs")
            + " judged through their controllers");
    if (lister.inactiveRevisions() > 0)
        say(counted(lister.inactiveRevisions(), "replica set", "replica sets")
            + " of older revisions scaled to zero: they run nothing");
}

/** How Layerguard reached the cluster: rules report TLS verification off, plain http and legacy auth. */
void KubeScan::connection()
{
    const bool plainHttp = QUrl(QString::fromStdString(m_context.cluster.server)).scheme() == QLatin1String("http");
    if (plainHttp && m_notice)
        m_notice("context " + m_context.name + " reaches " + m_location
            + " over plain http: nothing it sends or receives is encrypted or authenticated");
    if (m_context.cluster.insecureSkipTlsVerify && m_notice)
        m_notice("context " + m_context.name + " turns TLS verification off (insecure-skip-tls-verify)");
    Resource r;
    r.layer = Layer::Orchestrator;
    r.target = m_target;
    r.kind = "KubeConnection";
    r.name = m_context.name;
    r.origin = m_context.origin;
    r.data = { { "context", m_context.name }, { "cluster", m_context.clusterName }, { "server", m_location },
        { "insecureSkipTlsVerify", m_context.cluster.insecureSkipTlsVerify }, { "plainHttp", plainHttp },
        { "tlsServerName", m_context.cluster.tlsServerName }, { "auth", m_context.user.kind() },
        { "execCommand", m_context.user.exec ? m_context.user.exec->display() : std::string() } };
    m_sink(r);
}

void KubeScan::version()
{
    HttpResponse version = m_session.get("/version");
    if (version.status != 200)
        m_session.fail("GET /version", version);
    auto v = nlohmann::json::parse(version.body, nullptr, false);
    if (!v.is_object() || text(v, "gitVersion").empty())
        throw ConnectorError(m_target, m_location + "/version did not answer a Kubernetes version",
            "check that the server URL points at a Kubernetes API server");
    Resource r;
    r.layer = Layer::Orchestrator;
    r.target = m_target;
    r.kind = "KubernetesVersion";
    r.name = m_context.clusterName.empty() ? m_context.name : m_context.clusterName;
    r.origin = m_location + "/version";
    r.data = std::move(v);
    say("kubernetes " + text(r.data, "gitVersion") + " at " + m_location);
    m_sink(r);
}

/** Discovery: which group versions the server serves (an old cluster may lack networking.k8s.io/v1). */
std::set<std::string> KubeScan::servedGroupVersions()
{
    std::set<std::string> served { "v1" };
    HttpResponse apis = m_session.get("/apis");
    if (apis.status != 200)
        m_session.fail("GET /apis", apis);
    const auto j = nlohmann::json::parse(apis.body, nullptr, false);
    if (!j.is_object() || !member(j, "groups").is_array())
        throw ConnectorError(m_target, "GET /apis did not answer an APIGroupList",
            "check that the server URL points at a Kubernetes API server");
    for (const auto& g : member(j, "groups"))
        for (const auto& v : member(g, "versions"))
            served.insert(text(v, "groupVersion"));
    return served;
}

void KubeScan::listKinds(const std::set<std::string>& served, KubeKindLister& lister)
{
    for (const auto& k : kubeKinds()) {
        if (m_cancel.load())
            throw Cancelled();
        m_kindsListed = std::size_t(&k - kubeKinds().data());
        if (!served.count(kubeGroupVersion(k))) {
            if (!k.optional)
                say(kubeResourceName(k) + ": " + kubeGroupVersion(k) + " is not served by this cluster; skipped");
            continue;
        }
        std::size_t items = 0;
        HttpResponse r = lister.list(k, {}, items);
        if (r.status == 404) {
            say(kubeResourceName(k) + ": not served (404); skipped");
            continue;
        }
        if (r.status != 403) {
            coverage(k, k.namespaced ? "all namespaces" : "cluster", items, nullptr);
            continue;
        }
        // Namespace-scoped access is common: read the context's namespace, and say the rest is missing.
        if (k.namespaced && !m_context.namespace_.empty()
            && lister.list(k, m_context.namespace_, items).status == 200) {
            coverage(k, "only namespace " + m_context.namespace_ + " could be read", items, &r);
            continue;
        }
        coverage(k, k.namespaced ? "all namespaces" : "cluster", 0, &r);
    }
}

/** One KubeCoverage resource per kind: what was read, and what could not be (a finding, never "secure"). */
void KubeScan::coverage(const KubeKind& k, const std::string& scope, std::size_t items, const HttpResponse* denied)
{
    Resource cov;
    cov.layer = Layer::Orchestrator;
    cov.target = m_target;
    cov.kind = "KubeCoverage";
    cov.name = kubeResourceName(k);
    cov.origin = m_location + kubeApiPrefix(k) + "/" + k.plural;
    std::string reason;
    const std::string msg = denied ? kubeStatusMessage(*denied, &reason) : std::string();
    cov.data = { { "resource", kubeResourceName(k) }, { "kind", k.kind }, { "scope", scope }, { "complete", !denied },
        { "items", items }, { "status", denied ? denied->status : 200 }, { "reason", reason }, { "message", msg },
        { "context", m_context.name } };
    m_sink(cov);
    if (denied)
        say("cannot list " + kubeResourceName(k) + " (" + std::to_string(denied->status) + " " + reason
            + "): reported as a coverage gap");
}

/**
 * Each kubelet's configuration as it runs (/configz through the API server's node proxy; CIS-K8S 4.2). Where the
 * identity may not go through (managed control planes let nobody), the kubelet checks are not observed.
 */
void KubeScan::kubeletConfigs(const std::vector<std::string>& nodeNames)
{
    std::size_t configs = 0;
    std::string hidden;
    for (const auto& node : nodeNames) {
        if (m_cancel.load())
            throw Cancelled();
        const std::string path = "/api/v1/nodes/" + kubeUrlEncode(node) + "/proxy/configz";
        const HttpResponse r = m_session.get(path);
        Resource kc;
        kc.layer = Layer::Host;
        kc.target = m_target;
        kc.kind = "KubeletConfig";
        kc.name = node;
        kc.origin = m_location + path;
        kc.data = { { "metadata", { { "name", node } } } };
        nlohmann::json answer = r.status == 200 ? nlohmann::json::parse(r.body, nullptr, false) : nlohmann::json();
        if (answer.is_object() && member(answer, "kubeletconfig").is_object()) {
            kc.data["kubeletconfig"] = std::move(answer["kubeletconfig"]);
            ++configs;
        } else if (hidden.empty() && r.status == 200) {
            hidden = "an answer without kubeletconfig";
        } else if (hidden.empty()) {
            std::string reason;
            (void)kubeStatusMessage(r, &reason);
            hidden = std::to_string(r.status) + " " + reason;
        }
        m_sink(kc);
    }
    if (!nodeNames.empty())
        say("kubelet configuration read from " + std::to_string(configs) + " of "
            + counted(nodeNames.size(), "node", "nodes")
            + (hidden.empty() ? std::string() : " (the others answered " + hidden + ": not observed)"));
}

} // namespace

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
    KubeScan(m_context, m_target, location(), m_pageSize, m_notice, sink, cancel, progress).run();
}

} // namespace lg
