// Reports in and out: the report dialog's preview is the PDF it saves; reports dropped on the window are imported,
// their references shown as text unless they are web links.
#include "droptest.h"
#include "tst_dashboard.h"

#include "store/store.h"
#include "widgets/findingsmodel.h"
#include "widgets/findingspage.h"
#include "widgets/mainwindow.h"
#include "widgets/reportdialog.h"
#include "widgets/scancontroller.h"

#include <QApplication>
#include <QCheckBox>
#include <QDir>
#include <QFile>
#include <QInputDialog>
#include <QMimeData>
#include <QPdfDocument>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QTextBrowser>
#include <QTimer>

#include "testsupport.h"

using namespace lg;

void TestDashboard::reportPreviewIsTheSavedPdf()
{
    seed(2);
    const auto scanId = Store(m_path).latestScanId();
    QVERIFY(scanId);
    ReportDialog dialog(m_path, *scanId);
    QSignalSpy ready(&dialog, &ReportDialog::previewReady);
    QSignalSpy failed(&dialog, &ReportDialog::previewFailed);
    dialog.resize(1100, 820);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 60000);
    QCOMPARE(failed.count(), 0);
    const int allPages = ready.at(0).at(0).toInt();
    QCOMPARE(dialog.document()->pageCount(), allPages);
    QVERIFY(allPages > 5);
    QCOMPARE(int(dialog.selectedFrameworks().size()), int(allFrameworks().size()));
    QTest::qWait(100);
    save(&dialog, QStringLiteral("18-report-preview"));

    // Fewer frameworks: a new preview with fewer pages replaces the old one.
    const auto boxes = dialog.findChildren<QCheckBox*>();
    QCOMPARE(boxes.size(), qsizetype(allFrameworks().size()));
    for (int i = 1; i < boxes.size(); ++i)
        boxes[i]->setChecked(false);
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 2, 60000);
    const int fewerPages = ready.at(1).at(0).toInt();
    QVERIFY2(fewerPages < allPages, qPrintable(QStringLiteral("%1 vs %2").arg(fewerPages).arg(allPages)));
    QCOMPARE(int(dialog.selectedFrameworks().size()), 1);

    // Saving the PDF writes the previewed document; other formats are written from the cache.
    const QString pdf = m_dir->filePath(QStringLiteral("out/report.pdf"));
    QVERIFY(QDir().mkpath(m_dir->filePath(QStringLiteral("out"))));
    QString error;
    QVERIFY2(dialog.saveTo(pdf, &error), qPrintable(error));
    QPdfDocument saved;
    QCOMPARE(saved.load(pdf), QPdfDocument::Error::None);
    QCOMPARE(saved.pageCount(), fewerPages);
    const QString json = m_dir->filePath(QStringLiteral("out/report.json"));
    QVERIFY2(dialog.saveTo(json, &error), qPrintable(error));
    QFile j(json);
    QVERIFY(j.open(QIODevice::ReadOnly));
    QVERIFY(j.readAll().contains("\"findings\""));
    QVERIFY(!dialog.saveTo(m_dir->filePath(QStringLiteral("missing/dir/report.csv")), &error));
    // a name typed without an extension gets the chosen format's; one with a format's extension keeps it
    QCOMPARE(ReportDialog::withFormatExtension(QStringLiteral("/tmp/q4"), QStringLiteral("SARIF 2.1.0 (*.sarif)")),
        QStringLiteral("/tmp/q4.sarif"));
    QCOMPARE(ReportDialog::withFormatExtension(
                 QStringLiteral("/tmp/q4.v2"), QStringLiteral("PDF compliance report (*.pdf)")),
        QStringLiteral("/tmp/q4.v2.pdf"));
    QCOMPARE(ReportDialog::withFormatExtension(QStringLiteral("/tmp/q4.JSON"), QStringLiteral("CSV (*.csv)")),
        QStringLiteral("/tmp/q4.JSON"));
    QVERIFY(!error.isEmpty());
}

