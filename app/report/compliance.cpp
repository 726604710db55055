#include "report/compliance.h"

#include "core/masking.h"
#include "core/predicate.h"

#include <QDateTime>
#include <QString>

#include <algorithm>
#include <stdexcept>

namespace lg {

std::vector<Framework> parseFrameworks(const std::string& commaList)
{
    std::vector<Framework> out;
    const auto add = [&out](const Framework& fw) {
        if (std::none_of(out.begin(), out.end(), [&](const Framework& x) { return x.id == fw.id; }))
            out.push_back(fw);
    };
    std::size_t start = 0;
    while (start <= commaList.size()) {
        std::size_t end = commaList.find(',', start);
        if (end == std::string::npos)
            end = commaList.size();
        std::string name = commaList.substr(start, end - start);
        name.erase(0, name.find_first_not_of(' '));
        name.erase(name.find_last_not_of(' ') + 1);
        if (name == "all" || name.empty()) {
            if (!name.empty() || commaList.empty())
                for (const auto& fw : allFrameworks())
                    add(fw);
        } else if (const auto named = frameworksNamed(name); !named.empty()) {
            for (const Framework* fw : named)
                add(*fw);
        } else {
            std::string known;
            for (const auto& fw : allFrameworks())
                for (const auto& alias : fw.aliases)
                    if (known.find(alias + ",") == std::string::npos)
                        known += alias + ", ";
            for (const auto& fw : allFrameworks())
                known += fw.id + ", ";
            throw std::invalid_argument("unknown framework \"" + name + "\" (" + known + "all)");
        }
        start = end + 1;
    }
    return out;
}

const char* toString(ControlStatus s)
{
    switch (s) {
    case ControlStatus::Pass:
        return "pass";
    case ControlStatus::Fail:
        return "fail";
    case ControlStatus::NotApplicable:
        return "not applicable";
    case ControlStatus::NotObserved:
        return "not observed";
    }
    return "";
}

std::vector<ControlResult> controlResults(const Framework& fw, const RuleCatalog& catalog,
    const std::map<std::string, RuleOutcome>& outcomes, const std::vector<Finding>& findings)
{
    std::vector<ControlResult> out;
    for (const auto& rule : catalog.rules()) {
        // A built-in rule's controls are in the framework's file; a user's rule names its frameworks itself.
        std::vector<std::string> controls = fw.controlsOf(rule.id);
        if (controls.empty()
            && std::find(rule.frameworks.begin(), rule.frameworks.end(), fw.id) != rule.frameworks.end())
            controls.push_back(rule.id);
        if (controls.empty())
            continue;
        ControlResult c;
        c.rule = &rule;
        std::string ids;
        for (const auto& ref : rule.references) // in the rule's own order, as its findings list them
            if (std::find(controls.begin(), controls.end(), ref) != controls.end())
                ids += (ids.empty() ? "" : ", ") + ref;
        c.control = ids.empty() ? controls.front() : ids;
        auto it = outcomes.find(rule.id);
        if (it != outcomes.end()) {
            c.evaluated = it->second.evaluated;
            c.failed = it->second.failed;
            if (c.evaluated > 0)
                c.status = c.failed > 0 ? ControlStatus::Fail : ControlStatus::Pass;
            else if (it->second.notObserved > 0) // could not look somewhere: never "not applicable"
                c.status = ControlStatus::NotObserved;
            else if (it->second.notApplicable > 0)
                c.status = ControlStatus::NotApplicable;
        }
        for (const auto& f : findings)
            if (f.rule == rule.id)
                c.findings.push_back(&f);
        if (c.status == ControlStatus::Fail && !c.findings.empty()
            && std::all_of(c.findings.begin(), c.findings.end(),
                [](const Finding* f) { return f->status == FindingStatus::Accepted; }))
            c.status = ControlStatus::Pass; // every failure is an accepted risk (listed in its own section)
        out.push_back(std::move(c));
    }
    std::sort(out.begin(), out.end(), [](const ControlResult& a, const ControlResult& b) {
        const int v = compareVersions(a.control, b.control);
        if (v != 0)
            return v < 0;
        return a.control != b.control ? a.control < b.control : a.rule->id < b.rule->id; // never the load order
    });
    return out;
}

namespace {
std::string xml(const std::string& s)
{
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
                out += ' ';
            else
                out += c;
        }
    }
    return out;
}
} // namespace

std::string exportJUnit(const ScanInfo& scan, const std::vector<Framework>& frameworks, const RuleCatalog& catalog,
    const std::map<std::string, RuleOutcome>& outcomes, const std::vector<Finding>& findings)
{
    std::string body;
    int tests = 0, failures = 0, skipped = 0;
    for (const auto& fw : frameworks) {
        const auto controls = controlResults(fw, catalog, outcomes, findings);
        int f = 0, s = 0;
        std::string cases;
        for (const auto& c : controls) {
            cases += "    <testcase classname=\"" + xml(fw.id) + "\" name=\"" + xml(c.control + " " + c.rule->title)
                + "\">\n";
            if (c.status == ControlStatus::Fail) {
                ++f;
                std::string detail;
                for (const Finding* finding : c.findings)
                    if (finding->status == FindingStatus::Open)
                        detail += finding->subject.target + " " + finding->subject.kind + "/" + finding->subject.name
                            + (finding->subject.container.empty() ? "" : " [" + finding->subject.container + "]") + ": "
                            + maskText(finding->message) + "\n";
                cases += "      <failure message=\""
                    + xml(std::to_string(c.failed) + " of " + std::to_string(c.evaluated) + " failed") + "\" type=\""
                    + xml(c.rule->id) + "\">" + xml(detail) + "</failure>\n";
            } else if (c.status != ControlStatus::Pass) {
                ++s;
                cases += "      <skipped message=\"" + std::string(toString(c.status)) + "\"/>\n";
            }
            cases += "    </testcase>\n";
        }
        tests += int(controls.size());
        failures += f;
        skipped += s;
        body += "  <testsuite name=\"" + xml(fw.title) + "\" tests=\"" + std::to_string(controls.size())
            + "\" failures=\"" + std::to_string(f) + "\" errors=\"0\" skipped=\"" + std::to_string(s)
            + "\" timestamp=\""
            + QDateTime::fromSecsSinceEpoch(scan.finishedAt, Qt::UTC).toString(Qt::ISODate).toStdString() + "\">\n"
            + cases + "  </testsuite>\n";
    }
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"Layerguard scan " + std::to_string(scan.id)
        + "\" tests=\"" + std::to_string(tests) + "\" failures=\"" + std::to_string(failures)
        + "\" errors=\"0\" skipped=\"" + std::to_string(skipped) + "\">\n" + body + "</testsuites>\n";
}

} // namespace lg
