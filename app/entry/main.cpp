// layerguard: no argument opens the dashboard; a subcommand runs headless (see `layerguard --help`).
#include "cli.h"

#include <QCoreApplication>

#ifdef LG_HAVE_GUI
#include "dashboard.h"
#endif

int main(int argc, char** argv)
{
    QStringList args;
    for (int i = 0; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    if (lg::isCliCommand(args)) {
        QCoreApplication app(argc, argv);
        QCoreApplication::setApplicationName(QStringLiteral("layerguard"));
        return lg::runCli(args);
    }
#ifdef LG_HAVE_GUI
    return lg::runDashboard(argc, argv);
#else
    return lg::runCli(args);
#endif
}
