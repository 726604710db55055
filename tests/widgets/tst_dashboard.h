#pragma once
// The dashboard's test, one executable in files by theme: tst_dashboard.cpp (the window's pages, layout and what
// they show, and the helpers the others share), tst_dashboard_models.cpp, tst_dashboard_triage.cpp,
// tst_dashboard_overview.cpp (estate, trend, lifecycle), tst_dashboard_scans.cpp and tst_dashboard_reports.cpp.
#include <QObject>
#include <QString>
#include <QTemporaryDir>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

class QWidget;

class TestDashboard : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void emptyCacheShowsWhatToDo();
    void overviewAndPagesRender();
    void findingsModelIsSound();
    void windowedModelOverALargeScan();
    void keyboardAndChecklist();
    void historyComparesScans();
    void acceptRiskThroughTheWindow();
    void scanShowsProgressAndCancels();
    void trendIsDownsampledAndRanged();
    void estateOfTwoTargetsScannedApart();
    void overdueFindingsAndTimeToRemediate();
    void drillDownsAndChangesMadeElsewhere();
    void backgroundScanStoresAndRefreshes();
    void unreachableClusterIsShownWhereItFailed();
    void reportPreviewIsTheSavedPdf();
    void droppedReportsAreImported();
    void importedReferencesStayText();
    void windowsShowNoSecret();
    void layoutAndSchemeAreRemembered();

private:
    void seed(int scans);
    void save(QWidget* w, const QString& name);
    std::unique_ptr<QTemporaryDir> m_dir;
    std::string m_path;
    QTemporaryDir m_config; ///< QSettings of these windows, not the user's
};

namespace lg {
class MainWindow;
class OverviewPage;
} // namespace lg

/** Shows the window at the size the screenshots use; false when it never got exposed. */
[[nodiscard]] bool showWindow(lg::MainWindow& window);
/** The overview of the whole estate, on screen (its data may still be loading). */
lg::OverviewPage* showEstateOverview(lg::MainWindow& window);

/** Scans the demo lab's manifests as `target` into the cache at `path` at time `at` (0: now), without `disabled`. */
std::optional<std::int64_t> scanDemoManifests(
    const std::string& path, const std::string& target, std::int64_t at = 0, std::vector<std::string> disabled = {});
