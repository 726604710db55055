#include "connectors/importers/importers.h"

#include "core/frameworks.h"

#include "connectors/common/inputfiles.h"
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

namespace {

constexpr std::size_t kMaxEvidence = 800; ///< characters of a tool's raw output kept as evidence

const QString kXccdf12 = QStringLiteral("http://checklists.nist.gov/xccdf/1.2");
const QString kArf = QStringLiteral("http://scap.nist.gov/schema/asset-reporting-format/1.1");

std::string clip(std::string s)
{
    if (s.size() > kMaxEvidence) {
        std::size_t cut = kMaxEvidence;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
            --cut; // never inside a UTF-8 sequence
        s.resize(cut);
        s += " …";
    }
    return s;
}

/** Text of a file that is not JSON or XML (Lynis): invalid UTF-8 becomes U+FFFD, never reaches the cache. */
std::string utf8(const std::string& bytes)
{
    return QString::fromUtf8(bytes.data(), qsizetype(bytes.size())).toStdString();
}

std::string iso(std::int64_t unix)
{
    return unix > 0 ? QDateTime::fromSecsSinceEpoch(unix, Qt::UTC).toString(Qt::ISODate).toStdString() : std::string();
}

std::int64_t unixOf(const std::string& text, Qt::TimeSpec spec = Qt::UTC)
{
    QDateTime t = QDateTime::fromString(QString::fromStdString(text), Qt::ISODateWithMs);
    if (!t.isValid()) // Lynis: "2026-11-29 18:44:37", local time without a zone
        t = QDateTime::fromString(QString::fromStdString(text), QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    if (!t.isValid())
        return 0;
    if (t.timeSpec() == Qt::LocalTime && spec == Qt::UTC && !QString::fromStdString(text).contains(QLatin1Char(' ')))
        t.setTimeSpec(Qt::UTC); // ISO text without offset: UTC by convention
    const std::int64_t secs = t.toSecsSinceEpoch();
    return secs > 0 ? secs : 0; // Kubescape 3.0.1 writes the zero time
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
    return s;
}

/** The parts of `text` between `sep`s, empty ones included ("a||b|" gives a, "", b, ""). */
std::vector<std::string> split(const std::string& text, char sep)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i)
        if (i == text.size() || text[i] == sep) {
            parts.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    return parts;
}

/** Everything one result needs; turned into an ExternalCheck resource. */
struct Check {
    Layer layer = Layer::Host;
    std::string control; ///< the tool's id
    std::string rule; ///< Layerguard's id for it
    std::string title;
    std::string status; ///< pass | fail | not_applicable | manual | info
    std::string severity = "medium";
    std::string message;
    std::string remediation;
    std::vector<std::string> references;
    std::vector<std::string> frameworks;
    std::vector<std::string> sameAs;
    std::string kind, namespace_, name, container;
    nlohmann::json evidence = nlohmann::json::array();

