#include "connectors/kubernetes/kubesession.h"

#include "core/jsonutil.h"
#include "core/masking.h"

#include <QByteArray>
#include <QFile>
#include <QUrl>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace lg {

namespace {

constexpr int kMaxRetries = 3;

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

std::string kubeStatusMessage(const HttpResponse& r, std::string* reason)
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

KubeSession::KubeSession(const KubeContext& context, const CancelToken& cancel, std::string source,
    std::function<void(const std::string&)> notice)
    : m_context(context)
    , m_cancel(cancel)
    , m_source(std::move(source))
    , m_notice(std::move(notice))
{
    m_client = std::make_unique<HttpClient>(kubeEndpoint(m_context, false, m_notice), &m_cancel);
}

HttpResponse KubeSession::get(const std::string& path)
{
    for (int attempt = 0;; ++attempt) {
        if (m_cancel.load())
            throw Cancelled();
        HttpResponse r;
        try {
            r = m_client->get(path);
        } catch (const HttpError& e) {
            throw ConnectorError(m_source, e.what(), e.hint());
        }
        if (r.status == 401 && !m_refreshed && (m_context.user.exec || !m_context.user.tokenFile.empty())) {
            // An expired exec credential or a rotated token file: fetch it again once.
            m_refreshed = true;
            m_client->setAuthorization(kubeEndpoint(m_context, true, m_notice).authorization);
            continue;
        }
        const bool transient
            = r.status == 429 || r.status == 500 || r.status == 502 || r.status == 503 || r.status == 504;
        if (transient && attempt < kMaxRetries) {
            int wait = 200 << attempt;
            if (auto ra = r.header("retry-after"))
                wait = std::clamp(std::atoi(ra->c_str()), 0, 5) * 1000;
            for (int slept = 0; slept < wait && !m_cancel.load(); slept += 50)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;
        }
        return r;
    }
}

void KubeSession::fail(const std::string& what, const HttpResponse& r) const
{
    std::string reason;
    const std::string msg = kubeStatusMessage(r, &reason);
    const std::string head = what + ": " + std::to_string(r.status) + (reason.empty() ? "" : " " + reason) + ": " + msg;
    if (r.status == 401)
        throw ConnectorError(m_source, "the API server refused the credentials (" + head + ")", authHint(m_context));
    if (r.status == 403)
        throw ConnectorError(m_source, head,
            "the identity of context " + m_context.name
                + " may not read this; ask for a read-only ClusterRole "
                  "(get, list on the listed resources) bound to it");
    if (r.status >= 500 || r.status == 429)
        throw ConnectorError(m_source, head + " (after " + std::to_string(kMaxRetries) + " retries)",
            "the API server is overloaded or failing; try again later and check its health");
    throw ConnectorError(m_source, head, "check that the server URL points at a Kubernetes API server");
}

} // namespace lg
