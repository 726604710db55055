#include "widgets/connectionsdialog.h"

#include "targets/savedtarget.h"
#include "widgets/prompts.h"
#include "widgets/secretstore.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QElapsedTimer>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QStackedWidget>
#include <QThread>
#include <QVBoxLayout>
#include <QtConcurrent>

#include <nlohmann/json.hpp>

namespace lg {

namespace {

/** Where a connection's secret is sent: its URL and user. The keyring's secret goes nowhere else. */
std::string secretDestination(const SavedTarget& t)
{
    return t.config.value("url", std::string()) + "|" + t.config.value("user", std::string());
}
QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

} // namespace

ConnectionsDialog::ConnectionsDialog(Store* store, SecretStore* secrets, QWidget* parent)
    : QDialog(parent)
    , m_store(store)
    , m_secrets(secrets)
{
    setWindowTitle(tr("Connections"));
    resize(880, 520);
    auto* outer = new QHBoxLayout(this);
    outer->addLayout(createListColumn(), 2);
    outer->addLayout(createFormColumn(), 5);
    connectSignals();
    fillList();
    if (m_list->count() > 0)
        m_list->setCurrentRow(0);
    else
        startNew(QStringLiteral("docker"));
}

QVBoxLayout* ConnectionsDialog::createListColumn()
{
    auto* left = new QVBoxLayout;
    m_list = new QListWidget;
    m_list->setAccessibleName(tr("Saved connections"));
    left->addWidget(new QLabel(tr("<b>Saved connections</b>")));
    left->addWidget(m_list, 1);
    auto* leftButtons = new QHBoxLayout;
    auto* add = new QPushButton(tr("New"));
    auto* remove = new QPushButton(tr("Remove"));
    leftButtons->addWidget(add);
    leftButtons->addWidget(remove);
    left->addLayout(leftButtons);
    connect(add, &QPushButton::clicked, this, [this] { startNew(QStringLiteral("docker")); });
    connect(remove, &QPushButton::clicked, this, &ConnectionsDialog::removeSelected);
    return left;
}

QVBoxLayout* ConnectionsDialog::createFormColumn()
{
    auto* right = new QVBoxLayout;
    auto* head = new QFormLayout;
    m_name = new QLineEdit;
    m_name->setAccessibleName(QStringLiteral("name"));
    m_name->setPlaceholderText(tr("e.g. prod-cluster"));
    m_kind = new QComboBox;
    m_kind->setAccessibleName(QStringLiteral("kind"));
    for (const auto& k : sourceKinds())
        if (k.savable)
            m_kind->addItem(q(k.title), q(k.id));
    head->addRow(tr("Name"), m_name);
    head->addRow(tr("Kind"), m_kind);
    right->addLayout(head);

    m_forms = new QStackedWidget;
    for (const auto& k : sourceKinds())
        if (k.savable)
            m_forms->addWidget(formFor(k));
    right->addWidget(m_forms);
    m_status = new QLabel;
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::RichText);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setMinimumHeight(60);
    m_status->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    right->addWidget(m_status, 1);
    auto* buttons = new QHBoxLayout;
    m_test = new QPushButton(tr("Test"));
    m_test->setToolTip(tr("Connect and read the source once, without storing anything"));
    m_save = new QPushButton(tr("Save"));
    m_scan = new QPushButton(tr("Scan now"));
    auto* close = new QPushButton(tr("Close"));
    buttons->addWidget(m_test);
    buttons->addStretch();
    buttons->addWidget(m_save);
    buttons->addWidget(m_scan);
    buttons->addWidget(close);
    right->addLayout(buttons);
    connect(m_test, &QPushButton::clicked, this, &ConnectionsDialog::test);
    connect(m_save, &QPushButton::clicked, this, &ConnectionsDialog::save);
    connect(m_scan, &QPushButton::clicked, this, [this] {
        if (auto* item = m_list->currentItem())
            Q_EMIT scanRequested(item->data(Qt::UserRole).toString());
    });
    connect(close, &QPushButton::clicked, this, &QDialog::accept);
    return right;
}

void ConnectionsDialog::connectSignals()
{
    connect(m_kind, &QComboBox::currentIndexChanged, this, &ConnectionsDialog::kindChanged);
    connect(m_list, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
        m_scan->setEnabled(item != nullptr);
        if (!item)
            return;
        if (const auto t = m_store->target(item->data(Qt::UserRole).toString().toStdString()))
            load(*t);
    });
    connect(&m_testWatcher, &QFutureWatcher<TestResult>::finished, this, [this] {
        const TestResult r = m_testWatcher.result();
        m_test->setEnabled(true);
        if (r.ok)
            setStatus(tr("<b>Reachable.</b> Read %n resource(s) in %1 ms; nothing was stored.", nullptr, r.resources)
                          .arg(r.ms));
        else
            setStatus(tr("<b>Test failed.</b> %1").arg(r.message.toHtmlEscaped()), true);
    });
}

