#pragma once

#include "store.h"

#include <QWidget>

class QLabel;
class QListWidget;
class QStackedLayout;
class QPushButton;

class QChartView;

namespace lg {

class LayerTile;

/** Posture at a glance: overall score, a tile per layer, the risk trend, top risks, changes. */
class OverviewPage : public QWidget {
    Q_OBJECT
public:
    explicit OverviewPage(QWidget* parent = nullptr);
    /** Rebuilds from the cache (cheap: a few queries). */
    void refresh(const Store& store);

Q_SIGNALS:
    void layerActivated(lg::Layer layer);
    void scanDemoRequested();
    void scanManifestsRequested();

private:
    void buildTrend(const std::vector<ScanInfo>& scans);

    QStackedLayout* m_stack = nullptr;
    QLabel* m_posture = nullptr;
    QLabel* m_postureDetail = nullptr;
    QLabel* m_counts = nullptr;
    std::vector<LayerTile*> m_tiles;
    QChartView* m_chart = nullptr;
    QListWidget* m_topRisks = nullptr;
    QListWidget* m_changes = nullptr;
    QLabel* m_changesTitle = nullptr;
};

} // namespace lg
