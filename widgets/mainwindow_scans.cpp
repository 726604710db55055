#include "widgets/mainwindow.h"

#include "connectors/host/hostconnector.h"
#include "connectors/importers/importers.h"
#include "connectors/manifests/manifestsconnector.h"
#include "targets/importtarget.h"
#include "targets/savedtarget.h"
#include "widgets/connectionsdialog.h"
#include "widgets/prompts.h"
#include "widgets/scancontroller.h"
#include "widgets/secretstore.h"

#include <QAction>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QInputDialog>
#include <QLabel>
#include <QMenu>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QStatusBar>
#include <QToolButton>
#include <QUrl>
#include <QtConcurrent>

// What starts a scan (the Scan menu, saved connections, imported reports, files dropped on the window) and how a
// running one shows in the tool bar.

namespace lg {

namespace {

/** A source that finds itself (this machine, the default Docker engine) is scanned without a question. */
bool needsNothing(const SourceKind& kind)
{
    try {
        return !kind.configsFor({}).empty();
    } catch (const std::exception&) {
        return false;
    }
}

/**
 * Asks once which target reports that do not tell theirs describe: a known target (the one the other reports of the
 * import name, or the one picked, first) or a new name. nullopt when the user cancels; empty: named as they name
 * themselves.
 */
std::optional<QString> askImportTarget(
    QWidget* parent, const Store& store, const QString& picked, const ImportTargets& found)
{
    QStringList known;
    for (const auto& t : store.scannedTargets())
        known << QString::fromStdString(t);
    for (const auto& t : store.targets())
        known << QString::fromStdString(t.name);
    for (const auto& t : found.told)
        known << QString::fromStdString(t);
    known.removeDuplicates();
    known.sort();
    const QString likely = found.told.size() == 1 ? QString::fromStdString(found.told.front()) : picked;
    if (!likely.isEmpty()) {
        known.removeAll(likely);
        known.prepend(likely);
    }
    QStringList names;
    for (const auto& f : found.untold)
        names << QFileInfo(QString::fromStdString(f)).fileName();
    const int untold = int(names.size());
    if (untold > 3)
        names = names.mid(0, 3) << QStringLiteral("…");
    bool ok = false;
    const QString chosen = QInputDialog::getItem(parent, QObject::tr("Which target do these reports describe?"),
        QObject::tr("%n report(s) do not say which host or cluster they describe (%1).\nImport them into which "
                    "target? Pick one or type a new name.",
            nullptr, untold)
            .arg(names.join(QStringLiteral(", "))),
        known, 0, true, &ok);
    if (!ok)
        return std::nullopt;
    return chosen.trimmed();
}

QStringList localFiles(const QMimeData* mime)
{
    QStringList out;
    if (mime)
        for (const QUrl& url : mime->urls())
            if (url.isLocalFile())
                out << url.toLocalFile();
    return out;
}

} // namespace

QMenu* MainWindow::createScanMenu(QWidget* parent)
{
    auto* menu = new QMenu(parent);
    // Saved connections first: what this user scans every day.
    auto* saved = menu->addMenu(tr("Saved connection"));
    connect(saved, &QMenu::aboutToShow, this, [this, saved] {
        saved->clear();
        for (const auto& t : m_store->targets()) {
            const QString name = QString::fromStdString(t.name);
            saved->addAction(QStringLiteral("%1  (%2)").arg(name, QString::fromStdString(t.kind)), this,
                [this, name] { scanSavedTarget(name); });
        }
        if (saved->isEmpty())
            saved->addAction(tr("None yet"))->setEnabled(false);
        saved->addSeparator();
        saved->addAction(tr("Manage connections…"), this, &MainWindow::openConnections);
    });
    menu->addAction(tr("Demo lab"), this, &MainWindow::scanDemo);
    menu->addSeparator();
    for (const auto& kind : sourceKinds())
        if (kind.savable)
            addScanAction(menu, kind);
    menu->addSeparator();
    menu->addAction(tr("Import reports of other tools…"), this, &MainWindow::chooseReportsToImport);
    return menu;
}

void MainWindow::addScanAction(QMenu* menu, const SourceKind& kind)
{
    const QString id = QString::fromStdString(kind.id);
    const QString title = QString::fromStdString(kind.title);
    const auto choice
        = std::find_if(kind.fields.begin(), kind.fields.end(), [](const auto& f) { return bool(f.choices); });
    const auto firstField
        = std::find_if(kind.fields.begin(), kind.fields.end(), [](const auto& f) { return !f.label.empty(); });
    if (choice != kind.fields.end()) {
        // What there is to choose (a kubeconfig's contexts), read when the menu opens.
        auto* sub = menu->addMenu(title);
        connect(sub, &QMenu::aboutToShow, this, [this, sub, id, key = choice->key, choices = choice->choices] {
            sub->clear();
            try {
                for (const auto& c : choices({})) {
                    auto* a = sub->addAction(QString::fromStdString(c.value), this, [this, id, key, value = c.value] {
                        scanSource(id, { { key, { value } } });
                    });
                    a->setToolTip(QString::fromStdString(c.warning));
                }
                if (sub->isEmpty())
                    sub->addAction(tr("Nothing to choose"))->setEnabled(false);
            } catch (const ConnectorError& e) {
                sub->addAction(QString::fromStdString(e.what()))->setEnabled(false);
            }
        });
    } else if (firstField != kind.fields.end()
        && (firstField->input == FieldInput::Path || firstField->input == FieldInput::File)) {
        const bool file = firstField->input == FieldInput::File;
        menu->addAction(title + QStringLiteral("…"), this, [this, id, title, file, key = firstField->key] {
            const QString path
                = file ? QFileDialog::getOpenFileName(this, title) : QFileDialog::getExistingDirectory(this, title);
            if (!path.isEmpty())
                scanSource(id, { { key, { path.toStdString() } } });
        });
    } else if (needsNothing(kind)) {
        // Nothing to ask: the source finds itself (this machine, the default Docker engine).
        menu->addAction(title, this, [this, id] { scanSource(id, {}); });
    } else {
        // Needs an address and perhaps a secret: a connection, made once and kept.
        menu->addAction(title + QStringLiteral("…"), this, [this, id] { openConnections()->startNew(id); });
    }
}

void MainWindow::connectScans()
{
    connect(m_scans, &ScanController::started, this, [this](const QString& title) {
        m_scanClock.start();
        m_progress->setRange(0, 0); // busy until a source says how far it is
        showScanning(true);
        m_progressText->setText(tr("Scanning %1…").arg(title));
    });
    connect(m_scans, &ScanController::progress, this, &MainWindow::showProgress);
    connect(m_scans, &ScanController::finished, this, [this](qint64 id, const QStringList& errors, bool cancelled) {
        showScanning(false);
        m_progressText->setText(cancelled ? tr("Scan cancelled; the cache is unchanged.")
                : id > 0                  ? tr("Scan %1 stored.").arg(id)
                                          : tr("Scan failed; the cache is unchanged."));
        showErrors(errors);
        if (id > 0 && errors.isEmpty())
            showUnobserved(id);
        refreshAll();
    });
}

void MainWindow::showScanning(bool scanning)
{
    // In a tool bar a widget is shown and hidden through its action (a hidden action is also disabled:
    // hiding the button itself would leave it grey when shown again).
    m_progressAction->setVisible(scanning);
    m_cancelAction->setVisible(scanning);
    m_scanButton->setEnabled(!scanning);
}

void MainWindow::showProgress(const QString& text, qint64 done, qint64 total)
{
    if (total <= 0) {
        m_progress->setRange(0, 0);
        m_progressText->setText(text);
        return;
    }
    m_progress->setRange(0, 1000);
    m_progress->setValue(int(std::clamp<qint64>(done, 0, total) * 1000 / total));
    // Time left from the pace so far, once there is a pace to go by.
    const qint64 elapsed = m_scanClock.elapsed();
    if (done <= 0 || done >= total || elapsed < 2000) {
        m_progressText->setText(text);
        return;
    }
    const qint64 leftSecs = elapsed * (total - done) / done / 1000;
    m_progressText->setText(leftSecs < 60
            ? tr("%1 — about %n s left", nullptr, int(std::max<qint64>(leftSecs, 1))).arg(text)
            : tr("%1 — about %n min left", nullptr, int((leftSecs + 30) / 60)).arg(text));
}

void MainWindow::scanDemo()
{
    m_scans->start(tr("demo lab"), [] {
        std::vector<std::unique_ptr<Connector>> s;
        s.push_back(std::make_unique<ManifestsConnector>(":/demo/manifests", "demo-shop"));
        s.push_back(std::make_unique<HostConnector>("/", "demo-node", ":/demo/host.json"));
        return s;
    });
}

void MainWindow::scanSource(const QString& kindId, const SourceValues& values)
{
    const auto* kind = sourceKind(kindId.toStdString());
    if (!kind)
        return;
    std::vector<nlohmann::json> configs;
    try {
        configs = kind->configsFor(values);
        if (kind->runsCommand)
            for (const auto& c : configs)
                if (!confirmCommand(this, QString::fromStdString(kind->runsCommand(c)), tr("this scan")))
                    return;
    } catch (const ConnectorError& e) {
        showErrors({ errorText(e) });
        return;
    } catch (const std::exception& e) {
        showErrors({ QString::fromStdString(e.what()) });
        return;
    }
    QString title = QString::fromStdString(kind->title);
    if (!values.empty() && !values.begin()->second.empty())
        title += QLatin1Char(' ') + QString::fromStdString(values.begin()->second.front());
    m_scans->start(title, [kind = *kind, configs] {
        std::vector<std::unique_ptr<Connector>> s;
        for (const auto& c : configs) {
            SourceContext ctx;
            ctx.earlier = &s;
            s.push_back(kind.create(c, ctx));
        }
        return s;
    });
}

void MainWindow::chooseReportsToImport()
{
    const QStringList files = QFileDialog::getOpenFileNames(
        this, tr("Import reports"), {}, tr("Reports (*.xml *.json *.dat *.log);;All files (*)"));
    if (!files.isEmpty())
        importReports(files);
}

void MainWindow::importReports(const QStringList& paths)
{
    std::vector<std::string> files;
    for (const auto& p : paths)
        files.push_back(p.toStdString());
    // Whether the reports tell their target is read off the UI thread (a report may be hundreds of MB); when some
    // cannot, the window asks once which target they describe, then imports.
    auto* watcher = new QFutureWatcher<ImportTargets>(this);
    connect(watcher, &QFutureWatcher<ImportTargets>::finished, this, [this, watcher, files, count = paths.size()] {
        watcher->deleteLater();
        const ImportTargets found = watcher->result();
        std::string target;
        if (!found.unreadable && !found.untold.empty()) {
            const auto chosen = askImportTarget(this, *m_store, m_target, found);
            if (!chosen) {
                statusBar()->showMessage(tr("Import cancelled: nothing was stored."), 10000);
                return;
            }
            target = chosen->toStdString();
        }
        if (m_scans->isRunning()) {
            statusBar()->showMessage(tr("A scan is running: import the reports when it has finished."), 10000);
            return;
        }
        m_scans->start(tr("import of %n report(s)", nullptr, int(count)), [files, found, target] {
            std::vector<std::unique_ptr<Connector>> s;
            if (target.empty()) { // every report named as it names itself (a broken one fails the import)
                s.push_back(std::make_unique<ImportConnector>(files));
                return s;
            }
            if (!found.telling.empty())
                s.push_back(std::make_unique<ImportConnector>(found.telling));
            s.push_back(std::make_unique<ImportConnector>(found.untold, target));
            return s;
        });
    });
    watcher->setFuture(QtConcurrent::run([files] { return importTargets(files); }));
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (!localFiles(event->mimeData()).isEmpty() && m_scanButton->isEnabled())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const QStringList files = localFiles(event->mimeData());
    if (files.isEmpty())
        return;
    event->acceptProposedAction();
    importReports(files);
}

ConnectionsDialog* MainWindow::openConnections()
{
    auto* dlg = new ConnectionsDialog(m_store.get(), m_secrets, this);
    dlg->setAttribute(Qt::WA_DeleteOnClose);
    connect(dlg, &ConnectionsDialog::scanRequested, this, [this, dlg](const QString& name) {
        dlg->accept();
        scanSavedTarget(name);
    });
    dlg->show();
    return dlg;
}

void MainWindow::scanSavedTarget(const QString& name)
{
    const auto saved = m_store->target(name.toStdString());
    if (!saved) {
        showErrors({ tr("There is no saved connection %1 any more.").arg(name) });
        return;
    }
    const SavedTarget t = *saved;
    if (const auto* kind = sourceKind(t.kind); kind && kind->runsCommand) {
        try {
            if (!confirmCommand(this, QString::fromStdString(kind->runsCommand(t.config)), tr("this scan")))
                return;
        } catch (const ConnectorError& e) {
            showErrors({ tr("%1: %2").arg(name, errorText(e)) });
            return;
        }
    }
    const auto start = [this, t, name](TargetSecret secret) {
        if (m_scans->isRunning()) {
            statusBar()->showMessage(tr("A scan is running: scan %1 when it has finished.").arg(name), 10000);
            return;
        }
        m_scans->start(tr("connection %1").arg(name), [t, secret] {
            std::vector<std::unique_ptr<Connector>> s;
            s.push_back(connectorForTarget(t, secret));
            return s;
        });
    };
    if (secretKindOf(t).empty()) {
        start({});
        return;
    }
    m_secrets->read(name, this, [this, start](const QString& json, const QString& error) {
        const TargetSecret secret = TargetSecret::fromJson(json.toStdString());
        if (!error.isEmpty())
            statusBar()->showMessage(tr("No secret from the OS keyring (%1): scanning with the docker config, "
                                        "credential helpers or token files")
                                         .arg(error),
                10000);
        start(secret);
    });
}

} // namespace lg
