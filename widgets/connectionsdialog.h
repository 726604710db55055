#pragma once

#include "connectors/common/sourcekind.h"
#include "store/store.h"

#include <QDialog>
#include <QFutureWatcher>

#include <atomic>
#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QStackedWidget;
class QVBoxLayout;

namespace lg {

class SecretStore;

/**
 * Connections: add, edit, test and remove the Docker engines, Kubernetes contexts (picked from the user's
 * kubeconfig), registries, Prometheus endpoints, manifest folders and hosts a user scans. The cache keeps
 * each connection without its secrets; a password or token goes to the OS keyring (SecretStore).
 */
class ConnectionsDialog : public QDialog {
    Q_OBJECT
public:
    ConnectionsDialog(Store* store, SecretStore* secrets, QWidget* parent = nullptr);
    ~ConnectionsDialog() override;

    /** Selects a saved connection by name (tests). */
    void select(const QString& name);
    /** Starts a new connection of `kind` in the form. */
    void startNew(const QString& kind);
    /** Sets a form field by its accessible name (tests drive the form as a user would). */
    bool setField(const QString& accessibleName, const QString& value);
    [[nodiscard]] QString status() const;
    /** Processes events until the test or save in flight is done. */
    bool waitUntilIdle(int timeoutMs = 60000);

    void save();
    void test();
    void removeSelected();

Q_SIGNALS:
    /** The user asked to scan this saved connection now. */
    void scanRequested(const QString& name);
    /** Saved connections changed. */
    void connectionsChanged();

private:
    struct TestResult {
        bool ok = false;
        int resources = 0;
        qint64 ms = 0;
        QString message;
    };
    /** The saved connections with New and Remove. */
    [[nodiscard]] QVBoxLayout* createListColumn();
    /** Name, kind, the kind's form, the status line and Test, Save, Scan now, Close. */
    [[nodiscard]] QVBoxLayout* createFormColumn();
    /**
     * The kind picks its form, the list its connection, a finished test says how it went: connected once both
     * columns exist (adding the kinds to the combo box already moves its current index).
     */
    void connectSignals();
    void fillList();
    void load(const SavedTarget& t);
    void kindChanged();
    /** The Choice fields of the current kind, offered anew from its other fields (a kubeconfig's contexts). */
    void refreshChoices();
    /** A kind's form, from its fields (connectors/sources.cpp). */
    QWidget* formFor(const SourceKind& kind);
    /** What the form holds for a kind's fields, secrets aside. */
    [[nodiscard]] SourceValues formValues(const SourceKind& kind) const;
    [[nodiscard]] SavedTarget fromForm(QString* error) const;
    [[nodiscard]] QString secretFromForm() const;
    void setStatus(const QString& html, bool error = false);

    Store* m_store;
    SecretStore* m_secrets;
    QListWidget* m_list = nullptr;
    QLineEdit* m_name = nullptr;
    QComboBox* m_kind = nullptr;
    QStackedWidget* m_forms = nullptr;
    QLabel* m_status = nullptr;
    QPushButton* m_test = nullptr;
    QPushButton* m_save = nullptr;
    QPushButton* m_scan = nullptr;
    int m_pendingSecretJobs = 0;
    QFutureWatcher<TestResult> m_testWatcher;
    std::shared_ptr<std::atomic<bool>> m_testCancel;
};

} // namespace lg
