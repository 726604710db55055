#pragma once

#include "store/store.h"

#include <QWidget>

class QGridLayout;
class QLabel;
class QListWidget;
class QStackedLayout;
class QPushButton;
class QVBoxLayout;

class QChartView;
class QComboBox;

namespace lg {

class CacheWorker;
class LayerTile;

/** Posture at a glance: overall score, a tile per layer, the risk trend, top risks, changes. */
class OverviewPage : public QWidget {
    Q_OBJECT
public:
    explicit OverviewPage(QWidget* parent = nullptr);
    /**
     * Rebuilds from the cache: posture, tiles and trend at once (a few small queries); top risks and the
     * changes since the previous scan in the background (they read findings, which may be millions).
     */
    void refresh(const Store& store);
    /** One target, or with an empty name the estate (the latest scan of each target). */
    void setTarget(const QString& target) { m_target = target.toStdString(); }
    /** The targets list: one row per target of the estate with its score and age (tests). */
    [[nodiscard]] QListWidget* targetsList() const { return m_targets; }
    /** What a layer's tile shows (tests): nothing when the layer is not scanned. */
    [[nodiscard]] std::optional<LayerTally> tileTally(Layer layer) const;
    /** Processes events until the background part is done (tests, benchmarks). */
    bool waitUntilLoaded(int timeoutMs = 60000);
    [[nodiscard]] QChartView* trendView() const { return m_chart; }
    /** Trend range in days (0: every scan). */
    void setTrendRange(int days);
    /** Points drawn per layer series after downsampling (tests). */
    [[nodiscard]] int trendPoints() const { return m_trendPoints; }
    /** The overdue findings and time-to-remediate line (tests). */
    [[nodiscard]] QLabel* lifecycleLabel() const { return m_lifecycle; }
    /** The top risks and the changes since each target's previous scan (tests). */
    [[nodiscard]] QListWidget* topRisks() const { return m_topRisks; }
    [[nodiscard]] QListWidget* changes() const { return m_changes; }

Q_SIGNALS:
    void layerActivated(lg::Layer layer);
    /** A target of the list was activated: the window shows it. */
    void targetActivated(const QString& target);
    /** Rename… on a target of the list: the window asks for the new name. */
    void targetRenameRequested(const QString& target);
    void scanDemoRequested();
    /** The overdue figure was activated: the window lists the overdue findings. */
    void overdueActivated();
    /** A top risk or a new finding was activated (Enter or double-click): the window shows that finding. */
    void findingActivated(const QString& findingId, const QString& target);
    void scanManifestsRequested();

private:
    /** What to do first, while the cache holds no scan. */
    [[nodiscard]] QWidget* createEmptyState();
    /** The score with its band and change, the open counts, and the overdue and time-to-remediate line. */
    void addHeader(QVBoxLayout* v);
    /** The trend's title, range and chart. */
    void addTrend(QVBoxLayout* v);
    /** Targets, top risks and changes side by side. */
    [[nodiscard]] QGridLayout* createLists();
    void showPosture(const EstatePosture& estate, const EstatePoint* before);
    void showCounts(const EstatePosture& estate);
    void showTiles(const EstatePosture& estate, const EstatePoint* before);
    void showTargets(const EstatePosture& estate);
    /** Top risks and the changes since each target's previous scan, in the background. */
    void loadFindings(const EstatePosture& estate, std::int64_t now);
    void buildTrend();
    /** Overdue findings now and the mean time to remediate over the trend's range, in the background. */
    void loadLifecycle();
    /** What changed since each target's previous scan, added up; `compared`: how many targets had one. */
    struct Changes {
        int added = 0, resolved = 0, compared = 0;
        std::vector<Finding> addedFirst, resolvedFirst;
    };
    void showFindings(const std::vector<Finding>& top, const Changes& changes);

    QStackedLayout* m_stack = nullptr;
    QLabel* m_posture = nullptr;
    QLabel* m_postureDetail = nullptr;
    QLabel* m_counts = nullptr;
    std::vector<LayerTile*> m_tiles;
    QChartView* m_chart = nullptr;
    QListWidget* m_topRisks = nullptr;
    QListWidget* m_changes = nullptr;
    QLabel* m_changesTitle = nullptr;
    QComboBox* m_range = nullptr;
    QLabel* m_hover = nullptr;
    CacheWorker* m_worker = nullptr;
    CacheWorker* m_lifecycleWorker = nullptr;
    QLabel* m_lifecycle = nullptr;
    std::string m_storePath;
    std::vector<std::pair<std::int64_t, std::string>> m_parts; ///< the (scan, target) pairs shown
    std::vector<EstatePoint> m_points; ///< the estate (or the target) after every scan
    std::string m_target;
    QListWidget* m_targets = nullptr;
    QLabel* m_targetsTitle = nullptr;
    int m_trendPoints = 0;
};

} // namespace lg
