#pragma once

#include <QObject>
#include <QString>

#include <functional>

namespace lg {

/**
 * Secrets the app itself keeps (a registry or Prometheus password or token of a saved connection) in the
 * OS keyring through QtKeychain: the Secret Service (GNOME Keyring, KeePassXC) or KWallet. Never a
 * plaintext fallback: without a keyring the secret is not kept and the user is told so.
 */
class SecretStore : public QObject {
    Q_OBJECT
public:
    explicit SecretStore(QObject* parent = nullptr);

    /**
     * `done(error)`: empty on success, else why the keyring refused. Callbacks run only while `context` lives
     * (a dialog closed while the keyring asks to be unlocked is not called back).
     */
    void write(
        const QString& connection, const QString& secret, QObject* context, std::function<void(const QString&)> done);
    /** `done(secret, error)`: an empty secret with an empty error means "none saved". */
    void read(const QString& connection, QObject* context, std::function<void(const QString&, const QString&)> done);
    void remove(const QString& connection, QObject* context = nullptr, std::function<void(const QString&)> done = {});

    /** The keyring entry of a connection: service "layerguard", key "connection/<name>". */
    [[nodiscard]] static QString keyOf(const QString& connection);
    static constexpr const char* kService = "layerguard";
};

} // namespace lg
