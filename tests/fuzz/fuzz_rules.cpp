// Rule files and policies a user adds (--rules DIR, --policy FILE): a rule that parses is also run on a pod.
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto j = nlohmann::json::parse(data, data + size, nullptr, false);
    if (j.is_discarded())
        return 0;
    try {
        (void)lg::Policy::fromJson(j);
    } catch (const std::exception&) {
    }
    lg::Rule rule;
    try {
        rule = lg::parseRule(j);
    } catch (const std::exception&) {
        return 0;
    }
    lg::RuleCatalog catalog;
    catalog.add(std::move(rule));
    lg::Resource pod;
    pod.kind = "Pod";
    pod.name = "web";
    pod.data = { { "kind", "Pod" }, { "metadata", { { "name", "web" }, { "labels", { { "app", "web" } } } } },
        { "spec",
            { { "containers",
                { { { "name", "web" }, { "image", "nginx:1.27" },
                    { "securityContext", { { "privileged", true } } } } } } } } };
    lg::RuleEngine engine(catalog, lg::Policy {}, 1795910400);
    engine.add(pod);
    engine.finish();
    return 0;
}
