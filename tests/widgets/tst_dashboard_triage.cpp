// Triage through the window: the keyboard and a finding's checklist, a risk accepted in its dialog.
#include "tst_dashboard.h"

#include "store/store.h"
#include "widgets/findingsmodel.h"
#include "widgets/findingspage.h"
#include "widgets/mainwindow.h"

#include <QApplication>
#include <QDialogButtonBox>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QStackedWidget>
#include <QTableView>
#include <QTest>
#include <QTextBrowser>
#include <QTimer>

#include "testsupport.h"

using namespace lg;

void TestDashboard::keyboardAndChecklist()
{
    seed(1);
    MainWindow window(std::make_unique<Store>(m_path));
    QVERIFY(showWindow(window));
    QTest::keyClick(&window, Qt::Key_6, Qt::AltModifier); // Alt+1 overview, Alt+2..6 the layers
    auto* stack = window.findChild<QStackedWidget*>();
    QCOMPARE(stack->currentIndex(), 5);
    auto* page = window.findingsPage(4);
    QVERIFY(page->waitUntilLoaded());
    QTableView* table = page->table();
    table->setFocus();
    QTest::keyClick(table, Qt::Key_Down);
    const int row = table->currentIndex().row();
    QCOMPARE(row, 1);
    const std::string fid = page->model()->findingAt(row)->id;
    auto* checklist = page->findChild<QListWidget*>();
    QVERIFY(checklist->count() >= 1);
    checklist->item(0)->setCheckState(Qt::Checked);
    Store check(m_path);
    QCOMPARE(check.checklist(fid).size(), std::size_t(1));
    save(&window, QStringLiteral("15-finding-detail"));
}

void TestDashboard::acceptRiskThroughTheWindow()
{
    seed(1);
    MainWindow window(std::make_unique<Store>(m_path));
    QVERIFY(showWindow(window));
    window.showPage(QStringLiteral("layer/orchestrator"));
    auto* page = window.findingsPage(4);
    QVERIFY(page->waitUntilLoaded());
    page->table()->selectRow(0);
    const std::string fid = page->model()->findingAt(0)->id;
    QPushButton* accept = nullptr;
    for (auto* b : page->findChildren<QPushButton*>())
        if (b->text().startsWith(QStringLiteral("Accept risk")))
            accept = b;
    QVERIFY(accept && accept->isEnabled());
    // The dialog is modal: fill it in and press OK as a user would, once it is up.
    bool filled = false;
    QTimer::singleShot(0, this, [&] {
        QWidget* dlg = QApplication::activeModalWidget();
        QVERIFY(dlg);
        const auto edits = dlg->findChildren<QLineEdit*>();
        QVERIFY(edits.size() >= 2);
        edits[0]->setText(QStringLiteral("alice"));
        edits[1]->setText(QStringLiteral("Legacy exporter is replaced next sprint"));
        dlg->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
        filled = true;
    });
    accept->click();
    QVERIFY(filled);
    QVERIFY(page->waitUntilLoaded());
    Store store(m_path);
    const auto risks = store.acceptedRisks();
    QCOMPARE(risks.size(), std::size_t(1));
    LG_COMPARE(risks[0].fid, fid);
    LG_COMPARE(risks[0].owner, std::string("alice"));
    QVERIFY(risks[0].expiresAt.has_value());
    const auto rowId = store.findingRowId(*store.latestScanId(), fid);
    QVERIFY(rowId);
    const int row = page->model()->rowOfRowId(*rowId);
    QVERIFY(row >= 0);
    QCOMPARE(page->model()->index(row, FindingsModel::StatusColumn).data().toString(), QStringLiteral("Accepted"));
    // The posture now counts it accepted; the stored scan keeps the score it was written with.
    const auto orchestrator = [](const std::vector<LayerScore>& layers) {
        const auto it = std::find_if(
            layers.begin(), layers.end(), [](const LayerScore& l) { return l.layer == Layer::Orchestrator; });
        return it == layers.end() ? LayerTally {} : it->tally;
    };
    const std::int64_t now = QDateTime::currentSecsSinceEpoch();
    QVERIFY(orchestrator(store.layerScoresAt(*store.latestScanId(), now + 1)).acceptedWeight > 0);
    QCOMPARE(orchestrator(store.scan(*store.latestScanId())->layers).acceptedWeight, 0L);
    save(&window, QStringLiteral("22-risk-accepted"));

    // An acceptance that expired since: the finding is open again, and says why.
    AcceptedRisk expired;
    expired.fid = fid;
    expired.owner = "alice";
    expired.reason = "short-lived";
    expired.createdAt = now - 2 * 86400;
    expired.expiresAt = now - 86400;
    expired.acceptedBy = "alice";
    store.acceptRisk(expired);
    seed(1);
    window.refreshAll();
    QVERIFY(page->waitUntilLoaded());
    const Store after(m_path);
    const int reopened = page->model()->rowOfRowId(*after.findingRowId(*after.latestScanId(), fid));
    QVERIFY(reopened >= 0);
    QCOMPARE(page->model()->index(reopened, FindingsModel::StatusColumn).data().toString(), QStringLiteral("Open"));
    page->table()->selectRow(reopened);
    QVERIFY(page->findChild<QTextBrowser*>()->toPlainText().contains(QStringLiteral("Risk acceptance expired")));
}
