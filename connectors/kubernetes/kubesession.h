#pragma once
// One connection to a Kubernetes API server as the connector uses it: credentials, retries, a refresh on 401,
// and errors that say what to do. Only the Kubernetes connector includes it.

#include "connectors/kubernetes/kubeconnector.h"

#include <functional>
#include <memory>
#include <string>

namespace lg {

/** The message of a Kubernetes Status answer, or the start of whatever else the server sent; masked. */
[[nodiscard]] std::string kubeStatusMessage(const HttpResponse& r, std::string* reason = nullptr);

/** One connection to the API server with its credentials, retries and refresh on 401. */
class KubeSession {
public:
    KubeSession(const KubeContext& context, const CancelToken& cancel, std::string source,
        std::function<void(const std::string&)> notice);

    /**
     * GET `path`; passing trouble (429, 5xx) is tried again a few times, an expired exec credential or rotated
     * token file fetched again once. Throws ConnectorError on transport failures, Cancelled.
     */
    HttpResponse get(const std::string& path);
    /** Fails the source for the answer `r` to `what` ("GET /apis"), with what the user can do about it. */
    [[noreturn]] void fail(const std::string& what, const HttpResponse& r) const;

private:
    const KubeContext& m_context;
    const CancelToken& m_cancel;
    std::string m_source;
    std::function<void(const std::string&)> m_notice;
    std::unique_ptr<HttpClient> m_client;
    bool m_refreshed = false;
};

} // namespace lg
