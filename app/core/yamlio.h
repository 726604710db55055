#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace lg {

/** A YAML syntax error with the place it was found. */
class YamlError : public std::runtime_error {
public:
    YamlError(std::string file, int line, int column, const std::string& what)
        : std::runtime_error(file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + what)
        , m_file(std::move(file))
        , m_line(line)
        , m_column(column)
    {
    }
    [[nodiscard]] const std::string& file() const { return m_file; }
    [[nodiscard]] int line() const { return m_line; }
    [[nodiscard]] int column() const { return m_column; }

private:
    std::string m_file;
    int m_line;
    int m_column;
};

/** One YAML document converted to JSON, with the line (1-based) where it starts. */
struct YamlDocument {
    nlohmann::json json;
    int line = 1;
};

/**
 * Parses every document of a YAML stream as Kubernetes does (YAML 1.1 scalars: true/false/yes/no,
 * null/~, integers, floats; quoted scalars stay strings). Empty documents are skipped.
 * Throws YamlError naming `fileName`, line and column on a syntax error.
 */
[[nodiscard]] std::vector<YamlDocument> parseYamlDocuments(const std::string& text, const std::string& fileName);

/**
 * The line (1-based) of each item of the sequence under `key` in the first document's top-level map, for
 * messages that point into a file (a policy's exemptions); empty when there is none. Call after
 * parseYamlDocuments accepted the text.
 */
[[nodiscard]] std::vector<int> sequenceItemLines(const std::string& text, const std::string& key);

} // namespace lg
