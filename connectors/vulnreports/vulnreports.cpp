#include "connectors/vulnreports/vulnreports.h"

#include "connectors/common/inputfiles.h"
#include "core/jsonutil.h"

#include <QDateTime>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <set>

namespace lg {

namespace {

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

/** Trivy and Grype severities on Layerguard's scale (negligible and unknown count as low). */
std::string severity(const std::string& s)
{
    const std::string l = lower(s);
    if (l == "critical" || l == "high" || l == "medium" || l == "low")
        return l;
    return "low";
}

std::int64_t unixTime(const std::string& iso)
{
    const QDateTime t = QDateTime::fromString(QString::fromStdString(iso), Qt::ISODateWithMs);
    return t.isValid() ? t.toSecsSinceEpoch() : 0;
}

/** "repo@sha256:..." and "sha256:..." both, so that either side's form matches. */
void addDigest(std::set<std::string>& out, const std::string& d)
{
    if (d.empty())
        return;
    out.insert(d);
    if (auto at = d.rfind('@'); at != std::string::npos)
        out.insert(d.substr(at + 1));
}

} // namespace

VulnReportsConnector::VulnReportsConnector(std::vector<std::string> paths, std::string target)
    : m_paths(std::move(paths))
    , m_target(std::move(target))
{
}

std::string VulnReportsConnector::location() const
{
    std::string s;
    for (const auto& p : m_paths)
        s += (s.empty() ? "" : ", ") + p;
    return s;
}

nlohmann::json VulnReportsConnector::parseReport(const std::string& body, const std::string& file)
{
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded())
        throw std::runtime_error(file + " is not valid JSON (cut short?)");
    std::set<std::string> digests;
    nlohmann::json vulns = nlohmann::json::array();
    nlohmann::json out;
    if (j.is_object() && j.contains("SchemaVersion") && j.contains("ArtifactName")) {
        const auto& meta = member(j, "Metadata");
        addDigest(digests, text(meta, "ImageID"));
        for (const auto& d : member(meta, "RepoDigests"))
            addDigest(digests, scalarText(d));
        for (const auto& result : member(j, "Results"))
            for (const auto& v : member(result, "Vulnerabilities"))
                vulns.push_back({ { "id", text(v, "VulnerabilityID") }, { "pkg", text(v, "PkgName") },
                    { "installed", text(v, "InstalledVersion") }, { "fixed", text(v, "FixedVersion") },
                    { "severity", severity(text(v, "Severity")) }, { "title", text(v, "Title") } });
        out = { { "tool", "trivy" }, { "artifact", text(j, "ArtifactName") }, { "created", text(j, "CreatedAt") } };
    } else if (j.is_object() && j.contains("matches") && j.contains("source")) {
        const auto& target = member(member(j, "source"), "target");
        addDigest(digests, text(target, "imageID"));
        addDigest(digests, text(target, "manifestDigest"));
        for (const auto& d : member(target, "repoDigests"))
            addDigest(digests, scalarText(d));
        for (const auto& m : member(j, "matches")) {
            const auto& v = member(m, "vulnerability");
            const auto& fixVersions = member(member(v, "fix"), "versions");
            vulns.push_back({ { "id", text(v, "id") }, { "pkg", text(member(m, "artifact"), "name") },
                { "installed", text(member(m, "artifact"), "version") },
                { "fixed",
                    fixVersions.is_array() && !fixVersions.empty() ? scalarText(fixVersions[0]) : std::string() },
                { "severity", severity(text(v, "severity")) }, { "title", text(v, "description").substr(0, 200) } });
        }
        out = { { "tool", "grype" }, { "artifact", text(target, "userInput") },
            { "created", text(member(j, "descriptor"), "timestamp") } };
    } else {
        throw std::runtime_error(file
            + " is neither a Trivy (SchemaVersion, Results) nor a Grype (matches, source) "
              "JSON report");
    }
    if (digests.empty())
        throw std::runtime_error(file + " names no image digest: scan an image (not a filesystem) to match it");
    out["createdAt"] = unixTime(text(out, "created"));
    out["digests"] = digests;
    out["vulnerabilities"] = std::move(vulns);
    out["file"] = file;
    out["metadata"] = { { "name", text(out, "artifact") } };
    return out;
}

Resource VulnReportsConnector::toResource(nlohmann::json report, const std::string& file, const std::string& target)
{
    Resource r;
    r.layer = Layer::Image;
    r.target = target;
    r.kind = "VulnerabilityReport";
    r.name = text(report, "artifact", file);
    r.origin = file;
    r.data = std::move(report);
    return r;
}

void VulnReportsConnector::collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress)
{
    const auto files = listInputFiles(
        m_paths, m_target, "vulnerability report ", { QStringLiteral("*.json") }, "check --vuln-report");
    std::size_t vulns = 0;
    for (const auto& [file, inFolder] : files) {
        if (cancel.load())
            throw Cancelled();
        const std::string body = readInputFile(file, m_target, "check the file's permissions");
        Resource r;
        try {
            r = toResource(parseReport(body, file.toStdString()), file.toStdString(), m_target);
        } catch (const std::exception& e) {
            throw ConnectorError(
                m_target, e.what(), "give Trivy's or Grype's JSON output (trivy image -f json, grype -o json)");
        }
        vulns += member(r.data, "vulnerabilities").size();
        sink(r);
    }
    if (progress)
        progress("vulnerability reports: " + std::to_string(files.size()) + " files, " + std::to_string(vulns)
            + " vulnerabilities");
}

} // namespace lg
