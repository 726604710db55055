#include "yamlio.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <regex>

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
    if (s == "true" || s == "True" || s == "TRUE" || s == "yes" || s == "Yes" || s == "YES" || s == "on"
        || s == "On" || s == "ON")
        return true;
    if (s == "false" || s == "False" || s == "FALSE" || s == "no" || s == "No" || s == "NO" || s == "off"
        || s == "Off" || s == "OFF")
        return false;
    static const std::regex kInt(R"([-+]?(0|[1-9][0-9]*))");
    static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
    if (std::regex_match(s, kInt)) {
        errno = 0;
        const long long v = std::strtoll(s.c_str(), nullptr, 10);
        if (errno == 0)
            return v;
        return s;
    }
    if (std::regex_match(s, kFloat))
        return std::strtod(s.c_str(), nullptr);
    return s;
}

nlohmann::json toJson(const YAML::Node& node, int depth)
{
    if (depth > 200)
        throw YAML::Exception(node.Mark(), "nesting deeper than 200 levels");
    switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        return nullptr;
    case YAML::NodeType::Scalar:
        return scalarToJson(node);
    case YAML::NodeType::Sequence: {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& item : node)
            arr.push_back(toJson(item, depth + 1));
        return arr;
    }
    case YAML::NodeType::Map: {
        nlohmann::json obj = nlohmann::json::object();
        for (const auto& kv : node) {
            if (!kv.first.IsScalar())
                throw YAML::Exception(kv.first.Mark(), "mapping keys must be scalars");
            obj[kv.first.Scalar()] = toJson(kv.second, depth + 1);
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
            out.push_back({toJson(doc, 0), doc.Mark().line + 1});
        }
    } catch (const YAML::Exception& e) {
        throw YamlError(fileName, e.mark.line + 1, e.mark.column + 1, e.msg);
    }
    return out;
}

} // namespace lg
