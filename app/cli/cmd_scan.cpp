#include "cli/clicommon.h"
#include "connectors/host/hostconnector.h"
#include "connectors/http/httpclient.h"
#include "connectors/manifests/manifestsconnector.h"
#include "core/jsonutil.h"
#include "core/scoring.h"
#include "core/user.h"
#include "scan/scanner.h"
#include "targets/savedtarget.h"
#include <csignal>

namespace lg::cli {

namespace {

void addScanOptions(QCommandLineParser& p)
{
    p.setApplicationDescription(QStringLiteral("Collect, evaluate and store one scan."));
    addSourceOptions(p, SourceUse::Scan);
    p.addOptions({
        { QStringLiteral("demo"), QStringLiteral("Scan the bundled demo lab.") },
        { QStringLiteral("page-size"), QStringLiteral("Kubernetes list page size (default 500)."),
            QStringLiteral("N") },
        { QStringLiteral("target"), QStringLiteral("Target name for the sources of this scan."),
            QStringLiteral("NAME") },
        { QStringLiteral("policy"), QStringLiteral("Policy file (JSON or YAML): overrides, exemptions."),
            QStringLiteral("FILE") },
        { QStringLiteral("rules"), QStringLiteral("Extra rule folder (repeatable; same id overrides)."),
            QStringLiteral("DIR") },
        { QStringLiteral("fail-on"), QStringLiteral("Exit 3 when an open finding is at least this severe."),
            QStringLiteral("SEVERITY") },
        { QStringLiteral("allow-partial"), QStringLiteral("Store the scan even when a source failed.") },
        { QStringLiteral("allow-plain-http"),
            QStringLiteral("Send credentials over plain http to another machine (isolated test networks only).") },
        { QStringLiteral("timeout"),
            QStringLiteral("Seconds one HTTP request of a network source may take (default: each source's own, "
                           "30 to 120)."),
            QStringLiteral("SECONDS") },
        { QStringLiteral("quiet"), QStringLiteral("No progress and no summary.") },
        dbOption(),
    });
}

/** --allow-plain-http and --timeout, which every network source honours; false (and the code) on a usage error. */
bool applyNetworkOptions(const QCommandLineParser& p, int* code)
{
    allowPlainHttpCredentials(p.isSet(QStringLiteral("allow-plain-http")));
    if (!p.isSet(QStringLiteral("timeout")))
        return true;
    bool ok = false;
    const int secs = p.value(QStringLiteral("timeout")).toInt(&ok);
    if (!ok || secs < 1 || secs > 3600) {
        *code = usage(p, QStringLiteral("--timeout takes 1 to 3600 seconds"));
        return false;
    }
    setHttpTimeoutOverride(std::chrono::seconds(secs));
    return true;
}

/** `--target NAME` alone: the saved connection of that name; an exit code when it cannot be used. */
std::optional<int> addSavedTarget(
    const QCommandLineParser& p, const QString& target, int pageSize, std::vector<std::unique_ptr<Connector>>& sources)
{
    try {
        auto store = openStore(p);
        const auto saved = store->target(s(target));
        if (!saved) {
            err("no saved target \"" + s(target)
                + "\"; `layerguard target list` shows them, `layerguard target add` saves one");
            return kExitFailure;
        }
        TargetOptions options;
        options.pageSize = pageSize;
        options.notice = [](const std::string& msg) { err(msg); };
        // Secrets come from the docker config, credential helpers, token files or the environment here.
        sources.push_back(connectorForTarget(*saved, {}, options));
    } catch (const StoreError& e) {
        err(e.what());
        return kExitFailure;
    } catch (const ConnectorError& e) {
        return failWith(e, std::string("target ") + s(target) + ": ");
    } catch (const std::exception& e) {
        err(std::string("saved target ") + s(target) + " is damaged: " + e.what());
        return kExitFailure;
    }
    return std::nullopt;
}

/** The sources the options name (each registered kind's flags, --demo); an exit code on a usage error. */
std::optional<int> addOptionSources(
    const QCommandLineParser& p, const QString& target, int pageSize, std::vector<std::unique_ptr<Connector>>& sources)
{
    for (const auto& kind : sourceKinds()) {
        const auto values = sourceValues(p, kind, SourceUse::Scan);
        if (!values)
            continue;
        try {
            const auto configs = kind.configsFor(*values);
            for (const auto& config : configs) {
                SourceContext ctx;
                ctx.target = configs.size() > 1 && kind.oneTargetEach ? std::string() : s(target);
                ctx.pageSize = pageSize;
                ctx.notice = [](const std::string& msg) { err(msg); };
                ctx.earlier = &sources;
                sources.push_back(kind.create(config, ctx));
            }
        } catch (const std::invalid_argument& e) {
            return usage(p, QString::fromStdString(e.what()));
        } catch (const ConnectorError& e) {
            return failWith(e, e.source() + ": ");
        }
    }
    if (p.isSet(QStringLiteral("demo"))) {
        sources.push_back(std::make_unique<ManifestsConnector>(":/demo/manifests", "demo-shop"));
        sources.push_back(std::make_unique<HostConnector>("/", "demo-node", ":/demo/host.json"));
    }
    return std::nullopt;
}

/** Every source of the scan, or the exit code that ends it. */
std::optional<int> collectSources(const QCommandLineParser& p, std::vector<std::unique_ptr<Connector>>& sources)
{
    const QString target = p.value(QStringLiteral("target"));
    bool explicitSources = p.isSet(QStringLiteral("demo"));
    for (const auto& kind : sourceKinds())
        explicitSources = explicitSources || sourceValues(p, kind, SourceUse::Scan).has_value();
    const int pageSize = p.isSet(QStringLiteral("page-size")) ? p.value(QStringLiteral("page-size")).toInt() : 500;
    if (pageSize < 1 || pageSize > 5000)
        return usage(p, QStringLiteral("--page-size takes 1 to 5000"));
    if (!target.isEmpty() && !explicitSources)
        if (const auto code = addSavedTarget(p, target, pageSize, sources))
            return code;
    if (const auto code = addOptionSources(p, target, pageSize, sources))
        return code;
    if (sources.empty())
        return usage(
            p, QString::fromStdString("no source given: use " + sourceFlagsText(SourceUse::Scan) + " or --demo"));
    return std::nullopt;
}

/** True when the scan trips `--fail-on`: an open finding at least that severe. */
bool failsGate(const ScanOutcome& outcome, Severity failOn)
{
    for (const auto& [layer, tally] : outcome.record.tallies)
        for (Severity sev : kAllSeverities)
            if (sev <= failOn && tally.openBySeverity[std::size_t(sev)] > 0)
                return true;
    return false;
}

/** Tells what the scan found and stored, and turns it into the exit code. */
int reportOutcome(const ScanOutcome& outcome, const Store& store, std::optional<Severity> failOn, bool quiet)
{
    if (outcome.cancelled) {
        err("scan cancelled; the cache is unchanged");
        return kExitFailure;
    }
    for (const auto& src : outcome.sources) {
        if (!src.ok) {
            err("source " + src.target + " (" + src.kind + ") failed: " + src.error);
            if (!src.hint.empty())
                std::cerr << "  what to do: " << printable(src.hint) << std::endl;
        }
    }
    if (outcome.nothingObserved && !outcome.anySourceFailed()) {
        // An empty folder or a source with nothing to judge is no posture, least of all a clean one.
        err("nothing was observed: the sources answered, but with nothing any check could judge (no resource, "
            "no sample, no image); the scan was not stored");
        return failOn ? kExitFailOn : kExitFailure;
    }
    if (!outcome.scanId) {
        err("the scan was not stored (a source failed; --allow-partial stores the rest); the cache is "
            "unchanged");
        return kExitFailure;
    }
    const auto unobserved = outcome.unobservedLayers();
    for (Layer l : unobserved)
        err(std::string(toString(l))
            + ": not observed — no check had data from its sources; the layer has no "
              "score (the coverage findings say what was missing)");
    const auto info = store.scan(*outcome.scanId);
    if (!quiet && info)
        printLayerSummary(*info);
    if (failOn && !unobserved.empty()) {
        if (!quiet)
            std::cerr << "layerguard: a gate never passes on what it could not see" << std::endl;
        return kExitFailOn;
    }
    if (failOn && failsGate(outcome, *failOn)) {
        if (!quiet)
            std::cerr << "layerguard: open findings at or above " << toString(*failOn) << std::endl;
        return kExitFailOn;
    }
    return outcome.anySourceFailed() ? kExitFailure : kExitOk;
}

} // namespace

int cmdScan(const QStringList& args)
{
    QCommandLineParser p;
    addScanOptions(p);
    int code = kExitOk;
    if (!parse(p, args, &code))
        return code;

    std::optional<Severity> failOn;
    if (p.isSet(QStringLiteral("fail-on"))) {
        failOn = severityFromString(s(p.value(QStringLiteral("fail-on"))));
        if (!failOn)
            return usage(p, QStringLiteral("--fail-on takes critical, high, medium, low or info"));
    }
    if (!applyNetworkOptions(p, &code))
        return code;
    std::vector<std::unique_ptr<Connector>> sources;
    if (const auto failed = collectSources(p, sources))
        return *failed;

    const bool quiet = p.isSet(QStringLiteral("quiet"));
    ScanSettings settings;
    settings.allowPartial = p.isSet(QStringLiteral("allow-partial"));
    settings.runBy = currentUser();
    settings.keepFindings = false; // read back from the cache; a large cluster's findings stay compact
    try {
        if (p.isSet(QStringLiteral("policy"))) {
            try {
                settings.policy = Policy::load(s(p.value(QStringLiteral("policy"))));
            } catch (const std::invalid_argument& e) {
                err(e.what());
                return kExitUsage;
            }
        }
        const RuleCatalog catalog = loadCatalog(p);
        auto store = openStore(p);
        applyPreviousScan(*store, sources);
        std::signal(SIGINT, onSignal);
        std::signal(SIGTERM, onSignal);
        Scanner scanner(catalog, settings);
        const auto outcome = scanner.run(sources, store.get(), g_cancel, [&](const Progress& msg) {
            if (!quiet)
                std::cerr << printable(msg.text) << std::endl;
        });
        return reportOutcome(outcome, *store, failOn, quiet);
    } catch (const StoreError& e) {
        return failWith(e);
    } catch (const std::exception& e) {
        err(e.what());
        return kExitFailure;
    }
}

/** `import FILE... [--target NAME] [--policy F] [--db F] [--quiet]`: a scan whose sources are the files. */
int cmdImport(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Stores the results of OpenSCAP (XCCDF results or ARF), Lynis (report.dat), kube-bench, "
        "docker-bench-security and Kubescape (JSON), Trivy and Grype (JSON) as one scan. The format is "
        "recognised from the content; a named file that is not one of them, or is truncated, stops the import "
        "and nothing is stored (inside a folder, other files are skipped)."));
    p.addPositionalArgument(
        QStringLiteral("files"), QStringLiteral("Report files or folders."), QStringLiteral("FILE|FOLDER..."));
    p.addOptions(
        { { QStringLiteral("target"), QStringLiteral("Target name for the imported results."), QStringLiteral("NAME") },
            { QStringLiteral("policy"), QStringLiteral("Policy file (JSON or YAML)."), QStringLiteral("FILE") },
            { QStringLiteral("quiet"), QStringLiteral("No progress and no summary.") }, dbOption() });
    int code = kExitOk;
    if (!parse(p, args, &code))
        return code;
    if (p.positionalArguments().isEmpty())
        return usage(p, QStringLiteral("import needs at least one report file or folder"));
    QStringList scanArgs { args.value(0) };
    for (const auto& file : p.positionalArguments())
        scanArgs << QStringLiteral("--import") << file;
    for (const char* option : { "target", "policy", "db" })
        if (p.isSet(QLatin1String(option)))
            scanArgs << QStringLiteral("--") + QLatin1String(option) << p.value(QLatin1String(option));
    if (p.isSet(QStringLiteral("quiet")))
        scanArgs << QStringLiteral("--quiet");
    return cmdScan(scanArgs);
}

} // namespace lg::cli
