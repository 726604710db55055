#include "report/exporters.h"

#include "core/jsonutil.h"
#include "core/version.h"

#include "core/masking.h"
#include "core/scoring.h"
#include "core/terminal.h"

#include <QDateTime>

#include <map>
#include <regex>
#include <string_view>

namespace lg {

namespace {

std::string isoTime(std::int64_t secs)
{
    return QDateTime::fromSecsSinceEpoch(secs, Qt::UTC).toString(Qt::ISODate).toStdString();
}

nlohmann::json scanJson(const ScanInfo& s)
{
    nlohmann::json layers = nlohmann::json::object();
    for (Layer l : kAllLayers) {
        auto it = std::find_if(s.layers.begin(), s.layers.end(), [&](const LayerScore& ls) { return ls.layer == l; });
        if (it == s.layers.end()) {
            layers[std::string(toString(l))] = { { "scanned", false }, { "score", nullptr } };
            continue;
        }
        nlohmann::json counts;
        for (Severity sev : kAllSeverities)
            counts[std::string(toString(sev))] = it->tally.openBySeverity[std::size_t(sev)];
        layers[std::string(toString(l))]
            = { { "scanned", true }, { "score", it->score ? nlohmann::json(*it->score) : nlohmann::json() },
                  { "evaluated", it->tally.evaluated }, { "open", counts } };
    }
    nlohmann::json sources = nlohmann::json::array();
    for (const auto& src : s.sources) {
        sources.push_back({ { "target", src.target }, { "kind", src.kind }, { "location", src.location },
            { "ok", src.ok }, { "error", maskText(src.error) } });
    }
    return { { "id", s.id }, { "started_at", isoTime(s.startedAt) }, { "finished_at", isoTime(s.finishedAt) },
        { "tool_version", s.toolVersion }, { "run_by", s.runBy }, { "resources", s.resources },
        { "overall_score", s.overallScore ? nlohmann::json(*s.overallScore) : nlohmann::json() }, { "layers", layers },
        { "sources", sources } };
}

std::string sarifLevel(Severity s)
{
    switch (s) {
    case Severity::Critical:
    case Severity::High:
        return "error";
    case Severity::Medium:
        return "warning";
    default:
        return "note";
    }
}

std::string securitySeverity(Severity s)
{
    switch (s) {
    case Severity::Critical:
        return "9.5";
    case Severity::High:
        return "8.0";
    case Severity::Medium:
        return "5.5";
    case Severity::Low:
        return "3.0";
    default:
        return "0.0";
    }
}

} // namespace

std::string csvField(const std::string& raw)
{
    // A cell a spreadsheet would run as a formula (=, +, -, @, or a tab or CR before one) is made text, as
    // OWASP advises: a leading apostrophe. Messages and names come from scanned objects, i.e. from anyone, and
    // control characters (terminal escapes) are written as \xNN: a CSV is printed as often as it is opened.
    std::string value = printable(raw);
    if (!value.empty() && std::string_view("=+-@\t\r").find(value.front()) != std::string_view::npos)
        value.insert(value.begin(), '\'');
    if (value.find_first_of(",\"\r\n") == std::string::npos)
        return value;
    std::string out = "\"";
    for (char c : value) {
        if (c == '"')
            out += "\"\"";
        else
            out += c;
    }
    return out + "\"";
}

std::string exportJson(const ReportInput& in)
{
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& f : in.findings) {
        auto j = toJson(f);
        j["message"] = maskText(f.message);
        findings.push_back(std::move(j));
    }
    nlohmann::json accepted = nlohmann::json::array();
    for (const auto& r : in.acceptedRisks) {
        accepted.push_back({ { "id", r.fid }, { "owner", r.owner }, { "reason", maskText(r.reason) },
            { "expires_at", r.expiresAt ? nlohmann::json(isoTime(*r.expiresAt)) : nlohmann::json() } });
    }
    nlohmann::json doc { { "$schema", kJsonReportSchema }, { "schema_version", 1 }, { "scan", scanJson(in.scan) },
        { "findings", findings }, { "accepted_risks", accepted } };
    return dumpJson(doc, 2) + "\n";
}

std::string exportCsv(const std::vector<Finding>& findings)
{
    std::string out = "id,rule,severity,layer,status,target,kind,namespace,name,container,title,message,evidence,"
                      "references\r\n";
    for (const auto& f : findings) {
        std::string evidence;
        for (const auto& e : f.evidence) {
            if (!evidence.empty())
                evidence += "; ";
            evidence += e.path + "=" + displayValue(e.value);
        }
        std::string refs;
        for (const auto& r : f.references)
            refs += (refs.empty() ? "" : " ") + r;
        for (const std::string& field : { f.id, f.rule, std::string(toString(f.severity)),
                 std::string(toString(f.layer)), std::string(toString(f.status)), f.subject.target, f.subject.kind,
                 f.subject.namespace_, f.subject.name, f.subject.container, f.title, maskText(f.message), evidence }) {
            out += csvField(field) + ",";
        }
        out += csvField(refs) + "\r\n";
    }
    return out;
}

