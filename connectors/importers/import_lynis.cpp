// Lynis report.dat.
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

/** A test id as tools write them (AUTH-9230, PLGN-1000, 1.2.3): letters, digits, dots, dashes, underscores. */
bool isToolId(const std::string& id)
{
    return !id.empty() && id.size() <= 64 && std::isalnum(static_cast<unsigned char>(id[0]))
        && std::all_of(id.begin(), id.end(),
            [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; });
}

namespace {

/** report.dat's lines: its single values, its warnings and suggestions, the tests it ran. */
struct LynisReport {
    std::map<std::string, std::string> single;
    std::vector<std::pair<std::string, std::string>> entries; ///< (warning[] | suggestion[], value)
    std::vector<std::string> executed;
};

LynisReport readLynisLines(const std::string& body)
{
    LynisReport report;
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
            report.entries.emplace_back(key, value);
        else if (key == "tests_executed") {
            for (auto& id : split(value, '|'))
                if (!id.empty())
                    report.executed.push_back(std::move(id));
        } else
            report.single[key] = value;
    }
    return report;
}

/** Refuses a report Lynis did not finish, or one no Lynis wrote; the tests executed end up sorted and unique. */
void checkLynisReport(LynisReport& report, const std::string& file)
{
    if (report.single["finish"] != "true")
        fail(file, "the Lynis report is incomplete (no finish=true: Lynis stopped before the end)");
    // Lynis runs a few hundred tests. A report that claims tens of thousands is no Lynis report: refused before
    // a finding is made of each, so memory stays a small multiple of the file.
    constexpr std::size_t kMaxLynisTests = 10000;
    auto& executed = report.executed;
    std::sort(executed.begin(), executed.end());
    executed.erase(std::unique(executed.begin(), executed.end()), executed.end());
    if (executed.size() > kMaxLynisTests || report.entries.size() > kMaxLynisTests)
        fail(file,
            "the Lynis report lists " + std::to_string(std::max(executed.size(), report.entries.size()))
                + " tests or findings; Lynis runs a few hundred (is the file damaged or made up?)");
    for (const auto& id : executed)
        if (!isToolId(id))
            fail(file, "tests_executed lists something that is not a Lynis test id — is the file damaged?");
}

/** What every result of Lynis test `id` on `host` has. */
Check lynisCheck(const std::string& id, const std::string& host, const char* status, const char* severity)
{
    Check k;
    k.layer = Layer::Host;
    k.control = id;
    k.rule = "LYNIS-" + id;
    // One rule id can carry several texts (a test's warnings and suggestions): the title is the test's,
    // the text is the finding's message, Lynis's own solution its evidence.
    k.title = "Lynis test " + id;
    k.status = status;
    k.severity = severity;
    k.kind = "Host";
    k.name = host;
    return k;
}

/** A warning or suggestion (`key`) of test `id`; `f` is its TEST-ID|text|details|solution| fields. */
Check lynisFinding(
    const std::string& key, const std::string& id, const std::vector<std::string>& f, const std::string& host)
{
    auto field = [&](std::size_t i) { return i < f.size() && f[i] != "-" ? f[i] : std::string(); };
    // Lynis 3 has no severities: a warning needs attention, a suggestion is hardening advice.
    Check k = lynisCheck(id, host, "fail", key == "warning[]" ? "medium" : "low");
    k.message = std::string("Lynis ") + (key == "warning[]" ? "warning " : "suggestion ") + id + ": " + field(1);
    k.remediation = "Follow Lynis's advice for " + id
        + " (its solution, when it gives one, is in the evidence): https://cisofy.com/lynis/controls/" + id + "/";
    k.evidenceOf("solution", field(3));
    k.references = { "LYNIS-" + id, "https://cisofy.com/lynis/controls/" + id + "/" };
    k.container = field(2).empty() ? field(1) : field(2); // one test may report several things
    k.evidenceOf("details", field(2));
    return k;
}

/** A test that ran and reported nothing: it passed, and counts for the score like any other check. */
Check lynisPass(const std::string& id, const std::string& host)
{
    return lynisCheck(id, host, "pass", "low");
}

} // namespace

Parsed parseLynis(const std::string& raw, const std::string& file)
{
    Parsed p;
    p.tool = "lynis";
    p.layer = Layer::Host;
    LynisReport report = readLynisLines(utf8(raw));
    checkLynisReport(report, file);
    auto& single = report.single;
    p.toolVersion = single["lynis_version"];
    p.host = single["hostname"];
    const std::string when
        = single["report_datetime_end"].empty() ? single["report_datetime_start"] : single["report_datetime_end"];
    p.generated = unixOf(when, Qt::LocalTime);
    std::set<std::string> reported;
    for (const auto& [key, value] : report.entries) {
        const std::vector<std::string> f = split(value, '|');
        const std::string id = f.empty() ? std::string() : f[0];
        if (id.empty() || id == "LYNIS" || id == "NONE") // the tool's own age, not the host's
            continue;
        if (!isToolId(id)) // the id becomes a rule id and a link: nothing but a test id is taken
            fail(file, "a Lynis finding has no test id of Lynis's shape (like AUTH-9230) — is the file damaged?");
        reported.insert(id);
        p.checks.push_back(lynisFinding(key, id, f, p.host));
    }
    for (const auto& id : report.executed)
        if (!reported.count(id))
            p.checks.push_back(lynisPass(id, p.host));
    return p;
}

} // namespace lg::importing
