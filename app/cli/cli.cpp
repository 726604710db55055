#include "cli/cli.h"

#include "cli/clicommon.h"
#include "scan/scanner.h"

#include <iostream>

namespace lg {

namespace {

struct Command {
    const char* name;
    const char* summary; ///< one line of `layerguard --help`
    int (*run)(const QStringList&);
};

int cmdRevoke(const QStringList& args)
{
    return cli::cmdAccept(args, true);
}

int cmdAcceptRisk(const QStringList& args)
{
    return cli::cmdAccept(args, false);
}

// The subcommands and their one-line help, in the order `layerguard --help` lists them.
constexpr Command kCommands[] = {
    { "scan", "collect, evaluate and store one scan", cli::cmdScan },
    { "import", "store the results of OpenSCAP, Lynis, kube-bench, docker-bench, Kubescape, Trivy, Grype",
        cli::cmdImport },
    { "posture", "the estate: each target's latest scan, and all of them together", cli::cmdPosture },
    { "findings", "list the findings of the estate, a target (--target) or a scan (--scan)", cli::cmdFindings },
    { "history", "score per layer per scan (--target: one target's own)", cli::cmdHistory },
    { "diff", "new / resolved findings: each target against its previous scan, or two scans", cli::cmdDiff },
    { "report", "write a PDF, JSON, CSV, SARIF or JUnit report", cli::cmdReport },
    { "rules", "list the rule catalogue", cli::cmdRules },
    { "accept", "accept the risk of a finding", cmdAcceptRisk },
    { "revoke", "take an accepted risk back", cmdRevoke },
    { "target", "saved connections: add NAME (a source's flags) | list | remove NAME | rename OLD NEW",
        cli::cmdTarget },
    { "cache", "check | reset | retention N | path", cli::cmdCache },
    { "host-snapshot", "print what --host reads", cli::cmdHostSnapshot },
};

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
        return cli::kExitOk;
    }
    for (const auto& c : kCommands)
        if (cmd == QLatin1String(c.name))
            return c.run(rest);
    std::cout << "usage: layerguard [COMMAND] [OPTIONS]\n"
              << "  " << cli::pad("(no command)", 15) << "open the desktop dashboard\n";
    for (const auto& c : kCommands)
        std::cout << "  " << cli::pad(c.name, 15) << c.summary << "\n";
    std::cout << "`layerguard COMMAND --help` tells more.\n";
    return cmd.isEmpty() || cmd == QLatin1String("--help") || cmd == QLatin1String("-h") || cmd == QLatin1String("help")
        ? cli::kExitOk
        : cli::kExitUsage;
}

} // namespace lg
