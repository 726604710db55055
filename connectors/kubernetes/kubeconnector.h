#pragma once

#include "connectors/common/connector.h"
#include "connectors/http/httpclient.h"
#include "connectors/kubernetes/kubeconfig.h"

#include <functional>
#include <optional>
#include <stdexcept>

namespace lg {

/** One kind the connector lists. */
struct KubeKind {
    const char* group; ///< "" for the core group
    const char* version;
    const char* plural;
    const char* kind;
    bool namespaced;
    bool optional = false; ///< a CRD many clusters lack (Cilium's policies): skipped without a word when not served
};

/** Every kind a scan lists, in the order it lists them (controllers before what they own). */
[[nodiscard]] const std::vector<KubeKind>& kubeKinds();

/** A page that is not a readable Kubernetes list; what() completes "the answer to GET ... ". */
class KubeListError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/**
 * A live Kubernetes cluster through its API server: /version, discovery, then paged lists (`limit` +
 * `continue`, a fresh list on 410 Gone) of the kinds in kubeKinds(). Each page is parsed with simdjson
 * and its items are handed on before the next page is awaited (the next page is fetched meanwhile);
 * a whole list is never held. Secrets are never requested. A kind the identity may not list (403) is
 * reported as a CoverageGap resource (a finding), never as "nothing found". Objects owned by a
 * built-in controller that was listed are evaluated through that controller, as offline manifests are.
 * Nodes feed the host layer (kernel, OS image, runtime and kubelet versions).
 */
class KubernetesConnector final : public Connector {
public:
    explicit KubernetesConnector(KubeContext context, std::string target = {}, int pageSize = 500);
    [[nodiscard]] std::string kind() const override { return "kubernetes"; }
    [[nodiscard]] std::string target() const override { return m_target; }
    void renameTarget(const std::string& name) override { m_target = name; }
    [[nodiscard]] std::string location() const override;
    [[nodiscard]] std::vector<Layer> layers() const override { return { Layer::Orchestrator, Layer::Host }; }
    void collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress) override;

    /** Told what the user must know before it happens (an exec plugin about to run). */
    void setNotice(std::function<void(const std::string&)> notice) { m_notice = std::move(notice); }
    [[nodiscard]] const KubeContext& context() const { return m_context; }

private:
    KubeContext m_context;
    std::string m_target;
    int m_pageSize;
    std::function<void(const std::string&)> m_notice;
};

/** The HTTP endpoint for a context, credentials included (exec plugins run here). */
[[nodiscard]] HttpEndpoint kubeEndpoint(
    const KubeContext& context, bool refreshExec, const std::function<void(const std::string&)>& notice);

} // namespace lg
