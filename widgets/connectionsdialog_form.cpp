#include "widgets/connectionsdialog.h"

#include "targets/savedtarget.h"
#include "widgets/prompts.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QStackedWidget>

#include <nlohmann/json.hpp>

// The form of a kind of source, from the fields it declares (connectors/sources.cpp): one widget per field, named
// "<kind>.<key>", filled from a saved connection and read back into one (its secret apart).

namespace lg {

namespace {

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

} // namespace

QWidget* ConnectionsDialog::formFor(const SourceKind& kind)
{
    auto* page = new QWidget;
    auto* f = new QFormLayout(page);
    const QString kindId = q(kind.id);
    bool any = false;
    for (const auto& field : kind.fields) {
        if (field.label.empty())
            continue;
        any = true;
        const QString key = kindId + QLatin1Char('.') + q(field.key);
        switch (field.input) {
        case FieldInput::Switch: {
            auto* box = new QCheckBox(q(field.label));
            box->setAccessibleName(key);
            box->setObjectName(key);
            box->setToolTip(q(field.placeholder));
            if (!field.warnWhenOn.empty())
                connect(box, &QCheckBox::toggled, this, [this, warn = q(field.warnWhenOn)](bool on) {
                    if (on)
                        setStatus(warn.toHtmlEscaped(), true);
                });
            f->addRow(QString(), box);
            break;
        }
        case FieldInput::Choice: {
            auto* box = new QComboBox;
            box->setAccessibleName(key);
            box->setObjectName(key);
            connect(box, &QComboBox::currentIndexChanged, this, [this, box] {
                const QString warn = box->currentData().toString();
                if (!warn.isEmpty())
                    setStatus(warn.toHtmlEscaped(), true);
            });
            f->addRow(q(field.label), box);
            break;
        }
        default: {
            auto* e = new QLineEdit;
            e->setAccessibleName(key);
            e->setObjectName(key);
            const bool secret = field.input == FieldInput::Password || field.input == FieldInput::Token;
            e->setPlaceholderText(secret && field.placeholder.empty() ? tr("kept in the OS keyring; empty: unchanged")
                                                                      : q(field.placeholder));
            if (secret)
                e->setEchoMode(QLineEdit::Password);
            else // a Choice may depend on it (a kubeconfig's contexts)
                connect(e, &QLineEdit::editingFinished, this, &ConnectionsDialog::refreshChoices);
            f->addRow(q(field.label), e);
        }
        }
    }
    if (!any) {
        auto* text = new QLabel(q(kind.description));
        text->setWordWrap(true);
        f->addRow(text);
    }
    return page;
}

SourceValues ConnectionsDialog::formValues(const SourceKind& kind) const
{
    SourceValues values;
    for (const auto& field : kind.fields) {
        const QString key = q(kind.id) + QLatin1Char('.') + q(field.key);
        if (field.label.empty() || field.input == FieldInput::Password || field.input == FieldInput::Token)
            continue;
        if (field.input == FieldInput::Switch) {
            if (const auto* box = m_forms->findChild<QCheckBox*>(key); box && box->isChecked())
                values[field.key] = { "true" };
        } else if (field.input == FieldInput::Choice) {
            if (const auto* box = m_forms->findChild<QComboBox*>(key); box && !box->currentText().isEmpty())
                values[field.key] = { box->currentText().toStdString() };
        } else if (const auto* e = m_forms->findChild<QLineEdit*>(key); e && !e->text().trimmed().isEmpty()) {
            if (field.input == FieldInput::List) {
                for (const auto& part : e->text().split(QLatin1Char(','), Qt::SkipEmptyParts))
                    values[field.key].push_back(part.trimmed().toStdString());
            } else {
                values[field.key] = { e->text().trimmed().toStdString() };
            }
        }
    }
    return values;
}

void ConnectionsDialog::refreshChoices()
{
    const auto* kind = sourceKind(m_kind->currentData().toString().toStdString());
    if (!kind)
        return;
    for (const auto& field : kind->fields) {
        auto* box
            = field.choices ? m_forms->findChild<QComboBox*>(q(kind->id) + QLatin1Char('.') + q(field.key)) : nullptr;
        if (!box)
            continue;
        const QString keep = box->currentText();
        SourceValues others = formValues(*kind);
        others.erase(field.key);
        box->clear();
        try {
            for (const auto& choice : field.choices(others))
                box->addItem(q(choice.value), q(choice.warning));
            if (box->count() == 0)
                setStatus(tr("Nothing to choose as %1.").arg(q(field.label)).toHtmlEscaped(), true);
        } catch (const ConnectorError& e) {
            setStatus(tr("No %1 to offer: %2").arg(q(field.label).toLower(), errorText(e)).toHtmlEscaped(), true);
        }
        if (const int i = box->findText(keep); i >= 0)
            box->setCurrentIndex(i);
    }
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
    refreshChoices();
    for (auto* box : m_forms->findChildren<QComboBox*>())
        if (box->objectName().startsWith(prefix)) {
            const auto it = t.config.find(box->objectName().mid(prefix.size()).toStdString());
            if (it != t.config.end() && it->is_string())
                box->setCurrentIndex(std::max(0, box->findText(q(it->get<std::string>()))));
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
    if (t.name.empty()) {
        *error = tr("Give the connection a name.");
        return t;
    }
    const auto* kind = sourceKind(t.kind);
    if (!kind) {
        *error = tr("Pick a kind of source.");
        return t;
    }
    const auto sentence = [](const std::string& text) {
        QString out = q(text);
        if (!out.isEmpty())
            out[0] = out[0].toUpper();
        return out.endsWith(QLatin1Char('.')) ? out : out + QLatin1Char('.');
    };
    try {
        const auto configs = kind->configsFor(formValues(*kind));
        if (configs.size() == 1) {
            kind->checkSavable(configs.front());
            t.config = configs.front();
        } else
            *error = tr("A connection is one source: give one of each.");
    } catch (const std::invalid_argument& e) {
        *error = sentence(e.what());
    } catch (const ConnectorError& e) {
        *error = errorText(e);
    }
    return t;
}

QString ConnectionsDialog::secretFromForm() const
{
    const auto* kind = sourceKind(m_kind->currentData().toString().toStdString());
    TargetSecret secret;
    for (const auto& field : kind ? kind->fields : std::vector<SourceField>()) {
        const auto* e = m_forms->findChild<QLineEdit*>(q(kind->id) + QLatin1Char('.') + q(field.key));
        if (e && field.input == FieldInput::Password)
            secret.password = e->text().toStdString();
        else if (e && field.input == FieldInput::Token)
            secret.token = e->text().trimmed().toStdString();
    }
    return secret.empty() ? QString() : QString::fromStdString(secret.toJson());
}

} // namespace lg
