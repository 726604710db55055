#pragma once

#include "connectors/common/connector.h"

#include <QFutureWatcher>
#include <QObject>

#include <atomic>
#include <functional>
#include <memory>

namespace lg {

struct ScanOutcome;

/**
 * Runs scans on a worker thread (QtConcurrent) with its own Store connection, reports progress
 * queued to the GUI thread, and cancels through a token. One scan at a time; results of a scan
 * that was superseded are dropped by job id.
 */
class ScanController : public QObject {
    Q_OBJECT
public:
    using SourceFactory = std::function<std::vector<std::unique_ptr<Connector>>()>;
    ScanController(QString cachePath, QObject* parent = nullptr);
    ~ScanController() override;

    [[nodiscard]] bool isRunning() const { return m_running; }
    /** Starts a scan of the sources the factory creates (called on the worker thread). */
    void start(const QString& title, SourceFactory factory);
    void cancel();

Q_SIGNALS:
    void started(const QString& title);
    /**
     * How far the scan is: a line, and `done` of `total` when the sources say (total 0: not known). The latest
     * state, at most about ten times a second however often the sources speak.
     */
    void progress(const QString& text, qint64 done, qint64 total);
    /** The scan was stored (scanId > 0) or failed/cancelled (scanId == 0, errors say why). */
    void finished(qint64 scanId, const QStringList& errors, bool cancelled);

private:
    /** Emits `progress` on the GUI thread unless the scan `job` has ended or another one started. */
    void showProgress(quint64 job, const Progress& p);

    QString m_cachePath;
    std::shared_ptr<CancelToken> m_cancel;
    quint64 m_job = 0;
    bool m_running = false;
};

} // namespace lg
