#include "connectors/common/sourcekind.h"
#include "connectors/vulnreports/vulnreports.h"

namespace lg {

SourceKind vulnReportsSource()
{
    SourceKind k;
    k.id = "vuln-reports";
    k.title = "Vulnerability reports";
    k.description = "Trivy or Grype JSON reports, matched to the scan's images by digest.";
    k.layers = { Layer::Image };
    k.savable = false;
    k.fields = { { .key = "paths",
        .flag = "vuln-report",
        .valueName = "PATH",
        .help = "Trivy or Grype JSON report, or a folder of them, matched to the scan's images by digest "
                "(repeatable).",
        .input = FieldInput::List,
        .selects = true } };
    k.create = [](const nlohmann::json& c, const SourceContext&) -> std::unique_ptr<Connector> {
        return std::make_unique<VulnReportsConnector>(c.value("paths", std::vector<std::string>()));
    };
    return k;
}

} // namespace lg
