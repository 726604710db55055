#pragma once

#include "store.h"

#include <QWidget>

class QTableWidget;
class QTextBrowser;

namespace lg {

/** History: every scan with its per-layer scores and how each source went. */
class ScansPage : public QWidget {
    Q_OBJECT
public:
    explicit ScansPage(QWidget* parent = nullptr);
    void refresh(const Store& store);

private:
    QTableWidget* m_table;
    QTextBrowser* m_sources;
    std::vector<ScanInfo> m_scans;
};

} // namespace lg
