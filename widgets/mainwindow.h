#pragma once

#include "connectors/common/sourcekind.h"
#include "store/store.h"
#include "widgets/theme.h"

#include <QElapsedTimer>
#include <QMainWindow>
#include <QSettings>

#include <memory>

class QAction;
class QComboBox;
class QMenu;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QToolButton;

namespace lg {

class ConnectionsDialog;
class FindingsPage;
class SecretStore;
class OverviewPage;
class ScanController;
class ScansPage;

/** The dashboard window: navigation on the left, one page per area, scans in the toolbar. */
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(std::unique_ptr<Store> store, QWidget* parent = nullptr);
    ~MainWindow() override;

    /** Reloads every page from the cache. */
    void refreshAll();
    /** Reloads when another process (the CLI, another window) changed the cache since it was last shown. */
    void refreshIfChangedElsewhere();
    /** Shows one finding in All findings (from a top risk, a change, a history row). */
    void showFinding(const QString& findingId, const QString& target);
    void scanDemo();
    /**
     * Scans one source of a kind (connectors/sources.cpp) with these settings: a folder, a kubeconfig context;
     * asks first when it would run a command (a credential plugin).
     */
    void scanSource(const QString& kindId, const SourceValues& values);
    /** Imports other tools' reports (OpenSCAP, Lynis, kube-bench, docker-bench, Kubescape, Trivy, Grype) as a scan. */
    void importReports(const QStringList& paths);
    void chooseReportsToImport();
    void exportReport();
    /** Opens the connections manager (add, edit, test, remove saved connections). */
    ConnectionsDialog* openConnections();
    /** Scans a saved connection, with its secret from the OS keyring when it has one. */
    void scanSavedTarget(const QString& name);
    [[nodiscard]] SecretStore* secretStore() const { return m_secrets; }
    [[nodiscard]] ScanController* scanController() const { return m_scans; }
    /**
     * Shows a page by its id: "overview", "layer/host" ... "layer/orchestrator", "findings", "history"; an unknown
     * id shows the overview and gives false.
     */
    bool showPage(const QString& id);
    /** The id of the page shown. */
    [[nodiscard]] QString currentPage() const;
    [[nodiscard]] static QString layerPageId(Layer layer);
    [[nodiscard]] FindingsPage* findingsPage(int index) const;
    /** The target every page shows: empty for the whole estate (the latest scan of each target). */
    void setTarget(const QString& target);
    [[nodiscard]] QString target() const { return m_target; }
    /**
     * Asks for a target's new name and renames it with its history (Store::renameTarget); a saved connection's
     * secret moves in the OS keyring with it.
     */
    void renameTarget(const QString& target);

    /** Where the window keeps its layout and theme (XDG: ~/.config/layerguard/layerguard.ini). */
    [[nodiscard]] static QSettings settings();
    void setScheme(theme::Scheme scheme);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    /** The Scan button and its menu, the target picker, and a running scan's progress and Cancel. */
    void createToolBar();
    [[nodiscard]] QMenu* createScanMenu(QWidget* parent);
    /** The banner, the navigation and one page per area. */
    void createPages();
    /** What the overview asks for: a layer, a target, a finding, the overdue findings, a first scan. */
    void connectOverview();
    /** F5, and a look every 2 s whether another process changed the cache. */
    void watchTheCache();
    /** A scan's start, progress and end in the tool bar, the banner and the pages. */
    void connectScans();
    void createMenus();
    void addPage(const QString& id, const QString& title, QWidget* page, Qt::Key key, const QColor& color = {});
    [[nodiscard]] QString pageId(const QWidget* page) const;
    /** The Scan menu's entry for a kind of source: a list to choose from, a folder, or a new connection. */
    void addScanAction(QMenu* menu, const SourceKind& kind);
    void showErrors(const QStringList& errors);
    /** Moves a saved connection's secret in the OS keyring to its new name. */
    void moveSecret(const QString& from, const QString& to);
    void showUnobserved(qint64 scanId);
    /** The scan's line, a determinate bar and the time left when the sources say how far they are. */
    void showProgress(const QString& text, qint64 done, qint64 total);
    /** Progress and Cancel shown, Scan disabled, while a scan runs. */
    void showScanning(bool scanning);
    void saveSettings() const;
    /** Restores geometry, layouts and the colour scheme; returns the page to show. */
    QString restoreSettings();

    std::unique_ptr<Store> m_store;
    QElapsedTimer m_scanClock; ///< since the running scan started, for the time left
    std::int64_t m_dataVersion = 0; ///< the cache as last shown; another process's commit changes it
    ScanController* m_scans;
    QListWidget* m_nav;
    QStackedWidget* m_pages;
    OverviewPage* m_overview;
    std::vector<FindingsPage*> m_findingPages;
    ScansPage* m_history;
    QLabel* m_banner;
    QProgressBar* m_progress;
    QLabel* m_progressText;
    QPushButton* m_cancel;
    QAction* m_progressAction;
    QAction* m_cancelAction;
    QToolButton* m_scanButton;
    QComboBox* m_targetPicker;
    QString m_target;
    SecretStore* m_secrets;
};

} // namespace lg
