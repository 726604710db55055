#include "widgets/secretstore.h"

#include <qt6keychain/keychain.h>

namespace lg {

namespace {
QString explain(QKeychain::Job* job)
{
    switch (job->error()) {
    case QKeychain::NoError:
        return {};
    case QKeychain::NoBackendAvailable:
        return QObject::tr(
            "no OS keyring is available (start GNOME Keyring, KeePassXC's Secret Service or KWallet): %1")
            .arg(job->errorString());
    case QKeychain::AccessDenied:
    case QKeychain::AccessDeniedByUser:
        return QObject::tr("the OS keyring refused access (is it locked?): %1").arg(job->errorString());
    default:
        return QObject::tr("the OS keyring failed: %1").arg(job->errorString());
    }
}
} // namespace

SecretStore::SecretStore(QObject* parent)
    : QObject(parent)
{
}

QString SecretStore::keyOf(const QString& connection)
{
    return QStringLiteral("connection/") + connection;
}

void SecretStore::write(
    const QString& connection, const QString& secret, QObject* context, std::function<void(const QString&)> done)
{
    auto* job = new QKeychain::WritePasswordJob(QLatin1String(kService), this);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(keyOf(connection));
    job->setTextData(secret);
    connect(job, &QKeychain::Job::finished, context ? context : this, [done = std::move(done)](QKeychain::Job* j) {
        if (done)
            done(explain(j));
    });
    job->start();
}

void SecretStore::read(
    const QString& connection, QObject* context, std::function<void(const QString&, const QString&)> done)
{
    auto* job = new QKeychain::ReadPasswordJob(QLatin1String(kService), this);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(keyOf(connection));
    connect(job, &QKeychain::Job::finished, context ? context : this, [done = std::move(done)](QKeychain::Job* j) {
        auto* r = static_cast<QKeychain::ReadPasswordJob*>(j);
        if (j->error() == QKeychain::EntryNotFound)
            done({}, {});
        else
            done(r->textData(), explain(j));
    });
    job->start();
}

void SecretStore::remove(const QString& connection, QObject* context, std::function<void(const QString&)> done)
{
    auto* job = new QKeychain::DeletePasswordJob(QLatin1String(kService), this);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(keyOf(connection));
    connect(job, &QKeychain::Job::finished, context ? context : this, [done = std::move(done)](QKeychain::Job* j) {
        if (done)
            done(j->error() == QKeychain::EntryNotFound ? QString() : explain(j));
    });
    job->start();
}

} // namespace lg
