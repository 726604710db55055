#include "yamlio.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace lg {

namespace {

nlohmann::json scalarToJson(const YAML::Node& node)
{
    const std::string& s = node.Scalar();
    // A quoted or explicitly tagged scalar is a string ("!" is yaml-cpp's tag for non-plain scalars).
    if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str")
        return s;
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL")
        return nullptr;
    if (s == "true" || s == "True" || s == "TRUE" || s == "yes" || s == "Yes" || s == "YES" || s == "on" || s == "On"
        || s == "ON")
        return true;
    if (s == "false" || s == "False" || s == "FALSE" || s == "no" || s == "No" || s == "NO" || s == "off" || s == "Off"
        || s == "OFF")
        return false;
    // Hand-written number grammar (no std::regex: it recurses per character on long scalars).
    std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    const std::size_t digitsStart = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
        ++i;
    const std::size_t intDigits = i - digitsStart;
    if (i == s.size() && intDigits > 0 && intDigits <= 18) {
        // YAML 1.1, as Kubernetes reads it: a leading zero means octal (defaultMode: 0644 is 420).
        const bool octal = intDigits > 1 && s[digitsStart] == '0'
            && s.find_first_not_of("01234567", digitsStart) == std::string::npos;
        errno = 0;
        const long long v = std::strtoll(s.c_str(), nullptr, octal ? 8 : 10);
        return errno == 0 ? nlohmann::json(v) : nlohmann::json(s);
    }
    std::size_t fracDigits = 0;
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
            ++i;
            ++fracDigits;
        }
    }
    if (intDigits + fracDigits == 0 || intDigits + fracDigits > 40)
        return s;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '-' || s[i] == '+'))
            ++i;
        const std::size_t expStart = i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
            ++i;
        if (i == expStart)
            return s;
    }
    if (i != s.size())
        return s;
    return std::strtod(s.c_str(), nullptr);
}

/** Nodes converted so far: aliases are expanded, so nested anchors ("billion laughs") are bounded here. */
constexpr std::size_t kMaxNodes = 2'000'000;

nlohmann::json toJson(const YAML::Node& node, int depth, std::size_t& nodes)
{
    if (depth > 200)
        throw YAML::Exception(node.Mark(), "nesting deeper than 200 levels");
    if (++nodes > kMaxNodes)
        throw YAML::Exception(node.Mark(), "document expands to more than 2,000,000 nodes (alias bomb?)");
    switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        return nullptr;
    case YAML::NodeType::Scalar:
        return scalarToJson(node);
    case YAML::NodeType::Sequence: {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& item : node)
            arr.push_back(toJson(item, depth + 1, nodes));
        return arr;
    }
    case YAML::NodeType::Map: {
        nlohmann::json obj = nlohmann::json::object();
        for (const auto& kv : node) {
            if (!kv.first.IsScalar())
                throw YAML::Exception(kv.first.Mark(), "mapping keys must be scalars");
            obj[kv.first.Scalar()] = toJson(kv.second, depth + 1, nodes);
        }
        return obj;
    }
    }
    return nullptr;
}

} // namespace

std::vector<YamlDocument> parseYamlDocuments(const std::string& text, const std::string& fileName)
{
    std::vector<YamlDocument> out;
    try {
        const auto docs = YAML::LoadAll(text);
        for (const auto& doc : docs) {
            if (!doc || doc.IsNull())
                continue;
            std::size_t nodes = 0;
            out.push_back({ toJson(doc, 0, nodes), doc.Mark().line + 1 });
        }
    } catch (const YAML::Exception& e) {
        throw YamlError(fileName, e.mark.line + 1, e.mark.column + 1, e.msg);
    }
    return out;
}

} // namespace lg
