#include "widgets/dashboard.h"

#include "store/store.h"
#include "widgets/mainwindow.h"

#include <QApplication>
#include <QFile>
#include <QMessageBox>
#include <QPushButton>

namespace lg {

int runDashboard(int argc, char** argv, const std::string& cachePath, const std::function<void(QMainWindow&)>& shown)
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
    if (shown)
        shown(window);
    if (firstStart)
        window.scanDemo(); // an empty cache shows something true: the bundled demo lab
    return app.exec();
}

} // namespace lg
