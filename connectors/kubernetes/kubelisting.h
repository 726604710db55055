#pragma once
// Listing one Kubernetes kind page by page, as the connector does for every kind of kubeKinds(). Only the
// Kubernetes connector includes it (it brings simdjson with kubelistpage.h).

#include "connectors/kubernetes/kubelistpage.h"
#include "connectors/kubernetes/kubesession.h"
#include "core/kubeshape.h"

#include <functional>
#include <future>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace lg {

/** "apps/v1"; "v1" for the core group. */
[[nodiscard]] std::string kubeGroupVersion(const KubeKind& k);
/** "/api/v1" or "/apis/<group>/<version>". */
[[nodiscard]] std::string kubeApiPrefix(const KubeKind& k);
/** plural.group as kubectl names a resource ("roles.rbac.authorization.k8s.io", "pods"). */
[[nodiscard]] std::string kubeResourceName(const KubeKind& k);
/** `s` percent-encoded for a URL path segment or query value. */
[[nodiscard]] std::string kubeUrlEncode(const std::string& s);

/**
 * Lists kinds page by page (`limit` + `continue`; the next page is fetched while one is evaluated; a fresh list
 * on 410 Gone) and hands each item on as a Resource. A server that pages wrongly (a repeated continue token,
 * pages without end, pages bringing nothing new) fails the source. Replicas of a controller listed before are
 * recognised on the parsed page and counted, never handed on (see OwnershipIndex): list the controllers first.
 */
class KubeKindLister {
public:
    KubeKindLister(KubeSession& session, const ResourceSink& sink, const CancelToken& cancel,
        std::function<void(const std::string&)> say, std::string target, std::string location, int pageSize);

    /**
     * Lists `k` cluster-wide (`ns` empty) or in one namespace. Returns the final status (200, or the 403/404
     * that stopped it before any item was read) and adds the items read to `total`.
     */
    HttpResponse list(const KubeKind& k, const std::string& ns, std::size_t& total);

    /** The nodes listed, whose kubelets the connector asks next (at most a thousand). */
    [[nodiscard]] const std::vector<std::string>& nodeNames() const { return m_nodeNames; }
    /** Pods, replica sets and jobs judged through their controllers. */
    [[nodiscard]] std::size_t viaController() const { return m_viaController; }
    /** Replica sets of older revisions scaled to zero. */
    [[nodiscard]] std::size_t inactiveRevisions() const { return m_inactiveRevisions; }

private:
    struct Listing;
    std::string readPage(Listing& l, HttpResponse& page, std::future<HttpResponse>& pending);
    std::future<HttpResponse> fetch(const std::string& base, std::string cont);
    void checkPage(Listing& l, const KubeListPage& info) const;
    bool judgedThroughController(Listing& l, simdjson::dom::element item);
    void handOn(Listing& l, nlohmann::json&& item);

    KubeSession& m_session;
    const ResourceSink& m_sink;
    const CancelToken& m_cancel;
    std::function<void(const std::string&)> m_say;
    std::string m_target;
    std::string m_location;
    int m_pageSize;
    simdjson::dom::parser m_parser;
    OwnershipIndex m_owners; ///< every controller listed, with its UID and template digest
    std::vector<std::string> m_nodeNames;
    std::size_t m_viaController = 0;
    std::size_t m_inactiveRevisions = 0;
};

} // namespace lg
