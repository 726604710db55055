#pragma once

#include "core/model.h"
#include "store/store.h"

#include <QAbstractTableModel>

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

namespace lg {

class CacheWorker;

/**
 * Findings of one scan as a windowed table over the cache: the model holds only the row ids of the
 * current query (8 bytes a finding); rows are read from SQLite a window at a time as the view needs them.
 * Filtering, searching and sorting run in SQLite and on a worker thread (CacheWorker), never in a proxy
 * model; the previous rows stay on screen until the new list is ready.
 */
class FindingsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        SeverityColumn,
        RuleColumn,
        ResourceColumn,
        TargetColumn,
        StatusColumn,
        AgeColumn,
        MessageColumn,
        ColumnCount
    };
    enum Role { FindingIdRole = Qt::UserRole + 1, SeverityRole, OverdueRole };
    static constexpr int kWindow = 256; ///< rows read at a time

    explicit FindingsModel(QObject* parent = nullptr);
    ~FindingsModel() override;

    /** The cache rows are read from (on this thread; the worker opens its own reader on the same file). */
    void setStore(Store* store);
    /** Runs `query` in the background; queryFinished (or queryFailed) follows. */
    void setQuery(const FindingQuery& query);
    [[nodiscard]] const FindingQuery& query() const { return m_query; }
    [[nodiscard]] bool isLoading() const;
    /** Processes events until the running query is done; true when it is (tests, benchmarks). */
    bool waitForQuery(int timeoutMs = 60000);
    /** Same, for the rows only (the severity counts may still be on their way). */
    bool waitForRows(int timeoutMs = 60000);
    /** Drops the running query's result (the page switched to its groups). */
    void cancel();
    /** Recounts the severity chips for `query` alone (the page shows groups, not rows). */
    void updateSeverityCounts(const FindingQuery& query);

    /** The finding on `row`, read with its window when not cached; null outside the rows. */
    [[nodiscard]] const Finding* findingAt(int row) const;
    /** The row showing the finding with this row id, or -1. */
    [[nodiscard]] int rowOfRowId(std::int64_t rowId) const;
    /** Severity counts of the last query's scan and layer before the severity chips (open + accepted). */
    [[nodiscard]] const std::array<int, 5>& severityCounts() const { return m_severityCounts; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

    /** The rows as CSV (RFC 4180), for copy. */
    [[nodiscard]] QString toCsv(const QModelIndexList& rows) const;

    [[nodiscard]] static QString resourceText(const Finding& f);
    /** How long ago a finding was first seen: "5 h", "12 days". */
    [[nodiscard]] static QString ageText(std::int64_t firstSeen, std::int64_t now);
    [[nodiscard]] static FindingSort sortForColumn(int column);

Q_SIGNALS:
    void queryStarted();
    void queryFinished(int rows, qint64 elapsedMs);
    void queryFailed(const QString& message);
    void severityCountsChanged();

private:
    void startQuery();
    void clearWindows();

    Store* m_store = nullptr;
    CacheWorker* m_worker;
    CacheWorker* m_countsWorker; ///< the chips' counts, after the rows
    FindingQuery m_query;
    bool m_haveQuery = false;
    std::vector<std::int64_t> m_ids;
    std::array<int, 5> m_severityCounts {};
    mutable std::unordered_map<int, std::vector<Finding>> m_windows; ///< window index -> its rows
    mutable std::deque<int> m_windowOrder; ///< least recently read first
};

/** Groups of a findings list (group by rule, resource, namespace or target): key, count, worst severity. */
class FindingGroupsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { KeyColumn, CountColumn, WorstColumn, LayersColumn, ColumnCount };
    enum Role { KeyRole = Qt::UserRole + 1 };
    explicit FindingGroupsModel(QObject* parent = nullptr);
    void setGroups(FindingGroupBy by, std::vector<FindingGroup> groups);
    [[nodiscard]] FindingGroupBy groupBy() const { return m_by; }
    [[nodiscard]] const FindingGroup* groupAt(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    [[nodiscard]] static QString groupTitle(FindingGroupBy by);

private:
    FindingGroupBy m_by = FindingGroupBy::None;
    std::vector<FindingGroup> m_groups;
};

} // namespace lg
