// OpenSCAP XCCDF results and ARF.
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

Parsed parseXccdf(const std::string& body, const std::string& file)
{
    Parsed p;
    p.tool = "openscap";
    p.layer = Layer::Host;
    struct RuleText {
        std::string title;
        std::vector<std::string> references;
    };
    std::map<std::string, RuleText> rules;
    struct Result {
        std::string idref, severity, result;
        std::vector<std::string> idents;
    };
    std::vector<Result> results;
    std::string target, fqdn, chroot, start, end;
    bool sawTestResult = false;

    QXmlStreamReader xml(QByteArray::fromRawData(body.data(), qsizetype(body.size())));
    std::string currentRule;
    Result* currentResult = nullptr;
    bool inTestResult = false;
    while (!xml.atEnd()) {
        const auto token = xml.readNext();
        if (token == QXmlStreamReader::EndElement) {
            if (xml.namespaceUri() == kXccdf12 && xml.name() == QLatin1String("Rule"))
                currentRule.clear();
            else if (xml.namespaceUri() == kXccdf12 && xml.name() == QLatin1String("TestResult"))
                inTestResult = false;
            else if (xml.name() == QLatin1String("rule-result"))
                currentResult = nullptr;
            continue;
        }
        if (token != QXmlStreamReader::StartElement || xml.namespaceUri() != kXccdf12)
            continue;
        const auto name = xml.name();
        const auto attrs = xml.attributes();
        if (name == QLatin1String("Rule")) {
            currentRule = attrs.value(QLatin1String("id")).toString().toStdString();
            rules[currentRule];
        } else if (name == QLatin1String("TestResult")) {
            sawTestResult = inTestResult = true;
            start = attrs.value(QLatin1String("start-time")).toString().toStdString();
            end = attrs.value(QLatin1String("end-time")).toString().toStdString();
            p.toolVersion = attrs.value(QLatin1String("test-system")).toString().toStdString();
        } else if (inTestResult && name == QLatin1String("target")) {
            target = xml.readElementText().toStdString();
        } else if (inTestResult && name == QLatin1String("fact")) {
            const auto factName = attrs.value(QLatin1String("name"));
            const std::string value = xml.readElementText().toStdString();
            if (factName == QLatin1String("urn:xccdf:fact:asset:identifier:fqdn"))
                fqdn = value;
            else if (factName == QLatin1String("urn:xccdf:fact:identifier") && value.rfind("chroot://", 0) == 0)
                chroot = value;
        } else if (inTestResult && name == QLatin1String("rule-result")) {
            results.push_back({ attrs.value(QLatin1String("idref")).toString().toStdString(),
                attrs.value(QLatin1String("severity")).toString().toStdString(), {}, {} });
            currentResult = &results.back();
        } else if (currentResult && name == QLatin1String("result")) {
            currentResult->result = xml.readElementText().toStdString();
        } else if (currentResult && name == QLatin1String("ident")) {
            currentResult->idents.push_back(xml.readElementText().toStdString());
        } else if (!currentRule.empty() && name == QLatin1String("title")) {
            rules[currentRule].title = xml.readElementText(QXmlStreamReader::IncludeChildElements).toStdString();
        } else if (!currentRule.empty() && name == QLatin1String("reference")) {
            const std::string href = attrs.value(QLatin1String("href")).toString().toStdString();
            const std::string refText = xml.readElementText(QXmlStreamReader::IncludeChildElements).toStdString();
            if (refText.empty())
                continue;
            if (href.find("cisecurity.org/controls") != std::string::npos)
                rules[currentRule].references.push_back("CIS-CONTROLS-" + refText);
            else if (href.find("cisecurity.org") != std::string::npos)
                rules[currentRule].references.push_back("CIS-" + refText);
        } else if (!currentRule.empty() && name == QLatin1String("ident")) {
            rules[currentRule].references.push_back(xml.readElementText().toStdString());
        }
    }
    if (xml.hasError())
        fail(file,
            "the OpenSCAP report is not well-formed XML (truncated or damaged?) at line "
                + std::to_string(xml.lineNumber()) + ": " + xml.errorString().toStdString());
    if (!sawTestResult)
        fail(file, "holds no XCCDF TestResult: it is SCAP content, not results (run oscap xccdf eval --results)");
    p.host = !chroot.empty() ? chroot : !fqdn.empty() ? fqdn : target;
    p.generated = unixOf(end.empty() ? start : end);
    constexpr std::string_view kPrefix = "xccdf_org.ssgproject.content_rule_";
    for (const auto& r : results) {
        if (r.result == "notselected")
            continue; // not part of the evaluated profile
        Check k;
        k.layer = Layer::Host;
        k.control = r.idref;
        const std::string shortId = r.idref.rfind(kPrefix, 0) == 0 ? r.idref.substr(kPrefix.size()) : r.idref;
        k.rule = "OSCAP-" + shortId;
        const auto it = rules.find(r.idref);
        k.title = it != rules.end() && !it->second.title.empty() ? it->second.title : shortId;
        k.status = r.result == "pass" || r.result == "fixed" ? "pass"
            : r.result == "fail"                             ? "fail"
            : r.result == "notapplicable"                    ? "not_applicable"
            : r.result == "informational"                    ? "info"
                                                             : "manual"; // notchecked, error, unknown: never a pass
        k.severity = r.severity == "high" || r.severity == "medium" || r.severity == "low" ? r.severity
            : r.severity == "info"                                                         ? "low"
                                                                                           : "medium";
        k.message = "OpenSCAP " + shortId + ": " + k.title + " (" + r.result + ")";
        if (it != rules.end())
            k.references = it->second.references;
        for (const auto& ident : r.idents)
            if (std::find(k.references.begin(), k.references.end(), ident) == k.references.end())
                k.references.push_back(ident);
        k.references.insert(k.references.begin(), r.idref);
        k.remediation = "See the rule's description and fix in the SCAP Security Guide (oscap xccdf generate fix).";
        k.kind = "Host";
        k.name = p.host;
        k.evidenceOf("result", r.result);
        p.checks.push_back(std::move(k));
    }
    return p;
}

} // namespace lg::importing
