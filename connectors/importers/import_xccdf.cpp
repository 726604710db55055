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

namespace {

struct RuleText {
    std::string title;
    std::vector<std::string> references;
};

struct RuleResult {
    std::string idref, severity, result;
    std::vector<std::string> idents;
};

/** What an XCCDF results document says: its rules' texts, its TestResult's results, the target and the times. */
struct XccdfReport {
    std::map<std::string, RuleText> rules;
    std::vector<RuleResult> results;
    std::string target, fqdn, chroot, start, end;
    std::string testSystem;
    bool sawTestResult = false;
};

/** Reads the document element by element (XCCDF 1.2, bare or inside ARF) into an XccdfReport. */
class XccdfWalker {
public:
    explicit XccdfWalker(XccdfReport& report)
        : m_report(report)
    {
    }
    void end(const QXmlStreamReader& xml);
    void start(QXmlStreamReader& xml);

private:
    XccdfReport& m_report;
    std::string m_currentRule;
    RuleResult* m_currentResult = nullptr;
    bool m_inTestResult = false;
};

void XccdfWalker::end(const QXmlStreamReader& xml)
{
    if (xml.namespaceUri() == kXccdf12 && xml.name() == QLatin1String("Rule"))
        m_currentRule.clear();
    else if (xml.namespaceUri() == kXccdf12 && xml.name() == QLatin1String("TestResult"))
        m_inTestResult = false;
    else if (xml.name() == QLatin1String("rule-result"))
        m_currentResult = nullptr;
}

/** An XCCDF 1.2 start element. */
void XccdfWalker::start(QXmlStreamReader& xml)
{
    auto& rules = m_report.rules;
    const auto name = xml.name();
    const auto attrs = xml.attributes();
    if (name == QLatin1String("Rule")) {
        m_currentRule = attrs.value(QLatin1String("id")).toString().toStdString();
        rules[m_currentRule];
    } else if (name == QLatin1String("TestResult")) {
        m_report.sawTestResult = m_inTestResult = true;
        m_report.start = attrs.value(QLatin1String("start-time")).toString().toStdString();
        m_report.end = attrs.value(QLatin1String("end-time")).toString().toStdString();
        m_report.testSystem = attrs.value(QLatin1String("test-system")).toString().toStdString();
    } else if (m_inTestResult && name == QLatin1String("target")) {
        m_report.target = xml.readElementText().toStdString();
    } else if (m_inTestResult && name == QLatin1String("fact")) {
        const auto factName = attrs.value(QLatin1String("name"));
        const std::string value = xml.readElementText().toStdString();
        if (factName == QLatin1String("urn:xccdf:fact:asset:identifier:fqdn"))
            m_report.fqdn = value;
        else if (factName == QLatin1String("urn:xccdf:fact:identifier") && value.rfind("chroot://", 0) == 0)
            m_report.chroot = value;
    } else if (m_inTestResult && name == QLatin1String("rule-result")) {
        m_report.results.push_back({ attrs.value(QLatin1String("idref")).toString().toStdString(),
            attrs.value(QLatin1String("severity")).toString().toStdString(), {}, {} });
        m_currentResult = &m_report.results.back();
    } else if (m_currentResult && name == QLatin1String("result")) {
        m_currentResult->result = xml.readElementText().toStdString();
    } else if (m_currentResult && name == QLatin1String("ident")) {
        m_currentResult->idents.push_back(xml.readElementText().toStdString());
    } else if (!m_currentRule.empty() && name == QLatin1String("title")) {
        rules[m_currentRule].title = xml.readElementText(QXmlStreamReader::IncludeChildElements).toStdString();
    } else if (!m_currentRule.empty() && name == QLatin1String("reference")) {
        const std::string href = attrs.value(QLatin1String("href")).toString().toStdString();
        const std::string refText = xml.readElementText(QXmlStreamReader::IncludeChildElements).toStdString();
        if (refText.empty())
            return;
        if (href.find("cisecurity.org/controls") != std::string::npos)
            rules[m_currentRule].references.push_back("CIS-CONTROLS-" + refText);
        else if (href.find("cisecurity.org") != std::string::npos)
            rules[m_currentRule].references.push_back("CIS-" + refText);
    } else if (!m_currentRule.empty() && name == QLatin1String("ident")) {
        rules[m_currentRule].references.push_back(xml.readElementText().toStdString());
    }
}

/** One rule's result as a check; `host` is what the report is about. */
Check checkOf(const RuleResult& r, const std::map<std::string, RuleText>& rules, const std::string& host)
{
    constexpr std::string_view kPrefix = "xccdf_org.ssgproject.content_rule_";
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
    k.name = host;
    k.evidenceOf("result", r.result);
    return k;
}

} // namespace

Parsed parseXccdf(const std::string& body, const std::string& file)
{
    Parsed p;
    p.tool = "openscap";
    p.layer = Layer::Host;
    XccdfReport report;
    XccdfWalker walker(report);
    QXmlStreamReader xml(QByteArray::fromRawData(body.data(), qsizetype(body.size())));
    while (!xml.atEnd()) {
        const auto token = xml.readNext();
        if (token == QXmlStreamReader::EndElement)
            walker.end(xml);
        else if (token == QXmlStreamReader::StartElement && xml.namespaceUri() == kXccdf12)
            walker.start(xml);
    }
    if (xml.hasError())
        fail(file,
            "the OpenSCAP report is not well-formed XML (truncated or damaged?) at line "
                + std::to_string(xml.lineNumber()) + ": " + xml.errorString().toStdString());
    if (!report.sawTestResult)
        fail(file, "holds no XCCDF TestResult: it is SCAP content, not results (run oscap xccdf eval --results)");
    p.toolVersion = report.testSystem;
    p.host = !report.chroot.empty() ? report.chroot : !report.fqdn.empty() ? report.fqdn : report.target;
    p.generated = unixOf(report.end.empty() ? report.start : report.end);
    for (const auto& r : report.results)
        if (r.result != "notselected") // not part of the evaluated profile
            p.checks.push_back(checkOf(r, report.rules, p.host));
    return p;
}

} // namespace lg::importing
