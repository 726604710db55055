#pragma once

#include "store/store.h"

#include <QWidget>

#include <array>
#include <optional>

class QComboBox;
class QHBoxLayout;
class QSplitter;
class QStackedWidget;
class QToolButton;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QStackedLayout;
class QTableView;
class QTextBrowser;

namespace lg {

class CacheWorker;
class FindingGroupsModel;
class FindingsModel;

/**
 * Findings of one layer (or all layers): a filter bar (search, severity chips with counts, status,
 * group by), the windowed table (or the groups, then one group's findings), and a detail panel with
 * evidence, references, the remediation checklist and "Accept risk…". Queries run in the background.
 */
class FindingsPage : public QWidget {
    Q_OBJECT
public:
    FindingsPage(std::optional<Layer> layer, Store* store, QWidget* parent = nullptr);
    void refresh();
    /** Shows one target (its latest scan), or with an empty name the estate (the latest scan of each target). */
    void setTarget(const QString& target);
    [[nodiscard]] FindingsModel* model() const { return m_model; }
    [[nodiscard]] QTableView* table() const { return m_table; }
    [[nodiscard]] QTableView* groupsTable() const { return m_groupsTable; }
    [[nodiscard]] FindingGroupsModel* groupsModel() const { return m_groupsModel; }
    /** Groups the findings (None: the flat table). */
    void setGroupBy(FindingGroupBy by);
    /** Shows one group's findings (as after activating a group). */
    void openGroup(const QString& key);
    /** Severity chip on/off. */
    void setSeverityShown(Severity severity, bool shown);
    /** The overdue chip on/off: only open findings past their deadline. */
    void setOverdueOnly(bool only);
    /** Shows and selects one finding: filters and grouping that would hide it are cleared. */
    void selectFinding(const std::string& findingId);
    /** Processes events until the page's queries are done (tests, benchmarks). */
    bool waitUntilLoaded(int timeoutMs = 60000);
    /** Column widths and order, sort column, table/detail split: for QSettings. */
    [[nodiscard]] QByteArray saveLayout() const;
    void restoreLayout(const QByteArray& layout);
    /** Refreshes now when shown, else the next time the page is shown. */
    void refreshWhenShown();

protected:
    void showEvent(QShowEvent* event) override;

Q_SIGNALS:
    /** Checklist or accepted-risk state changed: other pages should refresh. */
    void stateChanged();

private:
    [[nodiscard]] QHBoxLayout* createFilterBar();
    /** The findings table and the groups table, one shown at a time. */
    [[nodiscard]] QWidget* createTables();
    /** The finding's text, its remediation checklist and "Accept risk…". */
    [[nodiscard]] QWidget* createDetailPane();
    void connectSignals();
    void showDetail();
    void fillChecklist(const Finding& f);
    void acceptRisk();
    void copySelection();
    void queryFinished(int rows);
    void showQueryError(const QString& message);
    void loadGroups(const FindingQuery& query);
    [[nodiscard]] FindingQuery currentQuery(std::int64_t scanId) const;

    std::optional<Layer> m_layer;
    std::string m_target; ///< empty: the whole estate
    Store* m_store;
    FindingsModel* m_model;
    QStackedLayout* m_stack = nullptr;
    QLabel* m_emptyText = nullptr;
    QLineEdit* m_search = nullptr;
    std::array<QToolButton*, 5> m_chips {};
    QToolButton* m_overdueChip = nullptr;
    QComboBox* m_status = nullptr;
    QComboBox* m_groupBy = nullptr;
    QToolButton* m_groupChip = nullptr;
    QStackedWidget* m_tables = nullptr;
    QTableView* m_groupsTable = nullptr;
    FindingGroupsModel* m_groupsModel = nullptr;
    CacheWorker* m_groupsWorker = nullptr;
    QString m_openGroup; ///< the group whose findings are shown (empty: none)
    bool m_openGroupSet = false;
    bool m_stale = true; ///< the cache changed since the last refresh
    QLabel* m_count = nullptr;
    QTableView* m_table = nullptr;
    QSplitter* m_split = nullptr;
    QTextBrowser* m_detail = nullptr;
    QListWidget* m_checklist = nullptr;
    QPushButton* m_accept = nullptr;
    std::string m_currentId;
    bool m_filling = false;
};

} // namespace lg
