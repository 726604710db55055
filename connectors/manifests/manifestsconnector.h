#pragma once

#include "connectors/common/connector.h"

namespace lg {

/**
 * Kubernetes manifests on disk: a YAML/JSON file or a folder (recursive), multi-document files,
 * `List` kinds and Helm-rendered output. Works offline. Paths may be Qt resource paths (":/demo/...").
 * A syntax error fails the source with the file and line.
 */
class ManifestsConnector final : public Connector {
public:
    /**
     * `kubernetesVersion` ("1.32", "v1.32.4") is the version whose Pod Security Standards the manifests are judged
     * for; empty: the newest Layerguard knows.
     */
    ManifestsConnector(std::string path, std::string target = {}, std::string kubernetesVersion = {});
    [[nodiscard]] std::string kind() const override { return "manifests"; }
    [[nodiscard]] std::string target() const override { return m_target; }
    void renameTarget(const std::string& name) override { m_target = name; }
    /** The canonical absolute path: a folder is the same target however it was given. */
    [[nodiscard]] std::string identity() const override;
    [[nodiscard]] std::string location() const override { return m_path; }
    [[nodiscard]] std::vector<Layer> layers() const override { return { Layer::Orchestrator }; }
    void collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress) override;

private:
    std::string m_path;
    std::string m_target;
    std::string m_kubernetesVersion;
};

} // namespace lg
