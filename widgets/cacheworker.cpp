#include "widgets/cacheworker.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QThread>

namespace lg {

CacheWorker::CacheWorker(QObject* parent)
    : QObject(parent)
{
    m_pool.setMaxThreadCount(1);
    m_pool.setExpiryTimeout(-1); // keep the thread, and with it the reader connection
}

CacheWorker::~CacheWorker()
{
    m_pool.clear();
    cancel();
    m_pool.waitForDone();
    // The reader belongs to the pool's thread, which is idle now.
    m_reader.reset();
}

std::shared_ptr<std::atomic<bool>> CacheWorker::startJob()
{
    if (m_cancel)
        m_cancel->store(true);
    m_pool.clear(); // jobs not started yet are superseded: drop them
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    ++m_generation;
    if (!m_busy) {
        m_busy = true;
        Q_EMIT busyChanged(true);
    }
    return m_cancel;
}

bool CacheWorker::finishJob(quint64 generation)
{
    if (generation != m_generation)
        return false; // a newer job runs; its result is the one that counts
    m_busy = false;
    Q_EMIT busyChanged(false);
    return true;
}

void CacheWorker::cancel()
{
    if (m_cancel)
        m_cancel->store(true);
    ++m_generation;
    if (m_busy) {
        m_busy = false;
        Q_EMIT busyChanged(false);
    }
}

bool CacheWorker::waitForIdle(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (m_busy && !deadline.hasExpired()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        if (m_busy)
            QThread::msleep(1);
    }
    return !m_busy;
}

} // namespace lg