namespace {

/** A SARIF reportingDescriptor for a rule, from its catalogue entry and its first finding. */
nlohmann::json sarifRule(const std::string& id, const Finding& f, const Rule* rule)
{
    std::string help;
    std::string markdown;
    int n = 1;
    for (const auto& step : f.remediation) {
        help += std::to_string(n) + ". " + step.text + "\n";
        markdown += std::to_string(n++) + ". " + step.text + "\n";
        if (!step.snippet.empty())
            markdown += "\n```\n" + step.snippet + "\n```\n";
    }
    nlohmann::json tags = nlohmann::json::array({ "security", std::string(toString(f.layer)) });
    for (const auto& fw : f.frameworks)
        tags.push_back(fw);
    return { { "id", id }, { "name", id }, { "shortDescription", { { "text", f.title } } },
        { "fullDescription", { { "text", rule && !rule->description.empty() ? rule->description : f.title } } },
        { "help",
            { { "text", help.empty() ? f.title : help }, { "markdown", markdown.empty() ? f.title : markdown } } },
        { "defaultConfiguration", { { "level", sarifLevel(rule ? rule->severity : f.severity) } } },
        { "properties",
            { { "tags", tags }, { "security-severity", securitySeverity(rule ? rule->severity : f.severity) },
                { "references", f.references } } } };
}

/** Where a finding is: the file and line it came from when there is one, always the resource. */
nlohmann::json sarifLocation(const Finding& f)
{
    static const std::regex kOrigin(R"(^(.*):([0-9]+)$)");
    std::string resource = f.subject.kind + "/" + (f.subject.namespace_.empty() ? "" : f.subject.namespace_ + "/")
        + f.subject.name + (f.subject.container.empty() ? "" : "[" + f.subject.container + "]");
    nlohmann::json location;
    std::smatch m;
    if (std::regex_match(f.origin, m, kOrigin) && !m[1].str().empty() && m[1].str()[0] != ':') {
        location["physicalLocation"] = { { "artifactLocation", { { "uri", m[1].str() } } },
            { "region", { { "startLine", std::stoi(m[2].str()) } } } };
    }
    location["logicalLocations"] = nlohmann::json::array(
        { { { "fullyQualifiedName", f.subject.target + "/" + resource }, { "kind", "resource" } } });
    return location;
}

nlohmann::json sarifResult(const Finding& f, int ruleIndex)
{
    nlohmann::json result { { "ruleId", f.rule }, { "ruleIndex", ruleIndex }, { "level", sarifLevel(f.severity) },
        { "kind", "fail" }, { "message", { { "text", maskText(f.message.empty() ? f.title : f.message) } } },
        { "locations", nlohmann::json::array({ sarifLocation(f) }) },
        { "partialFingerprints", { { "layerguardFindingId/v1", f.id } } },
        { "properties",
            { { "layer", toString(f.layer) }, { "severity", toString(f.severity) }, { "status", toString(f.status) },
                { "target", f.subject.target } } } };
    if (f.status == FindingStatus::Accepted) {
        nlohmann::json suppression { { "kind", "external" }, { "status", "accepted" } };
        if (f.acceptance)
            suppression["justification"] = maskText(f.acceptance->reason + " (owner " + f.acceptance->owner + ")");
        result["suppressions"] = nlohmann::json::array({ suppression });
    } else if (f.status == FindingStatus::Exempted) {
        // in the source (an annotation) or in a policy file beside it
        result["suppressions"]
            = nlohmann::json::array({ { { "kind", f.exemption.by.starts_with("annotation") ? "inSource" : "external" },
                { "status", "accepted" },
                { "justification", maskText(f.exemption.reason + " (" + f.exemption.by + ")") } } });
    }
    return result;
}

} // namespace

std::string exportSarif(const ReportInput& in)
{
    // One reportingDescriptor per rule that has a finding, in a stable order.
    std::map<std::string, const Finding*> firstByRule;
    for (const auto& f : in.findings)
        firstByRule.emplace(f.rule, &f);
    nlohmann::json rules = nlohmann::json::array();
    std::map<std::string, int> ruleIndex;
    for (const auto& [id, f] : firstByRule) {
        ruleIndex[id] = int(rules.size());
        rules.push_back(sarifRule(id, *f, in.catalog ? in.catalog->find(id) : nullptr));
    }
    nlohmann::json results = nlohmann::json::array();
    for (const auto& f : in.findings)
        results.push_back(sarifResult(f, ruleIndex[f.rule]));
    nlohmann::json doc { { "$schema", "https://json.schemastore.org/sarif-2.1.0.json" }, { "version", "2.1.0" },
        { "runs",
            nlohmann::json::array(
                { { { "tool",
                        { { "driver",
                            { { "name", "Layerguard" }, { "version", kVersion },
                                { "informationUri", "https://layerguard.io" }, { "rules", rules } } } } },
                    { "invocations",
                        nlohmann::json::array(
                            { { { "executionSuccessful", true }, { "startTimeUtc", isoTime(in.scan.startedAt) },
                                { "endTimeUtc", isoTime(in.scan.finishedAt) } } }) },
                    { "results", results } } }) } };
    return dumpJson(doc, 2) + "\n";
}

} // namespace lg
