// What the Docker Engine API, the host reader and the other connectors hand on: any JSON as any kind the
// rules know (the first byte picks the kind), through every rule and the cross-resource checks.
#include "fuzz.h"

#include <array>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const std::array<const char*, 16> kinds { "DockerContainer", "DockerImage", "DockerInfo", "DockerVersion",
        "DockerDaemonConfig", "Host", "HostFile", "Node", "ContainerImage", "RegistryEndpoint", "PromNode",
        "VulnerabilityReport", "ImportedReport", "KubeCoverage", "PromCheckResult", "Pod" };
    if (size < 1)
        return 0;
    auto j = nlohmann::json::parse(data + 1, data + size, nullptr, false);
    if (j.is_discarded())
        return 0;
    lg::Resource r;
    r.kind = kinds[data[0] % kinds.size()];
    r.name = "fuzz";
    r.data = std::move(j);
    lg::fuzz::evaluate({ r });
    return 0;
}
