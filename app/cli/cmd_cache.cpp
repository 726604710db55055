#include "cli/clicommon.h"
#include "connectors/host/hostconnector.h"
#include "core/jsonutil.h"
#include "core/user.h"
#include <QDateTime>
#include <QFileInfo>

namespace lg::cli {

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

} // namespace lg::cli
