#include "connectors/common/sourcekind.h"
#include "connectors/manifests/manifestsconnector.h"
#include "core/kubeshape.h"

#include <stdexcept>

namespace lg {

SourceKind manifestsSource()
{
    SourceKind k("manifests", "Manifests folder",
        "Kubernetes YAML on disk, judged as the cluster would admit it (Pod Security Standards).",
        { Layer::Orchestrator });
    k.fields = {
        { .key = "path",
            .flag = "manifests",
            .valueName = "PATH",
            .help = "Kubernetes YAML file or folder (repeatable).",
            .label = "Folder or file",
            .placeholder = "Kubernetes YAML, searched recursively",
            .input = FieldInput::Path,
            .selects = true },
        { .key = "k8sVersion",
            .flag = "k8s-version",
            .valueName = "1.N",
            .help = "Kubernetes version whose Pod Security Standards manifests are judged for (default: the newest "
                    "Layerguard knows).",
            .scanOnly = true },
    };
    // One config per path: each file or folder is a target of its own.
    k.configure = [](const SourceValues& values) {
        const std::string version = firstValue(values, "k8sVersion");
        if (!version.empty() && !kubernetesMinor(version))
            throw std::invalid_argument("--k8s-version takes a Kubernetes version such as 1.32");
        std::vector<nlohmann::json> out;
        if (auto it = values.find("path"); it != values.end())
            for (const auto& path : it->second)
                if (!path.empty())
                    out.push_back({ { "path", absolutePath(path) }, { "k8sVersion", version } });
        if (out.empty())
            throw std::invalid_argument("give the folder or file of manifests");
        return out;
    };
    k.create = [](const nlohmann::json& c, const SourceContext& ctx) -> std::unique_ptr<Connector> {
        return std::make_unique<ManifestsConnector>(
            c.value("path", std::string()), ctx.target, c.value("k8sVersion", std::string()));
    };
    return k;
}

} // namespace lg
