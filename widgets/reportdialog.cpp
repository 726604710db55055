#include "widgets/reportdialog.h"

#include "report/reportwriter.h"
#include "store/store.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPdfDocument>
#include <QPdfPageNavigator>
#include <QPdfView>
#include <QPointer>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent>

namespace lg {

namespace {

struct Rendered {
    quint64 generation = 0;
    QString path;
    QString error;
};

std::string formatOf(const QString& path)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("sarif"))
        return "sarif";
    if (suffix == QLatin1String("json"))
        return "json";
    if (suffix == QLatin1String("csv"))
        return "csv";
    if (suffix == QLatin1String("xml"))
        return "junit";
    return "pdf";
}

} // namespace

ReportDialog::ReportDialog(std::string cachePath, std::int64_t scanId, QWidget* parent, std::string target)
    : QDialog(parent)
    , m_cachePath(std::move(cachePath))
    , m_target(std::move(target))
    , m_scanId(scanId)
    , m_debounce(new QTimer(this))
    , m_document(new QPdfDocument(this))
    , m_view(new QPdfView(this))
    , m_page(new QSpinBox(this))
    , m_status(new QLabel(this))
    , m_save(new QPushButton(tr("&Save as…"), this))
{
    setWindowTitle(scanId == 0 ? tr("Export report of the estate") : tr("Export report of scan %1").arg(scanId));
    auto* left = createFrameworkColumn();
    auto* right = createPreviewColumn();

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_save, QDialogButtonBox::AcceptRole);
    m_save->setEnabled(false);
    disconnect(buttons, &QDialogButtonBox::accepted, nullptr, nullptr);
    connect(m_save, &QPushButton::clicked, this, &ReportDialog::chooseAndSave);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* columns = new QHBoxLayout;
    columns->addLayout(left);
    columns->addLayout(right, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(columns, 1);
    layout->addWidget(buttons);

    m_pool.setMaxThreadCount(1);
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(300);
    connect(m_debounce, &QTimer::timeout, this, &ReportDialog::renderPreview);
    if (!m_dir.isValid())
        m_status->setText(tr("Cannot create a temporary folder for the preview: %1").arg(m_dir.errorString()));
    else
        renderPreview();
}

QVBoxLayout* ReportDialog::createFrameworkColumn()
{
    auto* frameworks = new QGroupBox(tr("Framework sections"), this);
    auto* fwLayout = new QVBoxLayout(frameworks);
    for (const auto& fw : allFrameworks()) {
        auto* box = new QCheckBox(QString::fromStdString(fw.title), frameworks);
        box->setChecked(true);
        box->setProperty("framework", QString::fromStdString(fw.id));
        connect(box, &QCheckBox::toggled, m_debounce, qOverload<>(&QTimer::start));
        connect(box, &QCheckBox::toggled, m_save, [this] { m_save->setEnabled(false); }); // the preview is stale
        fwLayout->addWidget(box);
        m_frameworks.push_back(box);
    }
    fwLayout->addStretch();
    auto* hint = new QLabel(tr("The preview is the PDF that will be saved. SARIF, JSON, CSV and JUnit are chosen "
                               "by the file type in the save dialog."),
        this);
    hint->setWordWrap(true);
    hint->setForegroundRole(QPalette::PlaceholderText);

    auto* left = new QVBoxLayout;
    left->addWidget(frameworks);
    left->addWidget(hint);
    left->addStretch();
    return left;
}

QVBoxLayout* ReportDialog::createPreviewColumn()
{
    m_view->setDocument(m_document);
    m_view->setPageMode(QPdfView::PageMode::MultiPage);
    m_view->setZoomMode(QPdfView::ZoomMode::FitToWidth);
    m_view->setPageSpacing(12);
    m_view->setFocusPolicy(Qt::StrongFocus);

    auto* zoom = new QComboBox(this);
    zoom->addItem(tr("Fit width"));
    zoom->addItem(tr("Whole page"));
    zoom->addItem(tr("100 %"));
    connect(zoom, &QComboBox::currentIndexChanged, this, [this](int i) {
        if (i == 0)
            m_view->setZoomMode(QPdfView::ZoomMode::FitToWidth);
        else if (i == 1)
            m_view->setZoomMode(QPdfView::ZoomMode::FitInView);
        else {
            m_view->setZoomMode(QPdfView::ZoomMode::Custom);
            m_view->setZoomFactor(1.0);
        }
    });
    m_page->setPrefix(tr("Page "));
    m_page->setMinimum(1);
    m_page->setEnabled(false);
    connect(m_page, &QSpinBox::editingFinished, this,
        [this] { m_view->pageNavigator()->jump(m_page->value() - 1, {}, m_view->pageNavigator()->currentZoom()); });
    connect(m_view->pageNavigator(), &QPdfPageNavigator::currentPageChanged, this, [this](int page) {
        const QSignalBlocker block(m_page);
        m_page->setValue(page + 1);
    });

    auto* bar = new QHBoxLayout;
    bar->addWidget(m_status, 1);
    bar->addWidget(m_page);
    bar->addWidget(zoom);
    auto* right = new QVBoxLayout;
    right->addLayout(bar);
    right->addWidget(m_view, 1);
    return right;
}

