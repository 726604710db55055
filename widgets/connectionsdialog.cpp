#include "connectionsdialog.h"

#include "kubeconfig.h"
#include "prompts.h"
#include "savedtarget.h"
#include "secretstore.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
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
struct KindInfo {
    const char* kind;
    const char* title;
};
constexpr KindInfo kKinds[] = {
    { "docker", "Docker engine" },
    { "kubernetes", "Kubernetes context" },
    { "registry", "Registry" },
    { "prometheus", "Prometheus" },
    { "manifests", "Manifests folder" },
    { "host", "This host" },
};

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

std::string absPath(const QString& path)
{
    return path.trimmed().isEmpty() ? std::string() : QFileInfo(path.trimmed()).absoluteFilePath().toStdString();
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
    outer->addLayout(left, 2);

    auto* right = new QVBoxLayout;
    auto* head = new QFormLayout;
    m_name = new QLineEdit;
    m_name->setAccessibleName(QStringLiteral("name"));
    m_name->setPlaceholderText(tr("e.g. prod-cluster"));
    m_kind = new QComboBox;
    m_kind->setAccessibleName(QStringLiteral("kind"));
    for (const auto& k : kKinds)
        m_kind->addItem(tr(k.title), QLatin1String(k.kind));
    head->addRow(tr("Name"), m_name);
    head->addRow(tr("Kind"), m_kind);
    right->addLayout(head);

    m_forms = new QStackedWidget;
    const auto line = [](QFormLayout* f, const QString& label, const QString& key, const QString& placeholder,
                          bool secret = false) {
        auto* e = new QLineEdit;
        e->setAccessibleName(key);
        e->setObjectName(key);
        e->setPlaceholderText(placeholder);
        if (secret)
            e->setEchoMode(QLineEdit::Password);
        f->addRow(label, e);
        return e;
    };
    const QString keyring = tr("kept in the OS keyring; empty: unchanged");
    for (const auto& k : kKinds) {
        auto* page = new QWidget;
        auto* f = new QFormLayout(page);
        const QString kind = QLatin1String(k.kind);
        if (kind == QLatin1String("docker")) {
            line(f, tr("Engine URL"), QStringLiteral("docker.url"),
                tr("unix:///var/run/docker.sock or tcp://host:2376; empty: DOCKER_HOST, the docker context, the "
                   "socket"));
            line(f, tr("CA file"), QStringLiteral("docker.caFile"),
                tr("for tcp:// with TLS; DOCKER_CERT_PATH otherwise"));
        } else if (kind == QLatin1String("kubernetes")) {
            auto* kc = line(f, tr("Kubeconfig"), QStringLiteral("kubernetes.kubeconfig"),
                tr("empty: KUBECONFIG, else ~/.kube/config (as kubectl)"));
            m_context = new QComboBox;
            m_context->setAccessibleName(QStringLiteral("kubernetes.context"));
            m_context->setEditable(false);
            f->addRow(tr("Context"), m_context);
            connect(kc, &QLineEdit::editingFinished, this, &ConnectionsDialog::refreshContexts);
            connect(m_context, &QComboBox::currentIndexChanged, this, [this] {
                const QString warn = m_context->currentData().toString();
                if (!warn.isEmpty())
                    setStatus(warn, true);
            });
        } else if (kind == QLatin1String("registry")) {
            line(f, tr("Registry URL"), QStringLiteral("registry.url"), tr("https://registry.example:5000"));
            line(f, tr("CA file"), QStringLiteral("registry.caFile"),
                tr("empty: /etc/docker/certs.d/<host:port>/ca.crt, else the system store"));
            line(f, tr("Repositories"), QStringLiteral("registry.repositories"),
                tr("names or glob patterns, comma-separated; exact names for hosted registries (no catalog there); "
                   "empty: the whole catalog"));
            line(f, tr("User"), QStringLiteral("registry.user"),
                tr("empty: the docker config, credential helpers, podman's auth.json"));
            line(f, tr("Password"), QStringLiteral("registry.password"), keyring, true);
            // An explicit, visible choice: the scan reports it (LG-REGISTRY-TLS-UNVERIFIED) and says so.
            auto* insecure = new QCheckBox(tr("Do not verify the registry's certificate (insecure)"));
            insecure->setAccessibleName(QStringLiteral("registry.insecure"));
            insecure->setObjectName(QStringLiteral("registry.insecure"));
            insecure->setToolTip(
                tr("Anyone on the network path could pose as the registry. Prefer giving its CA file."));
            connect(insecure, &QCheckBox::toggled, this, [this](bool on) {
                if (on)
                    setStatus(tr("TLS verification off: the registry's identity is not checked, and every scan "
                                 "reports it as a finding."),
                        true);
            });
            f->addRow(QString(), insecure);
        } else if (kind == QLatin1String("prometheus")) {
            line(f, tr("Prometheus URL"), QStringLiteral("prometheus.url"), tr("http://127.0.0.1:9090"));
            line(f, tr("CA file"), QStringLiteral("prometheus.caFile"), tr("for https; empty: the system store"));
            line(f, tr("User"), QStringLiteral("prometheus.user"), tr("basic auth; empty: none"));
            line(f, tr("Password"), QStringLiteral("prometheus.password"), keyring, true);
            line(f, tr("Bearer token"), QStringLiteral("prometheus.token"), keyring, true);
            line(f, tr("Token file"), QStringLiteral("prometheus.tokenFile"), tr("read at scan time instead"));
        } else if (kind == QLatin1String("manifests")) {
            line(
                f, tr("Folder or file"), QStringLiteral("manifests.path"), tr("Kubernetes YAML, searched recursively"));
        } else {
            f->addRow(new QLabel(tr("This machine, read from /: CIS Docker sections 1 and 3, daemon.json, kernel.")));
        }
        m_forms->addWidget(page);
    }
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
    outer->addLayout(right, 5);

    connect(m_kind, &QComboBox::currentIndexChanged, this, &ConnectionsDialog::kindChanged);
    connect(add, &QPushButton::clicked, this, [this] { startNew(QStringLiteral("docker")); });
    connect(remove, &QPushButton::clicked, this, &ConnectionsDialog::removeSelected);
    connect(m_test, &QPushButton::clicked, this, &ConnectionsDialog::test);
    connect(m_save, &QPushButton::clicked, this, &ConnectionsDialog::save);
    connect(m_scan, &QPushButton::clicked, this, [this] {
        if (auto* item = m_list->currentItem())
            Q_EMIT scanRequested(item->data(Qt::UserRole).toString());
    });
    connect(close, &QPushButton::clicked, this, &QDialog::accept);
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
    fillList();
    if (m_list->count() > 0)
        m_list->setCurrentRow(0);
    else
        startNew(QStringLiteral("docker"));
}

