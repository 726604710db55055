#include "widgets/scancontroller.h"

#include <QTimer>

#include <mutex>

#include "core/user.h"
#include "targets/savedtarget.h"
#include "widgets/prompts.h"

#include "scan/scanner.h"
#include "store/store.h"

#include <QPointer>
#include <QtConcurrent>

namespace lg {

namespace {

/** What a scan left: the stored scan's id (0: none), what failed, whether it was cancelled. */
struct ScanResult {
    qint64 scanId = 0;
    QStringList errors;
    bool cancelled = false;
};

/**
 * A progress callback for the worker that only leaves the latest state in a mailbox; the GUI thread takes it
 * 100 ms after the first of a burst and hands it to `deliver`, so a chatty source never floods the event loop
 * (~10 updates a second at most).
 */
ProgressFn throttled(std::function<void(const Progress&)> deliver)
{
    struct Mailbox {
        std::mutex mutex;
        Progress latest { std::string() };
        std::atomic<bool> posted { false };
    };
    auto box = std::make_shared<Mailbox>();
    return [deliver = std::move(deliver), box](const Progress& p) {
        {
            std::lock_guard lock(box->mutex);
            box->latest = p;
        }
        if (box->posted.exchange(true))
            return;
        QMetaObject::invokeMethod(
            qApp,
            [deliver, box] {
                QTimer::singleShot(100, qApp, [deliver, box] {
                    Progress latest { std::string() };
                    {
                        std::lock_guard lock(box->mutex);
                        latest = box->latest;
                        box->posted = false;
                    }
                    deliver(latest);
                });
            },
            Qt::QueuedConnection);
    };
}

/** Scans the sources into the cache on the calling (worker) thread; every failure ends up in the errors. */
ScanResult runScan(const std::string& cachePath, const QString& user, const ScanController::SourceFactory& factory,
    const CancelToken& cancel, const ProgressFn& report)
{
    ScanResult result;
    try {
        static const RuleCatalog catalog = RuleCatalog::builtin();
        Store store(cachePath);
        ScanSettings settings;
        settings.runBy = user.toStdString();
        settings.keepFindings = false; // the dashboard reads them from the cache
        Scanner scanner(catalog, settings);
        const auto sources = factory();
        applyPreviousScan(store, sources); // a re-pointed tag is judged against the last scan
        const auto outcome = scanner.run(sources, &store, cancel, report);
        result.cancelled = outcome.cancelled;
        for (const auto& s : outcome.sources) {
            if (!s.ok && s.error != "cancelled")
                result.errors << QString::fromStdString(
                    s.target + ": " + s.error + (s.hint.empty() ? "" : " — " + s.hint));
        }
        if (outcome.nothingObserved && !outcome.anySourceFailed() && !outcome.cancelled)
            result.errors << QObject::tr("Nothing was observed: the sources answered, but with nothing any check "
                                         "could judge (no resource, no sample, no image). Check the path or the "
                                         "endpoint.");
        if (outcome.scanId)
            result.scanId = *outcome.scanId;
    } catch (const StoreError& e) {
        result.errors << errorText(e);
    } catch (const ConnectorError& e) {
        result.errors << errorText(e);
    } catch (const std::exception& e) {
        result.errors << QString::fromStdString(e.what());
    }
    return result;
}

} // namespace

ScanController::ScanController(QString cachePath, QObject* parent)
    : QObject(parent)
    , m_cachePath(std::move(cachePath))
{
}

ScanController::~ScanController()
{
    if (m_cancel)
        m_cancel->store(true);
}

void ScanController::cancel()
{
    if (m_cancel)
        m_cancel->store(true);
}

void ScanController::start(const QString& title, SourceFactory factory)
{
    if (m_running)
        return;
    m_running = true;
    m_cancel = std::make_shared<CancelToken>(false);
    const quint64 job = ++m_job;
    Q_EMIT started(title);
    QPointer<ScanController> self(this);
    auto cancel = m_cancel;
    const std::string cachePath = m_cachePath.toStdString();
    const QString user = QString::fromStdString(currentUser());
    (void)QtConcurrent::run([self, cancel, job, cachePath, factory, user] {
        const auto report = throttled([self, job](const Progress& p) {
            if (self)
                self->showProgress(job, p);
        });
        const ScanResult r = runScan(cachePath, user, factory, *cancel, report);
        QMetaObject::invokeMethod(
            qApp,
            [self, job, r] {
                if (!self || self->m_job != job)
                    return;
                self->m_running = false;
                Q_EMIT self->finished(r.scanId, r.errors, r.cancelled);
            },
            Qt::QueuedConnection);
    });
}

void ScanController::showProgress(quint64 job, const Progress& p)
{
    if (m_job == job && m_running)
        Q_EMIT progress(QString::fromStdString(p.text), p.done, p.total);
}

} // namespace lg
