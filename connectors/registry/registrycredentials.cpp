// Where the registry client's login comes from: docker's and podman's stored credentials.
#include "connectors/registry/registryclient.h"

#include "core/jsonutil.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QProcess>

namespace lg {

namespace {

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

std::optional<RegistryCredential> fromAuthsFile(
    const std::string& file, const std::string& host, const std::string& what)
{
    QFile f(q(file));
    if (!f.open(QIODevice::ReadOnly))
        return std::nullopt;
    const auto j = nlohmann::json::parse(f.readAll().toStdString(), nullptr, false);
    if (!j.is_object())
        throw ConnectorError(
            "registry " + host, file + " is not valid JSON", "fix or remove the file, then log in again");
    for (const auto& [key, entry] : member(j, "auths").items()) {
        if (registryHostOf(key) != host)
            continue;
        RegistryCredential c;
        c.source = what + " " + file;
        const std::string auth = text(entry, "auth");
        if (!auth.empty()) {
            const QByteArray decoded = QByteArray::fromBase64(QByteArray::fromStdString(auth));
            const auto colon = decoded.indexOf(':');
            if (colon < 0)
                throw ConnectorError("registry " + host, "the auth entry for " + host + " in " + file + " is malformed",
                    "log in again (docker login " + host + ")");
            c.username = decoded.left(colon).toStdString();
            c.password = decoded.mid(colon + 1).toStdString();
        } else {
            c.username = text(entry, "username");
            c.password = text(entry, "password");
        }
        if (const std::string token = text(entry, "identitytoken"); !token.empty()) {
            c.username = "<token>";
            c.password = token;
        }
        if (!c.username.empty())
            return c;
    }
    return std::nullopt;
}

/** The helper's credential for `host`; nothing when it has none ("credentials not found", exit 1). */
std::optional<RegistryCredential> fromHelper(const std::string& helper, const std::string& host)
{
    const std::string program = "docker-credential-" + helper;
    QProcess p;
    p.start(q(program), { QStringLiteral("get") });
    if (!p.waitForStarted(5000))
        throw ConnectorError("registry " + host, "the credential helper " + program + " could not be started",
            "install it, or remove credsStore/credHelpers from the docker config");
    p.write(QByteArray::fromStdString(host));
    p.closeWriteChannel();
    if (!p.waitForFinished(30'000)) {
        p.kill();
        throw ConnectorError("registry " + host, program + " did not answer within 30 s",
            "run `" + program + " get` by hand; it may wait for a keyring unlock");
    }
    if (p.exitCode() != 0)
        return std::nullopt; // as docker does: no stored login for this host means anonymous
    const auto j = nlohmann::json::parse(p.readAllStandardOutput().toStdString(), nullptr, false);
    if (!j.is_object())
        throw ConnectorError("registry " + host, program + " answered something that is not JSON", "check the helper");
    return RegistryCredential { text(j, "Username"), text(j, "Secret"), "credential helper " + helper };
}

} // namespace

std::string registryHostOf(const std::string& url)
{
    std::string s = url;
    if (auto pos = s.find("://"); pos != std::string::npos)
        s = s.substr(pos + 3);
    if (auto slash = s.find('/'); slash != std::string::npos)
        s = s.substr(0, slash);
    if (auto at = s.rfind('@'); at != std::string::npos) // user:password@ never names the host (nor is shown)
        s = s.substr(at + 1);
    return s;
}

std::optional<RegistryCredential> findRegistryCredential(const std::string& host)
{
    QString dockerConfig = qEnvironmentVariable("DOCKER_CONFIG");
    if (dockerConfig.isEmpty())
        dockerConfig = QDir::homePath() + QStringLiteral("/.docker");
    const std::string configFile = QString(dockerConfig + QStringLiteral("/config.json")).toStdString();
    QFile f(q(configFile));
    if (f.open(QIODevice::ReadOnly)) {
        const auto j = nlohmann::json::parse(f.readAll().toStdString(), nullptr, false);
        if (!j.is_object())
            throw ConnectorError("registry " + host, configFile + " is not valid JSON", "fix it or log in again");
        // docker's order: a helper for this host, else the credential store, else the auths entries
        for (const auto& [key, helper] : member(j, "credHelpers").items())
            if (registryHostOf(key) == host && helper.is_string())
                if (auto c = fromHelper(helper.get<std::string>(), host))
                    return c;
        if (const std::string store = text(j, "credsStore"); !store.empty())
            if (auto c = fromHelper(store, host))
                return c;
        if (auto c = fromAuthsFile(configFile, host, "docker config"))
            return c;
    }
    std::vector<std::string> podman;
    if (const QString e = qEnvironmentVariable("REGISTRY_AUTH_FILE"); !e.isEmpty())
        podman.push_back(e.toStdString());
    if (const QString r = qEnvironmentVariable("XDG_RUNTIME_DIR"); !r.isEmpty())
        podman.push_back(QString(r + QStringLiteral("/containers/auth.json")).toStdString());
    podman.push_back(QString(QDir::homePath() + QStringLiteral("/.config/containers/auth.json")).toStdString());
    for (const auto& file : podman)
        if (auto c = fromAuthsFile(file, host, "podman auth"))
            return c;
    return std::nullopt;
}

} // namespace lg
