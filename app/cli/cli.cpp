#include "cli.h"
#include "jsonutil.h"

#include "dockerconnector.h"
#include "exporters.h"
#include "hostconnector.h"
#include "httpclient.h"
#include "importers.h"
#include "kubeconnector.h"
#include "kubeshape.h"
#include "manifestsconnector.h"
#include "pdfreport.h"
#include "plural.h"
#include "promconnector.h"
#include "registryconnector.h"
#include "reportwriter.h"
#include "savedtarget.h"
#include "scanner.h"
#include "scoring.h"
#include "store.h"
#include "terminal.h"
#include "user.h"
#include "vulnreports.h"
#include "yamlio.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSaveFile>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <set>

namespace lg {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitFailOn = 3;

CancelToken g_cancel { false };

void onSignal(int)
{
    g_cancel.store(true);
}

std::string s(const QString& q)
{
    return q.toStdString();
}

void err(const std::string& text)
{
    std::cerr << "layerguard: " << printable(text) << std::endl;
}

/** What a command did, for the person who ran it (stderr: stdout stays for data). */
void say(const std::string& text)
{
    std::cerr << printable(text) << std::endl;
}

/** Says what failed and what to do about it; returns the failure exit code. */
/** Says what failed and the way out, in one line; returns the failure exit code. */
template <typename E> int failWith(const E& e, const std::string& context = {})
{
    err(context + e.what() + (e.hint().empty() ? std::string() : " (what to do: " + e.hint() + ")"));
    return kExitFailure;
}

int usage(const QCommandLineParser& p, const QString& message)
{
    err(s(message));
    std::cerr << s(p.helpText());
    return kExitUsage;
}

QCommandLineOption dbOption()
{
    return { QStringLiteral("db"), QStringLiteral("Cache file (default: $LAYERGUARD_DB or the XDG data dir)."),
        QStringLiteral("FILE") };
}

QCommandLineOption formatOption(const QString& allowed, const QString& def)
{
    return { QStringLiteral("format"), QStringLiteral("Output format: ") + allowed + QStringLiteral("."),
        QStringLiteral("FORMAT"), def };
}

/** Parses args for a subcommand; returns false (and the exit code) on a usage error. */
bool parse(QCommandLineParser& p, const QStringList& args, int* code)
{
    p.addHelpOption();
    if (!p.parse(args)) {
        *code = usage(p, p.errorText());
        return false;
    }
    if (p.isSet(QStringLiteral("help"))) {
        std::cout << s(p.helpText());
        *code = kExitOk;
        return false;
    }
    return true;
}

/** The cache; commands that only read it (findings, history, diff, report, accept) never create one. */
std::unique_ptr<Store> openStore(const QCommandLineParser& p, Store::OpenMode mode = Store::OpenMode::Create)
{
    const std::string path = p.isSet(QStringLiteral("db")) ? s(p.value(QStringLiteral("db"))) : defaultCachePath();
    return std::make_unique<Store>(path, mode);
}

std::string resourceLabel(const Finding& f)
{
    std::string r = f.subject.kind + "/";
    if (!f.subject.namespace_.empty())
        r += f.subject.namespace_ + "/";
    r += f.subject.name;
    if (!f.subject.container.empty())
        r += " [" + f.subject.container + "]";
    return r;
}

/** A cell of a table: shown whole (a rule id cut short is no id) and safe for the terminal; a long one pushes on. */
std::string pad(const std::string& raw, std::size_t width)
{
    const std::string text = printable(raw);
    return text + std::string(text.size() < width ? width - text.size() : 1, ' ');
}

/** A number in a column: never cut; one wider than its column pushes the next one right. */
std::string padNumber(std::int64_t n, std::size_t width)
{
    const std::string t = std::to_string(n);
    return t + std::string(t.size() < width ? width - t.size() : 1, ' ');
}

/**
 * Runs a command's work: a cache error says in one line what happened and the way out (failWith), anything else is
 * named as unexpected; both exit 1.
 */
template <class Body> int guarded(Body&& body)
{
    try {
        return body();
    } catch (const StoreError& e) {
        return failWith(e);
    } catch (const std::exception& e) {
        err(std::string("unexpected error: ") + e.what());
        return kExitFailure;
    }
}

/** The deadlines of `--policy FILE` (its sla) into `sla`, left as they are without the option; false on a usage error.
 */
bool readDeadlines(const QCommandLineParser& p, std::array<int, 5>& sla, int* code)
{
    if (!p.isSet(QStringLiteral("policy")))
        return true;
    try {
        sla = Policy::load(s(p.value(QStringLiteral("policy")))).slaDays;
        return true;
    } catch (const std::exception& e) {
        *code = usage(p, QString::fromStdString(std::string("--policy: ") + e.what()));
        return false;
    }
}

/** "30d" or "30" as a whole number of days (at least 0). */
std::optional<std::int64_t> parseDays(QString text)
{
    if (text.endsWith(QLatin1Char('d')))
        text.chop(1);
    bool ok = false;
    const qlonglong days = text.toLongLong(&ok);
    if (!ok || days < 0 || days > 36500)
        return std::nullopt;
    return days;
}

/** How long ago, in the largest whole unit: 45m, 5h, 12d. */
std::string ageText(std::int64_t seconds)
{
    if (seconds < 3600)
        return std::to_string(std::max<std::int64_t>(seconds, 0) / 60) + "m";
    if (seconds < 86400)
        return std::to_string(seconds / 3600) + "h";
    return std::to_string(seconds / 86400) + "d";
}

std::string scoreText(const std::optional<int>& score)
{
    return score ? std::to_string(*score) : "-";
}

std::string dateText(std::int64_t secs)
{
    return s(QDateTime::fromSecsSinceEpoch(secs).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
}

std::optional<std::int64_t> resolveScan(const Store& store, const QCommandLineParser& p, int* code)
{
    if (p.isSet(QStringLiteral("scan"))) {
        bool ok = false;
        const qint64 id = p.value(QStringLiteral("scan")).toLongLong(&ok);
        if (!ok || id <= 0) {
            err("--scan takes a scan id (a number; `layerguard history` lists them), not \""
                + s(p.value(QStringLiteral("scan"))) + "\"");
            *code = kExitUsage;
            return std::nullopt;
        }
        if (!store.scan(id)) {
            err("no scan " + s(p.value(QStringLiteral("scan"))) + " in " + store.path()
                + "; `layerguard history` lists the scans");
            *code = kExitFailure;
            return std::nullopt;
        }
        return id;
    }
    const auto latest = store.latestScanId();
    if (!latest) {
        err("the cache " + store.path() + " holds no scan yet; run `layerguard scan` first");
        *code = kExitFailure;
    }
    return latest;
}

RuleCatalog loadCatalog(const QCommandLineParser& p)
{
    RuleCatalog catalog = RuleCatalog::builtin();
    if (p.optionNames().contains(QStringLiteral("rules"))) {
        for (const auto& dir : p.values(QStringLiteral("rules")))
            catalog.addFolder(s(dir));
    }
    return catalog;
}

void printLayerSummary(const ScanInfo& info)
{
    std::cout << "scan " << info.id << "  " << dateText(info.finishedAt) << "  resources " << info.resources
              << "  posture " << scoreText(info.overallScore) << "\n";
    std::cout << "  " << pad("layer", 14) << pad("score", 7) << pad("critical", 10) << pad("high", 7)
              << pad("medium", 8) << pad("low", 6) << "info\n";
    for (Layer l : kAllLayers) {
        auto it = std::find_if(info.layers.begin(), info.layers.end(), [&](const auto& ls) { return ls.layer == l; });
        if (it == info.layers.end()) {
            std::cout << "  " << pad(std::string(toString(l)), 14) << "not scanned\n";
            continue;
        }
        if (it->tally.evaluated == 0) {
            std::cout << "  " << pad(std::string(toString(l)), 14) << "not observed (no check had data)\n";
            continue;
        }
        const auto& c = it->tally.openBySeverity;
        std::cout << "  " << pad(std::string(toString(l)), 14) << pad(scoreText(it->score), 7) << padNumber(c[0], 10)
                  << padNumber(c[1], 7) << padNumber(c[2], 8) << padNumber(c[3], 6) << c[4] << "\n";
    }
}

/** Any of the options that select a Kubernetes cluster. */
bool wantsKubernetes(const QCommandLineParser& p)
{
    for (const char* o : { "kubeconfig", "context", "all-contexts", "kube", "in-cluster" })
        if (p.isSet(QLatin1String(o)))
            return true;
    return false;
}

/** A cluster source that tells the user, on stderr, before an exec plugin runs. */
std::unique_ptr<Connector> kubeSource(KubeContext ctx, const std::string& target, int pageSize)
{
    return kubernetesConnector(std::move(ctx), target, pageSize, [](const std::string& msg) { err(msg); });
}

int cmdScan(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Collect, evaluate and store one scan."));
    p.addOptions({
        { QStringLiteral("manifests"), QStringLiteral("Kubernetes YAML file or folder (repeatable)."),
            QStringLiteral("PATH") },
        { QStringLiteral("k8s-version"),
            QStringLiteral("Kubernetes version whose Pod Security Standards manifests are judged for (default: the "
                           "newest Layerguard knows)."),
            QStringLiteral("1.N") },
        { QStringLiteral("host"), QStringLiteral("Scan this machine (CIS Docker sections 1 and 3, daemon.json).") },
        { QStringLiteral("host-root"), QStringLiteral("Read the host below this folder instead of /."),
            QStringLiteral("DIR") },
        { QStringLiteral("demo"), QStringLiteral("Scan the bundled demo lab.") },
        { QStringLiteral("docker"),
            QStringLiteral(
                "Docker engine: unix:///path/docker.sock, tcp://host:2376, or \"auto\" (DOCKER_HOST, the docker "
                "context, the default sockets)."),
            QStringLiteral("URL") },
        { QStringLiteral("ca-file"), QStringLiteral("Extra CA certificate to trust for this scan."),
            QStringLiteral("FILE") },
        { QStringLiteral("kubeconfig"),
            QStringLiteral("Scan a Kubernetes cluster with this kubeconfig (default: KUBECONFIG, ~/.kube/config)."),
            QStringLiteral("FILE") },
        { QStringLiteral("context"),
            QStringLiteral("kubeconfig context to scan (repeatable; default: the current one)."),
            QStringLiteral("NAME") },
        { QStringLiteral("all-contexts"), QStringLiteral("Scan every context of the kubeconfig.") },
        { QStringLiteral("kube"), QStringLiteral("Scan the current context of the default kubeconfig.") },
        { QStringLiteral("in-cluster"), QStringLiteral("Scan the cluster this pod runs in (service account).") },
        { QStringLiteral("page-size"), QStringLiteral("Kubernetes list page size (default 500)."),
            QStringLiteral("N") },
        { QStringLiteral("registry"),
            QStringLiteral("OCI registry: host:port or https://host:port (credentials from the docker config, "
                           "credential helpers or podman's auth.json)."),
            QStringLiteral("URL") },
        { QStringLiteral("vuln-report"),
            QStringLiteral("Trivy or Grype JSON report, or a folder of them, matched to the scan's images by digest "
                           "(repeatable)."),
            QStringLiteral("PATH") },
        { QStringLiteral("import"),
            QStringLiteral("Results of another tool, or a folder of them (repeatable): OpenSCAP XCCDF/ARF, Lynis "
                           "report.dat, kube-bench, docker-bench-security or Kubescape JSON, Trivy or Grype JSON."),
            QStringLiteral("PATH") },
        { QStringLiteral("repo"),
            QStringLiteral("Registry repository, a name or a glob (repeatable). Exact names are read without the "
                           "catalog, which hosted registries (Docker Hub, GHCR, ECR, ...) do not serve."),
            QStringLiteral("PATTERN") },
        { QStringLiteral("tag"), QStringLiteral("Only registry tags matching this glob (repeatable)."),
            QStringLiteral("PATTERN") },
        { QStringLiteral("prometheus"),
            QStringLiteral("Prometheus (or Thanos / Mimir) URL: host and runtime signals, Falco alerts."),
            QStringLiteral("URL") },
        { QStringLiteral("prom-user"),
            QStringLiteral("Prometheus basic-auth user (password from LAYERGUARD_PROM_PASSWORD)."),
            QStringLiteral("NAME") },
        { QStringLiteral("prom-token-file"), QStringLiteral("File holding a bearer token for Prometheus."),
            QStringLiteral("FILE") },
        { QStringLiteral("prom-cert"), QStringLiteral("Client certificate for Prometheus (mTLS)."),
            QStringLiteral("FILE") },
        { QStringLiteral("prom-key"), QStringLiteral("Client key for Prometheus (mTLS)."), QStringLiteral("FILE") },
        { QStringLiteral("prom-window"), QStringLiteral("Scan window for counters and alerts (default 1h)."),
            QStringLiteral("DURATION") },
        { QStringLiteral("prom-checks"), QStringLiteral("Extra folder of Prometheus check files (same id replaces)."),
            QStringLiteral("DIR") },
        { QStringLiteral("target"), QStringLiteral("Target name for the sources of this scan."),
            QStringLiteral("NAME") },
        { QStringLiteral("policy"), QStringLiteral("Policy file (JSON or YAML): overrides, exemptions."),
            QStringLiteral("FILE") },
        { QStringLiteral("rules"), QStringLiteral("Extra rule folder (repeatable; same id overrides)."),
            QStringLiteral("DIR") },
        { QStringLiteral("fail-on"), QStringLiteral("Exit 3 when an open finding is at least this severe."),
            QStringLiteral("SEVERITY") },
        { QStringLiteral("allow-partial"), QStringLiteral("Store the scan even when a source failed.") },
        { QStringLiteral("registry-insecure"),
            QStringLiteral("Do not verify the registries' certificates (reported as a finding).") },
        { QStringLiteral("allow-plain-http"),
            QStringLiteral("Send credentials over plain http to another machine (isolated test networks only).") },
        { QStringLiteral("timeout"),
            QStringLiteral("Seconds one HTTP request of a network source may take (default: each source's own, "
                           "30 to 120)."),
            QStringLiteral("SECONDS") },
        { QStringLiteral("quiet"), QStringLiteral("No progress and no summary.") },
        dbOption(),
    });
    int code = kExitOk;
    if (!parse(p, args, &code))
        return code;

    std::optional<Severity> failOn;
    if (p.isSet(QStringLiteral("fail-on"))) {
        failOn = severityFromString(s(p.value(QStringLiteral("fail-on"))));
        if (!failOn)
            return usage(p, QStringLiteral("--fail-on takes critical, high, medium, low or info"));
    }
    allowPlainHttpCredentials(p.isSet(QStringLiteral("allow-plain-http")));
    if (p.isSet(QStringLiteral("timeout"))) {
        bool ok = false;
        const int secs = p.value(QStringLiteral("timeout")).toInt(&ok);
        if (!ok || secs < 1 || secs > 3600)
            return usage(p, QStringLiteral("--timeout takes 1 to 3600 seconds"));
        setHttpTimeoutOverride(std::chrono::seconds(secs));
    }
    const QString target = p.value(QStringLiteral("target"));
    std::vector<std::unique_ptr<Connector>> sources;
    const bool explicitSources = p.isSet(QStringLiteral("manifests")) || p.isSet(QStringLiteral("host"))
        || p.isSet(QStringLiteral("host-root")) || p.isSet(QStringLiteral("docker")) || p.isSet(QStringLiteral("demo"))
        || wantsKubernetes(p) || p.isSet(QStringLiteral("prometheus")) || p.isSet(QStringLiteral("registry"))
        || p.isSet(QStringLiteral("vuln-report")) || p.isSet(QStringLiteral("import"));
    const int pageSize = p.isSet(QStringLiteral("page-size")) ? p.value(QStringLiteral("page-size")).toInt() : 500;
    if (pageSize < 1 || pageSize > 5000)
        return usage(p, QStringLiteral("--page-size takes 1 to 5000"));
    if (!target.isEmpty() && !explicitSources) {
        // --target alone: scan the saved connection of that name.
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
    }
    const std::string k8sVersion = s(p.value(QStringLiteral("k8s-version")));
    if (!k8sVersion.empty() && !kubernetesMinor(k8sVersion))
        return usage(p, QStringLiteral("--k8s-version takes a Kubernetes version such as 1.32"));
    for (const auto& path : p.values(QStringLiteral("manifests")))
        sources.push_back(std::make_unique<ManifestsConnector>(s(path), s(target), k8sVersion));
    if (p.isSet(QStringLiteral("host")) || p.isSet(QStringLiteral("host-root"))) {
        const QString root
            = p.isSet(QStringLiteral("host-root")) ? p.value(QStringLiteral("host-root")) : QStringLiteral("/");
        sources.push_back(std::make_unique<HostConnector>(s(root), s(target)));
    }
    if (p.isSet(QStringLiteral("docker"))) {
        try {
            const QString url = p.value(QStringLiteral("docker"));
            auto ep = resolveDockerEndpoint(
                url == QLatin1String("auto") ? std::string() : s(url), s(p.value(QStringLiteral("ca-file"))));
            sources.push_back(std::make_unique<DockerConnector>(std::move(ep), s(target)));
        } catch (const ConnectorError& e) {
            return failWith(e, std::string("docker: "));
        }
    }
    if (wantsKubernetes(p)) {
        try {
            if (p.isSet(QStringLiteral("in-cluster"))) {
                sources.push_back(kubeSource(inClusterContext(), s(target), pageSize));
            } else {
                const auto kc = Kubeconfig::load(s(p.value(QStringLiteral("kubeconfig"))));
                std::vector<std::string> contexts;
                for (const auto& c : p.values(QStringLiteral("context")))
                    contexts.push_back(s(c));
                if (p.isSet(QStringLiteral("all-contexts")))
                    contexts = kc.contextNames();
                if (contexts.empty())
                    contexts.push_back({}); // the current context
                // Several contexts are several targets; --target names them only when there is one.
                for (const auto& c : contexts)
                    sources.push_back(
                        kubeSource(kc.resolve(c), contexts.size() == 1 ? s(target) : std::string(), pageSize));
            }
        } catch (const ConnectorError& e) {
            return failWith(e, e.source() + ": ");
        }
    }
    for (const auto& reg : p.values(QStringLiteral("registry"))) {
        RegistryOptions o;
        o.url = s(reg);
        o.caFile = s(p.value(QStringLiteral("ca-file")));
        o.insecureSkipVerify = p.isSet(QStringLiteral("registry-insecure"));
        for (const auto& r : p.values(QStringLiteral("repo")))
            o.repositories.push_back(s(r));
        for (const auto& t : p.values(QStringLiteral("tag")))
            o.tags.push_back(s(t));
        sources.push_back(std::make_unique<RegistryConnector>(std::move(o), s(target)));
    }
    if (p.isSet(QStringLiteral("vuln-report"))) {
        std::vector<std::string> paths;
        for (const auto& v : p.values(QStringLiteral("vuln-report")))
            paths.push_back(s(v));
        sources.push_back(std::make_unique<VulnReportsConnector>(std::move(paths)));
    }
    if (p.isSet(QStringLiteral("import"))) {
        std::vector<std::string> paths;
        for (const auto& v : p.values(QStringLiteral("import")))
            paths.push_back(s(v));
        // Next to one other source, the results join its target: the same resource is then one finding.
        std::string importTarget = s(target);
        if (importTarget.empty() && sources.size() == 1)
            importTarget = sources.front()->target();
        sources.push_back(std::make_unique<ImportConnector>(std::move(paths), importTarget));
    }
    if (p.isSet(QStringLiteral("prometheus"))) {
        try {
            const QString window = p.isSet(QStringLiteral("prom-window")) ? p.value(QStringLiteral("prom-window"))
                                                                          : QStringLiteral("1h");
            if (!QRegularExpression(QStringLiteral("^[0-9]+[smhdw]$")).match(window).hasMatch())
                return usage(p, QStringLiteral("--prom-window takes a Prometheus duration such as 30m, 1h or 1d"));
            std::vector<std::string> checkDirs;
            for (const auto& d : p.values(QStringLiteral("prom-checks")))
                checkDirs.push_back(s(d));
            // With one Kubernetes context in the same scan, the signals join its target: node names line up.
            std::string promTarget = s(target);
            if (promTarget.empty() && sources.size() == 1 && sources.front()->kind() == "kubernetes")
                promTarget = sources.front()->target();
            sources.push_back(std::make_unique<PrometheusConnector>(
                prometheusEndpoint(s(p.value(QStringLiteral("prometheus"))), s(p.value(QStringLiteral("ca-file"))),
                    s(p.value(QStringLiteral("prom-user"))), s(p.value(QStringLiteral("prom-token-file"))),
                    s(p.value(QStringLiteral("prom-cert"))), s(p.value(QStringLiteral("prom-key")))),
                promTarget, s(window), loadPromChecks(checkDirs)));
        } catch (const ConnectorError& e) {
            return failWith(e, std::string("prometheus: "));
        } catch (const std::invalid_argument& e) {
            err(std::string("prometheus checks: ") + e.what());
            return kExitFailure;
        }
    }
    if (p.isSet(QStringLiteral("demo"))) {
        sources.push_back(std::make_unique<ManifestsConnector>(":/demo/manifests", "demo-shop"));
        sources.push_back(std::make_unique<HostConnector>("/", "demo-node", ":/demo/host.json"));
    }
    if (sources.empty())
        return usage(p,
            QStringLiteral("no source given: use --manifests PATH, --host, --docker URL, --kubeconfig FILE / --context "
                           "NAME / --kube, --registry URL, --prometheus URL, --import FILE or --demo"));

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
        applyPreviousDigests(*store, sources);
        std::signal(SIGINT, onSignal);
        std::signal(SIGTERM, onSignal);
        Scanner scanner(catalog, settings);
        const auto outcome = scanner.run(sources, store.get(), g_cancel, [&](const std::string& msg) {
            if (!quiet)
                std::cerr << printable(msg) << std::endl;
        });
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
        const auto info = store->scan(*outcome.scanId);
        if (!quiet && info)
            printLayerSummary(*info);
        if (failOn && !unobserved.empty()) {
            if (!quiet)
                std::cerr << "layerguard: a gate never passes on what it could not see" << std::endl;
            return kExitFailOn;
        }
        if (failOn) {
            for (const auto& [layer, tally] : outcome.record.tallies) {
                for (Severity s : kAllSeverities) {
                    if (s <= *failOn && tally.openBySeverity[std::size_t(s)] > 0) {
                        if (!quiet)
                            std::cerr << "layerguard: open findings at or above " << toString(*failOn) << std::endl;
                        return kExitFailOn;
                    }
                }
            }
        }
        return outcome.anySourceFailed() ? kExitFailure : kExitOk;
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
    if (!readDeadlines(p, filter.slaDays, &code))
        return code;
    if (p.isSet(QStringLiteral("overdue")))
        filter.overdueAt = now;
    if (p.isSet(QStringLiteral("older-than"))) {
        const auto days = parseDays(p.value(QStringLiteral("older-than")));
        if (!days)
            return usage(p, QStringLiteral("--older-than takes a number of days, e.g. 30d"));
        filter.firstSeenBefore = now - *days * 86400;
    }
    if (p.isSet(QStringLiteral("layer"))) {
        filter.layer = layerFromString(s(p.value(QStringLiteral("layer"))));
        if (!filter.layer)
            return usage(p, QStringLiteral("--layer takes host, image, runtime, registry or orchestrator"));
    }
    if (p.isSet(QStringLiteral("severity"))) {
        filter.minSeverity = severityFromString(s(p.value(QStringLiteral("severity"))));
        if (!filter.minSeverity)
            return usage(p, QStringLiteral("--severity takes critical, high, medium, low or info"));
    }
    if (p.isSet(QStringLiteral("status"))) {
        filter.status = statusFromString(s(p.value(QStringLiteral("status"))));
        if (!filter.status || *filter.status == FindingStatus::Resolved)
            return usage(p, QStringLiteral("--status takes open, accepted or exempted"));
    }
    filter.search = s(p.value(QStringLiteral("search")));
    const QString format = p.value(QStringLiteral("format"));
    if (format != QLatin1String("table") && format != QLatin1String("json") && format != QLatin1String("csv"))
        return usage(p, QStringLiteral("--format takes table, json or csv"));
    return guarded([&] {
        auto store = openStore(p, Store::OpenMode::Existing);
        // Which (scan, target) pairs: a given scan; else the latest scan of each target (of the one asked for).
        std::vector<std::pair<std::int64_t, std::string>> parts;
        const std::string target = s(p.value(QStringLiteral("target")));
        if (p.isSet(QStringLiteral("scan"))) {
            const auto scanId = resolveScan(*store, p, &code);
            if (!scanId)
                return code;
            parts.emplace_back(*scanId, target);
        } else {
            const auto estate = store->estate(now, target);
            if (estate.targets.empty()) {
                err(target.empty() ? "the cache " + store->path() + " holds no scan yet; run `layerguard scan` first"
                                   : "no scan of target " + target + " in " + store->path()
                            + "; `layerguard posture` lists the targets");
                return kExitFailure;
            }
            for (const auto& t : estate.targets)
                parts.emplace_back(t.scanId, t.target);
        }
        std::vector<Finding> findings;
        std::set<std::int64_t> scansShown;
        for (const auto& [scanId, partTarget] : parts) {
            FindingFilter f = filter;
            f.target = partTarget;
            // The posture today for the latest scan of a target (acceptances since count), an older one as recorded.
            f.asOf = p.isSet(QStringLiteral("scan")) ? store->statusTime(scanId, now) : now;
            auto some = store->findings(scanId, f);
            std::move(some.begin(), some.end(), std::back_inserter(findings));
            scansShown.insert(scanId);
        }
        if (format == QLatin1String("json")) {
            nlohmann::json arr = nlohmann::json::array();
            for (const auto& f : findings)
                arr.push_back(toJson(f));
            std::cout << dumpJson(arr, 2) << "\n";
        } else if (format == QLatin1String("csv")) {
            std::cout << exportCsv(findings);
        } else {
            std::cout << pad("SEVERITY", 10) << pad("STATUS", 10) << pad("AGE", 9) << pad("RULE", 28)
                      << pad("RESOURCE", 48) << "MESSAGE\n";
            int exempted = 0, accepted = 0, late = 0;
            for (const auto& f : findings) {
                exempted += f.status == FindingStatus::Exempted;
                accepted += f.status == FindingStatus::Accepted;
                std::string message = f.message;
                if (f.status == FindingStatus::Exempted)
                    message += " [exempted by " + f.exemption.by + ": " + f.exemption.reason + "]";
                else if (f.status == FindingStatus::Accepted && f.acceptance)
                    message += " [accepted by " + f.acceptance->owner + ": " + f.acceptance->reason + "]";
                const bool isLate
                    = f.status == FindingStatus::Open && overdue(f.severity, f.firstSeen, now, filter.slaDays);
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
                    + " (the latest scan of each: " + counted(scansShown.size(), "scan", "scans") + ")";
            std::cout << counted(findings.size(), "finding", "findings") << " in " << where << " (" << accepted
                      << " accepted, " << exempted << " exempted, " << late << " overdue)\n";
        }
        return kExitOk;
    });
}

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
    const QString format = p.value(QStringLiteral("format"));
    if (format != QLatin1String("table") && format != QLatin1String("json"))
        return usage(p, QStringLiteral("--format takes table or json"));
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
    const QString format = p.value(QStringLiteral("format"));
    if (format != QLatin1String("table") && format != QLatin1String("json"))
        return usage(p, QStringLiteral("--format takes table or json"));
    const auto pos = p.positionalArguments();
    if (pos.size() == 1 || pos.size() > 2)
        return usage(p, QStringLiteral("give two scan ids, or none for each target's last two scans"));
    const std::string target = s(p.value(QStringLiteral("target")));
    return guarded([&] {
        auto store = openStore(p, Store::OpenMode::Existing);
        // What is compared: (target, from, to); an empty target means every finding of the two scans.
        struct Pair {
            std::string target;
            std::int64_t a = 0, b = 0;
        };
        std::vector<Pair> pairs;
        if (pos.size() == 2) {
            bool okA = false, okB = false;
            const std::int64_t a = pos[0].toLongLong(&okA);
            const std::int64_t b = pos[1].toLongLong(&okB);
            if (!okA || !okB)
                return usage(p, QStringLiteral("scan ids are numbers (see `layerguard history`)"));
            for (auto id : { a, b }) {
                if (!store->scan(id)) {
                    err("no scan " + std::to_string(id) + "; `layerguard history` lists the scans");
                    return kExitFailure;
                }
            }
            pairs.push_back({ target, a, b });
        } else {
            // A target is compared with its own previous scan: scanning B never "resolves" what A found.
            const auto estate = store->estate(QDateTime::currentSecsSinceEpoch(), target);
            for (const auto& t : estate.targets)
                if (t.previousScanId)
                    pairs.push_back({ t.target, *t.previousScanId, t.scanId });
            if (pairs.empty()) {
                err(target.empty() ? "diff needs a target scanned twice; no target of " + store->path() + " has been"
                                   : "diff needs two scans of " + target + "; the cache holds "
                            + (estate.targets.empty() ? "none" : "one"));
                return kExitFailure;
            }
        }
        nlohmann::json all = nlohmann::json::array();
        nlohmann::json allNew = nlohmann::json::array(), allResolved = nlohmann::json::array();
        std::size_t unchangedTotal = 0;
        for (const auto& pr : pairs) {
            ScanDiff d = store->diff(pr.a, pr.b);
            if (!pr.target.empty()) {
                auto other = [&](const Finding& f) { return f.subject.target != pr.target; };
                std::erase_if(d.added, other);
                std::erase_if(d.resolved, other);
                std::erase_if(d.unchanged, other);
            }
            unchangedTotal += d.unchanged.size();
            if (format == QLatin1String("json")) {
                nlohmann::json added = nlohmann::json::array(), resolved = nlohmann::json::array();
                for (const auto& f : d.added)
                    added.push_back(toJson(f));
                for (const auto& f : d.resolved)
                    resolved.push_back(toJson(f));
                for (const auto& f : added)
                    allNew.push_back(f);
                for (const auto& f : resolved)
                    allResolved.push_back(f);
                all.push_back({ { "target", pr.target }, { "from", pr.a }, { "to", pr.b }, { "new", added },
                    { "resolved", resolved }, { "unchanged", d.unchanged.size() } });
                continue;
            }
            std::cout << (pr.target.empty() ? std::string() : printable(pr.target) + ": ") << "scan " << pr.a << " -> "
                      << pr.b << ": " << d.added.size() << " new, " << d.resolved.size() << " resolved, "
                      << d.unchanged.size() << " unchanged\n";
            for (const auto& f : d.added)
                std::cout << "+ " << pad(std::string(toString(f.severity)), 9) << pad(f.rule, 28)
                          << printable(resourceLabel(f)) << "\n";
            for (const auto& f : d.resolved)
                std::cout << "- " << pad(std::string(toString(f.severity)), 9) << pad(f.rule, 28)
                          << printable(resourceLabel(f)) << "\n";
        }
        if (format == QLatin1String("json")) {
            // one comparison: its fields at the top as well (the contract of a two-scan diff)
            nlohmann::json out = { { "targets", all }, { "new", allNew }, { "resolved", allResolved },
                { "unchanged", unchangedTotal } };
            if (pairs.size() == 1) {
                out["from"] = pairs.front().a;
                out["to"] = pairs.front().b;
            }
            std::cout << dumpJson(out, 2) << "\n";
        }
        return kExitOk;
    });
}

/** The estate: the latest scan of each target, its scores and open findings; stale targets say since when. */
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
    const QString format = p.value(QStringLiteral("format"));
    if (format != QLatin1String("table") && format != QLatin1String("json"))
        return usage(p, QStringLiteral("--format takes table or json"));
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

int cmdReport(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Write a report of the estate (the latest scan of each target), of one target, or of one scan."));
    p.addOptions({ formatOption(QStringLiteral("pdf, json, csv, sarif or junit"), QString()),
        { { QStringLiteral("o"), QStringLiteral("output") }, QStringLiteral("Output file."), QStringLiteral("FILE") },
        { QStringLiteral("scan"), QStringLiteral("Scan id (default: the estate)."), QStringLiteral("ID") },
        { QStringLiteral("target"), QStringLiteral("Only this target (its latest scan unless --scan)."),
            QStringLiteral("NAME") },
        { QStringLiteral("framework"), QStringLiteral("Only findings of these frameworks (comma list)."),
            QStringLiteral("F") },
        dbOption() });
    int code = kExitOk;
    if (!parse(p, args, &code))
        return code;
    const QString format = p.value(QStringLiteral("format"));
    if (format != QLatin1String("json") && format != QLatin1String("csv") && format != QLatin1String("sarif")
        && format != QLatin1String("pdf") && format != QLatin1String("junit"))
        return usage(p, QStringLiteral("--format takes pdf, json, csv, sarif or junit"));
    std::vector<Framework> frameworks;
    try {
        frameworks = parseFrameworks(s(p.value(QStringLiteral("framework"))));
    } catch (const std::invalid_argument& e) {
        return usage(p, QString::fromStdString(e.what()));
    }
    if (!p.isSet(QStringLiteral("output")))
        return usage(p, QStringLiteral("-o FILE is required"));
    return guarded([&] {
        auto store = openStore(p, Store::OpenMode::Existing);
        const std::string target = s(p.value(QStringLiteral("target")));
        std::optional<std::int64_t> scanId;
        if (!target.empty() && !p.isSet(QStringLiteral("scan"))) {
            scanId = store->latestScanOf(target);
            if (!scanId) {
                err("no scan of target " + target + "; `layerguard posture` lists the targets");
                return kExitFailure;
            }
        } else if (p.isSet(QStringLiteral("scan"))) {
            scanId = resolveScan(*store, p, &code);
        } else if (store->latestScanId()) {
            scanId = 0; // the estate: the latest scan of each target
        } else {
            err("the cache " + store->path() + " holds no scan yet; run `layerguard scan` first");
            return kExitFailure;
        }
        if (!scanId)
            return code;
        const std::string summary = writeReport(*store, *scanId, s(format), s(p.value(QStringLiteral("output"))),
            frameworks, p.isSet(QStringLiteral("framework")), nullptr, 0, target);
        if (format == QLatin1String("pdf"))
            std::cerr << printable(summary) << std::endl;
        return kExitOk;
    });
}

int cmdRules(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("List every rule with layer, severity, references, frameworks."));
    p.addOptions({ formatOption(QStringLiteral("table or json"), QStringLiteral("table")),
        { QStringLiteral("rules"), QStringLiteral("Extra rule folder (repeatable)."), QStringLiteral("DIR") } });
    int code = kExitOk;
    if (!parse(p, args, &code))
        return code;
    try {
        const RuleCatalog catalog = loadCatalog(p);
        if (p.value(QStringLiteral("format")) == QLatin1String("json")) {
            nlohmann::json arr = nlohmann::json::array();
            for (const auto& r : catalog.rules())
                arr.push_back(r.toJson());
            std::cout << dumpJson(arr, 2) << "\n";
            return kExitOk;
        }
        std::cout << pad("RULE", 30) << pad("LAYER", 14) << pad("SEVERITY", 10) << "TITLE / REFERENCES\n";
        for (const auto& r : catalog.rules()) {
            std::string refs;
            for (const auto& ref : r.references)
                refs += (refs.empty() ? "" : " ") + ref;
            std::cout << pad(r.id, 30) << pad(std::string(toString(r.layer)), 14)
                      << pad(std::string(toString(r.severity)), 10) << printable(r.title) << "\n"
                      << std::string(54, ' ') << printable(refs) << "\n";
        }
        std::cout << catalog.rules().size() << " rules\n";
        return kExitOk;
    } catch (const std::exception& e) {
        err(e.what());
        return kExitFailure;
    }
}

int cmdCache(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Cache maintenance: check | reset | retention N | path."));
    p.addPositionalArgument(QStringLiteral("action"), QStringLiteral("check, reset, retention or path"));
    p.addPositionalArgument(QStringLiteral("N"), QStringLiteral("for retention: scans to keep (0 = all)"));
    p.addOption(dbOption());
    int code = kExitOk;
    if (!parse(p, args, &code))
        return code;
    const auto pos = p.positionalArguments();
    if (pos.isEmpty())
        return usage(p, QStringLiteral("give an action"));
    const std::string path = p.isSet(QStringLiteral("db")) ? s(p.value(QStringLiteral("db"))) : defaultCachePath();
    return guarded([&] {
        if (pos[0] == QLatin1String("path")) {
            std::cout << path << "\n";
            return kExitOk;
        }
        if (pos[0] == QLatin1String("reset")) {
            if (!QFileInfo::exists(QString::fromStdString(path))) {
                std::cout << "no cache at " << path << "; nothing to reset\n";
                return kExitOk;
            }
            const std::string aside = moveAsideDamagedCache(path);
            Store fresh(path);
            std::cout << "moved the old cache to " << aside << " and created a new one at " << path << "\n";
            return kExitOk;
        }
        Store store(path, pos[0] == QLatin1String("check") ? Store::OpenMode::Existing : Store::OpenMode::Create);
        if (pos[0] == QLatin1String("check")) {
            const std::string result = store.integrityCheck();
            std::cout << path << ": " << result << " (schema " << store.schemaVersion() << ")\n";
            return result == "ok" ? kExitOk : kExitFailure;
        }
        if (pos[0] == QLatin1String("retention")) {
            if (pos.size() < 2) {
                std::cout << "keeping "
                          << (store.retention() == 0 ? std::string("every") : std::to_string(store.retention()))
                          << " scans\n";
                return kExitOk;
            }
            bool ok = false;
            const int n = pos[1].toInt(&ok);
            if (!ok || n < 0)
                return usage(p, QStringLiteral("retention takes a number of scans (0 = keep all)"));
            store.setRetention(n);
            return kExitOk;
        }
        return usage(p, QStringLiteral("unknown action ") + pos[0]);
    });
}

int cmdAccept(const QStringList& args, bool revoke)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        revoke ? QStringLiteral("Revoke an accepted risk.") : QStringLiteral("Accept the risk of a finding (by id)."));
    p.addPositionalArgument(QStringLiteral("FINDING_ID"), QStringLiteral("Finding id (see `findings`)."));
    p.addOptions({ { QStringLiteral("owner"), QStringLiteral("Who owns the risk."), QStringLiteral("NAME") },
        { QStringLiteral("reason"), QStringLiteral("Why it is accepted."), QStringLiteral("TEXT") },
        { QStringLiteral("expires"), QStringLiteral("Expiry date (YYYY-MM-DD)."), QStringLiteral("DATE") },
        dbOption() });
    int code = kExitOk;
    if (!parse(p, args, &code))
        return code;
    if (p.positionalArguments().size() != 1)
        return usage(p, QStringLiteral("give one finding id"));
    return guarded([&] {
        auto store = openStore(p, Store::OpenMode::Existing);
        const std::string fid = s(p.positionalArguments().front());
        const std::int64_t now = QDateTime::currentSecsSinceEpoch();
        if (!store->knowsFinding(fid)) {
            err("no finding " + fid + " in " + store->path() + "; `layerguard findings` lists the ids");
            return kExitUsage;
        }
        if (revoke) {
            if (!store->revokeRisk(fid, currentUser(), now)) {
                err("finding " + fid + " has no acceptance in force; nothing to revoke");
                return kExitUsage;
            }
            say("revoked the acceptance of " + fid + " from now on; stored scans keep their scores");
            return kExitOk;
        }
        if (!p.isSet(QStringLiteral("owner")) || !p.isSet(QStringLiteral("reason")))
            return usage(p, QStringLiteral("--owner and --reason are required"));
        AcceptedRisk r;
        r.fid = fid;
        r.owner = s(p.value(QStringLiteral("owner")));
        r.reason = s(p.value(QStringLiteral("reason")));
        r.createdAt = now;
        r.acceptedBy = currentUser();
        if (p.isSet(QStringLiteral("expires"))) {
            const QDate d = QDate::fromString(p.value(QStringLiteral("expires")), Qt::ISODate);
            if (!d.isValid())
                return usage(p, QStringLiteral("--expires takes a date as YYYY-MM-DD"));
            r.expiresAt = QDateTime(d, QTime(0, 0), Qt::UTC).toSecsSinceEpoch();
            if (*r.expiresAt <= now)
                return usage(p, QStringLiteral("--expires must be a date in the future"));
        }
        store->acceptRisk(r);
        say("accepted " + fid + " from now on" + (r.expiresAt ? " until " + dateText(*r.expiresAt) : std::string())
            + " (owner " + r.owner + ", recorded by " + r.acceptedBy + "); stored scans keep their scores");
        return kExitOk;
    });
}

