#include "connectors/common/sourcekind.h"
#include "connectors/docker/dockerconnector.h"

namespace lg {

SourceKind dockerSource()
{
    SourceKind k("docker", "Docker engine",
        "A Docker engine's containers, images and daemon settings (CIS Docker sections 2, 4 and 5).",
        { Layer::Runtime, Layer::Image });
    k.fields = {
        { .key = "url",
            .flag = "docker",
            .valueName = "URL",
            .help = "Docker engine: unix:///path/docker.sock, tcp://host:2376, or \"auto\" (DOCKER_HOST, the docker "
                    "context, the default sockets).",
            .label = "Engine URL",
            .placeholder = "unix:///var/run/docker.sock or tcp://host:2376; empty: DOCKER_HOST, the docker context, "
                           "the socket",
            .selects = true,
            .url = true },
        caFileField("for tcp:// with TLS; DOCKER_CERT_PATH otherwise"),
    };
    k.configure = [](const SourceValues& values) {
        std::string url = firstValue(values, "url");
        if (url == "auto")
            url.clear();
        refuseCredentialsInUrl(url); // the engine API takes none in its URL
        const std::string ca = absolutePath(firstValue(values, "caFile"));
        if (!url.empty())
            (void)resolveDockerEndpoint(url, ca); // refuse what cannot work before it is saved
        return std::vector<nlohmann::json> { { { "url", url }, { "caFile", ca } } };
    };
    k.create = [](const nlohmann::json& c, const SourceContext& ctx) -> std::unique_ptr<Connector> {
        return std::make_unique<DockerConnector>(
            resolveDockerEndpoint(c.value("url", std::string()), c.value("caFile", std::string())), ctx.target);
    };
    return k;
}

} // namespace lg
