// Scans run from the window: progress and cancel, stored and shown, a source that fails shown where it failed.
#include "tst_dashboard.h"

#include "store/store.h"
#include "widgets/findingsmodel.h"
#include "widgets/findingspage.h"
#include "widgets/mainwindow.h"
#include "widgets/scancontroller.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

#include "testsupport.h"

using namespace lg;

void TestDashboard::scanShowsProgressAndCancels()
{
    // A manifests folder large enough that the scan is still reading when Cancel is pressed.
    QDir().mkpath(m_dir->filePath(QStringLiteral("many")));
    for (int i = 0; i < 12000; ++i) {
        QFile f(m_dir->filePath(QStringLiteral("many/app-%1.yaml").arg(i)));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QStringLiteral(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app-%1, namespace: shop}\n"
            "spec:\n  template:\n    spec:\n      containers:\n      - {name: c, image: 'nginx:latest'}\n")
                    .arg(i)
                    .toUtf8());
    }
    MainWindow window(std::make_unique<Store>(m_path));
    QVERIFY(showWindow(window));
    QSignalSpy finished(window.scanController(), &ScanController::finished);
    QSignalSpy progress(window.scanController(), &ScanController::progress);
    QElapsedTimer clock;
    clock.start();
    window.scanSource(
        QStringLiteral("manifests"), { { "path", { m_dir->filePath(QStringLiteral("many")).toStdString() } } });
    auto* cancel = window.findChild<QPushButton*>(QStringLiteral("cancelScan"));
    QVERIFY(cancel);
    QTRY_VERIFY_WITH_TIMEOUT(cancel->isVisible(), 5000);
    // Per-source progress while it reads; cancelled once the files are being read.
    QTRY_VERIFY_WITH_TIMEOUT(
        progress.count() > 0 && progress.last().at(0).toString().startsWith(QStringLiteral("read ")), 20000);
    // How far, as numbers: a determinate bar part-way. The source says it every 50 files; the window hears the
    // latest at most ~10 times a second.
    QTest::qWait(800);
    const qint64 total = progress.last().at(2).toLongLong();
    QVERIFY(total > 0);
    QVERIFY(progress.last().at(1).toLongLong() < total);
    auto* bar = window.findChild<QProgressBar*>();
    QVERIFY(bar && bar->maximum() > 0 && bar->value() > 0);
    QVERIFY2(progress.count() <= clock.elapsed() / 100 + 2,
        qPrintable(QStringLiteral("%1 updates in %2 ms").arg(progress.count()).arg(clock.elapsed())));
    QVERIFY(cancel->isEnabled());
    cancel->click();
    save(&window, QStringLiteral("23-scan-cancelling"));
    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.at(0).at(0).toLongLong(), qint64(0));
    QVERIFY(finished.at(0).at(2).toBool()); // cancelled
    QVERIFY(Store(m_path).scans().empty()); // nothing stored
    QTRY_VERIFY(!cancel->isVisible());
}

void TestDashboard::backgroundScanStoresAndRefreshes()
{
    MainWindow window(std::make_unique<Store>(m_path));
    window.show();
    QSignalSpy finished(window.scanController(), &ScanController::finished);
    window.scanDemo();
    QVERIFY(finished.wait(30000));
    LG_COMPARE(finished.at(0).at(0).toLongLong(), qint64(1));
    QVERIFY(finished.at(0).at(1).toStringList().isEmpty());
    window.showPage(QStringLiteral("layer/orchestrator")); // pages query when shown
    QTRY_VERIFY(window.findingsPage(4)->model()->rowCount() > 0);
    // A failing source: error shown, nothing stored.
    window.scanSource(QStringLiteral("manifests"),
        { { "path", { m_dir->filePath(QStringLiteral("does-not-exist")).toStdString() } } });
    QVERIFY(finished.wait(30000));
    LG_COMPARE(finished.at(1).at(0).toLongLong(), qint64(0));
    QVERIFY(finished.at(1).at(1).toStringList().join(QString()).contains(QStringLiteral("does-not-exist")));
    QCOMPARE(Store(m_path).scans().size(), std::size_t(1));
    save(&window, QStringLiteral("16-source-error"));
}

void TestDashboard::unreachableClusterIsShownWhereItFailed()
{
    // A kubeconfig context whose API server does not answer: the banner names the context and the reason.
    const QString kubeconfig = m_dir->filePath(QStringLiteral("kubeconfig"));
    QFile f(kubeconfig);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("current-context: lab\nclusters:\n- name: lab\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n"
            "- name: u\n  user: {token: abc}\ncontexts:\n- name: lab\n  context: {cluster: lab, user: u}\n");
    f.close();
    qputenv("KUBECONFIG", kubeconfig.toUtf8());
    MainWindow window(std::make_unique<Store>(m_path));
    window.show();
    QSignalSpy finished(window.scanController(), &ScanController::finished);
    window.scanSource(QStringLiteral("kubernetes"), { { "context", { "lab" } } });
    QVERIFY(finished.wait(30000));
    qunsetenv("KUBECONFIG");
    LG_COMPARE(finished.at(0).at(0).toLongLong(), qint64(0));
    const QString errors = finished.at(0).at(1).toStringList().join(u'\n');
    QVERIFY2(errors.contains(QStringLiteral("kube:lab")) && errors.contains(QStringLiteral("127.0.0.1:1")),
        qPrintable(errors));
    QVERIFY(Store(m_path).scans().empty());
    save(&window, QStringLiteral("17-cluster-unreachable"));
}
