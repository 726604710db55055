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
        QStringList errors;
        qint64 scanId = 0;
        bool cancelled = false;
        // The worker only leaves the latest state in a mailbox; the GUI thread takes it 100 ms after the first of
        // a burst, so a chatty source never floods the event loop (~10 updates a second at most).
        struct Mailbox {
            std::mutex mutex;
            Progress latest { std::string() };
            std::atomic<bool> posted { false };
        };
        auto box = std::make_shared<Mailbox>();
        auto report = [self, job, box](const Progress& p) {
            {
                std::lock_guard lock(box->mutex);
                box->latest = p;
            }
            if (box->posted.exchange(true))
                return;
            QMetaObject::invokeMethod(
                qApp,
                [self, job, box] {
                    QTimer::singleShot(100, qApp, [self, job, box] {
                        Progress latest { std::string() };
                        {
                            std::lock_guard lock(box->mutex);
                            latest = box->latest;
                            box->posted = false;
                        }
                        if (self && self->m_job == job && self->m_running)
                            Q_EMIT self->progress(QString::fromStdString(latest.text), latest.done, latest.total);
                    });
                },
                Qt::QueuedConnection);
        };
        try {
            static const RuleCatalog catalog = RuleCatalog::builtin();
            Store store(cachePath);
            ScanSettings settings;
            settings.runBy = user.toStdString();
            settings.keepFindings = false; // the dashboard reads them from the cache
            Scanner scanner(catalog, settings);
            const auto sources = factory();
            applyPreviousScan(store, sources); // a re-pointed tag is judged against the last scan
            const auto outcome = scanner.run(sources, &store, *cancel, report);
            cancelled = outcome.cancelled;
            for (const auto& s : outcome.sources) {
                if (!s.ok && s.error != "cancelled")
                    errors << QString::fromStdString(
                        s.target + ": " + s.error + (s.hint.empty() ? "" : " — " + s.hint));
            }
            if (outcome.nothingObserved && !outcome.anySourceFailed() && !outcome.cancelled)
                errors << QObject::tr("Nothing was observed: the sources answered, but with nothing any check could "
                                      "judge (no resource, no sample, no image). Check the path or the endpoint.");
            if (outcome.scanId)
                scanId = *outcome.scanId;
        } catch (const StoreError& e) {
            errors << errorText(e);
        } catch (const ConnectorError& e) {
            errors << errorText(e);
        } catch (const std::exception& e) {
            errors << QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            qApp,
            [self, job, scanId, errors, cancelled] {
                if (!self || self->m_job != job)
                    return;
                self->m_running = false;
                Q_EMIT self->finished(scanId, errors, cancelled);
            },
            Qt::QueuedConnection);
    });
}

} // namespace lg
