#include "connectors/importers/importers.h"

#include "connectors/common/inputfiles.h"
#include "connectors/importers/importparse.h"
#include "connectors/vulnreports/vulnreports.h"
#include "core/jsonutil.h"

#include <QDateTime>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QXmlStreamReader>

#include <algorithm>
#include <map>
#include <set>

namespace lg {

using namespace importing;

const char* toString(ReportFormat f)
{
    switch (f) {
    case ReportFormat::Xccdf:
        return "OpenSCAP XCCDF results";
    case ReportFormat::Arf:
        return "OpenSCAP ARF";
    case ReportFormat::Lynis:
        return "Lynis report";
    case ReportFormat::KubeBench:
        return "kube-bench JSON";
    case ReportFormat::DockerBench:
        return "docker-bench-security JSON log";
    case ReportFormat::Kubescape:
        return "Kubescape JSON";
    case ReportFormat::Trivy:
        return "Trivy JSON";
    case ReportFormat::Grype:
        return "Grype JSON";
    case ReportFormat::Unknown:
        break;
    }
    return "unknown";
}

ReportFormat detectReportFormat(const std::string& body)
{
    const auto first = body.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
    if (first == std::string::npos)
        return ReportFormat::Unknown;
    if (body.compare(first, 14, "# Lynis Report") == 0)
        return ReportFormat::Lynis;
    if (body[first] == '<') {
        // The root element decides; read only up to it.
        QXmlStreamReader xml(
            QByteArray::fromRawData(body.data(), qsizetype(std::min<std::size_t>(body.size(), 65536))));
        while (!xml.atEnd()) {
            if (xml.readNext() != QXmlStreamReader::StartElement)
                continue;
            if (xml.namespaceUri() == kArf && xml.name() == QLatin1String("asset-report-collection"))
                return ReportFormat::Arf;
            if (xml.namespaceUri() == kXccdf12
                && (xml.name() == QLatin1String("Benchmark") || xml.name() == QLatin1String("TestResult")))
                return ReportFormat::Xccdf;
            return ReportFormat::Unknown;
        }
        return ReportFormat::Unknown;
    }
    if (body[first] != '{' && body[first] != '[')
        return ReportFormat::Unknown;
    // Keys near the start decide; a truncated file still gets its format named in the error.
    const std::string head = body.substr(first, 4096);
    auto has = [&](const char* key) { return head.find(key) != std::string::npos; };
    if (has("\"dockerbenchsecurity\""))
        return ReportFormat::DockerBench;
    if (has("\"node_type\"") || (has("\"Controls\"") && has("\"tests\"")))
        return ReportFormat::KubeBench;
    if (has("\"summaryDetails\"") || (has("\"generationTime\"") && has("\"clusterAPIServerInfo\"")))
        return ReportFormat::Kubescape;
    if (has("\"SchemaVersion\"") && has("\"ArtifactName\""))
        return ReportFormat::Trivy;
    if (has("\"matches\"") && (has("\"vulnerability\"") || has("\"source\"") || has("\"descriptor\"")))
        return ReportFormat::Grype;
    return ReportFormat::Unknown;
}

ImportConnector::ImportConnector(std::vector<std::string> paths, std::string target)
    : m_paths(std::move(paths))
    , m_target(std::move(target))
{
}

std::string ImportConnector::target() const
{
    return m_target.empty() ? "imported reports" : m_target;
}

std::string ImportConnector::location() const
{
    std::string s;
    for (const auto& p : m_paths)
        s += (s.empty() ? "" : ", ") + p;
    return s;
}

std::vector<Layer> ImportConnector::layers() const
{
    return m_layers;
}

std::vector<Resource> ImportConnector::parse(
    const std::string& body, const std::string& file, const std::string& target, std::int64_t mtime)
{
    const ReportFormat format = detectReportFormat(body);
    if (body.find_first_not_of(" \t\r\n") == std::string::npos)
        fail(file, "the file is empty");
    std::vector<Resource> out;
    if (format == ReportFormat::Trivy || format == ReportFormat::Grype) {
        out.push_back(VulnReportsConnector::toResource(
            VulnReportsConnector::parseReport(body, file), file, target.empty() ? "vulnerability-reports" : target));
        return out;
    }
    Parsed p;
    switch (format) {
    case ReportFormat::Xccdf:
    case ReportFormat::Arf:
        p = parseXccdf(body, file);
        break;
    case ReportFormat::Lynis:
        p = parseLynis(body, file);
        break;
    case ReportFormat::KubeBench:
        p = parseKubeBench(parseJson(body, file, "kube-bench"), file);
        break;
    case ReportFormat::DockerBench:
        p = parseDockerBench(parseJson(body, file, "docker-bench"), file);
        break;
    case ReportFormat::Kubescape:
        p = parseKubescape(parseJson(body, file, "Kubescape"), file);
        break;
    default:
        fail(file,
            "not a report Layerguard can import (OpenSCAP XCCDF or ARF results, a Lynis report.dat, kube-bench, "
            "docker-bench-security or Kubescape JSON, Trivy or Grype JSON)");
    }
    if (p.generated <= 0 && mtime > 0) {
        p.generated = mtime;
        p.generatedFrom = "the file's modification time (the report does not say when it was written)";
    }
    // The target the report describes: a host report joins the host's own target (named as `scan --host` names
    // it), a cluster's report its cluster; only a report that names neither stands on its own (the tool's name).
    const std::string tgt = !target.empty() ? target
        : !p.host.empty()                   ? (p.layer == Layer::Host ? "host:" + p.host : p.host)
                                            : p.tool;
    const std::string fileName = QFileInfo(QString::fromStdString(file)).fileName().toStdString();
    std::map<std::string, int> byStatus;
    for (const auto& c : p.checks)
        ++byStatus[c.status];
    Resource report;
    report.layer = p.layer;
    report.target = tgt;
    report.kind = std::string(kImportedReportKind);
    report.name = fileName;
    report.origin = file;
    report.data = { { "tool", p.tool }, { "tool_version", p.toolVersion }, { "file", fileName }, { "path", file },
        { "format", toString(format) }, { "host", p.host }, { "generated_at", iso(p.generated) },
        { "generated_unix", p.generated }, { "generated_from", p.generatedFrom },
        { "layer", std::string(lg::toString(p.layer)) }, { "results", byStatus } };
    out.push_back(std::move(report));
    for (auto& c : p.checks) {
        Resource r;
        r.layer = c.layer;
        r.target = tgt;
        r.kind = std::string(kExternalCheckKind);
        r.name = c.rule;
        r.origin = file;
        if (c.name.empty())
            c.name = tgt;
        r.data = { { "tool", p.tool }, { "file", fileName }, { "control", c.control }, { "rule", c.rule },
            { "title", c.title }, { "status", c.status }, { "severity", c.severity }, { "message", c.message },
            { "remediation", c.remediation }, { "references", c.references }, { "frameworks", c.frameworks },
            { "same_as", c.sameAs },
            { "subject",
                { { "kind", c.kind }, { "namespace", c.namespace_ }, { "name", c.name },
                    { "container", c.container } } },
            { "evidence", std::move(c.evidence) } };
        out.push_back(std::move(r));
    }
    return out;
}

void ImportConnector::collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress)
{
    // Files named explicitly must be reports; inside a folder, files of no known format (logs, notes) are
    // skipped and said so.
    const auto files = listInputFiles(m_paths, target(), {}, {}, "check the path of the report to import");
    if (files.empty())
        throw ConnectorError(target(), "no report to import in " + location(), "give report files or folders");
    // Parse everything before handing anything on: one bad file and nothing of the import counts.
    std::vector<Resource> all;
    std::set<Layer> layers;
    for (const auto& [file, inFolder] : files) {
        if (cancel.load())
            throw Cancelled();
        const std::string body = readInputFile(
            file, target(), "check the file's permissions (Lynis writes its report readable by root only)");
        if (inFolder && detectReportFormat(body) == ReportFormat::Unknown) {
            if (progress)
                progress("import: skipped " + file.toStdString() + " (not a report of a supported tool)");
            continue;
        }
        std::vector<Resource> parsed;
        try {
            parsed = parse(body, file.toStdString(), m_target, QFileInfo(file).lastModified().toSecsSinceEpoch());
        } catch (const nlohmann::json::exception& e) { // a field of the wrong type or size
            throw ConnectorError(target(),
                file.toStdString() + ": a value in the report has an unexpected type or size (" + withoutJsonTag(e)
                    + ")",
                "import the tool's own output unchanged");
        } catch (const std::exception& e) {
            throw ConnectorError(target(), e.what(),
                "import the tool's own output unchanged: oscap --results/--results-arf, lynis --report-file, "
                "kube-bench --json, docker-bench-security -l, kubescape --format json, trivy/grype JSON");
        }
        for (const auto& r : parsed) // a layer counts as scanned where a result was judged
            if (r.kind == "VulnerabilityReport"
                || (r.kind == kExternalCheckKind
                    && (text(r.data, "status") == "pass" || text(r.data, "status") == "fail")))
                layers.insert(r.layer);
        if (progress)
            progress("import " + file.toStdString() + ": "
                + (parsed.empty() ? std::string("nothing") : text(parsed.front().data, "format", "report")) + ", "
                + std::to_string(parsed.size() > 0 ? parsed.size() - 1 : 0) + " results");
        std::move(parsed.begin(), parsed.end(), std::back_inserter(all));
    }
    if (all.empty())
        throw ConnectorError(target(), "no report of a supported tool in " + location(),
            "import OpenSCAP, Lynis, kube-bench, docker-bench-security, Kubescape, Trivy or Grype output");
    m_layers.assign(layers.begin(), layers.end());
    for (const auto& r : all)
        sink(r);
}

} // namespace lg
