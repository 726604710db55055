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

/** Masks "NAME=value" and free text that contains secret-looking values. */
[[nodiscard]] std::string maskText(std::string_view text);

} // namespace lg
