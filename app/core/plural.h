#pragma once

#include <string>
#include <string_view>

namespace lg {

/** "1 replica set", "3 replica sets": a count with the noun in the right number. */
inline std::string counted(std::size_t n, std::string_view one, std::string_view many)
{
    return std::to_string(n) + ' ' + std::string(n == 1 ? one : many);
}

} // namespace lg
