#include "widgets/mainwindow.h"

#include "targets/savedtarget.h"
#include "widgets/findingspage.h"
#include "widgets/overviewpage.h"
#include "widgets/plurals.h"
#include "widgets/prompts.h"
#include "widgets/reportdialog.h"
#include "widgets/scancontroller.h"
#include "widgets/scanspage.h"
#include "widgets/secretstore.h"
#include "widgets/theme.h"

#include <QActionGroup>
#include <QCloseEvent>
#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QShortcut>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

namespace lg {

MainWindow::MainWindow(std::unique_ptr<Store> store, QWidget* parent)
    : QMainWindow(parent)
    , m_store(std::move(store))
{
    EnglishPlurals::install();
    // the application's display name (Layerguard) follows the title
    setWindowTitle(tr("Container security posture"));
    resize(1280, 800);
    m_scans = new ScanController(QString::fromStdString(m_store->path()), this);
    m_secrets = new SecretStore(this);
    createToolBar();
    createPages();
    connectOverview();
    watchTheCache();
    connectScans();
    createMenus();
    statusBar()->showMessage(tr("Cache: %1 — drop reports of OpenSCAP, Lynis, kube-bench, docker-bench, Kubescape, "
                                "Trivy or Grype here to import them")
                                 .arg(QString::fromStdString(m_store->path())));
    setAcceptDrops(true);
    // Layouts (sort columns) and the colour scheme first, so the first refresh is the only one.
    const QString page = restoreSettings();
    refreshAll();
    showPage(page);
}

void MainWindow::createToolBar()
{
    auto* toolbar = addToolBar(tr("Scan"));
    toolbar->setObjectName(QStringLiteral("scanToolbar")); // for saveState()
    toolbar->setMovable(false);
    auto* brand = new QLabel(tr("<b>&nbsp;Layerguard&nbsp;&nbsp;</b>"));
    toolbar->addWidget(brand);
    m_scanButton = new QToolButton;
    m_scanButton->setText(tr("Scan ▸"));
    m_scanButton->setPopupMode(QToolButton::InstantPopup);
    m_scanButton->setMenu(createScanMenu(m_scanButton));
    toolbar->addWidget(m_scanButton);
    // Which target every page shows: the estate (the latest scan of each target) or one target.
    toolbar->addSeparator();
    m_targetPicker = new QComboBox;
    m_targetPicker->setAccessibleName(tr("Target"));
    m_targetPicker->setToolTip(tr("Show the whole estate (the latest scan of each target) or one target"));
    m_targetPicker->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_targetPicker->addItem(tr("All targets"), QString());
    connect(m_targetPicker, &QComboBox::activated, this,
        [this](int index) { setTarget(m_targetPicker->itemData(index).toString()); });
    auto* targetLabel = new QLabel(tr("Target"));
    targetLabel->setContentsMargins(8, 0, 6, 0);
    targetLabel->setBuddy(m_targetPicker);
    toolbar->addWidget(targetLabel);
    toolbar->addWidget(m_targetPicker);
    m_progress = new QProgressBar;
    m_progress->setRange(0, 0);
    m_progress->setMaximumWidth(160);
    m_progressText = new QLabel;
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setObjectName(QStringLiteral("cancelScan"));
    toolbar->addSeparator();
    m_progressAction = toolbar->addWidget(m_progress);
    toolbar->addWidget(m_progressText);
    m_cancelAction = toolbar->addWidget(m_cancel);
    showScanning(false);
    connect(m_cancel, &QPushButton::clicked, m_scans, &ScanController::cancel);
}

void MainWindow::createPages()
{
    auto* central = new QWidget;
    auto* outer = new QVBoxLayout(central);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->setSpacing(0);
    m_banner = new QLabel;
    m_banner->setWordWrap(true);
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_banner->setStyleSheet(QStringLiteral(
        "QLabel { background: #FBE9E7; color: #7A1C10; padding: 8px; border-bottom: 1px solid #E0B4AC; }"));
    m_banner->setVisible(false);
    outer->addWidget(m_banner);
    auto* h = new QHBoxLayout;
    h->setContentsMargins(0, 0, 0, 0);
    m_nav = new QListWidget;
    m_nav->setFixedWidth(170);
    m_nav->setFrameShape(QFrame::NoFrame);
    m_nav->setSpacing(2);
    m_pages = new QStackedWidget;
    h->addWidget(m_nav);
    h->addWidget(m_pages, 1);
    outer->addLayout(h, 1);
    setCentralWidget(central);

    // The pages, each by a stable id: the shortcuts and the remembered page name the id, never a position.
    m_overview = new OverviewPage;
    addPage(QStringLiteral("overview"), tr("Overview"), m_overview, Qt::Key_1);
    int key = Qt::Key_2;
    for (Layer l : kAllLayers) {
        auto* page = new FindingsPage(l, m_store.get());
        m_findingPages.push_back(page);
        addPage(layerPageId(l), theme::layerTitle(l), page, Qt::Key(key++), theme::layerColor(l).darker(110));
        connect(page, &FindingsPage::stateChanged, this, &MainWindow::refreshAll);
    }
    auto* all = new FindingsPage(std::nullopt, m_store.get());
    m_findingPages.push_back(all);
    addPage(QStringLiteral("findings"), tr("All findings"), all, Qt::Key(key++));
    connect(all, &FindingsPage::stateChanged, this, &MainWindow::refreshAll);
    m_history = new ScansPage;
    addPage(QStringLiteral("history"), tr("History"), m_history, Qt::Key(key++));
    connect(m_nav, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);
    m_nav->setCurrentRow(0);
}

void MainWindow::connectOverview()
{
    connect(m_overview, &OverviewPage::layerActivated, this, [this](Layer l) { showPage(layerPageId(l)); });
    connect(m_overview, &OverviewPage::targetActivated, this, &MainWindow::setTarget);
    connect(m_overview, &OverviewPage::targetRenameRequested, this, &MainWindow::renameTarget);
    connect(m_overview, &OverviewPage::findingActivated, this, &MainWindow::showFinding);
    connect(m_overview, &OverviewPage::overdueActivated, this, [this] {
        m_findingPages.back()->setOverdueOnly(true); // All findings
        showPage(QStringLiteral("findings"));
    });
    connect(m_overview, &OverviewPage::scanDemoRequested, this, &MainWindow::scanDemo);
    connect(m_overview, &OverviewPage::scanManifestsRequested, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Kubernetes manifests folder"));
        if (!dir.isEmpty())
            scanSource(QStringLiteral("manifests"), { { "path", { dir.toStdString() } } });
    });
}

