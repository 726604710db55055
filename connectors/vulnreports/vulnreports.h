#pragma once

#include "connectors/common/connector.h"

namespace lg {

/**
 * Trivy (`trivy image --format json`, schema 2) and Grype (`grype -o json`) reports, from files or folders,
 * as VulnerabilityReport resources: the image digests a report is about, when it was made, and each
 * vulnerability (id, package, installed and fixed version, severity). Cross-resource checks match them to
 * the images other sources of the scan found (by digest), report their vulnerabilities on the image, and
 * report images without a report or with one older than the image. A file that is neither format is an
 * error naming the file; nothing of the source is kept then.
 */
class VulnReportsConnector final : public Connector {
public:
    explicit VulnReportsConnector(std::vector<std::string> paths, std::string target = "vulnerability-reports");
    [[nodiscard]] std::string kind() const override { return "vuln-reports"; }
    [[nodiscard]] std::string target() const override { return m_target; }
    [[nodiscard]] std::string location() const override;
    [[nodiscard]] std::vector<Layer> layers() const override { return { Layer::Image }; }
    void collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress) override;

    /** One report file as the resource's data; throws std::runtime_error for anything else. */
    [[nodiscard]] static nlohmann::json parseReport(const std::string& body, const std::string& file);
    /** The VulnerabilityReport resource of a parsed report. */
    [[nodiscard]] static Resource toResource(nlohmann::json report, const std::string& file, const std::string& target);

private:
    std::vector<std::string> m_paths;
    std::string m_target;
};

} // namespace lg
