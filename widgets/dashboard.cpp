#include "dashboard.h"

#include "mainwindow.h"
#include "store.h"

#include <QApplication>
#include <QFile>
#include <QMessageBox>
#include <QPushButton>
#include <QTimer>

#include <cstdio>
#include <unistd.h>

namespace lg {

namespace {
class StartupProbe : public QObject {
public:
    using QObject::QObject;
    bool eventFilter(QObject* watched, QEvent* event) override
    {
        if (event->type() == QEvent::Paint && !m_painted) {
            m_painted = true;
            QTimer::singleShot(0, this, [] {
                std::fprintf(stdout, "interactive after %lld ms\n", processUptimeMs());
                std::fflush(stdout);
                QCoreApplication::quit();
            });
        }
        return QObject::eventFilter(watched, event);
    }

private:
    static long long processUptimeMs()
    {
        // Process start time from /proc (clock ticks since boot) against the system uptime.
        QFile stat(QStringLiteral("/proc/self/stat"));
        QFile uptime(QStringLiteral("/proc/uptime"));
        if (!stat.open(QIODevice::ReadOnly) || !uptime.open(QIODevice::ReadOnly))
            return -1;
        const QByteArray s = stat.readAll();
        const auto fields = s.mid(s.lastIndexOf(')') + 2).split(' ');
        const double startSecs = fields.value(19).toDouble() / double(sysconf(_SC_CLK_TCK));
        const double upSecs = uptime.readAll().split(' ').value(0).toDouble();
        return static_cast<long long>((upSecs - startSecs) * 1000.0);
    }
    bool m_painted = false;
};
} // namespace

int runDashboard(int argc, char** argv, const std::string& cachePath)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("layerguard"));
    QApplication::setApplicationDisplayName(QStringLiteral("Layerguard"));
    QApplication::setStyle(QStringLiteral("Fusion"));
    const std::string path = cachePath.empty() ? defaultCachePath() : cachePath;
    std::unique_ptr<Store> store;
    while (!store) {
        try {
            store = std::make_unique<Store>(path);
        } catch (const StoreError& e) {
            QMessageBox box(QMessageBox::Critical, QStringLiteral("Layerguard"),
                QString::fromStdString(e.what()) + QStringLiteral("\n\n") + QString::fromStdString(e.hint()));
            QPushButton* reset = nullptr;
            if (e.kind() == StoreError::Kind::Corrupt)
                reset = box.addButton(QObject::tr("Move it aside and start a new cache"), QMessageBox::AcceptRole);
            box.addButton(QMessageBox::Close);
            box.exec();
            if (!reset || box.clickedButton() != reset)
                return 1;
            try {
                (void)moveAsideDamagedCache(path);
            } catch (const StoreError& e2) {
                QMessageBox::critical(nullptr, QStringLiteral("Layerguard"), QString::fromStdString(e2.what()));
                return 1;
            }
        }
    }
    const bool firstStart = !store->latestScanId();
    MainWindow window(std::move(store));
    window.show();
    if (qEnvironmentVariableIsSet("LG_STARTUP_PROBE")) {
        // Benchmark B8 (tests/bench/b8_startup.sh): quit once the first frame is painted and the event loop
        // has nothing left to do, printing how long that took since the process started.
        auto* probe = new StartupProbe(&window);
        window.installEventFilter(probe);
    }
    if (firstStart)
        window.scanDemo(); // an empty cache shows something true: the bundled demo lab
    return app.exec();
}

} // namespace lg