void MainWindow::watchTheCache()
{
    // F5 reloads; a scan or an acceptance made from the CLI shows up by itself (the cache is asked every 2 s
    // whether another process committed: one cheap pragma)
    auto* reload = new QShortcut(QKeySequence(Qt::Key_F5), this);
    connect(reload, &QShortcut::activated, this, &MainWindow::refreshAll);
    auto* watch = new QTimer(this);
    connect(watch, &QTimer::timeout, this, &MainWindow::refreshIfChangedElsewhere);
    watch->start(2000);
}

void MainWindow::createMenus()
{
    auto* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("Scan demo lab"), QKeySequence(Qt::CTRL | Qt::Key_R), this, &MainWindow::scanDemo);
    file->addAction(
        tr("Import reports…"), QKeySequence(Qt::CTRL | Qt::Key_I), this, &MainWindow::chooseReportsToImport);
    file->addAction(tr("Export report…"), QKeySequence(Qt::CTRL | Qt::Key_E), this, &MainWindow::exportReport);
    file->addAction(tr("Connections…"), QKeySequence(Qt::CTRL | Qt::Key_K), this, &MainWindow::openConnections);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
    auto* view = menuBar()->addMenu(tr("&View"));
    auto* schemes = new QActionGroup(this);
    for (const auto& [scheme, title] : { std::pair { theme::Scheme::System, tr("Colours of the system") },
             std::pair { theme::Scheme::Light, tr("Light") }, std::pair { theme::Scheme::Dark, tr("Dark") } }) {
        auto* a = view->addAction(title, this, [this, s = scheme] { setScheme(s); });
        a->setCheckable(true);
        a->setData(int(scheme));
        schemes->addAction(a);
    }
    connect(view, &QMenu::aboutToShow, this, [schemes] {
        for (auto* a : schemes->actions())
            a->setChecked(a->data().toInt() == int(theme::currentScheme()));
    });
}

MainWindow::~MainWindow() = default;

QSettings MainWindow::settings()
{
    return QSettings(
        QSettings::IniFormat, QSettings::UserScope, QStringLiteral("layerguard"), QStringLiteral("layerguard"));
}

