#pragma once

#include "core/model.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lg {

/**
 * Named JSON documents a predicate reads, each with the field path it has inside the resource
 * (so that evidence paths point into the resource the user sees). Roots are looked up by the first
 * segment of a predicate path: "container.securityContext.privileged" reads root "container".
 * Holds pointers only: the documents must outlive the context.
 */
class EvalContext {
public:
    void bind(std::string_view name, const nlohmann::json* doc, std::string_view pathPrefix);
    [[nodiscard]] const nlohmann::json* root(std::string_view name, std::string* prefix = nullptr) const;
    /** The scan's clock (unix seconds) for age operators; injected so rules stay pure. */
    void setNow(std::int64_t now) { m_now = now; }
    [[nodiscard]] std::int64_t now() const { return m_now; }

private:
    std::int64_t m_now = 0;
    struct Root {
        std::string name;
        const nlohmann::json* doc;
        std::string prefix;
    };
    std::vector<Root> m_roots;
};

/** A path into a context: root name plus segments; a segment may be a template "${root.path}". */
struct PathSpec {
    std::string text; ///< as written in the rule, for error messages
    std::string root;
    std::vector<std::string> segments;
};

struct Resolved {
    const nlohmann::json* value = nullptr; ///< nullptr when the path does not exist
    const nlohmann::json* parent = nullptr; ///< the object holding value, when there is one
    std::string path; ///< full field path inside the resource
};

/** Parses "root.a.b[\"key.with.dots\"].c"; throws std::invalid_argument on bad syntax. */
[[nodiscard]] PathSpec parsePath(const std::string& text);
/**
 * Resolves a path in a context. Template segments "${root.x}" are replaced by the string they name.
 * `withPath` false leaves `path` empty: spelling it is most of the cost, and only evidence needs it.
 */
[[nodiscard]] Resolved resolve(const PathSpec& spec, const EvalContext& ctx, bool withPath = true);

/**
 * A compiled predicate. It is true when the resource violates the rule. The closed set of operators
 * (documented in README.md, "Rules"): all, any, not, each (over array items), and leaf tests
 * exists, absent, equals, not_equals, in, not_in, true, not_true, matches, gt, gte, lt, lte,
 * contains, contains_any, any_not_in, empty, not_empty, bits_outside (octal file modes), any_key_not_in,
 * older_than_days (RFC 3339 timestamps, against the scan clock), version_lt, version_gte (dotted versions,
 * size_gt (array / object length),
 * "v" prefixes and suffixes such as "-generic" ignored).
 */
class Predicate {
public:
    virtual ~Predicate() = default;
    /** Evaluates; appends evidence of the leaves that made the result true (when `evidence` is set). */
    [[nodiscard]] virtual bool eval(const EvalContext& ctx, std::vector<Evidence>* evidence, bool polarity) const = 0;
};

/** Compiles a predicate from rule JSON; throws std::invalid_argument naming what is wrong. */
[[nodiscard]] std::unique_ptr<Predicate> compilePredicate(const nlohmann::json& json);

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

/** Compares dotted versions numerically ("1.1.12" < "1.1.9" is false); -1, 0 or 1. */
[[nodiscard]] int compareVersions(std::string_view a, std::string_view b);

/** Human text of a JSON value for messages: strings bare, the rest as compact JSON. */
[[nodiscard]] std::string displayValue(const nlohmann::json& value);

} // namespace lg
