#include "connectors/common/sourcekind.h"
#include "connectors/vulnreports/vulnreports.h"

namespace lg {

SourceKind vulnReportsSource()
{
    SourceKind k("vuln-reports", "Vulnerability reports",
        "Trivy or Grype JSON reports, matched to the scan's images by digest.", { Layer::Image });
    k.savable = false;
    k.fields = { reportPathsField("vuln-report",
        "Trivy or Grype JSON report, or a folder of them, matched to the scan's images by digest "
        "(repeatable).") };
    k.create = [](const nlohmann::json& c, const SourceContext&) -> std::unique_ptr<Connector> {
        return std::make_unique<VulnReportsConnector>(c.value("paths", std::vector<std::string>()));
    };
    return k;
}

} // namespace lg
