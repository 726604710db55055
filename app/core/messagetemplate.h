#pragma once

#include "core/predicate.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lg {

/**
 * A message template: "{container.name}" is replaced by the string at that path, "{value}" and "{path}" by
 * the first evidence's, "{key}" by the map key it points at (or the keys a key test listed); substituted
 * values are masked. Compiled once, when the rule is read: a scan renders
 * a rule's message for every failure (~600,000 at 50,000 pods).
 */
class MessageTemplate {
public:
    MessageTemplate() = default;
    explicit MessageTemplate(const std::string& text);
    [[nodiscard]] std::string render(const EvalContext& ctx, const std::vector<Evidence>& evidence) const;

private:
    struct Part {
        enum class Kind : std::uint8_t { Text, Value, Path, Key, Field } kind = Kind::Text;
        std::string text; ///< Text: the literal; Field: the key as written (it also decides masking)
        PathSpec path; ///< Field only
    };
    std::vector<Part> m_parts;
    std::size_t m_textSize = 0;
};

/** Compiles and renders a template once (see MessageTemplate). */
[[nodiscard]] std::string renderTemplate(
    const std::string& tmpl, const EvalContext& ctx, const std::vector<Evidence>& evidence);

} // namespace lg