int cmdTarget(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Saved connections: target add NAME (--docker URL | --manifests PATH | "
                                               "--host | --kubeconfig FILE [--context NAME] | --registry URL | "
                                               "--prometheus URL) | target list | target remove NAME."));
    p.addPositionalArgument(QStringLiteral("action"), QStringLiteral("add, list or remove"));
    p.addPositionalArgument(QStringLiteral("NAME"), QStringLiteral("target name"));
    p.addOptions({ { QStringLiteral("docker"), QStringLiteral("Docker engine URL."), QStringLiteral("URL") },
        { QStringLiteral("ca-file"), QStringLiteral("Extra CA for the engine."), QStringLiteral("FILE") },
        { QStringLiteral("manifests"), QStringLiteral("Manifests file or folder."), QStringLiteral("PATH") },
        { QStringLiteral("host"), QStringLiteral("This machine.") },
        { QStringLiteral("kubeconfig"), QStringLiteral("kubeconfig file (default: KUBECONFIG, ~/.kube/config)."),
            QStringLiteral("FILE") },
        { QStringLiteral("context"), QStringLiteral("kubeconfig context (default: the current one)."),
            QStringLiteral("NAME") },
        { QStringLiteral("prometheus"), QStringLiteral("Prometheus URL."), QStringLiteral("URL") },
        { QStringLiteral("registry"), QStringLiteral("OCI registry URL."), QStringLiteral("URL") },
        { QStringLiteral("repo"),
            QStringLiteral("Registry repository, a name or a glob (repeatable); exact names need no catalog."),
            QStringLiteral("PATTERN") },
        { QStringLiteral("registry-insecure"),
            QStringLiteral("Do not verify the registry's certificate (every scan reports it).") },
        { QStringLiteral("prom-user"), QStringLiteral("Prometheus user."), QStringLiteral("NAME") },
        { QStringLiteral("prom-token-file"), QStringLiteral("Prometheus token file."), QStringLiteral("FILE") },
        { QStringLiteral("prom-cert"), QStringLiteral("Prometheus client certificate."), QStringLiteral("FILE") },
        { QStringLiteral("prom-key"), QStringLiteral("Prometheus client key."), QStringLiteral("FILE") },
        formatOption(QStringLiteral("table or json"), QStringLiteral("table")), dbOption() });
    int code = kExitOk;
    if (!parse(p, args, &code))
        return code;
    const auto pos = p.positionalArguments();
    if (pos.isEmpty())
        return usage(p, QStringLiteral("give an action: add, list or remove"));
    try {
        auto store = openStore(p);
        if (pos[0] == QLatin1String("list")) {
            const auto all = store->targets();
            if (p.value(QStringLiteral("format")) == QLatin1String("json")) {
                nlohmann::json arr = nlohmann::json::array();
                for (const auto& t : all)
                    arr.push_back({ { "name", t.name }, { "kind", t.kind }, { "config", t.config } });
                std::cout << dumpJson(arr, 2) << "\n";
            } else {
                for (const auto& t : all)
                    std::cout << pad(t.name, 24) << pad(t.kind, 11) << dumpJson(t.config) << "\n";
                if (all.empty())
                    std::cout << "no saved targets; `layerguard target add NAME --docker URL` saves one\n";
            }
            return kExitOk;
        }
        if (pos.size() < 2)
            return usage(p, QStringLiteral("give a target name"));
        const std::string name = s(pos[1]);
        if (pos[0] == QLatin1String("remove")) {
            if (!store->removeTarget(name)) {
                err("no saved target \"" + name + "\"");
                return kExitFailure;
            }
            return kExitOk;
        }
        if (pos[0] != QLatin1String("add"))
            return usage(p, QStringLiteral("unknown action ") + pos[0]);
        SavedTarget t { name, {}, nlohmann::json::object(), QDateTime::currentSecsSinceEpoch() };
        if (p.isSet(QStringLiteral("docker"))) {
            const std::string url = s(p.value(QStringLiteral("docker")));
            if (url.find('@') != std::string::npos)
                return usage(
                    p, QStringLiteral("credentials do not belong in a saved URL (the cache is not a secret store)"));
            (void)resolveDockerEndpoint(url == "auto" ? std::string() : url); // refuse what cannot work
            t.kind = "docker";
            t.config = { { "url", url == "auto" ? std::string() : url },
                { "caFile", s(p.value(QStringLiteral("ca-file"))) } };
        } else if (p.isSet(QStringLiteral("manifests"))) {
            t.kind = "manifests";
            t.config = { { "path", s(QFileInfo(p.value(QStringLiteral("manifests"))).absoluteFilePath()) } };
        } else if (p.isSet(QStringLiteral("host"))) {
            t.kind = "host";
            t.config = { { "root", "/" } };
        } else if (p.isSet(QStringLiteral("registry"))) {
            const std::string url = s(p.value(QStringLiteral("registry")));
            if (url.find('@') != std::string::npos)
                return usage(
                    p, QStringLiteral("credentials do not belong in a saved URL (the cache is not a secret store)"));
            t.kind = "registry";
            std::vector<std::string> repos;
            for (const auto& r : p.values(QStringLiteral("repo")))
                repos.push_back(s(r));
            const QString ca = p.value(QStringLiteral("ca-file"));
            // Credentials stay in the docker config, a credential helper or podman's auth.json.
            t.config
                = { { "url", url }, { "caFile", ca.isEmpty() ? std::string() : s(QFileInfo(ca).absoluteFilePath()) },
                      { "repositories", repos }, { "insecure", p.isSet(QStringLiteral("registry-insecure")) } };
        } else if (p.isSet(QStringLiteral("prometheus"))) {
            const std::string url = s(p.value(QStringLiteral("prometheus")));
            if (url.find('@') != std::string::npos)
                return usage(
                    p, QStringLiteral("credentials do not belong in a saved URL (the cache is not a secret store)"));
            t.kind = "prometheus";
            auto abs = [&](const char* opt) {
                const QString v = p.value(QLatin1String(opt));
                return v.isEmpty() ? std::string() : s(QFileInfo(v).absoluteFilePath());
            };
            // Paths and the user name only: the password stays in LAYERGUARD_PROM_PASSWORD, the token in its file.
            t.config = { { "url", url }, { "caFile", abs("ca-file") },
                { "user", s(p.value(QStringLiteral("prom-user"))) }, { "tokenFile", abs("prom-token-file") },
                { "cert", abs("prom-cert") }, { "key", abs("prom-key") } };
        } else if (p.isSet(QStringLiteral("kubeconfig")) || p.isSet(QStringLiteral("context"))) {
            // The kubeconfig stays where the user keeps it; only its path and the context name are saved.
            std::string file = s(p.value(QStringLiteral("kubeconfig")));
            if (!file.empty())
                file = s(QFileInfo(QString::fromStdString(file)).absoluteFilePath());
            const auto ctx = Kubeconfig::load(file).resolve(s(p.value(QStringLiteral("context"))));
            t.kind = "kubernetes";
            t.config = { { "kubeconfig", file }, { "context", ctx.name } };
        } else {
            return usage(p,
                QStringLiteral("say what the target is: --docker URL, --manifests PATH, --host, --kubeconfig FILE "
                               "[--context NAME], --registry URL or --prometheus URL"));
        }
        store->saveTarget(t);
        std::cout << "saved target " << name << " (" << t.kind << "); scan it with `layerguard scan --target " << name
                  << "`\n";
        return kExitOk;
    } catch (const ConnectorError& e) {
        return failWith(e);
    } catch (const StoreError& e) {
        return failWith(e);
    }
}