ConnectionsDialog::~ConnectionsDialog()
{
    // A field losing focus while the dialog goes away must not reach it (it refreshes the choices).
    for (auto* e : findChildren<QLineEdit*>())
        e->disconnect(this);
    if (m_testCancel)
        m_testCancel->store(true);
    m_testWatcher.waitForFinished();
}

void ConnectionsDialog::fillList()
{
    const QString keep = m_list->currentItem() ? m_list->currentItem()->data(Qt::UserRole).toString() : QString();
    m_list->clear();
    for (const auto& t : m_store->targets()) {
        const auto* kind = sourceKind(t.kind);
        const QString kindTitle = kind ? q(kind->title) : q(t.kind);
        auto* item = new QListWidgetItem(QStringLiteral("%1\n%2").arg(q(t.name), kindTitle));
        item->setData(Qt::UserRole, q(t.name));
        m_list->addItem(item);
    }
    if (!keep.isEmpty())
        select(keep);
    m_scan->setEnabled(m_list->currentItem() != nullptr);
}

void ConnectionsDialog::select(const QString& name)
{
    for (int i = 0; i < m_list->count(); ++i)
        if (m_list->item(i)->data(Qt::UserRole).toString() == name)
            m_list->setCurrentRow(i);
}

void ConnectionsDialog::startNew(const QString& kind)
{
    m_list->clearSelection();
    m_list->setCurrentItem(nullptr);
    m_name->clear();
    m_name->setEnabled(true);
    m_kind->setEnabled(true);
    for (auto* e : m_forms->findChildren<QLineEdit*>())
        e->clear();
    for (auto* c : m_forms->findChildren<QCheckBox*>())
        c->setChecked(false);
    m_kind->setCurrentIndex(std::max(0, m_kind->findData(kind)));
    kindChanged();
    setStatus(tr("A new connection: fill it in, Test it, Save it. Passwords and tokens go to the OS keyring, "
                 "never to the cache."));
    m_name->setFocus();
}

bool ConnectionsDialog::setField(const QString& accessibleName, const QString& value)
{
    if (accessibleName == QLatin1String("kind")) {
        const int i = m_kind->findData(value);
        m_kind->setCurrentIndex(i);
        return i >= 0;
    }
    for (auto* e : findChildren<QLineEdit*>())
        if (e->accessibleName() == accessibleName) {
            e->setText(value);
            Q_EMIT e->editingFinished();
            return true;
        }
    for (auto* c : findChildren<QCheckBox*>())
        if (c->accessibleName() == accessibleName) {
            c->setChecked(value == QLatin1String("true"));
            return true;
        }
    for (auto* c : findChildren<QComboBox*>())
        if (c->accessibleName() == accessibleName) {
            const int i = c->findText(value);
            c->setCurrentIndex(i);
            return i >= 0;
        }
    return false;
}

QString ConnectionsDialog::status() const
{
    return m_status->text();
}

void ConnectionsDialog::setStatus(const QString& html, bool error)
{
    m_status->setText(error ? QStringLiteral("<span style='color:#B01E2D'>%1</span>").arg(html) : html);
}

void ConnectionsDialog::kindChanged()
{
    m_forms->setCurrentIndex(m_kind->currentIndex());
    refreshChoices();
}

void ConnectionsDialog::save()
{
    QString error;
    SavedTarget t = fromForm(&error);
    if (!error.isEmpty()) {
        setStatus(error, true);
        return;
    }
    const QString name = q(t.name);
    const bool isNew = m_name->isEnabled();
    const auto existing = m_store->target(t.name);
    if (isNew && existing) {
        setStatus(tr("A connection named %1 exists: pick another name, or select it in the list to edit it.")
                      .arg(name.toHtmlEscaped()),
            true);
        return;
    }
    // Settings the form does not show (a client certificate saved with `layerguard target add`) are kept.
    if (existing && existing->kind == t.kind) {
        nlohmann::json merged = existing->config;
        merged.update(t.config);
        t.config = std::move(merged);
    }
    // Where the secret would be sent: when that changes and no new secret is typed, the old one is dropped.
    const bool destinationChanged = existing && secretDestination(*existing) != secretDestination(t);
    const TargetSecret typed = TargetSecret::fromJson(secretFromForm().toStdString()); // before the form reloads
    try {
        m_store->saveTarget(t);
    } catch (const StoreError& e) {
        setStatus(tr("Not saved: %1").arg(errorText(e).toHtmlEscaped()), true);
        return;
    }
    fillList();
    select(name);
    Q_EMIT connectionsChanged();
    if (typed.empty()) {
        if (!destinationChanged || secretKindOf(t).empty()) {
            setStatus(tr("<b>Saved %1.</b>").arg(name.toHtmlEscaped()));
            return;
        }
        ++m_pendingSecretJobs;
        m_secrets->remove(name, this, [this, name](const QString& err) {
            --m_pendingSecretJobs;
            setStatus(err.isEmpty() ? tr("<b>Saved %1.</b> Its URL or user changed, so its saved secret was removed "
                                         "from the OS keyring: type it again to keep one.")
                                          .arg(name.toHtmlEscaped())
                                    : tr("<b>Saved %1.</b> The old secret could not be removed from the keyring: %2")
                                          .arg(name.toHtmlEscaped(), err.toHtmlEscaped()),
                !err.isEmpty());
        });
        return;
    }
    // What is typed replaces only its own part: a new token keeps the saved password.
    ++m_pendingSecretJobs;
    setStatus(tr("<b>Saved %1.</b> Storing its secret in the OS keyring…").arg(name.toHtmlEscaped()));
    m_secrets->read(name, this, [this, name, typed, destinationChanged](const QString& old, const QString&) {
        TargetSecret merged = destinationChanged ? TargetSecret {} : TargetSecret::fromJson(old.toStdString());
        if (!typed.password.empty())
            merged.password = typed.password;
        if (!typed.token.empty())
            merged.token = typed.token;
        m_secrets->write(name, QString::fromStdString(merged.toJson()), this, [this, name](const QString& err) {
            --m_pendingSecretJobs;
            if (err.isEmpty())
                setStatus(tr("<b>Saved %1.</b> Its secret is in the OS keyring (service “layerguard”), not in the "
                             "cache.")
                              .arg(name.toHtmlEscaped()));
            else
                setStatus(tr("<b>Saved %1 without its secret</b>: %2. Scans of it use the docker config, credential "
                             "helpers or token files instead.")
                              .arg(name.toHtmlEscaped(), err.toHtmlEscaped()),
                    true);
        });
    });
}

