#include "cli/clicommon.h"
#include "core/jsonutil.h"
#include "core/plural.h"
#include "core/scoring.h"
#include "report/exporters.h"
#include <QDateTime>
#include <set>

namespace lg::cli {

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
    const auto chosen = chosenFormat(p, { QStringLiteral("table"), QStringLiteral("json") }, &code);
    if (!chosen)
        return code;
    const QString format = *chosen;
    std::int64_t staleAfter = kDefaultStaleAfter;
    if (p.isSet(QStringLiteral("stale-after"))) {
        bool ok = false;
        const int days = p.value(QStringLiteral("stale-after")).toInt(&ok);
        if (!ok || days < 1)
            return usage(p, QStringLiteral("--stale-after takes a number of days"));
        staleAfter = std::int64_t(days) * 86400;
    }
    std::int64_t period = 90;
    if (p.isSet(QStringLiteral("period"))) {
        const auto days = parseDays(p.value(QStringLiteral("period")));
        if (!days || *days < 1)
            return usage(p, QStringLiteral("--period takes a number of days, e.g. 90d"));
        period = *days;
    }
    std::array<int, 5> sla = kDefaultSlaDays;
    if (!readDeadlines(p, sla, &code))
        return code;
    return guarded([&] {
        auto store = openStore(p, Store::OpenMode::Existing);
        const std::int64_t now = QDateTime::currentSecsSinceEpoch();
        const std::string only = s(p.value(QStringLiteral("target")));
        const EstatePosture e = store->estate(now, only, staleAfter);
        if (e.targets.empty()) {
            err(only.empty() ? "the cache " + store->path() + " holds no scan yet; run `layerguard scan` first"
                             : "no scan of target " + only);
            return kExitFailure;
        }
        // Past their deadline now, over the latest scan of each target; and how fast findings were fixed.
        FindingQuery late;
        for (const auto& t : e.targets)
            late.parts.emplace_back(t.scanId, t.target);
        late.filter.asOf = now;
        late.filter.overdueAt = now;
        late.filter.slaDays = sla;
        const auto overdueCounts = store->severityCounts(late);
        const auto mttr = store->remediationTimes(now - period * 86400, now, only);
        auto lifecycleJson = [&] {
            nlohmann::json overdue = nlohmann::json::object(), fixed = nlohmann::json::object(),
                           deadlines = nlohmann::json::object();
            for (Severity sev : kAllSeverities) {
                const auto i = std::size_t(sev);
                const std::string name(toString(sev));
                overdue[name] = overdueCounts[i];
                deadlines[name] = sla[i] > 0 ? nlohmann::json(sla[i]) : nlohmann::json();
                fixed[name] = { { "fixed", mttr[i].fixed },
                    { "mean_days",
                        mttr[i].fixed ? nlohmann::json(double(mttr[i].meanSeconds) / 86400.0) : nlohmann::json() } };
            }
            return nlohmann::json { { "overdue", overdue }, { "sla_days", deadlines },
                { "time_to_remediate", { { "period_days", period }, { "by_severity", fixed } } } };
        };
        auto layersJson = [](const std::vector<LayerScore>& layers) {
            nlohmann::json out = nlohmann::json::object();
            for (const auto& ls : layers) {
                nlohmann::json open = nlohmann::json::object();
                for (Severity sev : kAllSeverities)
                    open[std::string(toString(sev))] = ls.tally.openBySeverity[std::size_t(sev)];
                out[std::string(toString(ls.layer))]
                    = { { "score", ls.score ? nlohmann::json(*ls.score) : nlohmann::json() }, { "open", open },
                          { "observed", ls.tally.evaluated > 0 } };
            }
            return out;
        };
        if (format == QLatin1String("json")) {
            nlohmann::json targets = nlohmann::json::array();
            for (const auto& t : e.targets)
                targets.push_back({ { "target", t.target }, { "kind", t.kind }, { "scan", t.scanId },
                    { "scanned_at", s(QDateTime::fromSecsSinceEpoch(t.scannedAt, Qt::UTC).toString(Qt::ISODate)) },
                    { "stale", t.stale },
                    { "previous_scan", t.previousScanId ? nlohmann::json(*t.previousScanId) : nlohmann::json() },
                    { "overall", t.score ? nlohmann::json(*t.score) : nlohmann::json() },
                    { "layers", layersJson(t.layers) } });
            std::cout << dumpJson({ { "overall", e.score ? nlohmann::json(*e.score) : nlohmann::json() },
                                      { "layers", layersJson(e.layers) }, { "targets", targets },
                                      { "stale_after_days", staleAfter / 86400 }, { "lifecycle", lifecycleJson() } },
                2) << "\n";
            return kExitOk;
        }
        std::cout << pad("TARGET", 32) << pad("KIND", 12) << pad("SCAN", 6) << pad("SCANNED", 21) << pad("OVERALL", 9);
        for (Layer l : kAllLayers)
            std::cout << pad(std::string(toString(l)), 14);
        std::cout << "\n";
        auto row = [&](const std::string& name, const std::string& kind, const std::string& scan,
                       const std::string& when, std::optional<int> overall, const std::vector<LayerScore>& layers) {
            std::cout << pad(printable(name), 32) << pad(kind, 12) << pad(scan, 6) << pad(when, 21)
                      << pad(scoreText(overall), 9);
            for (Layer l : kAllLayers) {
                auto it = std::find_if(layers.begin(), layers.end(), [&](const auto& ls) { return ls.layer == l; });
                std::cout << pad(it == layers.end() ? "-" : scoreText(it->score), 14);
            }
            std::cout << "\n";
        };
        for (const auto& t : e.targets)
            row(t.target, t.kind, std::to_string(t.scanId), dateText(t.scannedAt) + (t.stale ? " STALE" : ""), t.score,
                t.layers);
        row("estate (" + counted(e.targets.size(), "target", "targets") + ")", "", "", "", e.score, e.layers);
        for (const auto& t : e.targets)
            if (t.stale)
                std::cout << printable(t.target) << ": not scanned since " << dateText(t.scannedAt) << " (stale after "
                          << staleAfter / 86400 << " days)\n";
        std::string overdueLine, mttrLine;
        for (Severity sev : kAllSeverities) {
            const auto i = std::size_t(sev);
            if (overdueCounts[i] > 0)
                overdueLine += (overdueLine.empty() ? "" : ", ") + std::to_string(overdueCounts[i]) + " "
                    + std::string(toString(sev)) + " (deadline " + std::to_string(sla[i]) + " days)";
            if (mttr[i].fixed > 0) {
                char days[32];
                std::snprintf(days, sizeof days, "%.1f", double(mttr[i].meanSeconds) / 86400.0);
                mttrLine += (mttrLine.empty() ? "" : ", ") + std::string(toString(sev)) + " " + days + " days ("
                    + counted(std::size_t(mttr[i].fixed), "fixed", "fixed") + ")";
            }
        }
        std::cout << "Overdue: " << (overdueLine.empty() ? "none" : overdueLine) << "\n";
        std::cout << "Mean time to remediate, last " << period
                  << " days: " << (mttrLine.empty() ? "nothing fixed" : mttrLine) << "\n";
        return kExitOk;
    });
}

} // namespace lg::cli
