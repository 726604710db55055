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
        // Opt-in: exporting every image costs time and engine disk I/O on a real host.
        { .key = "imageFiles",
            .flag = "docker-image-files",
            .help = "Read each image's files for setuid and setgid (CIS 4.8): exports every image from the engine and "
                    "reads its layers as they stream (slow on a large image store). Without it that check is not "
                    "observed.",
            .label = "Read image files (setuid/setgid; exports each image)",
            .placeholder = "Exports every image from the engine to read its layers' file modes (CIS 4.8); this takes a "
                           "while on a large image store.",
            .input = FieldInput::Switch },
    };
    k.configure = [](const SourceValues& values) {
        std::string url = firstValue(values, "url");
        if (url == "auto")
            url.clear();
        refuseCredentialsInUrl(url); // the engine API takes none in its URL
        const std::string ca = absolutePath(firstValue(values, "caFile"));
        if (!url.empty())
            (void)resolveDockerEndpoint(url, ca); // refuse what cannot work before it is saved
        return std::vector<nlohmann::json> { { { "url", url }, { "caFile", ca },
            { "imageFiles", firstValue(values, "imageFiles") == "true" } } };
    };
    k.create = [](const nlohmann::json& c, const SourceContext& ctx) -> std::unique_ptr<Connector> {
        auto connector = std::make_unique<DockerConnector>(
            resolveDockerEndpoint(c.value("url", std::string()), c.value("caFile", std::string())), ctx.target);
        connector->setImageFiles({ .read = c.value("imageFiles", false) });
        return connector;
    };
    return k;
}

} // namespace lg