int cmdHostSnapshot(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Print what --host reads, as a snapshot file (JSON)."));
    p.addOption({ QStringLiteral("host-root"), QStringLiteral("Read below this folder."), QStringLiteral("DIR"),
        QStringLiteral("/") });
    int code = kExitOk;
    if (!parse(p, args, &code))
        return code;
    HostConnector host(s(p.value(QStringLiteral("host-root"))));
    std::cout << dumpJson(host.readLive(), 2) << "\n";
    return kExitOk;
}

} // namespace

QString dashboardCache(const QStringList& args)
{
    if (args.size() == 3 && args[1] == QLatin1String("--db") && !args[2].isEmpty())
        return args[2];
    if (args.size() == 2 && args[1].startsWith(QLatin1String("--db=")) && args[1].size() > 5)
        return args[1].mid(5);
    if (args.size() == 2 && !args[1].startsWith(QLatin1Char('-'))
        && (args[1].endsWith(QLatin1String(".sqlite")) || args[1].endsWith(QLatin1String(".db"))))
        return args[1];
    return {};
}

bool isCliCommand(const QStringList& args)
{
    // Any argument means the headless CLI (an unknown one is a usage error there, never a window).
    // Qt's own window options (-platform, -style, ...) still open the dashboard.
    static const QStringList qtOptions { QStringLiteral("-platform"), QStringLiteral("-style"),
        QStringLiteral("-geometry"), QStringLiteral("-reverse") };
    return args.size() > 1 && !qtOptions.contains(args[1]) && dashboardCache(args).isEmpty();
}

