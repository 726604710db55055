#include "core/yamlio.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <sstream>

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

nlohmann::json toJson(const YAML::Node& node, int depth, std::size_t& nodes);

/** A plain `<<` key, or one tagged !!merge; a quoted "<<" is an ordinary key (as in go-yaml v2). */
bool isMergeKey(const YAML::Node& key)
{
    return key.Scalar() == "<<" && (key.Tag() == "?" || key.Tag() == "tag:yaml.org,2002:merge");
}

/**
 * A merge key applied as the Kubernetes decoder (sigs.k8s.io/yaml on go-yaml v2) applies it: where it stands,
 * its keys overwrite those before it and the keys after it overwrite its own; of a sequence of maps the
 * earlier map wins. Anything but a map or a sequence of maps is refused, as kubectl refuses it.
 */
void mergeInto(nlohmann::json& obj, const YAML::Node& value, int depth, std::size_t& nodes)
{
    auto mergeMap = [&](const YAML::Node& map) {
        if (!map.IsMap())
            throw YAML::Exception(map.Mark(), "map merge requires map or sequence of maps as the value");
        nlohmann::json merged = toJson(map, depth + 1, nodes);
        for (auto& [key, v] : merged.items())
            obj[key] = std::move(v);
    };
    if (value.IsSequence()) {
        for (std::size_t i = value.size(); i-- > 0;)
            mergeMap(value[i]);
    } else {
        mergeMap(value);
    }
}

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
            if (isMergeKey(kv.first))
                mergeInto(obj, kv.second, depth, nodes);
            else
                obj[kv.first.Scalar()] = toJson(kv.second, depth + 1, nodes);
        }
        return obj;
    }
    }
    return nullptr;
}

} // namespace

namespace {

/**
 * yaml-cpp 0.7 loops without end, allocating all the while, on two kinds of invalid stream (both found by
 * fuzz_yaml): one whose first byte is ',', and one whose document is a flow collection ({...} or [...],
 * as JSON is) followed by more text before the next document marker. Both are refused here, with the
 * place, before they reach the parser.
 */
void refuseWhatHangsYamlCpp(const std::string& text, const std::string& fileName)
{
    if (!text.empty() && text.front() == ',')
        throw YamlError(fileName, 1, 1, "a YAML document cannot start with ','");
    std::size_t i = 0;
    int line = 1;
    std::size_t lineStart = 0;
    auto newline = [&](std::size_t at) {
        ++line;
        lineStart = at + 1;
    };
    auto skipBlankAndComments = [&] {
        while (i < text.size()) {
            const char c = text[i];
            if (c == '\n') {
                newline(i);
                ++i;
            } else if (c == ' ' || c == '\t' || c == '\r') {
                ++i;
            } else if (c == '#') {
                while (i < text.size() && text[i] != '\n')
                    ++i;
            } else {
                break;
            }
        }
    };
    skipBlankAndComments();
    if (i >= text.size() || (text[i] != '{' && text[i] != '['))
        return; // block YAML: not the case that hangs
    int depth = 0;
    for (; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n') {
            newline(i);
        } else if (c == '"' || c == '\'') {
            for (++i; i < text.size() && text[i] != c; ++i) {
                if (c == '"' && text[i] == '\\')
                    ++i;
                else if (text[i] == '\n')
                    newline(i);
            }
        } else if (c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t')) {
            while (i + 1 < text.size() && text[i + 1] != '\n')
                ++i;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (--depth == 0)
                break;
        }
    }
    if (depth != 0 || i >= text.size())
        return; // unclosed: the parser reports it
    ++i;
    skipBlankAndComments();
    if (i >= text.size() || text.compare(i, 3, "---") == 0 || text.compare(i, 3, "...") == 0)
        return;
    throw YamlError(fileName, line, int(i - lineStart) + 1,
        "text after the end of the document's closing bracket (a '---' line starts a new document)");
}

/**
 * Counts the parser's events and stops it past a budget. A stream gives at most about one event per byte;
 * the streams on which yaml-cpp 0.7 does not terminate give events for ever (and the node builder would
 * allocate for ever). Run before the real parse, it turns any such stream into an error.
 */
class EventBudget final : public YAML::EventHandler {
public:
    explicit EventBudget(std::size_t bytes)
        : m_left(4 * bytes + 64)
    {
    }
    void OnDocumentStart(const YAML::Mark& mark) override { tick(mark); }
    void OnDocumentEnd() override { tick({}); }
    void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { tick(mark); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { tick(mark); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override
    {
        tick(mark);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override
    {
        tick(mark);
    }
    void OnSequenceEnd() override { tick({}); }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override
    {
        tick(mark);
    }
    void OnMapEnd() override { tick({}); }

private:
    void tick(const YAML::Mark& mark)
    {
        if (m_left-- == 0)
            throw YAML::Exception(mark, "the YAML parser does not get to the end of this text (malformed YAML)");
    }
    std::size_t m_left;
};

} // namespace

std::vector<YamlDocument> parseYamlDocuments(const std::string& text, const std::string& fileName)
{
    std::vector<YamlDocument> out;
    refuseWhatHangsYamlCpp(text, fileName);
    try {
        {
            std::istringstream in(text);
            YAML::Parser parser(in);
            EventBudget budget(text.size());
            while (parser.HandleNextDocument(budget)) { }
        }
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

std::vector<int> sequenceItemLines(const std::string& text, const std::string& key)
{
    std::vector<int> lines;
    try {
        const auto docs = YAML::LoadAll(text);
        for (const auto& doc : docs) {
            if (!doc || !doc.IsMap())
                continue;
            const YAML::Node list = doc[key];
            if (list && list.IsSequence())
                for (const auto& item : list)
                    lines.push_back(item.Mark().line + 1);
            break;
        }
    } catch (const YAML::Exception&) {
        lines.clear(); // parseYamlDocuments reports the syntax error; lines are only a help
    }
    return lines;
}

} // namespace lg
