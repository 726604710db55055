// How the docker CLI would reach the engine: flags, environment, the docker context, the default sockets.
#include "connectors/docker/dockerconnector.h"

#include "core/jsonutil.h"
#include "core/masking.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cstdlib>

namespace lg {

namespace {

std::string env(const char* name)
{
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

nlohmann::json readJsonFile(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return nullptr;
    auto j = nlohmann::json::parse(f.readAll().toStdString(), nullptr, false);
    return j.is_discarded() ? nlohmann::json() : j;
}

QString dockerConfigDir()
{
    const std::string dir = env("DOCKER_CONFIG");
    return dir.empty() ? QDir::homePath() + QStringLiteral("/.docker") : QString::fromStdString(dir);
}

/** Turns a docker host URL into an HTTP endpoint; TLS files come from `certDir` when given. */
DockerEndpoint fromHost(const std::string& host, const std::string& source, const QString& certDir, bool tlsVerify,
    const std::string& caFile)
{
    DockerEndpoint ep;
    ep.source = source;
    if (host.rfind("unix://", 0) == 0) {
        ep.http.unixSocket = host.substr(7);
        ep.http.baseUrl = "http://localhost";
        ep.display = host;
    } else if (host.rfind("tcp://", 0) == 0 || host.rfind("https://", 0) == 0 || host.rfind("http://", 0) == 0) {
        const std::string rest = host.substr(host.find("://") + 3);
        const auto at = rest.find('@');
        if (at != std::string::npos && at < rest.find('/'))
            throw ConnectorError("docker",
                "the Docker endpoint URL carries credentials; they are not used and never stored",
                "remove user:password@ from the URL: the Engine API authenticates with TLS client "
                "certificates (DOCKER_CERT_PATH)");
        const bool tls = host.rfind("https://", 0) == 0 || tlsVerify || !certDir.isEmpty();
        ep.http.baseUrl = (tls ? "https://" : "http://") + rest;
        ep.display = "tcp://" + rest;
        if (tls && !certDir.isEmpty()) {
            const QDir d(certDir);
            if (QFileInfo::exists(d.filePath(QStringLiteral("ca.pem"))))
                ep.http.caFile = d.filePath(QStringLiteral("ca.pem")).toStdString();
            if (QFileInfo::exists(d.filePath(QStringLiteral("cert.pem"))))
                ep.http.clientCert = d.filePath(QStringLiteral("cert.pem")).toStdString();
            if (QFileInfo::exists(d.filePath(QStringLiteral("key.pem"))))
                ep.http.clientKey = d.filePath(QStringLiteral("key.pem")).toStdString();
        }
    } else if (host.rfind("ssh://", 0) == 0) {
        throw ConnectorError("docker",
            "Docker endpoint " + withoutCredentials(host) + " uses ssh, which Layerguard does not tunnel",
            "forward the socket first (ssh -L /tmp/docker.sock:/var/run/docker.sock host) and use "
            "--docker unix:///tmp/docker.sock");
    } else {
        throw ConnectorError("docker", "unsupported Docker endpoint \"" + withoutCredentials(host) + "\"",
            "use unix:///path/to/docker.sock or tcp://host:2376");
    }
    if (!caFile.empty())
        ep.http.caFile = caFile;
    return ep;
}

DockerEndpoint fromContext(const std::string& name, const std::string& caFile)
{
    if (name == "default")
        return {};
    const QString hash = QString::fromLatin1(
        QCryptographicHash::hash(QByteArray::fromStdString(name), QCryptographicHash::Sha256).toHex());
    const QString base = dockerConfigDir() + QStringLiteral("/contexts");
    const auto meta = readJsonFile(base + QStringLiteral("/meta/") + hash + QStringLiteral("/meta.json"));
    const std::string host = text(path(meta, "Endpoints", "docker"), "Host");
    if (host.empty())
        throw ConnectorError("docker", "Docker context \"" + name + "\" was not found or has no docker endpoint",
            "list contexts with `docker context ls`, or pass --docker");
    const bool skipVerify = path(meta, "Endpoints", "docker", "SkipTLSVerify").is_boolean()
        && path(meta, "Endpoints", "docker", "SkipTLSVerify").get<bool>();
    const QString tlsDir = base + QStringLiteral("/tls/") + hash + QStringLiteral("/docker");
    // skip-tls-verify still speaks TLS (as the docker CLI does), without checking the engine's certificate.
    auto ep = fromHost(host, "context " + name, QDir(tlsDir).exists() ? tlsDir : QString(), skipVerify, caFile);
    ep.http.verifyTls = !skipVerify;
    return ep;
}

} // namespace

DockerEndpoint resolveDockerEndpoint(const std::string& explicitUrl, const std::string& caFile)
{
    QString certPath = QString::fromStdString(env("DOCKER_CERT_PATH"));
    const bool tlsVerify = !env("DOCKER_TLS_VERIFY").empty() && env("DOCKER_TLS_VERIFY") != "0";
    if (tlsVerify && certPath.isEmpty())
        certPath = dockerConfigDir(); // as the docker CLI: ~/.docker/{ca,cert,key}.pem
    if (!explicitUrl.empty())
        return fromHost(explicitUrl, "--docker", certPath, tlsVerify, caFile);
    if (const auto ctx = env("DOCKER_CONTEXT"); !ctx.empty()) {
        auto ep = fromContext(ctx, caFile);
        if (!ep.display.empty())
            return ep;
    }
    if (const auto host = env("DOCKER_HOST"); !host.empty())
        return fromHost(host, "DOCKER_HOST", certPath, tlsVerify, caFile);
    const auto config = readJsonFile(dockerConfigDir() + QStringLiteral("/config.json"));
    if (const std::string current = text(config, "currentContext"); !current.empty()) {
        auto ep = fromContext(current, caFile);
        if (!ep.display.empty())
            return ep;
    }
    std::vector<std::string> candidates { "/var/run/docker.sock" };
    if (const auto xdg = env("XDG_RUNTIME_DIR"); !xdg.empty()) {
        candidates.push_back(xdg + "/docker.sock");
        candidates.push_back(xdg + "/podman/podman.sock");
    }
    candidates.push_back("/run/podman/podman.sock");
    for (const auto& c : candidates) {
        if (QFileInfo::exists(QString::fromStdString(c)))
            return fromHost("unix://" + c, "default socket", {}, false, caFile);
    }
    throw ConnectorError("docker",
        "no Docker engine found (no DOCKER_HOST, no docker context, no socket at "
        "/var/run/docker.sock or in $XDG_RUNTIME_DIR)",
        "start Docker, or pass --docker unix:///path/to/docker.sock or tcp://host:2376");
}

} // namespace lg