int runCli(const QStringList& args)
{
    const QString cmd = args.value(1);
    QStringList rest = args.mid(2);
    rest.prepend(args.value(0) + QLatin1Char(' ') + cmd);
    if (cmd == QLatin1String("--version")) {
        std::cout << toolVersion() << "\n";
        return kExitOk;
    }
    if (cmd == QLatin1String("scan"))
        return cmdScan(rest);
    if (cmd == QLatin1String("import"))
        return cmdImport(rest);
    if (cmd == QLatin1String("findings"))
        return cmdFindings(rest);
    if (cmd == QLatin1String("history"))
        return cmdHistory(rest);
    if (cmd == QLatin1String("diff"))
        return cmdDiff(rest);
    if (cmd == QLatin1String("posture"))
        return cmdPosture(rest);
    if (cmd == QLatin1String("report"))
        return cmdReport(rest);
    if (cmd == QLatin1String("rules"))
        return cmdRules(rest);
    if (cmd == QLatin1String("cache"))
        return cmdCache(rest);
    if (cmd == QLatin1String("accept"))
        return cmdAccept(rest, false);
    if (cmd == QLatin1String("revoke"))
        return cmdAccept(rest, true);
    if (cmd == QLatin1String("host-snapshot"))
        return cmdHostSnapshot(rest);
    if (cmd == QLatin1String("target"))
        return cmdTarget(rest);
    std::cout << "usage: layerguard [COMMAND] [OPTIONS]\n"
                 "  (no command)   open the desktop dashboard\n"
                 "  scan           collect, evaluate and store one scan\n"
                 "  import         store the results of OpenSCAP, Lynis, kube-bench, docker-bench, Kubescape, "
                 "Trivy, Grype\n"
                 "  posture        the estate: each target's latest scan, and all of them together\n"
                 "  findings       list the findings of the estate, a target (--target) or a scan (--scan)\n"
                 "  history        score per layer per scan (--target: one target's own)\n"
                 "  diff           new / resolved findings: each target against its previous scan, or two scans\n"
                 "  report         write a PDF, JSON, CSV, SARIF or JUnit report\n"
                 "  rules          list the rule catalogue\n"
                 "  accept/revoke  accept the risk of a finding, or take it back\n"
                 "  target         add NAME --docker URL | --manifests PATH | --host | --kubeconfig F [--context C]; "
                 "list; remove NAME\n"
                 "  cache          check | reset | retention N | path\n"
                 "  host-snapshot  print what --host reads\n"
                 "`layerguard COMMAND --help` tells more.\n";
    return cmd.isEmpty() || cmd == QLatin1String("--help") || cmd == QLatin1String("-h") || cmd == QLatin1String("help")
        ? kExitOk
        : kExitUsage;
}

} // namespace lg
