#pragma once
// What the readers of other tools' reports (import_<tool>.cpp, one per format) share: a result as Layerguard
// keeps it, a file's results, and small text helpers. Only the importers include it.

#include "core/model.h"

#include <QString>
#include <Qt>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace lg::importing {

inline constexpr std::size_t kMaxEvidence = 800; ///< characters of a tool's raw output kept as evidence
extern const QString kXccdf12; ///< the XCCDF 1.2 namespace
extern const QString kArf; ///< the ARF 1.1 namespace

/** A tool's raw text cut to kMaxEvidence characters, valid UTF-8. */
std::string clip(std::string s);
std::string utf8(const std::string& bytes);
std::string iso(std::int64_t unix);
std::int64_t unixOf(const std::string& text, Qt::TimeSpec spec = Qt::UTC);
std::string lower(std::string s);
std::vector<std::string> split(const std::string& text, char sep);
/** nlohmann's message without its "[json.exception.type_error.302] " tag, which means nothing to a user. */
std::string withoutJsonTag(const nlohmann::json::exception& e);
/** Stops reading a file: it is not a readable report of the format it looked like (an error naming the file). */
[[noreturn]] void fail(const std::string& file, const std::string& what);
/** A report's JSON; a file that is not JSON fails with the format's name and where it broke. */
nlohmann::json parseJson(const std::string& body, const std::string& file, const char* format);

struct Check {
    Layer layer = Layer::Host;
    std::string control; ///< the tool's id
    std::string rule; ///< Layerguard's id for it
    std::string title;
    std::string status; ///< pass | fail | not_applicable | manual | info
    std::string severity = "medium";
    std::string message;
    std::string remediation;
    std::vector<std::string> references;
    std::vector<std::string> frameworks;
    std::vector<std::string> sameAs;
    std::string kind, namespace_, name, container;
    nlohmann::json evidence = nlohmann::json::array();

    void evidenceOf(const std::string& path, const std::string& value)
    {
        if (!value.empty())
            evidence.push_back({ { "path", path }, { "value", clip(value) } });
    }
};

/** What one file gave: who wrote it, about what, when, and its results. */
struct Parsed {
    std::string tool;
    std::string toolVersion;
    std::string host; ///< host or cluster the report is about, when it says
    std::int64_t generated = 0;
    std::string generatedFrom = "the report";
    Layer layer = Layer::Host;
    std::vector<Check> checks;
};

/** nlohmann's message without its "[json.exception.type_error.302] " tag, which means nothing to a user. */

// One reader per format (import_<tool>.cpp).
Parsed parseKubeBench(const nlohmann::json& j, const std::string& file);
Parsed parseDockerBench(const nlohmann::json& j, const std::string& file);
Parsed parseKubescape(const nlohmann::json& j, const std::string& file);
Parsed parseLynis(const std::string& raw, const std::string& file);
Parsed parseXccdf(const std::string& body, const std::string& file);

} // namespace lg::importing
