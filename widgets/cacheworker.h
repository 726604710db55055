#pragma once

#include "store/store.h"
#include "widgets/prompts.h"

#include <QObject>
#include <QPointer>
#include <QString>
#include <QThreadPool>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace lg {

/**
 * Runs cache queries off the UI thread, one at a time, on its own read-only connection. Starting a job
 * cancels the one before it; only the newest job's result is delivered (on the UI thread).
 */
class CacheWorker : public QObject {
    Q_OBJECT
public:
    explicit CacheWorker(QObject* parent = nullptr);
    ~CacheWorker() override; ///< cancels the running job and waits for it

    /**
     * Runs `job(reader, cancelled)` on the worker thread; then `done(result)` on this object's thread, unless
     * a newer job started meanwhile. A StoreError from the job becomes `failed(message)`.
     */
    template <class Result>
    void run(const std::string& cachePath, std::function<Result(const Store&, const std::atomic<bool>&)> job,
        std::function<void(Result)> done, std::function<void(const QString&)> failed)
    {
        auto cancel = startJob();
        const quint64 generation = m_generation;
        m_pool.start([this, cachePath, job = std::move(job), done = std::move(done), failed = std::move(failed), cancel,
                         generation]() mutable {
            if (cancel->load())
                return; // superseded before it started
            try {
                if (!m_reader || m_readerPath != cachePath) {
                    m_reader = Store::openReader(cachePath);
                    m_readerPath = cachePath;
                }
                m_reader->setInterruptFlag(cancel.get()); // a superseded query stops inside SQLite
                auto result = std::make_shared<Result>(job(*m_reader, *cancel));
                m_reader->setInterruptFlag(nullptr);
                QMetaObject::invokeMethod(
                    this,
                    [this, result, done = std::move(done), generation]() mutable {
                        if (finishJob(generation))
                            done(std::move(*result));
                    },
                    Qt::QueuedConnection);
            } catch (const StoreError& e) {
                m_reader.reset(); // reopened by the next job
                if (cancel->load())
                    return; // interrupted because superseded: nothing to report
                fail(errorText(e), std::move(failed), generation);
            } catch (const std::exception& e) {
                m_reader.reset();
                fail(QString::fromStdString(e.what()), std::move(failed), generation);
            }
        });
    }

    [[nodiscard]] bool isBusy() const { return m_busy; }
    /** Cancels the running job (its result is dropped). */
    void cancel();
    /** Processes events until no job runs or `timeoutMs` passed; true when idle (tests, benchmarks). */
    bool waitForIdle(int timeoutMs = 60000);

Q_SIGNALS:
    void busyChanged(bool busy);

private:
    std::shared_ptr<std::atomic<bool>> startJob();
    void fail(const QString& message, std::function<void(const QString&)> failed, quint64 generation)
    {
        QMetaObject::invokeMethod(
            this,
            [this, message, failed = std::move(failed), generation] {
                if (finishJob(generation))
                    failed(message);
            },
            Qt::QueuedConnection);
    }
    bool finishJob(quint64 generation);

    QThreadPool m_pool;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    quint64 m_generation = 0;
    bool m_busy = false;
    // Used only on the pool's single thread.
    std::unique_ptr<Store> m_reader;
    std::string m_readerPath;
};

} // namespace lg