void ConnectionsDialog::test()
{
    QString error;
    const SavedTarget t = fromForm(&error);
    if (!error.isEmpty()) {
        setStatus(error, true);
        return;
    }
    if (const auto* kind = sourceKind(t.kind); kind && kind->runsCommand) {
        try {
            if (!confirmCommand(this, q(kind->runsCommand(t.config)), tr("this test")))
                return;
        } catch (const ConnectorError& e) {
            setStatus(tr("<b>Test failed.</b> %1").arg(errorText(e).toHtmlEscaped()), true);
            return;
        }
    }
    const auto run = [this, t](TargetSecret secret) {
        m_testCancel = std::make_shared<std::atomic<bool>>(false);
        m_test->setEnabled(false);
        setStatus(tr("Testing %1…").arg(q(t.name).toHtmlEscaped()));
        m_testWatcher.setFuture(QtConcurrent::run([t, secret, cancel = m_testCancel]() {
            TestResult r;
            QElapsedTimer clock;
            clock.start();
            try {
                auto c = connectorForTarget(t, secret);
                c->collect([&r](const Resource&) { ++r.resources; }, *cancel, {});
                r.ok = true;
            } catch (const ConnectorError& e) {
                r.message = errorText(e);
            } catch (const std::exception& e) {
                r.message = q(e.what());
            }
            r.ms = clock.elapsed();
            return r;
        }));
    };
    // The secret typed in the form, else the one the keyring holds for this connection, but only to where it
    // was saved for: a changed URL or user never receives it (as Save drops it then).
    const QString typed = secretFromForm();
    const auto toSecret = [](const QString& json) { return TargetSecret::fromJson(json.toStdString()); };
    const auto saved = m_store->target(t.name);
    if (!typed.isEmpty() || secretKindOf(t).empty() || !saved || secretDestination(*saved) != secretDestination(t)) {
        run(toSecret(typed));
        return;
    }
    ++m_pendingSecretJobs;
    m_test->setEnabled(false);
    m_secrets->read(q(t.name), this, [this, run, toSecret](const QString& secret, const QString&) {
        --m_pendingSecretJobs;
        run(secret.isEmpty() ? TargetSecret {} : toSecret(secret));
    });
}

void ConnectionsDialog::removeSelected()
{
    auto* item = m_list->currentItem();
    if (!item)
        return;
    const QString name = item->data(Qt::UserRole).toString();
    try {
        m_store->removeTarget(name.toStdString());
    } catch (const StoreError& e) {
        setStatus(tr("Not removed: %1").arg(errorText(e).toHtmlEscaped()), true);
        return;
    }
    ++m_pendingSecretJobs;
    m_secrets->remove(name, this, [this, name](const QString& err) {
        --m_pendingSecretJobs;
        setStatus(err.isEmpty() ? tr("Removed %1 and its keyring entry.").arg(name.toHtmlEscaped())
                                : tr("Removed %1; its keyring entry could not be removed: %2")
                                      .arg(name.toHtmlEscaped(), err.toHtmlEscaped()),
            !err.isEmpty());
    });
    fillList();
    Q_EMIT connectionsChanged();
    if (m_list->count() > 0)
        m_list->setCurrentRow(0);
}

bool ConnectionsDialog::waitUntilIdle(int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    while ((m_pendingSecretJobs > 0 || m_testWatcher.isRunning()) && clock.elapsed() < timeoutMs) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(2);
    }
    QCoreApplication::processEvents();
    return m_pendingSecretJobs == 0 && !m_testWatcher.isRunning();
}

} // namespace lg
