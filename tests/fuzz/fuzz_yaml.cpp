// Manifests and policy files: YAML 1.1 as Kubernetes reads it, then the manifests' rules.
#include "core/yamlio.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::vector<lg::YamlDocument> docs;
    try {
        docs = lg::parseYamlDocuments(lg::fuzz::input(data, size), "fuzz.yaml");
    } catch (const std::exception&) {
        return 0; // refused with a message: fine
    }
    std::vector<lg::Resource> resources;
    for (auto& d : docs) {
        if (!d.json.is_object() || !d.json.contains("kind") || !d.json["kind"].is_string())
            continue;
        lg::Resource r;
        r.kind = d.json["kind"].get<std::string>();
        r.name = "fuzz";
        r.data = std::move(d.json);
        resources.push_back(std::move(r));
    }
    lg::fuzz::evaluate(resources);
    return 0;
}
