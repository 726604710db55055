#include "cli/clicommon.h"
#include "core/jsonutil.h"
#include "core/plural.h"
#include "core/scoring.h"
#include "report/exporters.h"
#include <QDateTime>
#include <set>
#include <variant>

namespace lg::cli {

int cmdHistory(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Score per layer per scan, oldest first; with --target, that "
                                               "target's own scores in the scans that covered it."));
    p.addOptions({ { QStringLiteral("target"), QStringLiteral("Only this target."), QStringLiteral("NAME") },
        formatOption(QStringLiteral("table or json"), QStringLiteral("table")), dbOption() });
    int code = kExitOk;
    if (!parse(p, args, &code))
        return code;
    const auto chosen = chosenFormat(p, { QStringLiteral("table"), QStringLiteral("json") }, &code);
    if (!chosen)
        return code;
    const QString format = *chosen;
    return guarded([&] {
        auto store = openStore(p, Store::OpenMode::Existing);
        auto scans = store->scans();
        if (const std::string target = s(p.value(QStringLiteral("target"))); !target.empty()) {
            // that target's share of each scan that covered it, as recorded
            std::vector<ScanInfo> mine;
            for (auto& sc : scans) {
                auto layers = store->targetLayerScoresAt(sc.id, target, 0);
                if (layers.empty())
                    continue;
                std::map<Layer, LayerTally> tallies;
                for (const auto& ls : layers)
                    tallies[ls.layer] = ls.tally;
                sc.layers = std::move(layers);
                sc.overallScore = overallScore(tallies);
                mine.push_back(std::move(sc));
            }
            if (mine.empty()) {
                err("no scan of target " + target + "; `layerguard posture` lists the targets");
                return kExitFailure;
            }
            scans = std::move(mine);
        }
        if (format == QLatin1String("json")) {
            nlohmann::json arr = nlohmann::json::array();
            for (const auto& sc : scans) {
                nlohmann::json layers = nlohmann::json::object();
                for (Layer l : kAllLayers) {
                    auto it = std::find_if(
                        sc.layers.begin(), sc.layers.end(), [&](const auto& ls) { return ls.layer == l; });
                    layers[std::string(toString(l))]
                        = it == sc.layers.end() || !it->score ? nlohmann::json() : nlohmann::json(*it->score);
                }
                nlohmann::json targets = nlohmann::json::array();
                for (const auto& src : sc.sources)
                    if (src.ok && std::find(targets.begin(), targets.end(), src.target) == targets.end())
                        targets.push_back(src.target);
                arr.push_back({ { "scan", sc.id }, { "targets", targets },
                    { "started_at", s(QDateTime::fromSecsSinceEpoch(sc.startedAt, Qt::UTC).toString(Qt::ISODate)) },
                    { "overall", sc.overallScore ? nlohmann::json(*sc.overallScore) : nlohmann::json() },
                    { "layers", layers } });
            }
            std::cout << dumpJson(arr, 2) << "\n";
            return kExitOk;
        }
        std::cout << pad("SCAN", 6) << pad("FINISHED", 21) << pad("OVERALL", 9);
        for (Layer l : kAllLayers)
            std::cout << pad(std::string(toString(l)), 14);
        std::cout << "\n";
        for (const auto& sc : scans) {
            std::cout << padNumber(sc.id, 6) << pad(dateText(sc.finishedAt), 21) << pad(scoreText(sc.overallScore), 9);
            for (Layer l : kAllLayers) {
                auto it
                    = std::find_if(sc.layers.begin(), sc.layers.end(), [&](const auto& ls) { return ls.layer == l; });
                std::cout << pad(it == sc.layers.end() ? "not scanned" : scoreText(it->score), 14);
            }
            std::cout << "\n";
        }
        if (scans.empty())
            std::cout << "no scans yet; run `layerguard scan --demo` or `layerguard scan --manifests DIR`\n";
        return kExitOk;
    });
}

