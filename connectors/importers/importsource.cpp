#include "connectors/common/sourcekind.h"
#include "connectors/importers/importers.h"

namespace lg {

SourceKind importSource()
{
    SourceKind k("import", "Reports of other tools",
        "Results of OpenSCAP, Lynis, kube-bench, docker-bench-security, Kubescape, Trivy or Grype.",
        { Layer::Host, Layer::Image, Layer::Runtime, Layer::Registry, Layer::Orchestrator });
    k.savable = false;
    k.fields = { reportPathsField("import",
        "Results of another tool, or a folder of them (repeatable): OpenSCAP XCCDF/ARF, Lynis report.dat, "
        "kube-bench, docker-bench-security or Kubescape JSON, Trivy or Grype JSON.") };
    k.create = [](const nlohmann::json& c, const SourceContext& ctx) -> std::unique_ptr<Connector> {
        // Next to one other source, the results join its target: the same resource is then one finding.
        std::string target = ctx.target;
        if (target.empty() && ctx.earlier && ctx.earlier->size() == 1)
            target = ctx.earlier->front()->target();
        return std::make_unique<ImportConnector>(c.value("paths", std::vector<std::string>()), target);
    };
    return k;
}

} // namespace lg
