// layerguard: no argument opens the dashboard; a subcommand runs headless (see `layerguard --help`).
#include "cli.h"

#include <QCoreApplication>
#include <QGuiApplication>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#ifdef LG_HAVE_GUI
#include "dashboard.h"
#endif

int main(int argc, char** argv)
{
#ifdef __GLIBC__
    // A scan allocates and frees buffers of a few MB again and again (list pages, finding blocks), and Qt's
    // PDF engine a 1 MiB one for each page it compresses (once a third of a big report's time). Past
    // glibc's mmap threshold (128 KiB by default) each is a fresh mapping whose pages fault in anew, which
    // costs more than the copy itself on virtual machines: keep them on the heap (32 MiB, the largest
    // threshold mallopt(3) documents), and the freed top for the next one. Setting any of these turns off glibc's
    // own threshold adjustment, so the threshold is set first and must hold.
    if (mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1) {
        mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
        mallopt(M_TOP_PAD, 16 * 1024 * 1024);
    }
#endif
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
