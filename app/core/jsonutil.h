#pragma once
// Total accessors for JSON from outside: a missing key or a value of the wrong type gives the
// fallback, never an exception or an assertion (hostile manifests and API answers are normal input).

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace lg {

/** j[key] when j is an object holding key, else a null value. */
/** JSON text; invalid UTF-8 in strings (files and servers send it) becomes U+FFFD instead of an exception. */
inline std::string dumpJson(const nlohmann::json& j, int indent = -1)
{
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline const nlohmann::json& member(const nlohmann::json& j, std::string_view key)
{
    static const nlohmann::json null;
    if (!j.is_object())
        return null;
    auto it = j.find(key);
    return it == j.end() ? null : *it;
}

/** Follows a chain of keys; null at the first missing step. */
template <typename... Keys> const nlohmann::json& path(const nlohmann::json& j, std::string_view first, Keys... rest)
{
    const nlohmann::json& next = member(j, first);
    if constexpr (sizeof...(rest) == 0)
        return next;
    else
        return path(next, rest...);
}

/** A scalar as text: strings as they are, numbers and booleans as YAML wrote them, else the fallback. */
inline std::string scalarText(const nlohmann::json& v, std::string fallback = {})
{
    if (v.is_string())
        return v.get<std::string>();
    if (v.is_number() || v.is_boolean())
        return v.dump();
    return fallback;
}

inline std::string text(const nlohmann::json& j, std::string_view key, std::string fallback = {})
{
    return scalarText(member(j, key), std::move(fallback));
}

} // namespace lg
