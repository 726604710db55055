#include "cli/clicommon.h"

#include <QDateTime>

#include <set>

namespace lg::cli {

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
std::unique_ptr<Store> openStore(const QCommandLineParser& p, Store::OpenMode mode)
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

std::optional<QString> chosenFormat(const QCommandLineParser& p, const QStringList& allowed, int* code)
{
    const QString format = p.value(QStringLiteral("format"));
    if (allowed.contains(format))
        return format;
    QString list = allowed.mid(0, allowed.size() - 1).join(QStringLiteral(", "));
    list += QStringLiteral(" or ") + allowed.last();
    *code = usage(p, QStringLiteral("--format takes ") + list);
    return std::nullopt;
}

namespace {

bool offered(const SourceKind& kind, const SourceField& field, SourceUse use)
{
    return !field.flag.empty() && (use == SourceUse::Scan || (kind.savable && !field.scanOnly));
}

} // namespace

void addSourceOptions(QCommandLineParser& p, SourceUse use)
{
    std::set<std::string> seen;
    for (const auto& kind : sourceKinds())
        for (const auto& f : kind.fields) {
            if (!offered(kind, f, use) || !seen.insert(f.flag).second)
                continue;
            if (f.valueName.empty())
                p.addOption({ QString::fromStdString(f.flag), QString::fromStdString(f.help) });
            else
                p.addOption({ QString::fromStdString(f.flag), QString::fromStdString(f.help),
                    QString::fromStdString(f.valueName) });
        }
}

std::optional<SourceValues> sourceValues(const QCommandLineParser& p, const SourceKind& kind, SourceUse use)
{
    bool selected = false;
    SourceValues values;
    for (const auto& f : kind.fields) {
        const QString flag = QString::fromStdString(f.flag);
        if (!offered(kind, f, use) || !p.isSet(flag))
            continue;
        selected = selected || f.selects;
        auto& v = values[f.key];
        if (f.valueName.empty())
            v.push_back("true");
        else
            for (const auto& value : p.values(flag))
                v.push_back(s(value));
    }
    if (!selected)
        return std::nullopt;
    return values;
}

std::string sourceFlagsText(SourceUse use)
{
    std::string text;
    for (const auto& kind : sourceKinds())
        for (const auto& f : kind.fields)
            if (f.selects && offered(kind, f, use)) {
                text += (text.empty() ? "--" : ", --") + f.flag + (f.valueName.empty() ? "" : " " + f.valueName);
                break;
            }
    return text;
}

} // namespace lg::cli