namespace {

/** What a diff compares: (target, from, to); an empty target means every finding of the two scans. */
struct DiffPair {
    std::string target;
    std::int64_t a = 0, b = 0;
};

/** The pairs to compare, or the exit code that ends the command. */
std::variant<std::vector<DiffPair>, int> diffPairs(
    const Store& store, const QCommandLineParser& p, const QStringList& pos, const std::string& target)
{
    std::vector<DiffPair> pairs;
    if (pos.size() == 2) {
        bool okA = false, okB = false;
        const std::int64_t a = pos[0].toLongLong(&okA);
        const std::int64_t b = pos[1].toLongLong(&okB);
        if (!okA || !okB)
            return usage(p, QStringLiteral("scan ids are numbers (see `layerguard history`)"));
        for (auto id : { a, b }) {
            if (!store.scan(id)) {
                err("no scan " + std::to_string(id) + "; `layerguard history` lists the scans");
                return kExitFailure;
            }
        }
        pairs.push_back({ target, a, b });
        return pairs;
    }
    // A target is compared with its own previous scan: scanning B never "resolves" what A found.
    const auto estate = store.estate(QDateTime::currentSecsSinceEpoch(), target);
    for (const auto& t : estate.targets)
        if (t.previousScanId)
            pairs.push_back({ t.target, *t.previousScanId, t.scanId });
    if (pairs.empty()) {
        err(target.empty() ? "diff needs a target scanned twice; no target of " + store.path() + " has been"
                           : "diff needs two scans of " + target + "; the cache holds "
                    + (estate.targets.empty() ? "none" : "one"));
        return kExitFailure;
    }
    return pairs;
}

void printDiff(const DiffPair& pr, const ScanDiff& d)
{
    std::cout << (pr.target.empty() ? std::string() : printable(pr.target) + ": ") << "scan " << pr.a << " -> " << pr.b
              << ": " << d.added.size() << " new, " << d.resolved.size() << " resolved, " << d.unchanged.size()
              << " unchanged\n";
    for (const auto& f : d.added)
        std::cout << "+ " << pad(std::string(toString(f.severity)), 9) << pad(f.rule, 28) << printable(resourceLabel(f))
                  << "\n";
    for (const auto& f : d.resolved)
        std::cout << "- " << pad(std::string(toString(f.severity)), 9) << pad(f.rule, 28) << printable(resourceLabel(f))
                  << "\n";
}

/** Collects the comparisons for one JSON document: each on its own, and new and resolved of all of them. */
struct DiffJson {
    nlohmann::json all = nlohmann::json::array();
    nlohmann::json allNew = nlohmann::json::array(), allResolved = nlohmann::json::array();
    std::size_t unchanged = 0;

    void add(const DiffPair& pr, const ScanDiff& d)
    {
        nlohmann::json added = nlohmann::json::array(), resolved = nlohmann::json::array();
        for (const auto& f : d.added)
            added.push_back(toJson(f));
        for (const auto& f : d.resolved)
            resolved.push_back(toJson(f));
        for (const auto& f : added)
            allNew.push_back(f);
        for (const auto& f : resolved)
            allResolved.push_back(f);
        unchanged += d.unchanged.size();
        all.push_back({ { "target", pr.target }, { "from", pr.a }, { "to", pr.b }, { "new", added },
            { "resolved", resolved }, { "unchanged", d.unchanged.size() } });
    }
    void print(const std::vector<DiffPair>& pairs) const
    {
        // one comparison: its fields at the top as well (the contract of a two-scan diff)
        nlohmann::json out
            = { { "targets", all }, { "new", allNew }, { "resolved", allResolved }, { "unchanged", unchanged } };
        if (pairs.size() == 1) {
            out["from"] = pairs.front().a;
            out["to"] = pairs.front().b;
        }
        std::cout << dumpJson(out, 2) << "\n";
    }
};

} // namespace

int cmdDiff(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "New, resolved and unchanged findings between two scans; without scan ids, each target's latest scan "
        "against its own previous one."));
    p.addPositionalArgument(QStringLiteral("SCAN_A"), QStringLiteral("Older scan."));
    p.addPositionalArgument(QStringLiteral("SCAN_B"), QStringLiteral("Newer scan."));
    p.addOptions({ { QStringLiteral("target"), QStringLiteral("Only this target."), QStringLiteral("NAME") },
        formatOption(QStringLiteral("table or json"), QStringLiteral("table")), dbOption() });
    int code = kExitOk;
    if (!parse(p, args, &code))
        return code;
    const auto format = chosenFormat(p, { QStringLiteral("table"), QStringLiteral("json") }, &code);
    if (!format)
        return code;
    const auto pos = p.positionalArguments();
    if (pos.size() == 1 || pos.size() > 2)
        return usage(p, QStringLiteral("give two scan ids, or none for each target's last two scans"));
    const std::string target = s(p.value(QStringLiteral("target")));
    return guarded([&] {
        auto store = openStore(p, Store::OpenMode::Existing);
        const auto chosen = diffPairs(*store, p, pos, target);
        if (const int* failed = std::get_if<int>(&chosen))
            return *failed;
        const auto& pairs = std::get<std::vector<DiffPair>>(chosen);
        const bool json = *format == QLatin1String("json");
        DiffJson out;
        for (const auto& pr : pairs) {
            ScanDiff d = store->diff(pr.a, pr.b);
            if (!pr.target.empty()) {
                auto other = [&](const Finding& f) { return f.subject.target != pr.target; };
                std::erase_if(d.added, other);
                std::erase_if(d.resolved, other);
                std::erase_if(d.unchanged, other);
            }
            if (json)
                out.add(pr, d);
            else
                printDiff(pr, d);
        }
        if (json)
            out.print(pairs);
        return kExitOk;
    });
}

} // namespace lg::cli
