#include "cli/clicommon.h"
#include "core/jsonutil.h"
#include "targets/savedtarget.h"
#include <QDateTime>

namespace lg::cli {

namespace {

int listTargets(const Store& store, const QCommandLineParser& p)
{
    const auto all = store.targets();
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

/** `target rename OLD NEW`: the target's whole history takes the new name (Store::renameTarget). */
int renameTarget(Store& store, const QCommandLineParser& p, const QStringList& pos)
{
    if (pos.size() != 3)
        return usage(p, QStringLiteral("give the target's name and its new name: target rename OLD NEW"));
    const std::string from = s(pos[1]), to = s(pos[2].trimmed());
    const auto saved = store.target(from);
    TargetRename r;
    try {
        r = store.renameTarget(from, to);
    } catch (const std::invalid_argument& e) {
        err("cannot rename " + printable(from) + ": " + e.what()
            + " (`layerguard posture` and `layerguard target list` name the targets)");
        return kExitUsage;
    }
    std::cout << "renamed target " << printable(from) << " to " << printable(to) << ": " << r.scans
              << (r.scans == 1 ? " scan, " : " scans, ") << r.findings << (r.findings == 1 ? " finding" : " findings")
              << (r.savedConnection ? ", its saved connection" : "") << "\n";
    // The window keeps a saved connection's secret in the OS keyring under the connection's name; the CLI has no
    // keyring to move it in.
    if (saved && !secretKindOf(*saved).empty())
        say("a secret the window kept for " + from + " in the OS keyring stays under that name: enter it again for "
            + to + " in the window's Connections, or rename the target from the window, which moves it");
    return kExitOk;
}

/** `target add NAME <a source's flags>`: one source, without secrets. */
int addTarget(Store& store, const QCommandLineParser& p, const std::string& name)
{
    SavedTarget t { name, {}, nlohmann::json::object(), QDateTime::currentSecsSinceEpoch() };
    for (const auto& kind : sourceKinds()) {
        const auto values = kind.savable ? sourceValues(p, kind, SourceUse::Save) : std::nullopt;
        if (!values)
            continue;
        std::vector<nlohmann::json> configs;
        try {
            configs = kind.configsFor(*values);
        } catch (const std::invalid_argument& e) {
            return usage(p, QString::fromStdString(e.what()));
        }
        if (configs.size() != 1)
            return usage(p, QStringLiteral("a saved target is one source: give one of each"));
        try {
            kind.checkSavable(configs.front());
        } catch (const std::invalid_argument& e) {
            return usage(p, QString::fromStdString(e.what()));
        }
        t.kind = kind.id;
        t.config = configs.front();
        break;
    }
    if (t.kind.empty())
        return usage(p, QString::fromStdString("say what the target is: " + sourceFlagsText(SourceUse::Save)));
    store.saveTarget(t);
    std::cout << "saved target " << name << " (" << t.kind << "); scan it with `layerguard scan --target " << name
              << "`\n";
    return kExitOk;
}

} // namespace

int cmdTarget(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        QString::fromStdString("Saved connections and targets: target add NAME (" + sourceFlagsText(SourceUse::Save)
            + ") | target list | target remove NAME | target rename OLD NEW (the target's scans, findings and saved "
              "connection)."));
    p.addPositionalArgument(QStringLiteral("action"), QStringLiteral("add, list, remove or rename"));
    p.addPositionalArgument(QStringLiteral("NAME"), QStringLiteral("target name (rename: the old and the new)"));
    p.addOptions({ formatOption(QStringLiteral("table or json"), QStringLiteral("table")), dbOption() });
    addSourceOptions(p, SourceUse::Save);
    int code = kExitOk;
    if (!parse(p, args, &code))
        return code;
    const auto pos = p.positionalArguments();
    if (pos.isEmpty())
        return usage(p, QStringLiteral("give an action: add, list, remove or rename"));
    try {
        auto store = openStore(p);
        if (pos[0] == QLatin1String("list"))
            return listTargets(*store, p);
        if (pos[0] == QLatin1String("rename"))
            return renameTarget(*store, p, pos);
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
        return addTarget(*store, p, name);
    } catch (const ConnectorError& e) {
        return failWith(e);
    } catch (const StoreError& e) {
        return failWith(e);
    }
}

} // namespace lg::cli
