#include "savedtarget.h"

#include "dockerconnector.h"
#include "hostconnector.h"
#include "kubeconfig.h"
#include "kubeconnector.h"
#include "manifestsconnector.h"
#include "promconnector.h"
#include "registryconnector.h"

#include <QFile>

#include <QString>
#include <nlohmann/json.hpp>

namespace lg {

PrometheusEndpoint prometheusEndpoint(const std::string& url, const std::string& caFile, const std::string& user,
    const std::string& tokenFile, const std::string& cert, const std::string& key)
{
    PrometheusEndpoint ep;
    ep.url = url;
    ep.caFile = caFile;
    ep.clientCert = cert;
    ep.clientKey = key;
    ep.username = user;
    if (!user.empty())
        ep.password = qEnvironmentVariable("LAYERGUARD_PROM_PASSWORD").toStdString();
    if (!tokenFile.empty()) {
        QFile f(QString::fromStdString(tokenFile));
        if (!f.open(QIODevice::ReadOnly))
            throw ConnectorError("prometheus", "cannot read the token file " + tokenFile,
                "check the token file (--prom-token-file, or the saved connection's) and its permissions");
        ep.bearerToken = f.read(64 * 1024).trimmed().toStdString();
    }
    return ep;
}

std::unique_ptr<Connector> kubernetesConnector(
    KubeContext context, const std::string& target, int pageSize, const std::function<void(const std::string&)>& notice)
{
    auto k = std::make_unique<KubernetesConnector>(std::move(context), target, pageSize);
    if (notice) {
        if (k->context().cluster.insecureSkipTlsVerify)
            notice("warning: context " + k->context().name
                + " turns TLS verification off (insecure-skip-tls-verify); the scan reports it as a finding");
        k->setNotice(notice);
    }
    return k;
}

std::string TargetSecret::toJson() const
{
    nlohmann::json j = nlohmann::json::object();
    if (!password.empty())
        j["password"] = password;
    if (!token.empty())
        j["token"] = token;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TargetSecret TargetSecret::fromJson(const std::string& json)
{
    TargetSecret s;
    const auto j = nlohmann::json::parse(json, nullptr, false);
    if (j.is_object()) {
        s.password = j.value("password", std::string());
        s.token = j.value("token", std::string());
    }
    return s;
}

void applyPreviousDigests(const Store& store, const std::vector<std::unique_ptr<Connector>>& sources)
{
    for (const auto& src : sources) {
        auto* reg = dynamic_cast<RegistryConnector*>(src.get());
        if (!reg)
            continue;
        std::map<std::string, std::string> digests; // RegistryImage origins end in "@<digest>"
        for (const auto& [name, origin] : store.lastOrigins(reg->target(), "RegistryImage"))
            if (auto at = origin.rfind('@'); at != std::string::npos)
                digests[name] = origin.substr(at + 1);
        reg->setPreviousDigests(std::move(digests));
    }
}

std::string secretKindOf(const SavedTarget& target)
{
    if (target.kind == "registry"
        || (target.kind == "prometheus" && !target.config.value("user", std::string()).empty()))
        return "password";
    if (target.kind == "prometheus")
        return "token";
    return {};
}

std::unique_ptr<Connector> connectorForTarget(
    const SavedTarget& target, const TargetSecret& secret, const TargetOptions& options)
{
    const auto& c = target.config;
    const auto str = [&c](const char* key) { return c.value(key, std::string()); };
    if (target.kind == "docker")
        return std::make_unique<DockerConnector>(resolveDockerEndpoint(str("url"), str("caFile")), target.name);
    if (target.kind == "manifests")
        return std::make_unique<ManifestsConnector>(str("path"), target.name);
    if (target.kind == "host")
        return std::make_unique<HostConnector>(c.value("root", std::string("/")), target.name);
    if (target.kind == "registry") {
        RegistryOptions o;
        o.url = str("url");
        o.caFile = str("caFile");
        o.insecureSkipVerify = c.value("insecure", false);
        o.repositories = c.value("repositories", std::vector<std::string>());
        if (!str("user").empty() && !secret.password.empty())
            o.credential = RegistryCredential { str("user"), secret.password, "OS keyring" };
        // else: the docker config, a credential helper or podman's auth.json, as docker itself would
        return std::make_unique<RegistryConnector>(std::move(o), target.name);
    }
    if (target.kind == "prometheus") {
        PrometheusEndpoint ep = prometheusEndpoint(str("url"), str("caFile"), str("user"),
            secret.token.empty() ? str("tokenFile") : "", str("cert"), str("key"));
        if (!ep.username.empty() && !secret.password.empty())
            ep.password = secret.password;
        if (!secret.token.empty())
            ep.bearerToken = secret.token;
        return std::make_unique<PrometheusConnector>(
            std::move(ep), target.name, c.value("window", std::string("1h")), loadPromChecks());
    }
    if (target.kind == "kubernetes")
        return kubernetesConnector(
            Kubeconfig::load(str("kubeconfig")).resolve(str("context")), target.name, options.pageSize, options.notice);
    throw ConnectorError("target", "saved target " + target.name + " has an unknown kind \"" + target.kind + "\"",
        "remove it and add it again");
}

} // namespace lg
