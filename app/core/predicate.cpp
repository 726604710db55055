#include "core/predicate.h"
#include "core/jsonutil.h"

#include "core/masking.h"

#include <QDateTime>

#include <QRegularExpression>
#include <regex>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <stdexcept>

namespace lg {

int compareVersions(std::string_view a, std::string_view b)
{
    auto parts = [](std::string_view s) {
        std::vector<long> out;
        std::size_t i = 0;
        while (i < s.size() && !std::isdigit(static_cast<unsigned char>(s[i])))
            ++i; // "v1.2", "go1.21"
        while (i < s.size()) {
            long n = 0;
            bool digits = false;
            while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
                if (n < 1'000'000'000L)
                    n = n * 10 + (s[i] - '0');
                ++i;
                digits = true;
            }
            if (!digits)
                break;
            out.push_back(n);
            if (i < s.size() && s[i] == '.')
                ++i;
            else
                break; // "-generic", "+k3s1", "-rc1": the numeric release is what counts
        }
        return out;
    };
    const auto pa = parts(a), pb = parts(b);
    for (std::size_t i = 0; i < std::max(pa.size(), pb.size()); ++i) {
        const long x = i < pa.size() ? pa[i] : 0;
        const long y = i < pb.size() ? pb[i] : 0;
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

std::string displayValue(const nlohmann::json& value)
{
    if (value.is_string())
        return value.get<std::string>().empty() ? std::string("(empty)") : value.get<std::string>();
    if (value.is_null())
        return "(not set)";
    if (value.is_number_float()) { // 48.0 reads as 48, 0.030000001 as 0.03
        const double d = value.get<double>();
        if (std::abs(d) < 1e15 && d == std::floor(d))
            return std::to_string(static_cast<long long>(d));
        QString t = QString::number(d, 'g', 6);
        return t.toStdString();
    }
    // a list of plain values reads as words: "NET_RAW, SYS_ADMIN", not ["NET_RAW","SYS_ADMIN"]
    if (value.is_array() && !value.empty()
        && std::all_of(value.begin(), value.end(), [](const nlohmann::json& v) { return v.is_primitive(); })) {
        std::string out;
        for (const auto& v : value)
            out += (out.empty() ? "" : ", ") + displayValue(v);
        return out;
    }
    return dumpJson(value);
}

namespace {

enum class Op {
    Exists,
    Absent,
    Equals,
    NotEquals,
    In,
    NotIn,
    True,
    NotTrue,
    Matches,
    Gt,
    Gte,
    Lt,
    Lte,
    Contains,
    ContainsAny,
    AnyNotIn,
    Empty,
    NotEmpty,
    BitsOutside,
    AnyKeyNotIn,
    OlderThanDays,
    VersionLt,
    VersionGte,
    EndOfLife,
    AnyKeyMatches,
    SizeGt
};

const std::vector<std::pair<std::string_view, Op>>& opTable()
{
    static const std::vector<std::pair<std::string_view, Op>> table {
        { "exists", Op::Exists },
        { "absent", Op::Absent },
        { "equals", Op::Equals },
        { "not_equals", Op::NotEquals },
        { "in", Op::In },
        { "not_in", Op::NotIn },
        { "true", Op::True },
        { "not_true", Op::NotTrue },
        { "matches", Op::Matches },
        { "gt", Op::Gt },
        { "gte", Op::Gte },
        { "lt", Op::Lt },
        { "lte", Op::Lte },
        { "contains", Op::Contains },
        { "contains_any", Op::ContainsAny },
        { "any_not_in", Op::AnyNotIn },
        { "empty", Op::Empty },
        { "not_empty", Op::NotEmpty },
        { "bits_outside", Op::BitsOutside },
        { "any_key_not_in", Op::AnyKeyNotIn },
        { "older_than_days", Op::OlderThanDays },
        { "version_lt", Op::VersionLt },
        { "version_gte", Op::VersionGte },
        { "end_of_life", Op::EndOfLife },
        { "any_key_matches", Op::AnyKeyMatches },
        { "size_gt", Op::SizeGt },
    };
    return table;
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

/** RFC 3339 timestamps (Docker's have nanoseconds) older than `days` at the scan clock `now`. */
bool olderThanDays(const nlohmann::json* v, std::int64_t now, double days)
{
    if (!v || !v->is_string() || now <= 0)
        return false;
    // RFC 3339 with up to nanoseconds (Docker): keep milliseconds, which Qt parses.
    std::string stamp = v->get<std::string>();
    if (const auto dot = stamp.find('.'); dot != std::string::npos) {
        std::size_t end = dot + 1;
        while (end < stamp.size() && std::isdigit(static_cast<unsigned char>(stamp[end])))
            ++end;
        if (end - dot - 1 > 3)
            stamp.erase(dot + 4, end - dot - 4);
    }
    const auto t = QDateTime::fromString(QString::fromStdString(stamp), Qt::ISODateWithMs);
    if (!t.isValid())
        return false;
    return double(now - t.toSecsSinceEpoch()) / 86400.0 > days;
}

/**
 * `lines`: release line ("1.33") -> the vendor's end-of-life date ("2026-06-28"). A version on a listed line is past
 * its end of life from that date (the scan's clock); one older than every listed line is too; one on a newer line
 * than the table knows is not judged past it.
 */
bool pastEndOfLife(const nlohmann::json* v, std::int64_t now, const nlohmann::json& lines)
{
    if (!v || !v->is_string() || v->get_ref<const std::string&>().empty() || now <= 0)
        return false;
    const std::string version = v->get<std::string>();
    std::string oldest;
    for (const auto& [line, date] : lines.items()) {
        if (oldest.empty() || compareVersions(line, oldest) < 0)
            oldest = line;
        const int c = compareVersions(version, line);
        // on this line: at least the line, and below the next one ("1.33" -> "1.34", Debian's "12" -> "13")
        std::string next = line;
        const auto dot = next.rfind('.');
        const std::size_t last = dot == std::string::npos ? 0 : dot + 1;
        next = next.substr(0, last) + std::to_string(std::stol(next.substr(last)) + 1);
        if (c >= 0 && compareVersions(version, next) < 0) {
            const QDate end = QDate::fromString(QString::fromStdString(date.get<std::string>()), Qt::ISODate);
            return end.isValid() && QDateTime(end, QTime(0, 0), Qt::UTC).toSecsSinceEpoch() <= now;
        }
    }
    return !oldest.empty() && compareVersions(version, oldest) < 0;
}

class AllPredicate final : public Predicate {
public:
    explicit AllPredicate(std::vector<std::unique_ptr<Predicate>> children, bool any)
        : m_children(std::move(children))
        , m_any(any)
    {
    }
    bool eval(const EvalContext& ctx, std::vector<Evidence>* evidence, bool polarity) const override
    {
        // any: true -> the first true child explains it; false -> every child does.
        // all: true -> every child explains it; false -> the first false child does.
        // Leaves only record evidence that points towards a violation, so passing it on is safe.
        std::vector<Evidence> every;
        for (const auto& child : m_children) {
            std::vector<Evidence> childEvidence;
            const bool r = child->eval(ctx, evidence ? &childEvidence : nullptr, polarity);
            if (r == m_any) {
                if (evidence)
                    evidence->insert(evidence->end(), childEvidence.begin(), childEvidence.end());
                return m_any;
            }
            if (evidence)
                every.insert(every.end(), childEvidence.begin(), childEvidence.end());
        }
        if (evidence)
            evidence->insert(evidence->end(), every.begin(), every.end());
        return !m_any;
    }

private:
    std::vector<std::unique_ptr<Predicate>> m_children;
    bool m_any;
};

class NotPredicate final : public Predicate {
public:
    explicit NotPredicate(std::unique_ptr<Predicate> inner)
        : m_inner(std::move(inner))
    {
    }
    bool eval(const EvalContext& ctx, std::vector<Evidence>* evidence, bool polarity) const override
    {
        return !m_inner->eval(ctx, evidence, !polarity);
    }

private:
    std::unique_ptr<Predicate> m_inner;
};

/** Leaf: one path (or a list of paths, the first present one wins) tested with one operator. */
class LeafPredicate final : public Predicate {
public:
    LeafPredicate(
        std::vector<PathSpec> paths, Op op, nlohmann::json value, bool ignoreCase, std::optional<PathSpec> valuePath)
        : m_paths(std::move(paths))
        , m_op(op)
        , m_value(std::move(value))
        , m_ignoreCase(ignoreCase)
        , m_valuePath(std::move(valuePath))
    {
        if (m_op == Op::Matches || m_op == Op::AnyKeyMatches) {
            // PCRE2 with JIT: linear enough for hostile values, ~50x faster than std::regex here.
            m_regex.setPattern(QString::fromStdString(m_value.get<std::string>()));
            if (m_ignoreCase)
                m_regex.setPatternOptions(QRegularExpression::CaseInsensitiveOption);
            if (!m_regex.isValid())
                throw std::invalid_argument("bad regular expression: " + m_regex.errorString().toStdString());
            m_regex.optimize();
        }
    }

    [[nodiscard]] bool search(const std::string& text) const
    {
        const std::size_t n = std::min<std::size_t>(text.size(), 16384); // judge at most the first 16 KiB
        return m_regex.match(QString::fromUtf8(text.data(), qsizetype(n))).hasMatch();
    }

    bool eval(const EvalContext& ctx, std::vector<Evidence>* evidence, bool polarity) const override
    {
        Resolved r;
        const PathSpec* used = nullptr;
        for (const auto& p : m_paths) {
            r = resolve(p, ctx, false);
            used = &p;
            if (r.value)
                break;
        }
        bool result = false;
        if (m_valuePath) {
            // Compare with another field of the context (e.g. a mount's name with a volume's name).
            if (const Resolved other = resolve(*m_valuePath, ctx, false); !other.value)
                result = false; // nothing to compare with
            else if (m_op == Op::Matches || m_op == Op::AnyKeyMatches) // the other field is the pattern
                result = LeafPredicate(m_paths, m_op, *other.value, m_ignoreCase, std::nullopt)
                             .test(r.value, ctx.now(), *other.value);
            else
                result = test(r.value, ctx.now(), *other.value);
        } else {
            result = test(r.value, ctx.now(), m_value);
        }
        // The leaf is evidence when it pushes the overall result towards "violation".
        if (evidence && result == polarity) {
            if (used)
                r = resolve(*used, ctx); // again, spelling the path this time
            nlohmann::json observed = r.value ? maskIfSecret(r.path, *r.value) : nlohmann::json();
            // A map judged by its keys is shown by the keys that decided, never with its values (a ConfigMap's
            // data, an image's labels).
            if (r.value && r.value->is_object() && (m_op == Op::AnyKeyMatches || m_op == Op::AnyKeyNotIn)) {
                observed = nlohmann::json::array();
                for (auto it = r.value->begin(); it != r.value->end(); ++it)
                    if (m_op == Op::AnyKeyMatches ? search(it.key()) : !inList(it.key(), m_value))
                        observed.push_back(it.key());
            }
            // {name: PASSWORD, value: ...}: the value's secrecy is told by its sibling's name.
            if (r.value && r.parent && r.parent->is_object() && r.path.ends_with("value")) {
                auto name = r.parent->find("name");
                if (name != r.parent->end() && name->is_string() && looksLikeSecretName(name->get<std::string>()))
                    observed = std::string(kMasked);
            }
            evidence->push_back({ r.path, std::move(observed) });
        }
        return result;
    }

private:
    bool eq(const nlohmann::json& a, const nlohmann::json& b) const
    {
        if (m_ignoreCase && a.is_string() && b.is_string())
            return lower(a.get<std::string>()) == lower(b.get<std::string>());
        if (a.is_number() && b.is_number())
            return a.get<double>() == b.get<double>();
        return a == b;
    }
    bool inList(const nlohmann::json& v, const nlohmann::json& list) const
    {
        if (!list.is_array())
            return eq(v, list);
        return std::any_of(list.begin(), list.end(), [&](const nlohmann::json& x) { return eq(v, x); });
    }
    /** True when `v` is an object with a key for which `test` holds. */
    template <typename Test> static bool anyKey(const nlohmann::json* v, Test test)
    {
        if (!v || !v->is_object())
            return false;
        for (auto it = v->begin(); it != v->end(); ++it)
            if (test(it.key()))
                return true;
        return false;
    }
    static bool isEmpty(const nlohmann::json* v)
    {
        return !v || ((v->is_array() || v->is_object() || v->is_string()) && v->empty())
            || (v->is_string() && v->get<std::string>().empty());
    }
    /** `value` is the rule's own, or with a value path the other field's (never for the regex operators). */
    bool test(const nlohmann::json* v, std::int64_t now, const nlohmann::json& value) const
    {
        switch (m_op) {
        case Op::OlderThanDays:
            return olderThanDays(v, now, value.get<double>());
        case Op::VersionLt:
        case Op::VersionGte: {
            if (!v || !v->is_string() || v->get_ref<const std::string&>().empty())
                return false;
            const int c = compareVersions(v->get<std::string>(), value.get<std::string>());
            return m_op == Op::VersionLt ? c < 0 : c >= 0;
        }
        case Op::EndOfLife:
            return pastEndOfLife(v, now, value);
        case Op::Exists:
            return v != nullptr;
        case Op::Absent:
            return v == nullptr;
        case Op::Equals:
            return v && eq(*v, value);
        case Op::NotEquals:
            return !v || !eq(*v, value);
        case Op::In:
            return v && inList(*v, value);
        case Op::NotIn:
            return v && !inList(*v, value);
        case Op::True:
            return v && v->is_boolean() && v->get<bool>();
        case Op::NotTrue:
            return !(v && v->is_boolean() && v->get<bool>());
        case Op::Matches: {
            if (!v || !v->is_string())
                return false;
            return search(v->get_ref<const std::string&>());
        }
        case Op::Gt:
        case Op::Gte:
        case Op::Lt:
        case Op::Lte: {
            if (!v || !v->is_number())
                return false;
            const double a = v->get<double>();
            const double b = value.get<double>();
            return m_op == Op::Gt ? a > b : m_op == Op::Gte ? a >= b : m_op == Op::Lt ? a < b : a <= b;
        }
        case Op::Contains:
            return v && v->is_array() && inList(value, *v);
        case Op::ContainsAny:
            return v && v->is_array()
                && std::any_of(v->begin(), v->end(), [&](const nlohmann::json& x) { return inList(x, value); });
        case Op::AnyNotIn:
            return v && v->is_array()
                && std::any_of(v->begin(), v->end(), [&](const nlohmann::json& x) { return !inList(x, value); });
        case Op::Empty:
            return isEmpty(v);
        case Op::NotEmpty:
            return !isEmpty(v);
        case Op::SizeGt:
            return v && (v->is_array() || v->is_object()) && double(v->size()) > value.get<double>();
        case Op::AnyKeyMatches:
            return anyKey(v, [&](const std::string& key) { return search(key); });
        case Op::AnyKeyNotIn:
            return anyKey(v, [&](const std::string& key) { return !inList(key, value); });
        case Op::BitsOutside: {
            // file modes as octal strings: true when the mode grants a bit the mask does not
            if (!v || !v->is_string())
                return false;
            const unsigned long mode = std::strtoul(v->get_ref<const std::string&>().c_str(), nullptr, 8);
            const unsigned long mask = std::strtoul(value.get_ref<const std::string&>().c_str(), nullptr, 8);
            return (mode & ~mask & 07777UL) != 0;
        }
        }
        return false;
    }

    std::vector<PathSpec> m_paths;
    Op m_op;
    nlohmann::json m_value;
    bool m_ignoreCase;
    std::optional<PathSpec> m_valuePath;
    QRegularExpression m_regex;
};

/** each: true when the sub-predicate holds for at least one item of the array (or object values). */
class EachPredicate final : public Predicate {
public:
    EachPredicate(PathSpec path, std::string as, std::unique_ptr<Predicate> sub)
        : m_path(std::move(path))
        , m_as(std::move(as))
        , m_sub(std::move(sub))
    {
    }
    bool eval(const EvalContext& ctx, std::vector<Evidence>* evidence, bool polarity) const override
    {
        const Resolved r = resolve(m_path, ctx);
        if (!r.value || !(r.value->is_array() || r.value->is_object()))
            return false;
        EvalContext inner = ctx;
        std::size_t index = 0;
        bool any = false;
        for (auto it = r.value->begin(); it != r.value->end(); ++it, ++index) {
            const std::string itemPath
                = r.value->is_array() ? r.path + "[" + std::to_string(index) + "]" : r.path + "[\"" + it.key() + "\"]";
            inner.bind(m_as, &*it, itemPath);
            if (m_sub->eval(inner, evidence, polarity)) {
                any = true;
                if (!evidence || polarity)
                    return true; // first violating item is enough evidence
            }
        }
        return any;
    }

private:
    PathSpec m_path;
    std::string m_as;
    std::unique_ptr<Predicate> m_sub;
};

} // namespace

std::unique_ptr<Predicate> compilePredicate(const nlohmann::json& j)
{
    if (!j.is_object())
        throw std::invalid_argument("predicate must be an object, got " + dumpJson(j));
    if (j.contains("all") || j.contains("any")) {
        const bool any = j.contains("any");
        const auto& list = j.at(any ? "any" : "all");
        if (!list.is_array() || list.empty())
            throw std::invalid_argument(std::string(any ? "any" : "all") + " needs a non-empty array");
        std::vector<std::unique_ptr<Predicate>> children;
        for (const auto& c : list)
            children.push_back(compilePredicate(c));
        return std::make_unique<AllPredicate>(std::move(children), any);
    }
    if (j.contains("not"))
        return std::make_unique<NotPredicate>(compilePredicate(j.at("not")));
    if (j.contains("each")) {
        const auto& e = j.at("each");
        if (!e.contains("path") || !e.contains("where"))
            throw std::invalid_argument("each needs path and where");
        return std::make_unique<EachPredicate>(parsePath(e.at("path").get<std::string>()),
            e.value("as", std::string("item")), compilePredicate(e.at("where")));
    }
    if (!j.contains("path") || !j.contains("op"))
        throw std::invalid_argument("leaf predicate needs path and op: " + dumpJson(j));
    std::vector<PathSpec> paths;
    if (j.at("path").is_array()) {
        for (const auto& p : j.at("path"))
            paths.push_back(parsePath(p.get<std::string>()));
    } else {
        paths.push_back(parsePath(j.at("path").get<std::string>()));
    }
    const std::string opName = j.at("op").get<std::string>();
    const auto& table = opTable();
    auto it = std::find_if(table.begin(), table.end(), [&](const auto& e) { return e.first == opName; });
    if (it == table.end())
        throw std::invalid_argument("unknown operator '" + opName + "'");
    const bool needsValue = it->second != Op::Exists && it->second != Op::Absent && it->second != Op::True
        && it->second != Op::NotTrue && it->second != Op::Empty && it->second != Op::NotEmpty;
    if (needsValue && !j.contains("value") && !j.contains("value_path"))
        throw std::invalid_argument("operator '" + opName + "' needs a value");
    if ((it->second == Op::Matches || it->second == Op::AnyKeyMatches)
        && !j.value("value", nlohmann::json()).is_string())
        throw std::invalid_argument("matches needs a regular expression string");
    if (it->second == Op::EndOfLife) {
        const auto& dates = j.value("value", nlohmann::json());
        if (!dates.is_object() || dates.empty())
            throw std::invalid_argument(
                "end_of_life needs a table of release lines and dates, e.g. {\"1.33\": \"2026-06-28\"}");
        static const std::regex kLine("^[0-9]+(\\.[0-9]+)?$"), kDate("^[0-9]{4}-[0-9]{2}-[0-9]{2}$");
        for (const auto& [line, date] : dates.items())
            if (!std::regex_match(line, kLine) || !date.is_string()
                || !std::regex_match(date.get<std::string>(), kDate))
                throw std::invalid_argument(
                    "end_of_life: \"" + line + "\" needs a release line (MAJOR or MAJOR.MINOR) and a YYYY-MM-DD date");
    }
    try {
        std::optional<PathSpec> valuePath;
        if (j.contains("value_path"))
            valuePath = parsePath(j.at("value_path").get<std::string>());
        return std::make_unique<LeafPredicate>(std::move(paths), it->second, j.value("value", nlohmann::json()),
            j.value("ignore_case", false), std::move(valuePath));
    } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument(std::string("bad predicate: ") + e.what());
    }
}

} // namespace lg
