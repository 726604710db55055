#include "cli/clicommon.h"
#include "core/jsonutil.h"
#include "targets/savedtarget.h"
#include <QDateTime>

namespace lg::cli {

int cmdTarget(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QString::fromStdString("Saved connections: target add NAME ("
        + sourceFlagsText(SourceUse::Save) + ") | target list | target remove NAME."));
    p.addPositionalArgument(QStringLiteral("action"), QStringLiteral("add, list or remove"));
    p.addPositionalArgument(QStringLiteral("NAME"), QStringLiteral("target name"));
    p.addOptions({ formatOption(QStringLiteral("table or json"), QStringLiteral("table")), dbOption() });
    addSourceOptions(p, SourceUse::Save);
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

} // namespace lg::cli
