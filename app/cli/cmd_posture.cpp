#include "cli/clicommon.h"
#include "core/jsonutil.h"
#include "core/plural.h"
#include "core/scoring.h"
#include "report/exporters.h"
#include <QDateTime>
#include <set>

namespace lg::cli {

namespace {

/** What `posture` shows: the estate, and the lifecycle figures over it. */
struct PostureView {
    EstatePosture estate;
    std::array<int, 5> overdue {};
    std::array<RemediationTime, 5> mttr {};
    std::array<int, 5> sla = kDefaultSlaDays;
    std::int64_t period = 90; ///< days
    std::int64_t staleAfter = kDefaultStaleAfter; ///< seconds
};

nlohmann::json lifecycleJson(const PostureView& v)
{
    nlohmann::json overdue = nlohmann::json::object(), fixed = nlohmann::json::object(),
                   deadlines = nlohmann::json::object();
    for (Severity sev : kAllSeverities) {
        const auto i = std::size_t(sev);
        const std::string name(toString(sev));
        overdue[name] = v.overdue[i];
        deadlines[name] = v.sla[i] > 0 ? nlohmann::json(v.sla[i]) : nlohmann::json();
        fixed[name] = { { "fixed", v.mttr[i].fixed },
            { "mean_days",
                v.mttr[i].fixed ? nlohmann::json(double(v.mttr[i].meanSeconds) / 86400.0) : nlohmann::json() } };
    }
    return nlohmann::json { { "overdue", overdue }, { "sla_days", deadlines },
        { "time_to_remediate", { { "period_days", v.period }, { "by_severity", fixed } } } };
}

nlohmann::json layersJson(const std::vector<LayerScore>& layers)
{
    nlohmann::json out = nlohmann::json::object();
    for (const auto& ls : layers) {
        nlohmann::json open = nlohmann::json::object();
        for (Severity sev : kAllSeverities)
            open[std::string(toString(sev))] = ls.tally.openBySeverity[std::size_t(sev)];
        out[std::string(toString(ls.layer))] = { { "score", ls.score ? nlohmann::json(*ls.score) : nlohmann::json() },
            { "open", open }, { "observed", ls.tally.evaluated > 0 } };
    }
    return out;
}

void printJson(const PostureView& v)
{
    const EstatePosture& e = v.estate;
    nlohmann::json targets = nlohmann::json::array();
    for (const auto& t : e.targets)
        targets.push_back({ { "target", t.target }, { "kind", t.kind }, { "scan", t.scanId },
            { "scanned_at", s(QDateTime::fromSecsSinceEpoch(t.scannedAt, Qt::UTC).toString(Qt::ISODate)) },
            { "stale", t.stale },
            { "previous_scan", t.previousScanId ? nlohmann::json(*t.previousScanId) : nlohmann::json() },
            { "overall", t.score ? nlohmann::json(*t.score) : nlohmann::json() }, { "layers", layersJson(t.layers) } });
    std::cout << dumpJson(
        { { "overall", e.score ? nlohmann::json(*e.score) : nlohmann::json() }, { "layers", layersJson(e.layers) },
            { "targets", targets }, { "stale_after_days", v.staleAfter / 86400 }, { "lifecycle", lifecycleJson(v) } },
        2) << "\n";
}

void printRow(const std::string& name, const std::string& kind, const std::string& scan, const std::string& when,
    std::optional<int> overall, const std::vector<LayerScore>& layers)
{
    std::cout << pad(printable(name), 32) << pad(kind, 12) << pad(scan, 6) << pad(when, 21)
              << pad(scoreText(overall), 9);
    for (Layer l : kAllLayers) {
        auto it = std::find_if(layers.begin(), layers.end(), [&](const auto& ls) { return ls.layer == l; });
        std::cout << pad(it == layers.end() ? "-" : scoreText(it->score), 14);
    }
    std::cout << "\n";
}

/** "Overdue: …" and "Mean time to remediate, …" under the table. */
void printLifecycle(const PostureView& v)
{
    std::string overdueLine, mttrLine;
    for (Severity sev : kAllSeverities) {
        const auto i = std::size_t(sev);
        if (v.overdue[i] > 0)
            overdueLine += (overdueLine.empty() ? "" : ", ") + std::to_string(v.overdue[i]) + " "
                + std::string(toString(sev)) + " (deadline " + std::to_string(v.sla[i]) + " days)";
        if (v.mttr[i].fixed > 0) {
            char days[32];
            std::snprintf(days, sizeof days, "%.1f", double(v.mttr[i].meanSeconds) / 86400.0);
            mttrLine += (mttrLine.empty() ? "" : ", ") + std::string(toString(sev)) + " " + days + " days ("
                + counted(std::size_t(v.mttr[i].fixed), "fixed", "fixed") + ")";
        }
    }
    std::cout << "Overdue: " << (overdueLine.empty() ? "none" : overdueLine) << "\n";
    std::cout << "Mean time to remediate, last " << v.period
              << " days: " << (mttrLine.empty() ? "nothing fixed" : mttrLine) << "\n";
}

void printTable(const PostureView& v)
{
    const EstatePosture& e = v.estate;
    std::cout << pad("TARGET", 32) << pad("KIND", 12) << pad("SCAN", 6) << pad("SCANNED", 21) << pad("OVERALL", 9);
    for (Layer l : kAllLayers)
        std::cout << pad(std::string(toString(l)), 14);
    std::cout << "\n";
    for (const auto& t : e.targets)
        printRow(t.target, t.kind, std::to_string(t.scanId), dateText(t.scannedAt) + (t.stale ? " STALE" : ""), t.score,
            t.layers);
    printRow("estate (" + counted(e.targets.size(), "target", "targets") + ")", "", "", "", e.score, e.layers);
    for (const auto& t : e.targets)
        if (t.stale)
            std::cout << printable(t.target) << ": not scanned since " << dateText(t.scannedAt) << " (stale after "
                      << v.staleAfter / 86400 << " days)\n";
    printLifecycle(v);
}

/** --stale-after, --period and the policy's deadlines into `v`; false (and the code) on a usage error. */
bool readPostureOptions(const QCommandLineParser& p, PostureView& v, int* code)
{
    if (p.isSet(QStringLiteral("stale-after"))) {
        bool ok = false;
        const int days = p.value(QStringLiteral("stale-after")).toInt(&ok);
        if (!ok || days < 1) {
            *code = usage(p, QStringLiteral("--stale-after takes a number of days"));
            return false;
        }
        v.staleAfter = std::int64_t(days) * 86400;
    }
    if (p.isSet(QStringLiteral("period"))) {
        const auto days = parseDays(p.value(QStringLiteral("period")));
        if (!days || *days < 1) {
            *code = usage(p, QStringLiteral("--period takes a number of days, e.g. 90d"));
            return false;
        }
        v.period = *days;
    }
    return readDeadlines(p, v.sla, code);
}

} // namespace

int cmdPosture(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "The posture of the estate: the latest scan of each target, per layer, and all of them together."));
    p.addOptions({ { QStringLiteral("target"), QStringLiteral("Only this target."), QStringLiteral("NAME") },
        { QStringLiteral("stale-after"), QStringLiteral("Days after which a target's scan is stale (default 7)."),
            QStringLiteral("DAYS") },
        { QStringLiteral("period"),
            QStringLiteral("Days over which the mean time to remediate is measured (default 90)."),
            QStringLiteral("DAYS") },
        { QStringLiteral("policy"), QStringLiteral("Policy file whose sla sets the deadlines."),
            QStringLiteral("FILE") },
        formatOption(QStringLiteral("table or json"), QStringLiteral("table")), dbOption() });
    int code = kExitOk;
    if (!parse(p, args, &code))
        return code;
    const auto format = chosenFormat(p, { QStringLiteral("table"), QStringLiteral("json") }, &code);
    PostureView v;
    if (!format || !readPostureOptions(p, v, &code))
        return code;
    return guarded([&] {
        auto store = openStore(p, Store::OpenMode::Existing);
        const std::int64_t now = QDateTime::currentSecsSinceEpoch();
        const std::string only = s(p.value(QStringLiteral("target")));
        v.estate = store->estate(now, only, v.staleAfter);
        if (v.estate.targets.empty()) {
            err(only.empty() ? "the cache " + store->path() + " holds no scan yet; run `layerguard scan` first"
                             : "no scan of target " + only);
            return kExitFailure;
        }
        // Past their deadline now, over the latest scan of each target; and how fast findings were fixed.
        FindingQuery late;
        for (const auto& t : v.estate.targets)
            late.parts.emplace_back(t.scanId, t.target);
        late.filter.asOf = now;
        late.filter.overdueAt = now;
        late.filter.slaDays = v.sla;
        v.overdue = store->severityCounts(late);
        v.mttr = store->remediationTimes(now - v.period * 86400, now, only);
        if (*format == QLatin1String("json"))
            printJson(v);
        else
            printTable(v);
        return kExitOk;
    });
}

} // namespace lg::cli
