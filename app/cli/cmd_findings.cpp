#include "cli/clicommon.h"
#include "core/jsonutil.h"
#include "core/plural.h"
#include "core/scoring.h"
#include "report/exporters.h"
#include <QDateTime>
#include <set>

namespace lg::cli {

namespace {

using ScanParts = std::vector<std::pair<std::int64_t, std::string>>; ///< (scan, target) pairs

/** The filter options into `filter`; false (and the usage exit code) when one is wrong. */
bool readFilter(const QCommandLineParser& p, std::int64_t now, FindingFilter& filter, int* code)
{
    auto wrong = [&](const QString& message) {
        *code = usage(p, message);
        return false;
    };
    if (!readDeadlines(p, filter.slaDays, code))
        return false;
    if (p.isSet(QStringLiteral("overdue")))
        filter.overdueAt = now;
    if (p.isSet(QStringLiteral("older-than"))) {
        const auto days = parseDays(p.value(QStringLiteral("older-than")));
        if (!days)
            return wrong(QStringLiteral("--older-than takes a number of days, e.g. 30d"));
        filter.firstSeenBefore = now - *days * 86400;
    }
    if (p.isSet(QStringLiteral("layer"))) {
        filter.layer = layerFromString(s(p.value(QStringLiteral("layer"))));
        if (!filter.layer)
            return wrong(QStringLiteral("--layer takes host, image, runtime, registry or orchestrator"));
    }
    if (p.isSet(QStringLiteral("severity"))) {
        filter.minSeverity = severityFromString(s(p.value(QStringLiteral("severity"))));
        if (!filter.minSeverity)
            return wrong(QStringLiteral("--severity takes critical, high, medium, low or info"));
    }
    if (p.isSet(QStringLiteral("status"))) {
        filter.status = statusFromString(s(p.value(QStringLiteral("status"))));
        if (!filter.status || *filter.status == FindingStatus::Resolved)
            return wrong(QStringLiteral("--status takes open, accepted or exempted"));
    }
    filter.search = s(p.value(QStringLiteral("search")));
    return true;
}

/** A given scan; else the latest scan of each target (of the one asked for). Nothing (and the code) when none. */
std::optional<ScanParts> chosenScans(const Store& store, const QCommandLineParser& p, std::int64_t now, int* code)
{
    const std::string target = s(p.value(QStringLiteral("target")));
    if (p.isSet(QStringLiteral("scan"))) {
        const auto scanId = resolveScan(store, p, code);
        if (!scanId)
            return std::nullopt;
        return ScanParts { { *scanId, target } };
    }
    const auto estate = store.estate(now, target);
    if (estate.targets.empty()) {
        err(target.empty()
                ? "the cache " + store.path() + " holds no scan yet; run `layerguard scan` first"
                : "no scan of target " + target + " in " + store.path() + "; `layerguard posture` lists the targets");
        *code = kExitFailure;
        return std::nullopt;
    }
    ScanParts parts;
    for (const auto& t : estate.targets)
        parts.emplace_back(t.scanId, t.target);
    return parts;
}

/** The table and its summary line ("12 findings in 2 targets (…)"). */
void printTable(const std::vector<Finding>& findings, const ScanParts& parts, std::size_t scansShown, std::int64_t now,
    const std::array<int, 5>& sla)
{
    std::cout << pad("SEVERITY", 10) << pad("STATUS", 10) << pad("AGE", 9) << pad("RULE", 28) << pad("RESOURCE", 48)
              << "MESSAGE\n";
    int exempted = 0, accepted = 0, late = 0;
    for (const auto& f : findings) {
        exempted += f.status == FindingStatus::Exempted;
        accepted += f.status == FindingStatus::Accepted;
        std::string message = f.message;
        if (f.status == FindingStatus::Exempted)
            message += " [exempted by " + f.exemption.by + ": " + f.exemption.reason + "]";
        else if (f.status == FindingStatus::Accepted && f.acceptance)
            message += " [accepted by " + f.acceptance->owner + ": " + f.acceptance->reason + "]";
        const bool isLate = f.status == FindingStatus::Open && overdue(f.severity, f.firstSeen, now, sla);
        late += isLate;
        std::string age = f.firstSeen > 0 ? ageText(now - f.firstSeen) : "-";
        if (isLate)
            age += "!";
        std::cout << pad(std::string(toString(f.severity)), 10) << pad(std::string(toString(f.status)), 10)
                  << pad(age, 9) << pad(f.rule, 28) << pad(resourceLabel(f), 48) << printable(message) << "\n";
    }
    std::string where;
    if (parts.size() == 1 && parts.front().second.empty())
        where = "scan " + std::to_string(parts.front().first);
    else if (parts.size() == 1)
        where = parts.front().second + " (scan " + std::to_string(parts.front().first) + ")";
    else
        where = counted(parts.size(), "target", "targets")
            + " (the latest scan of each: " + counted(scansShown, "scan", "scans") + ")";
    std::cout << counted(findings.size(), "finding", "findings") << " in " << where << " (" << accepted << " accepted, "
              << exempted << " exempted, " << late << " overdue)\n";
}

} // namespace

int cmdFindings(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "List the findings of the estate (the latest scan of each target), of one target, or of one scan."));
    p.addOptions({ { QStringLiteral("scan"), QStringLiteral("Scan id."), QStringLiteral("ID") },
        { QStringLiteral("target"), QStringLiteral("Only this target (its latest scan unless --scan)."),
            QStringLiteral("NAME") },
        { QStringLiteral("layer"), QStringLiteral("Only this layer."), QStringLiteral("LAYER") },
        { QStringLiteral("severity"), QStringLiteral("Only findings at least this severe."),
            QStringLiteral("SEVERITY") },
        { QStringLiteral("status"), QStringLiteral("open, accepted or exempted."), QStringLiteral("STATUS") },
        { QStringLiteral("search"), QStringLiteral("Text to look for."), QStringLiteral("TEXT") },
        { QStringLiteral("overdue"),
            QStringLiteral("Only open findings past their deadline (the policy's sla, by default critical 7 "
                           "days, high 30, medium 90, low 180).") },
        { QStringLiteral("older-than"), QStringLiteral("Only findings first seen more than this long ago (30d)."),
            QStringLiteral("DAYS") },
        { QStringLiteral("policy"), QStringLiteral("Policy file whose sla sets the deadlines."),
            QStringLiteral("FILE") },
        formatOption(QStringLiteral("table, json or csv"), QStringLiteral("table")), dbOption() });
    int code = kExitOk;
    if (!parse(p, args, &code))
        return code;
    FindingFilter filter;
    const std::int64_t now = QDateTime::currentSecsSinceEpoch();
    if (!readFilter(p, now, filter, &code))
        return code;
    const auto format
        = chosenFormat(p, { QStringLiteral("table"), QStringLiteral("json"), QStringLiteral("csv") }, &code);
    if (!format)
        return code;
    return guarded([&] {
        auto store = openStore(p, Store::OpenMode::Existing);
        const auto parts = chosenScans(*store, p, now, &code);
        if (!parts)
            return code;
        std::vector<Finding> findings;
        std::set<std::int64_t> scansShown;
        for (const auto& [scanId, partTarget] : *parts) {
            FindingFilter f = filter;
            f.target = partTarget;
            // The posture today for the latest scan of a target (acceptances since count), an older one as recorded.
            f.asOf = p.isSet(QStringLiteral("scan")) ? store->statusTime(scanId, now) : now;
            auto some = store->findings(scanId, f);
            std::move(some.begin(), some.end(), std::back_inserter(findings));
            scansShown.insert(scanId);
        }
        if (*format == QLatin1String("json")) {
            nlohmann::json arr = nlohmann::json::array();
            for (const auto& f : findings)
                arr.push_back(toJson(f));
            std::cout << dumpJson(arr, 2) << "\n";
        } else if (*format == QLatin1String("csv")) {
            std::cout << exportCsv(findings);
        } else {
            printTable(findings, *parts, scansShown.size(), now, filter.slaDays);
        }
        return kExitOk;
    });
}

} // namespace lg::cli
