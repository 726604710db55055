#pragma once
// What the Docker integration tests share: the socket of the testbed's dockerd (tests/testbed/dockerd.sh).
#include <QFile>
#include <QString>

#include "connectors/http/httpclient.h"

#include <string>

/** The socket named in the file LG_DOCKER_ENV points to (dockerd.sh start writes it); empty when there is none. */
inline std::string testbedDockerSocket()
{
    QFile env(qEnvironmentVariable("LG_DOCKER_ENV"));
    if (!env.open(QIODevice::ReadOnly))
        return {};
    std::string socket;
    while (!env.atEnd()) {
        const QString line = QString::fromUtf8(env.readLine()).trimmed();
        if (line.startsWith(QLatin1String("LG_DOCKER_SOCK=")))
            socket = line.mid(15).toStdString();
    }
    return socket;
}

/** The engine API of the testbed's dockerd over `socket`. */
inline lg::HttpEndpoint testbedDockerEndpoint(const std::string& socket)
{
    lg::HttpEndpoint ep;
    ep.baseUrl = "http://localhost";
    ep.unixSocket = socket;
    return ep;
}
