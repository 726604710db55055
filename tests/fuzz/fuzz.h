#pragma once
// Shared by the fuzz targets: every parsed thing also goes through the rule engine, where hostile shapes
// meet predicates, message templates and cross-resource checks.
#include "connectors/common/connector.h"
#include "core/ruleengine.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lg::fuzz {

inline const RuleCatalog& catalog()
{
    static const RuleCatalog c = RuleCatalog::builtin();
    return c;
}

/** Evaluates resources with every built-in rule, then the cross-resource checks. */
inline void evaluate(const std::vector<Resource>& resources)
{
    RuleEngine engine(catalog(), Policy {}, 1795910400);
    for (const auto& r : resources)
        engine.add(r);
    engine.finish();
}

inline std::string input(const std::uint8_t* data, std::size_t size)
{
    return std::string(reinterpret_cast<const char*>(data), size);
}

} // namespace lg::fuzz
