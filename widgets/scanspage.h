#pragma once

#include "store/store.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QTableWidget;
class QTextBrowser;
class QTreeWidget;

namespace lg {

class CacheWorker;

/**
 * History: the scans (of every target, or of one), each with its per-layer scores and how each source
 * went, and a comparison of any two scans: score changes per layer, the findings that are new and the
 * ones resolved (counted in SQL, computed in the background).
 */
class ScansPage : public QWidget {
    Q_OBJECT
public:
    explicit ScansPage(QWidget* parent = nullptr);
    void refresh(const Store& store);

    /** Compares scan `older` with scan `newer` (also what picking them in the page does). */
    void compare(std::int64_t older, std::int64_t newer);
    /** Shows the scans of one target only (empty: all). */
    void setTargetFilter(const QString& target);
    /** Processes events until the comparison is done (tests). */
    bool waitUntilCompared(int timeoutMs = 60000);
    [[nodiscard]] QTreeWidget* diffTree() const { return m_diff; }
    [[nodiscard]] QTableWidget* scansTable() const { return m_table; }

private:
    void fillTable();
    void selectedScanChanged();
    [[nodiscard]] const ScanInfo* scanById(std::int64_t id) const;

    QComboBox* m_target = nullptr;
    QTableWidget* m_table = nullptr;
    QTextBrowser* m_sources = nullptr;
    QComboBox* m_against = nullptr;
    QLabel* m_diffTitle = nullptr;
    QTreeWidget* m_diff = nullptr;
    CacheWorker* m_worker = nullptr;
    std::string m_cachePath;
    std::vector<ScanInfo> m_scans; ///< all scans, oldest first
    std::vector<const ScanInfo*> m_shown; ///< the table's rows, newest first
    bool m_filling = false;
};

} // namespace lg
