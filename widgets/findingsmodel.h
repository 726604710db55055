#pragma once

#include "model.h"

#include <QAbstractTableModel>

#include <vector>

namespace lg {

/** Findings of one scan as a table. Rows are sorted and filtered by the Store (SQL), not by a proxy. */
class FindingsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { SeverityColumn, RuleColumn, ResourceColumn, TargetColumn, StatusColumn, MessageColumn, ColumnCount };
    enum Role { FindingIdRole = Qt::UserRole + 1, SeverityRole };

    explicit FindingsModel(QObject* parent = nullptr);
    void setFindings(std::vector<Finding> findings);
    [[nodiscard]] const Finding* findingAt(int row) const;
    [[nodiscard]] const std::vector<Finding>& findings() const { return m_findings; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

    /** The rows as CSV (RFC 4180), for copy. */
    [[nodiscard]] QString toCsv(const QModelIndexList& rows) const;

    [[nodiscard]] static QString resourceText(const Finding& f);

private:
    std::vector<Finding> m_findings;
};

} // namespace lg
