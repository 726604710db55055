#pragma once

#include "report/compliance.h"

#include <QDialog>
#include <QTemporaryDir>
#include <QThreadPool>

#include <atomic>
#include <memory>

class QCheckBox;
class QLabel;
class QPdfDocument;
class QPdfView;
class QPushButton;
class QSpinBox;
class QTimer;
class QVBoxLayout;

namespace lg {

/**
 * File → Export report: pick the frameworks, look at the PDF exactly as it will be written (drawn in
 * the background into a private temporary file and shown with Qt PDF), then save it, or the same scan
 * as SARIF, JSON, CSV or JUnit. The window stays responsive while a large report is drawn.
 */
class ReportDialog : public QDialog {
    Q_OBJECT
public:
    /** A report of scan `scanId`; with a `target`, of that target's share of it only. */
    ReportDialog(std::string cachePath, std::int64_t scanId, QWidget* parent = nullptr, std::string target = {});
    ~ReportDialog() override;

    [[nodiscard]] QPdfDocument* document() const { return m_document; }
    [[nodiscard]] std::vector<Framework> selectedFrameworks() const;
    /** Writes the report to `path` in the format its suffix names; the PDF is the previewed file. */
    [[nodiscard]] bool saveTo(const QString& path, QString* error = nullptr);
    /** `path` with the extension of the format chosen in the save dialog's `filter` unless it names one already. */
    [[nodiscard]] static QString withFormatExtension(const QString& path, const QString& filter);

Q_SIGNALS:
    void previewReady(int pages);
    void previewFailed(const QString& message);

private:
    /** A box per framework section, ticked, and a word on the formats. */
    [[nodiscard]] QVBoxLayout* createFrameworkColumn();
    /** The PDF view with its page number and zoom. */
    [[nodiscard]] QVBoxLayout* createPreviewColumn();
    void renderPreview();
    void chooseAndSave();

    std::string m_cachePath;
    std::string m_target;
    std::int64_t m_scanId;
    QTemporaryDir m_dir;
    QString m_previewPath; ///< the last complete preview; empty while none
    QString m_shownPath; ///< the file the view shows (removed when the next one replaces it)
    quint64 m_generation = 0;
    std::shared_ptr<std::atomic<bool>> m_cancel; ///< of the render under way
    QThreadPool m_pool; ///< one render at a time; destroyed (waiting for it) before m_dir
    std::vector<QCheckBox*> m_frameworks;
    QTimer* m_debounce;
    QPdfDocument* m_document;
    QPdfView* m_view;
    QSpinBox* m_page;
    QLabel* m_status;
    QPushButton* m_save;
};

} // namespace lg
