#include "core/evalcontext.h"

#include <stdexcept>

namespace lg {

void EvalContext::bind(std::string_view name, const nlohmann::json* doc, std::string_view pathPrefix)
{
    for (auto& r : m_roots) {
        if (r.name == name) {
            r.doc = doc;
            r.prefix.assign(pathPrefix); // rebinding reuses the buffer
            return;
        }
    }
    m_roots.push_back({ std::string(name), doc, std::string(pathPrefix) });
}

const nlohmann::json* EvalContext::root(std::string_view name, std::string* prefix) const
{
    for (const auto& r : m_roots) {
        if (r.name == name) {
            if (prefix)
                *prefix = r.prefix;
            return r.doc;
        }
    }
    return nullptr;
}

PathSpec parsePath(const std::string& text)
{
    PathSpec spec;
    spec.text = text;
    std::vector<std::string> parts;
    std::string current;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '.') {
            if (current.empty() && (i == 0 || text[i - 1] != ']'))
                throw std::invalid_argument("empty segment in path '" + text + "'");
            if (!current.empty())
                parts.push_back(std::move(current));
            current.clear();
        } else if (c == '[') {
            if (!current.empty())
                parts.push_back(std::move(current));
            current.clear();
            if (i + 1 >= text.size() || text[i + 1] != '"')
                throw std::invalid_argument("expected [\"key\"] in path '" + text + "'");
            const auto end = text.find("\"]", i + 2);
            if (end == std::string::npos)
                throw std::invalid_argument("unterminated [\"key\"] in path '" + text + "'");
            parts.push_back(text.substr(i + 2, end - i - 2));
            i = end + 1;
        } else {
            current.push_back(c);
        }
    }
    if (!current.empty())
        parts.push_back(std::move(current));
    if (parts.empty())
        throw std::invalid_argument("empty path");
    // A segment's ${path} is resolved during evaluation (expandSegment, which reads them in this same order):
    // a malformed one is refused with the rule, here.
    for (const auto& part : parts)
        for (auto open = part.find("${"); open != std::string::npos;) {
            const auto close = part.find('}', open);
            if (close == std::string::npos)
                break;
            try {
                (void)parsePath(part.substr(open + 2, close - open - 2));
            } catch (const std::invalid_argument& e) {
                throw std::invalid_argument("in ${...} of path '" + text + "': " + e.what());
            }
            open = part.find("${", close + 1);
        }
    spec.root = parts.front();
    spec.segments.assign(parts.begin() + 1, parts.end());
    return spec;
}

namespace {

std::string expandSegment(const std::string& seg, const EvalContext& ctx)
{
    const auto open = seg.find("${");
    if (open == std::string::npos)
        return seg;
    const auto close = seg.find('}', open);
    if (close == std::string::npos)
        return seg;
    const PathSpec inner = parsePath(seg.substr(open + 2, close - open - 2)); // checked when the rule was read
    const Resolved r = resolve(inner, ctx, false);
    std::string replacement = (r.value && r.value->is_string()) ? r.value->get<std::string>() : std::string();
    return seg.substr(0, open) + replacement + expandSegment(seg.substr(close + 1), ctx);
}

bool isIdentifier(const std::string& s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

} // namespace

Resolved resolve(const PathSpec& spec, const EvalContext& ctx, bool withPath)
{
    Resolved out;
    const nlohmann::json* node = ctx.root(spec.root, withPath ? &out.path : nullptr);
    std::string expanded;
    for (const auto& rawSeg : spec.segments) {
        const bool templated = rawSeg.find("${") != std::string::npos;
        if (templated)
            expanded = expandSegment(rawSeg, ctx);
        const std::string& seg = templated ? expanded : rawSeg;
        if (withPath) {
            if (isIdentifier(seg)) {
                if (!out.path.empty())
                    out.path += '.';
                out.path += seg;
            } else {
                out.path += "[\"";
                out.path += seg;
                out.path += "\"]";
            }
        }
        if (!node) {
            if (!withPath)
                break; // nothing more to find, nothing to spell
            continue;
        }
        if (node->is_object()) {
            out.parent = node;
            auto it = node->find(seg);
            node = it == node->end() ? nullptr : &*it;
        } else {
            node = nullptr;
        }
    }
    out.value = (node && !node->is_null()) ? node : nullptr;
    return out;
}

} // namespace lg