    void evidenceOf(const std::string& path, const std::string& value)
    {
        if (!value.empty())
            evidence.push_back({ { "path", path }, { "value", clip(value) } });
    }
};

/** What one file gave: who wrote it, about what, when, and its results. */
struct Parsed {
    std::string tool;
    std::string toolVersion;
    std::string host; ///< host or cluster the report is about, when it says
    std::int64_t generated = 0;
    std::string generatedFrom = "the report";
    Layer layer = Layer::Host;
    std::vector<Check> checks;
};

/** nlohmann's message without its "[json.exception.type_error.302] " tag, which means nothing to a user. */
std::string withoutJsonTag(const nlohmann::json::exception& e)
{
    std::string what = e.what();
    if (what.starts_with("[json.exception.")) {
        if (const auto end = what.find("] "); end != std::string::npos)
            what.erase(0, end + 2);
    }
    return what;
}

[[noreturn]] void fail(const std::string& file, const std::string& what)
{
    throw std::runtime_error(file + ": " + what);
}

nlohmann::json parseJson(const std::string& body, const std::string& file, const char* format)
{
    try {
        return nlohmann::json::parse(body);
    } catch (const nlohmann::json::parse_error& e) { // its byte offset says where the file breaks
        fail(file,
            std::string("the ") + format + " report is not valid JSON (truncated or damaged?) at byte "
                + std::to_string(e.byte));
    } catch (const nlohmann::json::exception& e) { // a number beyond what JSON readers accept, like 1e999
        fail(file, std::string("the ") + format + " report holds a value no JSON reader accepts: " + withoutJsonTag(e));
    }
}

// ---- kube-bench ---------------------------------------------------------------------------------

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

// ---- docker-bench-security ----------------------------------------------------------------------

Layer dockerBenchLayer(const std::string& section)
{
    switch (section.empty() ? '0' : section[0]) {
    case '1':
    case '3':
        return Layer::Host; // host configuration, daemon configuration files
    case '4':
        return Layer::Image; // images and build files
    case '7':
        return Layer::Orchestrator; // swarm
    default:
        return Layer::Runtime; // daemon, container runtime, security operations
    }
}

Parsed parseDockerBench(const nlohmann::json& j, const std::string& file)
{
    Parsed p;
    p.tool = "docker-bench-security";
    p.toolVersion = text(j, "dockerbenchsecurity");
    const auto& end = member(j, "end").is_number() ? member(j, "end") : member(j, "start");
    p.generated = end.is_number() ? end.get<std::int64_t>() : 0;
    p.layer = Layer::Runtime;
    if (!member(j, "tests").is_array())
        fail(file, "the docker-bench log has no tests");
    for (const auto& section : member(j, "tests")) {
        for (const auto& r : member(section, "results")) {
            Check base;
            base.control = text(r, "id");
            if (base.control.empty())
                fail(file, "a docker-bench result has no id");
            base.layer = dockerBenchLayer(base.control);
            base.rule = "DOCKER-BENCH-" + base.control;
            base.title = text(r, "desc");
            const std::string result = text(r, "result");
            base.status = result == "PASS" ? "pass" : result == "WARN" ? "fail" : result == "NOTE" ? "manual" : "info";
            base.severity = "medium";
            base.message = "docker-bench " + base.control + ": " + base.title;
            base.remediation = text(r, "remediation");
            base.references = { "CIS-DOCKER-" + base.control };
            base.sameAs = base.references;
            base.frameworks = frameworksOfReference(base.references.front());
            base.kind = "DockerHost";
            base.name = "docker";
            base.evidenceOf("details", text(r, "details"));
            base.evidenceOf("remediation-impact", text(r, "remediation-impact"));
            const auto& items = member(r, "items");
            std::vector<std::string> named;
            if (base.status == "fail" && items.is_array())
                for (const auto& item : items)
                    if (const std::string name = scalarText(item); !name.empty() && name != "(truncated)")
                        named.push_back(name);
            if (named.empty()) {
                p.checks.push_back(std::move(base));
                continue;
            }
            // One finding per container or image the check names.
            const bool containers = base.control.rfind("4.", 0) == 0 || base.control.rfind("5.", 0) == 0;
            for (std::string name : named) {
                Check k = base;
                k.message = base.message + " (" + name + ")";
                if (containers && name.size() > 2 && name.front() == '[' && name.back() == ']') {
                    k.kind = "DockerImage"; // 4.x lists images as [image:tag]
                    name = name.substr(1, name.size() - 2);
                } else if (containers) {
                    k.kind = "DockerContainer";
                    if (auto colon = name.find(":/"); colon != std::string::npos) { // 5.6: "name:/path"
                        k.container = name.substr(colon + 1);
                        name.resize(colon);
                    }
                    if (!name.empty() && name[0] == '/')
                        name.erase(0, 1);
                } else {
                    k.container = name; // a user, a file: one finding each on the host
                    name = base.name;
                }
                k.name = name;
                p.checks.push_back(std::move(k));
            }
        }
    }
    return p;
}

// ---- Kubescape ----------------------------------------------------------------------------------

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

Parsed parseKubescape(const nlohmann::json& j, const std::string& file)
{
    Parsed p;
    p.tool = "kubescape";
    p.layer = Layer::Orchestrator;
    p.generated = unixOf(text(j, "generationTime"));
    p.host = text(j, "clusterName");
    if (p.host.empty())
        p.host = text(member(member(member(j, "metadata"), "targetMetadata"), "clusterContextMetadata"), "contextName");
    const auto& summary = member(j, "summaryDetails");
    struct ControlInfo {
        std::string name, severity;
        std::vector<std::string> frameworks;
    };
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
    if (!member(j, "results").is_array())
        fail(file, "the Kubescape report has no results (was it written with --format json?)");
    for (const auto& r : member(j, "results")) {
        const std::string resourceId = text(r, "resourceID");
        // group/version/namespace/Kind/name; RBAC subjects have longer composite ids.
        const std::vector<std::string> parts = split(resourceId, '/');
        for (const auto& c : member(r, "controls")) {
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
            k.remediation = "Follow the control's remediation in the Kubescape hub: https://hub.armosec.io/docs/"
                + lower(k.control);
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
            p.checks.push_back(std::move(k));
        }
    }
    return p;
}

// ---- Lynis --------------------------------------------------------------------------------------

/** A test id as tools write them (AUTH-9230, PLGN-1000, 1.2.3): letters, digits, dots, dashes, underscores. */
bool isToolId(const std::string& id)
{
    return !id.empty() && id.size() <= 64 && std::isalnum(static_cast<unsigned char>(id[0]))
        && std::all_of(id.begin(), id.end(),
            [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; });
}

Parsed parseLynis(const std::string& raw, const std::string& file)
{
    const std::string body = utf8(raw);
    Parsed p;
    p.tool = "lynis";
    p.layer = Layer::Host;
    std::map<std::string, std::string> single;
    std::vector<std::pair<std::string, std::string>> entries; // (warning|suggestion, value)
    std::vector<std::string> executed;
    std::size_t pos = 0;
    while (pos < body.size()) {
        std::size_t eol = body.find('\n', pos);
        if (eol == std::string::npos)
            eol = body.size();
        std::string line = body.substr(pos, eol - pos);
        pos = eol + 1;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty() || line[0] == '#')
            continue;
        const auto eq = line.find('=');
        if (eq == std::string::npos)
            continue;
        const std::string key = line.substr(0, eq);
        const std::string value = line.substr(eq + 1);
        if (key == "warning[]" || key == "suggestion[]")
            entries.emplace_back(key, value);
        else if (key == "tests_executed") {
            for (auto& id : split(value, '|'))
                if (!id.empty())
                    executed.push_back(std::move(id));
        } else
            single[key] = value;
    }
    if (single["finish"] != "true")
        fail(file, "the Lynis report is incomplete (no finish=true: Lynis stopped before the end)");
    // Lynis runs a few hundred tests. A report that claims tens of thousands is no Lynis report: refused before
    // a finding is made of each, so memory stays a small multiple of the file.
    constexpr std::size_t kMaxLynisTests = 10000;
    std::sort(executed.begin(), executed.end());
    executed.erase(std::unique(executed.begin(), executed.end()), executed.end());
    if (executed.size() > kMaxLynisTests || entries.size() > kMaxLynisTests)
        fail(file,
            "the Lynis report lists " + std::to_string(std::max(executed.size(), entries.size()))
                + " tests or findings; Lynis runs a few hundred (is the file damaged or made up?)");
    for (const auto& id : executed)
        if (!isToolId(id))
            fail(file, "tests_executed lists something that is not a Lynis test id — is the file damaged?");
    p.toolVersion = single["lynis_version"];
    p.host = single["hostname"];
    const std::string when
        = single["report_datetime_end"].empty() ? single["report_datetime_start"] : single["report_datetime_end"];
    p.generated = unixOf(when, Qt::LocalTime);
    std::set<std::string> reported;
    for (const auto& [key, value] : entries) {
        // TEST-ID|text|details|solution|
        const std::vector<std::string> f = split(value, '|');
        const std::string id = f.empty() ? std::string() : f[0];
        if (id.empty() || id == "LYNIS" || id == "NONE") // the tool's own age, not the host's
            continue;
        if (!isToolId(id)) // the id becomes a rule id and a link: nothing but a test id is taken
            fail(file, "a Lynis finding has no test id of Lynis's shape (like AUTH-9230) — is the file damaged?");
        reported.insert(id);
        auto field = [&](std::size_t i) { return i < f.size() && f[i] != "-" ? f[i] : std::string(); };
        Check k;
        k.layer = Layer::Host;
        k.control = id;
        k.rule = "LYNIS-" + id;
        // One rule id can carry several texts (a test's warnings and suggestions): the title is the test's,
        // the text is the finding's message, Lynis's own solution its evidence.
        k.title = "Lynis test " + id;
        k.status = "fail";
        // Lynis 3 has no severities: a warning needs attention, a suggestion is hardening advice.
        k.severity = key == "warning[]" ? "medium" : "low";
        k.message = std::string("Lynis ") + (key == "warning[]" ? "warning " : "suggestion ") + id + ": " + field(1);
        k.remediation = "Follow Lynis's advice for " + id
            + " (its solution, when it gives one, is in the evidence): https://cisofy.com/lynis/controls/" + id + "/";
        k.evidenceOf("solution", field(3));
        k.references = { "LYNIS-" + id, "https://cisofy.com/lynis/controls/" + id + "/" };
        k.kind = "Host";
        k.name = p.host;
        k.container = field(2).empty() ? field(1) : field(2); // one test may report several things
        k.evidenceOf("details", field(2));
        p.checks.push_back(std::move(k));
    }
    // Tests that ran and reported nothing passed: they count for the score like any other check.
    for (const auto& id : executed) {
        if (reported.count(id))
            continue;
        Check k;
        k.layer = Layer::Host;
        k.control = id;
        k.rule = "LYNIS-" + id;
        k.title = "Lynis test " + id;
        k.status = "pass";
        k.severity = "low";
        k.kind = "Host";
        k.name = p.host;
        p.checks.push_back(std::move(k));
    }
    return p;
}

// ---- OpenSCAP XCCDF results and ARF --------------------------------------------------------------

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

} // namespace

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