ConnectionsDialog::~ConnectionsDialog()
{
    if (m_testCancel)
        m_testCancel->store(true);
    m_testWatcher.waitForFinished();
}

void ConnectionsDialog::fillList()
{
    const QString keep = m_list->currentItem() ? m_list->currentItem()->data(Qt::UserRole).toString() : QString();
    m_list->clear();
    for (const auto& t : m_store->targets()) {
        QString kindTitle = q(t.kind);
        for (const auto& k : kKinds)
            if (t.kind == k.kind)
                kindTitle = tr(k.title);
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
    if (m_kind->currentData().toString() == QLatin1String("kubernetes"))
        refreshContexts();
}

void ConnectionsDialog::refreshContexts()
{
    if (!m_context)
        return;
    const QString keep = m_context->currentText();
    m_context->clear();
    const QString file = findChild<QLineEdit*>(QStringLiteral("kubernetes.kubeconfig"))->text().trimmed();
    try {
        const auto kc = Kubeconfig::load(file.toStdString());
        for (const auto& name : kc.contextNames()) {
            QString warning;
            try {
                const auto ctx = kc.resolve(name);
                if (ctx.cluster.insecureSkipTlsVerify)
                    warning = tr("Context %1 turns TLS verification off (insecure-skip-tls-verify in its kubeconfig): "
                                 "the server is not authenticated, and each scan reports it as a finding.")
                                  .arg(q(name).toHtmlEscaped());
                else if (ctx.user.exec)
                    warning = tr("Context %1 runs a credential plugin for each scan: %2")
                                  .arg(q(name).toHtmlEscaped(), q(ctx.user.exec->display()).toHtmlEscaped());
            } catch (const ConnectorError&) {
                // shown when the context is tested or scanned
            }
            m_context->addItem(q(name), warning);
        }
        if (m_context->count() == 0)
            setStatus(tr("The kubeconfig has no context."), true);
    } catch (const ConnectorError& e) {
        setStatus(tr("The kubeconfig cannot be read: %1").arg(errorText(e).toHtmlEscaped()), true);
    }
    if (const int i = m_context->findText(keep); i >= 0)
        m_context->setCurrentIndex(i);
}

void ConnectionsDialog::load(const SavedTarget& t)
{
    m_name->setText(q(t.name));
    m_name->setEnabled(false); // the name is the connection's identity (and its keyring entry)
    m_kind->setEnabled(false); // and so is its kind: a registry password must never become a Prometheus one
    for (auto* e : m_forms->findChildren<QLineEdit*>())
        e->clear();
    for (auto* c : m_forms->findChildren<QCheckBox*>())
        c->setChecked(false);
    m_kind->setCurrentIndex(std::max(0, m_kind->findData(q(t.kind))));
    kindChanged();
    const QString prefix = q(t.kind) + QLatin1Char('.');
    for (auto it = t.config.begin(); it != t.config.end(); ++it) {
        QString value;
        if (it->is_string())
            value = q(it->get<std::string>());
        else if (it->is_array()) {
            QStringList parts;
            for (const auto& v : *it)
                if (v.is_string())
                    parts << q(v.get<std::string>());
            value = parts.join(QStringLiteral(", "));
        }
        if (auto* e = m_forms->findChild<QLineEdit*>(prefix + q(it.key())))
            e->setText(value);
        if (auto* c = m_forms->findChild<QCheckBox*>(prefix + q(it.key())); c && it->is_boolean())
            c->setChecked(it->get<bool>());
    }
    if (t.kind == "kubernetes") {
        refreshContexts();
        m_context->setCurrentIndex(std::max(0, m_context->findText(q(t.config.value("context", std::string())))));
    }
    setStatus(tr("Saved %1. Secrets, if any, are in the OS keyring.")
                  .arg(QDateTime::fromSecsSinceEpoch(t.createdAt).toString(QStringLiteral("d MMM yyyy HH:mm"))));
}

SavedTarget ConnectionsDialog::fromForm(QString* error) const
{
    SavedTarget t;
    t.name = m_name->text().trimmed().toStdString();
    t.kind = m_kind->currentData().toString().toStdString();
    t.createdAt = QDateTime::currentSecsSinceEpoch();
    t.config = nlohmann::json::object();
    const auto field = [this, &t](const char* key) {
        auto* e = m_forms->findChild<QLineEdit*>(q(t.kind) + QLatin1Char('.') + QLatin1String(key));
        return e ? e->text().trimmed() : QString();
    };
    if (t.name.empty()) {
        *error = tr("Give the connection a name.");
        return t;
    }
    const auto noCredentialsInUrl = [&](const QString& url) {
        // Any '@' (as the CLI): "alice:pw@host:5000" has no scheme, so QUrl would not see its user info.
        if (!url.contains(QLatin1Char('@')))
            return true;
        *error = tr("Credentials do not belong in the URL: the cache is not a secret store. Use the User and "
                    "Password fields (the password goes to the OS keyring).");
        return false;
    };
    if (t.kind == "docker") {
        if (!noCredentialsInUrl(field("url")))
            return t;
        t.config = { { "url", field("url").toStdString() }, { "caFile", absPath(field("caFile")) } };
    } else if (t.kind == "kubernetes") {
        if (!m_context || m_context->currentText().isEmpty()) {
            *error = tr("Pick a context of the kubeconfig.");
            return t;
        }
        t.config
            = { { "kubeconfig", absPath(field("kubeconfig")) }, { "context", m_context->currentText().toStdString() } };
    } else if (t.kind == "registry") {
        if (field("url").isEmpty() || !noCredentialsInUrl(field("url"))) {
            if (error->isEmpty())
                *error = tr("Give the registry URL.");
            return t;
        }
        std::vector<std::string> repos;
        for (const auto& r : field("repositories").split(QLatin1Char(','), Qt::SkipEmptyParts))
            repos.push_back(r.trimmed().toStdString());
        const auto* insecure = m_forms->findChild<QCheckBox*>(QStringLiteral("registry.insecure"));
        t.config = { { "url", field("url").toStdString() }, { "caFile", absPath(field("caFile")) },
            { "repositories", repos }, { "user", field("user").toStdString() },
            { "insecure", insecure && insecure->isChecked() } };
    } else if (t.kind == "prometheus") {
        if (field("url").isEmpty() || !noCredentialsInUrl(field("url"))) {
            if (error->isEmpty())
                *error = tr("Give the Prometheus URL.");
            return t;
        }
        t.config = { { "url", field("url").toStdString() }, { "caFile", absPath(field("caFile")) },
            { "user", field("user").toStdString() }, { "tokenFile", absPath(field("tokenFile")) } };
    } else if (t.kind == "manifests") {
        if (field("path").isEmpty()) {
            *error = tr("Give the folder or file of manifests.");
            return t;
        }
        t.config = { { "path", absPath(field("path")) } };
    } else {
        t.config = { { "root", "/" } };
    }
    return t;
}

QString ConnectionsDialog::secretFromForm() const
{
    const QString kind = m_kind->currentData().toString();
    const auto field = [&](const char* key) {
        auto* e = m_forms->findChild<QLineEdit*>(kind + QLatin1Char('.') + QLatin1String(key));
        return e ? e->text() : QString();
    };
    const TargetSecret secret { field("password").toStdString(), field("token").trimmed().toStdString() };
    return secret.empty() ? QString() : QString::fromStdString(secret.toJson());
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
    if (t.kind == "kubernetes") {
        try {
            const auto ctx = Kubeconfig::load(t.config.value("kubeconfig", std::string()))
                                 .resolve(t.config.value("context", std::string()));
            if (!confirmCredentialPlugin(this, ctx, tr("this test")))
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
