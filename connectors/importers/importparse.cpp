#include "connectors/importers/importparse.h"
#include "connectors/common/connector.h"
#include "core/frameworks.h"
#include "core/jsonutil.h"

#include <QDateTime>
#include <QFileInfo>
#include <QXmlStreamReader>

#include <algorithm>
#include <map>
#include <set>

namespace lg::importing {

const QString kXccdf12 = QStringLiteral("http://checklists.nist.gov/xccdf/1.2");
const QString kArf = QStringLiteral("http://scap.nist.gov/schema/asset-reporting-format/1.1");

std::string clip(std::string s)
{
    if (s.size() > kMaxEvidence) {
        std::size_t cut = kMaxEvidence;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
            --cut; // never inside a UTF-8 sequence
        s.resize(cut);
        s += " …";
    }
    return s;
}

/** Text of a file that is not JSON or XML (Lynis): invalid UTF-8 becomes U+FFFD, never reaches the cache. */
std::string utf8(const std::string& bytes)
{
    return QString::fromUtf8(bytes.data(), qsizetype(bytes.size())).toStdString();
}

std::string iso(std::int64_t unix)
{
    return unix > 0 ? QDateTime::fromSecsSinceEpoch(unix, Qt::UTC).toString(Qt::ISODate).toStdString() : std::string();
}

std::int64_t unixOf(const std::string& text, Qt::TimeSpec spec)
{
    QDateTime t = QDateTime::fromString(QString::fromStdString(text), Qt::ISODateWithMs);
    if (!t.isValid()) // Lynis: "2026-11-29 18:44:37", local time without a zone
        t = QDateTime::fromString(QString::fromStdString(text), QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    if (!t.isValid())
        return 0;
    if (t.timeSpec() == Qt::LocalTime && spec == Qt::UTC && !QString::fromStdString(text).contains(QLatin1Char(' ')))
        t.setTimeSpec(Qt::UTC); // ISO text without offset: UTC by convention
    const std::int64_t secs = t.toSecsSinceEpoch();
    return secs > 0 ? secs : 0; // Kubescape 3.0.1 writes the zero time
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
    return s;
}

/** The parts of `text` between `sep`s, empty ones included ("a||b|" gives a, "", b, ""). */
std::vector<std::string> split(const std::string& text, char sep)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i)
        if (i == text.size() || text[i] == sep) {
            parts.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    return parts;
}

/** Everything one result needs; turned into an ExternalCheck resource. */

std::string withoutJsonTag(const nlohmann::json::exception& e)
{
    std::string what = e.what();
    if (what.starts_with("[json.exception.")) {
        if (const auto end = what.find("] "); end != std::string::npos)
            what.erase(0, end + 2);
    }
    return what;
}

[[noreturn]] void fail(const std::string& file, const std::string& what)
{
    throw std::runtime_error(file + ": " + what);
}

nlohmann::json parseJson(const std::string& body, const std::string& file, const char* format)
{
    try {
        return nlohmann::json::parse(body);
    } catch (const nlohmann::json::parse_error& e) { // its byte offset says where the file breaks
        fail(file,
            std::string("the ") + format + " report is not valid JSON (truncated or damaged?) at byte "
                + std::to_string(e.byte));
    } catch (const nlohmann::json::exception& e) { // a number beyond what JSON readers accept, like 1e999
        fail(file, std::string("the ") + format + " report holds a value no JSON reader accepts: " + withoutJsonTag(e));
    }
}

} // namespace lg::importing
