#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
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

} // namespace lg
