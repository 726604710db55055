#pragma once

#include "connectors/common/connector.h"

namespace lg {

/** A report another tool wrote, recognised from its content (never from its file name). */
enum class ReportFormat { Unknown, Xccdf, Arf, Lynis, KubeBench, DockerBench, Kubescape, Trivy, Grype };
[[nodiscard]] const char* toString(ReportFormat f);
/** Recognises a report from its first bytes; Unknown when it is none of the supported formats. */
[[nodiscard]] ReportFormat detectReportFormat(const std::string& body);

/**
 * Imports the results of the tools teams already run, so that checks no API exposes land in the same
 * per-layer view, trend and report: OpenSCAP XCCDF results and ARF (host), Lynis report files (host),
 * kube-bench JSON (node → host, control plane → orchestrator), docker-bench-security JSON logs (per CIS
 * section: host, runtime, image), Kubescape JSON (orchestrator), and Trivy / Grype vulnerability reports
 * (image, matched by digest like --vuln-report).
 *
 * Each file becomes an ImportedReport resource (tool, host, when it was written: the scanner judges its
 * age) and one ExternalCheck per result (see external.h), with the tool's own ids and references. A file
 * that is empty, truncated, malformed or of another kind fails the whole source with an error naming the
 * file, so an import either lands completely or not at all.
 */
class ImportConnector final : public Connector {
public:
    /** `target` names the target of every result; empty: each file's host or cluster name. */
    explicit ImportConnector(std::vector<std::string> paths, std::string target = {});
    [[nodiscard]] std::string kind() const override { return "import"; }
    [[nodiscard]] std::string target() const override;
    [[nodiscard]] std::string location() const override;
    /** The layers the imported files covered (known once collect() ran). */
    [[nodiscard]] std::vector<Layer> layers() const override;
    void collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress) override;

    /**
     * Parses one file's content into resources (an ImportedReport first, then its results). `mtime` is
     * the file's modification time, used when the report does not say when it was written. Throws
     * std::runtime_error naming `file` and what is wrong.
     */
    [[nodiscard]] static std::vector<Resource> parse(
        const std::string& body, const std::string& file, const std::string& target, std::int64_t mtime);

private:
    std::vector<std::string> m_paths;
    std::string m_target;
    std::vector<Layer> m_layers;
};

} // namespace lg
