#pragma once

#include "connectors/common/connector.h"
#include "connectors/docker/imagefiles.h"
#include "connectors/http/httpclient.h"

#include <functional>

namespace lg {

/** How the docker CLI would reach the engine, resolved from flags, environment and the docker context. */
struct DockerEndpoint {
    HttpEndpoint http;
    std::string display; ///< unix:///path or tcp://host:port, never with credentials
    std::string source; ///< what decided it: "--docker", "DOCKER_HOST", "context NAME", "default socket"
};

/**
 * Resolves the engine endpoint the way the docker CLI does: an explicit URL, else DOCKER_CONTEXT /
 * DOCKER_HOST, else the current context of $DOCKER_CONFIG/config.json (contexts/meta/<sha256>/meta.json),
 * else the default sockets (rootful, rootless, Podman). TLS material from DOCKER_CERT_PATH or the
 * context; DOCKER_TLS_VERIFY=1 turns verification on. `caFile` (--ca-file) adds a CA.
 * Throws ConnectorError when nothing can be found.
 */
[[nodiscard]] DockerEndpoint resolveDockerEndpoint(const std::string& explicitUrl, const std::string& caFile = {});

/**
 * Whether each image's files are read for setuid and setgid (CIS 4.8; `--docker-image-files`): the image is
 * exported from the engine and its layers' tar headers read as they stream. Off by default: exporting every
 * image takes a while on a real host. Off, the check is "not observed", never passed.
 */
struct DockerImageFilesOption {
    bool read = false;
    ImageFilesLimits limits {}; ///< per image; an image over a limit is not read, and said so
};

/**
 * A Docker Engine (or Podman's compatible API): /info and /version (runtime layer), every container
 * (/containers/json?all=1, then inspect; runtime layer) and every image (inspect + history, and its files when
 * DockerImageFilesOption asks; image layer).
 * The API version is negotiated from /version, never hard-coded. Inspections run concurrently on a
 * bounded number of keep-alive connections. A container removed mid-scan is skipped and reported.
 */
/** This machine's host name (a local socket's engine is this machine's). */
[[nodiscard]] std::string machineName();

class DockerConnector final : public Connector {
public:
    DockerConnector(DockerEndpoint endpoint, std::string target = {}, int connections = 4);
    [[nodiscard]] std::string kind() const override { return "docker"; }
    [[nodiscard]] std::string target() const override { return m_target; }
    void renameTarget(const std::string& name) override { m_target = name; }
    /** The engine: its TCP endpoint, or this machine's socket (every machine has /var/run/docker.sock). */
    [[nodiscard]] std::string identity() const override
    {
        return m_endpoint.http.unixSocket.empty() ? "docker:" + m_endpoint.display
                                                  : "docker:" + machineName() + ":" + m_endpoint.display;
    }
    [[nodiscard]] std::string location() const override { return m_endpoint.display; }
    [[nodiscard]] std::vector<Layer> layers() const override { return { Layer::Runtime, Layer::Image }; }
    void collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress) override;

    void setImageFiles(DockerImageFilesOption option) { m_imageFiles = option; }

    /** Test seam: called with the container ids after the list and before they are inspected. */
    void setAfterListHook(std::function<void(const std::vector<std::string>&)> hook) { m_afterList = std::move(hook); }

    /** Lowest Engine API version whose answers Layerguard reads. */
    static constexpr const char* kMinApi = "1.24";

private:
    DockerEndpoint m_endpoint;
    std::string m_target;
    int m_connections;
    DockerImageFilesOption m_imageFiles;
    std::function<void(const std::vector<std::string>&)> m_afterList;
};

} // namespace lg
