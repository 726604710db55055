// One page of a Kubernetes list as the API server sends it (simdjson), its items through the pod rules.
#include "connectors/kubernetes/kubelistpage.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static simdjson::dom::parser parser;
    std::vector<lg::Resource> resources;
    try {
        lg::readKubeListPage(
            parser, lg::fuzz::input(data, size), [](const lg::KubeListPage&) {},
            [&](nlohmann::json&& item) {
                lg::Resource r;
                r.kind = resources.size() % 2 ? "Deployment" : "Pod";
                r.name = "fuzz";
                r.data = std::move(item);
                resources.push_back(std::move(r));
            });
    } catch (const lg::KubeListError&) {
        return 0;
    }
    lg::fuzz::evaluate(resources);
    return 0;
}
