#include "core/messagetemplate.h"

#include "core/masking.h"

namespace lg {

namespace {
/** The key of a map entry evidence points at (data["app.yaml"] -> app.yaml), or the keys a key test listed. */
std::string evidenceKey(const Evidence& e)
{
    if (e.value.is_array())
        return displayValue(e.value);
    const auto open = e.path.rfind("[\"");
    if (open != std::string::npos && e.path.ends_with("\"]"))
        return e.path.substr(open + 2, e.path.size() - open - 4);
    const auto dot = e.path.rfind('.');
    return dot == std::string::npos ? e.path : e.path.substr(dot + 1);
}
} // namespace

MessageTemplate::MessageTemplate(const std::string& tmpl)
{
    const auto text = [&](std::string literal) {
        m_textSize += literal.size();
        if (!m_parts.empty() && m_parts.back().kind == Part::Kind::Text)
            m_parts.back().text += literal;
        else
            m_parts.push_back({ Part::Kind::Text, std::move(literal), {} });
    };
    std::size_t pos = 0;
    while (pos < tmpl.size()) {
        const auto open = tmpl.find('{', pos);
        const auto close = open == std::string::npos ? std::string::npos : tmpl.find('}', open);
        if (close == std::string::npos) {
            text(tmpl.substr(pos));
            break;
        }
        text(tmpl.substr(pos, open - pos));
        std::string key = tmpl.substr(open + 1, close - open - 1);
        if (key == "value") {
            m_parts.push_back({ Part::Kind::Value, {}, {} });
        } else if (key == "path") {
            m_parts.push_back({ Part::Kind::Path, {}, {} });
        } else if (key == "key") {
            m_parts.push_back({ Part::Kind::Key, {}, {} });
        } else {
            try {
                PathSpec path = parsePath(key);
                m_parts.push_back({ Part::Kind::Field, std::move(key), std::move(path) });
            } catch (const std::invalid_argument&) {
                text("{" + key + "}"); // not a path: shown as written
            }
        }
        pos = close + 1;
    }
}

std::string MessageTemplate::render(const EvalContext& ctx, const std::vector<Evidence>& evidence) const
{
    std::string out;
    out.reserve(m_textSize + 32);
    // Substituted values are masked here (evidence already is), so the message needs no second pass.
    for (const Part& part : m_parts) {
        switch (part.kind) {
        case Part::Kind::Text:
            out += part.text;
            break;
        case Part::Kind::Value:
            out += evidence.empty() ? std::string("(not set)") : maskText(displayValue(evidence.front().value));
            break;
        case Part::Kind::Path:
            if (!evidence.empty())
                out += evidence.front().path;
            break;
        case Part::Kind::Key: // the map key that decided: named, where the value would say too much
            if (!evidence.empty())
                out += maskText(evidenceKey(evidence.front()));
            break;
        case Part::Kind::Field: {
            const Resolved r = resolve(part.path, ctx, false);
            out += r.value ? maskText(displayValue(maskIfSecret(part.text, *r.value))) : std::string("(not set)");
            break;
        }
        }
    }
    return out;
}

std::string renderTemplate(const std::string& tmpl, const EvalContext& ctx, const std::vector<Evidence>& evidence)
{
    return MessageTemplate(tmpl).render(ctx, evidence);
}

} // namespace lg
