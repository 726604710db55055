#pragma once

#include "store.h"

#include <QWidget>

#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QStackedLayout;
class QTableView;
class QTextBrowser;

namespace lg {

class FindingsModel;

/**
 * Findings of one layer (or all layers): a filter bar (search, severity, status), the table, and a
 * detail panel with evidence, references, the remediation checklist and "Accept risk…".
 */
class FindingsPage : public QWidget {
    Q_OBJECT
public:
    FindingsPage(std::optional<Layer> layer, Store* store, QWidget* parent = nullptr);
    void refresh();
    [[nodiscard]] FindingsModel* model() const { return m_model; }
    [[nodiscard]] QTableView* table() const { return m_table; }

Q_SIGNALS:
    /** Checklist or accepted-risk state changed: other pages should refresh. */
    void stateChanged();

private:
    void showDetail();
    void acceptRisk();
    void copySelection();

    std::optional<Layer> m_layer;
    Store* m_store;
    FindingsModel* m_model;
    QStackedLayout* m_stack = nullptr;
    QLabel* m_emptyText = nullptr;
    QLineEdit* m_search = nullptr;
    QComboBox* m_severity = nullptr;
    QComboBox* m_status = nullptr;
    QLabel* m_count = nullptr;
    QTableView* m_table = nullptr;
    QTextBrowser* m_detail = nullptr;
    QListWidget* m_checklist = nullptr;
    QPushButton* m_accept = nullptr;
    std::string m_currentId;
    bool m_filling = false;
};

} // namespace lg
