#pragma once

#include "connectors/common/connector.h"

namespace lg {

/**
 * The machine Layerguard runs on (CIS Docker Benchmark sections 1 and 3, read without root tricks):
 * os-release, kernel, Docker presence, ownership and mode of Docker's files and sockets, auditd
 * rules that watch them, the daemon.json settings (runtime layer).
 *
 * Emits: one `Host` (host layer), one `HostFile` per Docker file that exists (host layer), and a
 * `DockerDaemonConfig` (runtime layer) when Docker is installed. `root` lets tests point it at a
 * prepared folder instead of "/". A snapshot file (JSON of those resources) can replace the live
 * reading, which is how the demo lab ships a host.
 */
class HostConnector final : public Connector {
public:
    explicit HostConnector(std::string root = "/", std::string target = {}, std::string snapshotFile = {});
    [[nodiscard]] std::string kind() const override { return "host"; }
    [[nodiscard]] std::string target() const override { return m_target; }
    void renameTarget(const std::string& name) override { m_target = name; }
    /** The machine (its machine-id), or the snapshot file: not the root folder every host shares. */
    [[nodiscard]] std::string identity() const override;
    [[nodiscard]] std::string location() const override { return m_snapshot.empty() ? m_root : m_snapshot; }
    [[nodiscard]] std::vector<Layer> layers() const override { return { Layer::Host, Layer::Runtime }; }
    void collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress) override;

    /** Reads the host into the JSON form a snapshot file holds: {"resources": [{kind, layer, name, data}]}. */
    [[nodiscard]] nlohmann::json readLive() const;

private:
    std::string m_root;
    std::string m_target;
    std::string m_snapshot;
};

} // namespace lg
