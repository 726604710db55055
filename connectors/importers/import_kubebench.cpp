// kube-bench JSON.
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

bool isKubeBenchControls(const nlohmann::json& c)
{
    return c.is_object() && c.contains("node_type") && c.contains("tests");
}

Parsed parseKubeBench(const nlohmann::json& j, const std::string& file)
{
    const std::string fileName = QFileInfo(QString::fromStdString(file)).fileName().toStdString();
    Parsed p;
    p.tool = "kube-bench";
    std::vector<const nlohmann::json*> controls;
    const nlohmann::json& list = j.is_array() ? j : member(j, "Controls");
    for (const auto& c : list)
        if (isKubeBenchControls(c))
            controls.push_back(&c);
    if (controls.empty())
        fail(file, "the kube-bench report has no Controls");
    bool controlPlane = false;
    for (const auto* c : controls) {
        const std::string nodeType = text(*c, "node_type");
        const Layer layer = nodeType == "node" ? Layer::Host : Layer::Orchestrator;
        controlPlane = controlPlane || layer == Layer::Orchestrator;
        if (p.toolVersion.empty())
            p.toolVersion = text(*c, "version");
        for (const auto& group : member(*c, "tests")) {
            for (const auto& r : member(group, "results")) {
                Check k;
                k.layer = layer;
                k.control = text(r, "test_number");
                if (k.control.empty())
                    fail(file, "a kube-bench result has no test_number");
                k.rule = "KUBE-BENCH-" + k.control;
                k.title = text(r, "test_desc");
                const std::string status = text(r, "status");
                k.status = status == "PASS" ? "pass"
                    : status == "FAIL"      ? "fail"
                    : status == "INFO"      ? "info"
                                            : "manual"; // WARN: a manual check, or one that could not run
                // kube-bench has no severities: a failed scored check is high, an unscored one medium.
                k.severity = member(r, "scored").is_boolean() && !member(r, "scored").get<bool>() ? "medium" : "high";
                k.message = "kube-bench " + k.control + " (" + nodeType + "): " + k.title;
                if (const std::string reason = text(r, "reason"); !reason.empty())
                    k.message += " — " + reason;
                k.remediation = text(r, "remediation");
                k.references = { "CIS-K8S-" + k.control };
                k.sameAs = k.references;
                k.frameworks = frameworksOfReference(k.references.front());
                k.kind = "Node";
                k.name = nodeType; // the JSON names no node: the file (and --target) tell nodes apart
                k.container = fileName;
                k.evidenceOf("audit", text(r, "audit").empty() ? text(r, "AuditConfig") : text(r, "audit"));
                k.evidenceOf("actual_value", text(r, "actual_value"));
                k.evidenceOf("expected_result", text(r, "expected_result"));
                p.checks.push_back(std::move(k));
            }
        }
    }
    p.layer = controlPlane ? Layer::Orchestrator : Layer::Host;
    return p;
}

} // namespace lg::importing