ReportDialog::~ReportDialog()
{
    if (m_cancel)
        m_cancel->store(true); // the render stops at its next page; m_pool waits for it
    m_document->close(); // before the temporary folder goes
}

std::vector<Framework> ReportDialog::selectedFrameworks() const
{
    std::vector<Framework> out;
    for (const auto& fw : allFrameworks())
        for (const auto* box : m_frameworks)
            if (box->isChecked() && box->property("framework").toString().toStdString() == fw.id)
                out.push_back(fw);
    return out;
}

void ReportDialog::renderPreview()
{
    const quint64 generation = ++m_generation;
    if (m_cancel)
        m_cancel->store(true); // an older render is of no use any more
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    m_previewPath.clear();
    m_save->setEnabled(false);
    m_status->setText(tr("Drawing the report…"));
    const QString path = m_dir.filePath(QStringLiteral("preview-%1.pdf").arg(generation));
    auto* watcher = new QFutureWatcher<Rendered>(this);
    connect(watcher, &QFutureWatcher<Rendered>::finished, this, [this, watcher] {
        const Rendered r = watcher->result();
        watcher->deleteLater();
        if (r.generation != m_generation) { // the frameworks changed meanwhile: a newer one is coming
            QFile::remove(r.path);
            return;
        }
        if (!r.error.isEmpty()) {
            m_status->setText(tr("The report could not be drawn: %1").arg(r.error));
            Q_EMIT previewFailed(r.error);
            return;
        }
        const QString old = m_shownPath;
        m_document->close();
        if (!old.isEmpty())
            QFile::remove(old);
        m_shownPath.clear();
        if (m_document->load(r.path) != QPdfDocument::Error::None) {
            m_status->setText(tr("The preview could not be opened."));
            Q_EMIT previewFailed(m_status->text());
            return;
        }
        m_previewPath = m_shownPath = r.path;
        m_save->setEnabled(true);
        m_page->setEnabled(true);
        m_page->setMaximum(m_document->pageCount());
        m_page->setSuffix(tr(" of %1").arg(m_document->pageCount()));
        m_status->setText(m_scanId == 0 ? tr("%n page(s), the estate", nullptr, m_document->pageCount())
                                        : tr("%n page(s), scan %1", nullptr, m_document->pageCount()).arg(m_scanId));
        Q_EMIT previewReady(m_document->pageCount());
    });
    watcher->setFuture(QtConcurrent::run(&m_pool,
        [cache = m_cachePath, scan = m_scanId, target = m_target, fws = selectedFrameworks(), path, generation,
            cancel = m_cancel] {
            Rendered r { generation, path, {} };
            try {
                Store store(cache);
                (void)writeReport(store, scan, "pdf", path.toStdString(), fws, false, cancel.get(), 0, target);
            } catch (const std::exception& e) {
                r.error = QString::fromStdString(e.what());
            }
            return r;
        }));
}

bool ReportDialog::saveTo(const QString& path, QString* error)
{
    try {
        const std::string format = formatOf(path);
        if (format != "pdf") {
            Store store(m_cachePath);
            (void)writeReport(
                store, m_scanId, format, path.toStdString(), selectedFrameworks(), false, nullptr, 0, m_target);
            return true;
        }
        if (m_previewPath.isEmpty())
            throw std::runtime_error("the preview is not ready yet");
        QFile in(m_previewPath);
        QSaveFile out(path);
        if (!in.open(QIODevice::ReadOnly) || !out.open(QIODevice::WriteOnly) || out.write(in.readAll()) != in.size()
            || !out.commit())
            throw std::runtime_error("cannot write " + path.toStdString() + ": " + out.errorString().toStdString());
        return true;
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return false;
    }
}

QString ReportDialog::withFormatExtension(const QString& path, const QString& filter)
{
    // the extension of the chosen filter ("SARIF 2.1.0 (*.sarif)") when the typed name has none of the formats'
    static const QRegularExpression pattern(QStringLiteral("\\(\\*(\\.[a-z]+)\\)"));
    for (const char* known : { ".pdf", ".sarif", ".json", ".csv", ".xml" })
        if (path.endsWith(QLatin1String(known), Qt::CaseInsensitive))
            return path;
    const auto match = pattern.match(filter);
    return path + (match.hasMatch() ? match.captured(1) : QStringLiteral(".pdf"));
}

void ReportDialog::chooseAndSave()
{
    QString filter;
    QString path = QFileDialog::getSaveFileName(this, windowTitle(),
        m_scanId == 0 ? QStringLiteral("layerguard-estate.pdf")
                      : QStringLiteral("layerguard-scan-%1.pdf").arg(m_scanId),
        tr("PDF compliance report (*.pdf);;SARIF 2.1.0 (*.sarif);;JSON (*.json);;CSV (*.csv);;JUnit XML (*.xml)"),
        &filter);
    if (path.isEmpty())
        return;
    path = withFormatExtension(path, filter);
    QString error;
    if (!saveTo(path, &error)) {
        QMessageBox::warning(this, windowTitle(), tr("The report was not saved: %1").arg(error));
        return;
    }
    m_status->setText(tr("Saved %1").arg(QDir::toNativeSeparators(path)));
}

} // namespace lg
