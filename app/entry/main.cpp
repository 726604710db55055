// layerguard: no argument opens the dashboard; a subcommand runs headless (see `layerguard --help`).
#include "cli/cli.h"
#include "entry/allocator.h"

#include <QCoreApplication>
#include <QGuiApplication>

#ifdef LG_HAVE_GUI
#include "widgets/dashboard.h"
#endif

int main(int argc, char** argv)
{
    lg::keepLargeBuffersOnHeap();
    QStringList args;
    for (int i = 0; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    if (lg::isCliCommand(args) && args.value(1) == QLatin1String("report")) {
        // The PDF report draws text: it needs fonts, so a GUI application, but never a window.
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
        QGuiApplication app(argc, argv);
        QCoreApplication::setApplicationName(QStringLiteral("layerguard"));
        return lg::runCli(args);
    }
    if (lg::isCliCommand(args)) {
        QCoreApplication app(argc, argv);
        QCoreApplication::setApplicationName(QStringLiteral("layerguard"));
        return lg::runCli(args);
    }
#ifdef LG_HAVE_GUI
    return lg::runDashboard(argc, argv, lg::dashboardCache(args).toStdString());
#else
    return lg::runCli(args);
#endif
}
