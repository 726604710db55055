// Prometheus HTTP API answers (and check files), their samples through the host and runtime rules.
#include "connectors/prometheus/promconnector.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string in = lg::fuzz::input(data, size);
    try {
        const auto result = lg::PrometheusClient::parseAnswer(in, 200, "http://fuzz/api/v1/query", "fuzz");
        std::vector<lg::Resource> resources;
        for (const auto& s : result.samples) {
            lg::Resource r;
            r.kind = "PromNode";
            r.name = "fuzz";
            r.data = s;
            resources.push_back(std::move(r));
        }
        lg::fuzz::evaluate(resources);
    } catch (const std::exception&) {
    }
    const auto j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_discarded()) {
        try {
            (void)lg::PromCheck::fromJson(j);
        } catch (const std::exception&) {
        }
    }
    return 0;
}