void TestDashboard::droppedReportsAreImported()
{
    MainWindow window(std::make_unique<Store>(m_path));
    QVERIFY(showWindow(window));
    QSignalSpy finished(window.scanController(), &ScanController::finished);
    auto drop = [&](const QStringList& files) {
        QStringList paths;
        for (const auto& f : files)
            paths << QStringLiteral(LG_TEST_DATA "/importers/") + f;
        dropFiles(window, paths);
    };
    // kube-bench's report names no cluster: the window asks once which target it describes, offering first the one
    // Kubescape's names; the offer is taken
    QTimer answer;
    connect(&answer, &QTimer::timeout, this, [&answer] {
        if (auto* ask = qobject_cast<QInputDialog*>(QApplication::activeModalWidget())) {
            answer.stop();
            ask->accept();
        }
    });
    answer.start(20);
    drop({ QStringLiteral("kubescape.json"), QStringLiteral("kube-bench-master.json") });
    QVERIFY(finished.wait(30000));
    QVERIFY(!answer.isActive()); // it was asked
    QVERIFY2(finished.at(0).at(1).toStringList().isEmpty(),
        qPrintable(finished.at(0).at(1).toStringList().join(QLatin1Char(';'))));
    LG_COMPARE(finished.at(0).at(0).toLongLong(), qint64(1));
    // The imported findings are on the orchestrator page, under the tools' own ids.
    window.showPage(QStringLiteral("layer/orchestrator"));
    auto* model = window.findingsPage(4)->model();
    QTRY_VERIFY(model->rowCount() > 0);
    bool kubescape = false, kubeBench = false;
    for (int r = 0; r < model->rowCount(); ++r)
        for (int c = 0; c < model->columnCount(); ++c) {
            const QString cell = model->index(r, c).data().toString();
            kubescape = kubescape || cell.startsWith(QStringLiteral("KUBESCAPE-C-"));
            kubeBench = kubeBench || cell.startsWith(QStringLiteral("KUBE-BENCH-"));
        }
    QVERIFY(kubescape && kubeBench);
    save(&window, QStringLiteral("19-imported-reports"));
    // A truncated report: the error names the file, the cache keeps its one scan.
    drop({ QStringLiteral("truncated-kube-bench.json") });
    QVERIFY(finished.wait(30000));
    LG_COMPARE(finished.at(1).at(0).toLongLong(), qint64(0));
    QVERIFY(finished.at(1).at(1).toStringList().join(QString()).contains(QStringLiteral("truncated-kube-bench.json")));
    QCOMPARE(Store(m_path).scans().size(), std::size_t(1));
}

// References come from imported reports: only an http(s) one becomes a link, escaped; javascript:, file: and
// markup stay text (tests/data/hostile/xccdf-hostile-references.xml).
void TestDashboard::importedReferencesStayText()
{
    MainWindow window(std::make_unique<Store>(m_path));
    QVERIFY(showWindow(window));
    QSignalSpy finished(window.scanController(), &ScanController::finished);
    QMimeData mime;
    mime.setUrls({ QUrl::fromLocalFile(QStringLiteral(LG_TEST_DATA "/hostile/xccdf-hostile-references.xml")) });
    const QPoint at = window.rect().center();
    QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&window, &enter);
    QDropEvent dropped(QPointF(at), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&window, &dropped);
    QVERIFY(finished.wait(30000));
    QVERIFY2(finished.at(0).at(1).toStringList().isEmpty(),
        qPrintable(finished.at(0).at(1).toStringList().join(QLatin1Char(';'))));
    window.showPage(QStringLiteral("layer/host"));
    FindingsPage* page = window.findingsPage(0);
    QVERIFY(page->waitUntilLoaded());
    QTableView* table = page->table();
    QTRY_VERIFY(table->model()->rowCount() > 0);
    table->setCurrentIndex(table->model()->index(0, 0));
    QString html;
    for (auto* w : page->findChildren<QTextBrowser*>())
        html += w->toHtml();
    QVERIFY2(html.contains(QStringLiteral("javascript:alert(1)")), qPrintable(html)); // shown, as text
    QVERIFY2(!html.contains(QStringLiteral("href=\"javascript")), qPrintable(html));
    QVERIFY2(!html.contains(QStringLiteral("href=\"file")), qPrintable(html));
    QVERIFY2(!html.contains(QStringLiteral("<img")), qPrintable(html));
    QVERIFY2(html.contains(QStringLiteral("href=\"https://example.org/advice")), qPrintable(html));
    save(&window, QStringLiteral("25-hostile-references"));
}