void MainWindow::saveSettings() const
{
    QSettings s = settings();
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    s.setValue(QStringLiteral("window/page"), currentPage());
    s.setValue(QStringLiteral("window/target"), m_target);
    s.setValue(QStringLiteral("window/scheme"), int(theme::currentScheme()));
    for (std::size_t i = 0; i < m_findingPages.size(); ++i)
        s.setValue(QStringLiteral("findings/%1").arg(pageId(m_findingPages[i])), m_findingPages[i]->saveLayout());
}

QString MainWindow::restoreSettings()
{
    QSettings s = settings();
    restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    for (std::size_t i = 0; i < m_findingPages.size(); ++i)
        m_findingPages[i]->restoreLayout(
            s.value(QStringLiteral("findings/%1").arg(pageId(m_findingPages[i]))).toByteArray());
    const int scheme = s.value(QStringLiteral("window/scheme"), int(theme::Scheme::System)).toInt();
    if (scheme != int(theme::currentScheme()) && scheme >= 0 && scheme <= int(theme::Scheme::Dark))
        theme::applyScheme(theme::Scheme(scheme));
    const QString page = s.value(QStringLiteral("window/page")).toString();
    if (const QString target = s.value(QStringLiteral("window/target")).toString(); !target.isEmpty()) {
        m_target = target; // checked against the stored targets on the first refresh
        m_overview->setTarget(target);
        for (auto* p : m_findingPages)
            p->setTarget(target);
    }
    return page;
}

void MainWindow::setScheme(theme::Scheme scheme)
{
    theme::applyScheme(scheme);
    refreshAll(); // the trend chart takes the matching chart theme
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    saveSettings();
    QMainWindow::closeEvent(event);
}

FindingsPage* MainWindow::findingsPage(int index) const
{
    return index >= 0 && index < int(m_findingPages.size()) ? m_findingPages[std::size_t(index)] : nullptr;
}

QString MainWindow::layerPageId(Layer layer)
{
    return QStringLiteral("layer/") + QLatin1String(toString(layer));
}

void MainWindow::addPage(const QString& id, const QString& title, QWidget* page, Qt::Key key, const QColor& color)
{
    m_pages->addWidget(page);
    auto* item = new QListWidgetItem(title);
    item->setData(Qt::UserRole, id);
    item->setToolTip(tr("%1 (Alt+%2)").arg(title, QKeySequence(key).toString()));
    if (color.isValid())
        item->setForeground(color);
    m_nav->addItem(item);
    auto* shortcut = new QShortcut(QKeySequence(Qt::ALT | key), this);
    connect(shortcut, &QShortcut::activated, this, [this, id] { showPage(id); });
}

QString MainWindow::pageId(const QWidget* page) const
{
    const int row = m_pages->indexOf(page);
    return row >= 0 ? m_nav->item(row)->data(Qt::UserRole).toString() : QString();
}

QString MainWindow::currentPage() const
{
    return pageId(m_pages->currentWidget());
}

bool MainWindow::showPage(const QString& id)
{
    for (int row = 0; row < m_nav->count(); ++row)
        if (m_nav->item(row)->data(Qt::UserRole).toString() == id) {
            m_nav->setCurrentRow(row);
            return true;
        }
    m_nav->setCurrentRow(0); // an unknown id (a page of another version): the overview
    return false;
}

void MainWindow::setTarget(const QString& target)
{
    m_target = target;
    m_overview->setTarget(target);
    for (auto* p : m_findingPages)
        p->setTarget(target);
    refreshAll();
}

void MainWindow::renameTarget(const QString& target)
{
    if (m_scans->isRunning()) { // the running scan would store the old name again
        statusBar()->showMessage(tr("A scan is running: rename %1 when it has finished.").arg(target), 10000);
        return;
    }
    bool ok = false;
    const QString typed = QInputDialog::getText(this, tr("Rename target"),
        tr("New name of %1 (its scans, findings, acceptances and saved connection go with it):").arg(target),
        QLineEdit::Normal, target, &ok);
    const QString name = typed.trimmed();
    if (!ok || name == target)
        return;
    const auto saved = m_store->target(target.toStdString());
    try {
        const TargetRename r = m_store->renameTarget(target.toStdString(), name.toStdString());
        statusBar()->showMessage(tr("Renamed %1 to %2: %n scan(s)", nullptr, r.scans).arg(target, name), 10000);
    } catch (const std::invalid_argument& e) {
        QMessageBox::warning(
            this, tr("Rename target"), tr("%1 cannot be renamed: %2.").arg(target, QString::fromStdString(e.what())));
        return;
    } catch (const StoreError& e) { // the cache is as it was: the rename is one transaction
        QMessageBox::warning(this, tr("Rename target"), errorText(e));
        return;
    }
    if (saved && !secretKindOf(*saved).empty())
        moveSecret(target, name);
    if (m_target == target)
        setTarget(name); // refreshes
    else
        refreshAll();
}

