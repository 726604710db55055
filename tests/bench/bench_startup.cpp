// B8: the dashboard as `layerguard` starts it, on the cache LAYERGUARD_DB names; prints the time from process start
// to the first painted frame with an idle event loop, then quits. The probe lives here, not in the product.
#include "entry/allocator.h"
#include "widgets/dashboard.h"

#include <QCoreApplication>
#include <QEvent>
#include <QFile>
#include <QMainWindow>
#include <QTimer>

#include <cstdio>
#include <unistd.h>

namespace {

long long processUptimeMs()
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

class FirstFrame : public QObject {
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
    bool m_painted = false;
};

} // namespace

int main(int argc, char** argv)
{
    lg::keepLargeBuffersOnHeap();
    return lg::runDashboard(
        argc, argv, {}, [](QMainWindow& window) { window.installEventFilter(new FirstFrame(&window)); });
}
