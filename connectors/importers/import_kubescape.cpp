// Kubescape JSON.
#include "connectors/common/connector.h"
#include "connectors/importers/importparse.h"
#include "core/frameworks.h"
#include "core/jsonutil.h"

#include <QDateTime>
#include <QFileInfo>
#include <QXmlStreamReader>

#include <algorithm>
#include <map>
#include <set>

namespace lg::importing {

/** Kubescape's own mapping from a control's score factor to its severity. */
std::string kubescapeSeverity(double scoreFactor)
{
    if (scoreFactor >= 9)
        return "critical";
    if (scoreFactor >= 7)
        return "high";
    if (scoreFactor >= 4)
        return "medium";
    if (scoreFactor >= 1)
        return "low";
    return "info";
}

namespace {

/** What the summary says of a control: its name, severity and the frameworks that list it. */
struct ControlInfo {
    std::string name, severity;
    std::vector<std::string> frameworks;
};

std::map<std::string, ControlInfo> controlInfos(const nlohmann::json& summary)
{
    std::map<std::string, ControlInfo> controls;
    for (const auto& [id, c] : member(summary, "controls").items()) {
        ControlInfo info;
        info.name = text(c, "name");
        info.severity = text(c, "severity");
        if (info.severity.empty() || info.severity == "Unknown")
            info.severity
                = kubescapeSeverity(member(c, "scoreFactor").is_number() ? c["scoreFactor"].get<double>() : 0);
        info.severity = lower(info.severity);
        controls[id] = std::move(info);
    }
    for (const auto& fw : member(summary, "frameworks")) {
        // Kubescape's framework names ("NSA") as Layerguard's frameworks know them (resources/frameworks)
        for (const Framework* known : frameworksNamed(lower(text(fw, "name"))))
            for (const auto& [id, c] : member(fw, "controls").items())
                controls[id].frameworks.push_back(known->id);
    }
    return controls;
}

/** One control's verdict `c` on the resource `resourceId` (group/version/namespace/Kind/name or longer). */
Check kubescapeCheck(const nlohmann::json& c, const std::string& resourceId, const std::vector<std::string>& parts,
    std::map<std::string, ControlInfo>& controls, const std::string& file)
{
    Check k;
    k.layer = Layer::Orchestrator;
    k.control = text(c, "controlID");
    if (k.control.empty())
        fail(file, "a Kubescape result has no controlID");
    const ControlInfo& info = controls[k.control];
    k.rule = "KUBESCAPE-" + k.control;
    k.title = text(c, "name", info.name);
    const auto& st = member(c, "status");
    const std::string status = st.is_object() ? text(st, "status") : scalarText(st);
    const std::string sub = st.is_object() ? text(st, "subStatus") : std::string();
    k.status = status == "passed" && sub == "irrelevant" ? "not_applicable" // nothing to check
        : status == "passed"                             ? "pass"
        : status == "failed"                             ? "fail"
        : sub.find("review") != std::string::npos        ? "manual"
                                                         : "not_applicable"; // skipped: needs configuration
    const std::string sev = lower(text(c, "severity"));
    k.severity = sev.empty() || sev == "unknown" ? info.severity : sev;
    if (parts.size() == 5) {
        k.namespace_ = parts[2];
        k.kind = parts[3];
        k.name = parts[4];
    } else {
        k.kind = "KubescapeResource";
        k.name = resourceId;
    }
    k.message = "Kubescape " + k.control + " " + k.title + ": " + k.kind + " "
        + (k.namespace_.empty() ? "" : k.namespace_ + "/") + k.name;
    k.remediation
        = "Follow the control's remediation in the Kubescape hub: https://hub.armosec.io/docs/" + lower(k.control);
    k.references = { k.control };
    k.sameAs = k.references;
    k.frameworks = info.frameworks;
    for (const auto& rule : member(c, "rules"))
        for (const auto& path : member(rule, "paths")) {
            k.evidenceOf("failedPath", text(path, "failedPath"));
            k.evidenceOf("reviewPath", text(path, "reviewPath"));
            k.evidenceOf("deletePath", text(path, "deletePath"));
            const auto& fix = member(path, "fixPath");
            if (!text(fix, "path").empty())
                k.evidenceOf("fixPath", text(fix, "path") + " = " + text(fix, "value"));
        }
    return k;
}

} // namespace

Parsed parseKubescape(const nlohmann::json& j, const std::string& file)
{
    Parsed p;
    p.tool = "kubescape";
    p.layer = Layer::Orchestrator;
    p.generated = unixOf(text(j, "generationTime"));
    p.host = text(j, "clusterName");
    if (p.host.empty())
        p.host = text(member(member(member(j, "metadata"), "targetMetadata"), "clusterContextMetadata"), "contextName");
    std::map<std::string, ControlInfo> controls = controlInfos(member(j, "summaryDetails"));
    if (!member(j, "results").is_array())
        fail(file, "the Kubescape report has no results (was it written with --format json?)");
    for (const auto& r : member(j, "results")) {
        const std::string resourceId = text(r, "resourceID");
        // group/version/namespace/Kind/name; RBAC subjects have longer composite ids.
        const std::vector<std::string> parts = split(resourceId, '/');
        for (const auto& c : member(r, "controls"))
            p.checks.push_back(kubescapeCheck(c, resourceId, parts, controls, file));
    }
    return p;
}

} // namespace lg::importing
