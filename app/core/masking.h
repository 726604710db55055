#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace lg {

/** The text that replaces a masked secret in evidence, exports and logs. */
inline constexpr std::string_view kMasked = "********";

/** True when a key or variable name suggests that its value is a secret (PASSWORD, API_KEY, token, ...). */
[[nodiscard]] bool looksLikeSecretName(std::string_view name);
/** True when a value looks like a credential by itself (private key block, AWS key id, JWT, ...). */
[[nodiscard]] bool looksLikeSecretValue(std::string_view value);

/**
 * Returns `value` with every secret-looking string replaced by kMasked. `path` is the field path the
 * value was read from; its last segment counts as a name. Objects of the shape {name, value} (env
 * entries) are masked when the name looks secret; "KEY=value" strings when KEY looks secret.
 */
[[nodiscard]] nlohmann::json maskIfSecret(std::string_view path, const nlohmann::json& value);

/**
 * Masks "NAME=value" and "name": "value" pairs with a secret-looking name or value, the password of a connection
 * string (scheme://user:password@host), credential-looking values, and every secret registered with
 * registerSentSecret (a server that echoes a token back cannot get it into a finding, a log or an export).
 */
[[nodiscard]] std::string maskText(std::string_view text);

/**
 * Remembers a credential Layerguard itself sends (a bearer token, a password, a basic-auth header) for the rest
 * of the process: maskText() then removes it from any text, wherever it comes from. Thread-safe; texts shorter
 * than 6 bytes are not registered (they would mask ordinary words).
 */
void registerSentSecret(std::string_view secret);

/** A URL without its user and password ("https://u:p@h/x" -> "https://h/x"); other text as it is. */
[[nodiscard]] std::string withoutCredentials(std::string_view url);

} // namespace lg