void MainWindow::moveSecret(const QString& from, const QString& to)
{
    const auto failed = [this, to](const QString& error) {
        statusBar()->showMessage(
            tr("The secret of %1 stayed under its old name in the OS keyring (%2): enter it again in Connections")
                .arg(to, error),
            15000);
    };
    m_secrets->read(from, this, [this, from, to, failed](const QString& secret, const QString& error) {
        if (!error.isEmpty())
            failed(error);
        if (secret.isEmpty())
            return;
        m_secrets->write(to, secret, this, [this, from, failed](const QString& written) {
            if (!written.isEmpty())
                failed(written);
            else
                m_secrets->remove(from, this);
        });
    });
}

void MainWindow::refreshIfChangedElsewhere()
{
    try {
        if (m_store->dataVersion() != m_dataVersion && !m_scans->isRunning())
            refreshAll();
    } catch (const StoreError&) {
        // the next refresh says what is wrong with the cache
    }
}

void MainWindow::showFinding(const QString& findingId, const QString& target)
{
    if (!target.isEmpty() && !m_target.isEmpty() && target != m_target)
        setTarget(target);
    FindingsPage* all = m_findingPages.back();
    showPage(QStringLiteral("findings"));
    all->selectFinding(findingId.toStdString());
}

void MainWindow::refreshAll()
{
    try {
        m_dataVersion = m_store->dataVersion();
        // the picker lists every target with a stored scan; a target no longer there falls back to all
        const auto targets = m_store->scannedTargets();
        m_targetPicker->blockSignals(true);
        while (m_targetPicker->count() > 1)
            m_targetPicker->removeItem(1);
        for (const auto& t : targets)
            m_targetPicker->addItem(QString::fromStdString(t), QString::fromStdString(t));
        int index = m_targetPicker->findData(m_target);
        if (index < 0) {
            index = 0;
            m_target.clear();
            m_overview->setTarget({});
            for (auto* p : m_findingPages)
                p->setTarget({});
        }
        m_targetPicker->setCurrentIndex(index);
        m_targetPicker->blockSignals(false);
        m_overview->refresh(*m_store);
        for (auto* p : m_findingPages)
            p->refreshWhenShown(); // hidden pages query when they are next shown
        m_history->refresh(*m_store);
    } catch (const StoreError& e) {
        showErrors({ errorText(e) });
    }
}

void MainWindow::showErrors(const QStringList& errors)
{
    if (errors.isEmpty()) {
        m_banner->setVisible(false);
        return;
    }
    m_banner->setText(tr("<b>A source failed</b> — nothing was stored for this scan:<br>")
        + errors.join(QStringLiteral("<br>")).toHtmlEscaped());
    m_banner->setVisible(true);
}

void MainWindow::showUnobserved(qint64 scanId)
{
    // A layer whose sources answered with nothing to judge has no score: say so where it cannot be missed.
    const auto info = m_store->scan(scanId);
    QStringList layers;
    if (info)
        for (const auto& ls : info->layers)
            if (ls.tally.evaluated == 0)
                layers << theme::layerTitle(ls.layer);
    if (layers.isEmpty())
        return;
    m_banner->setText(tr("<b>Not observed</b> — %1: no check had data from its sources, so the layer has no score. "
                         "Its findings say what was missing.")
                          .arg(layers.join(QStringLiteral(", ")).toHtmlEscaped()));
    m_banner->setVisible(true);
}

void MainWindow::exportReport()
{
    // one target's latest scan when a target is picked, else the estate (0: the latest scan of each target)
    const auto latest = m_target.isEmpty() ? (m_store->latestScanId() ? std::optional<std::int64_t>(0) : std::nullopt)
                                           : m_store->latestScanOf(m_target.toStdString());
    if (!latest) {
        QMessageBox::information(this, tr("Export report"), tr("There is no scan to report on yet."));
        return;
    }
    ReportDialog dialog(m_store->path(), *latest, this, m_target.toStdString());
    dialog.resize(1100, 820);
    dialog.exec();
}

} // namespace lg
