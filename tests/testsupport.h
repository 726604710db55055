#pragma once
// Small helpers shared by the tests.

#include <QTest>

#include <nlohmann/json.hpp>

#include <optional>
#include <sstream>
#include <string>
#include <type_traits>

namespace lg::test {

template <typename T>
concept Streamable = requires(std::ostream& os, const T& v)
{
    os << v;
};

template <typename T> std::string text(const T& v)
{
    if constexpr (std::is_same_v<T, nlohmann::json>) {
        return v.dump();
    } else if constexpr (requires {
                             v.has_value();
                             *v;
                         }) {
        return v.has_value() ? text(*v) : std::string("(none)");
    } else if constexpr (std::is_enum_v<T>) {
        return std::to_string(static_cast<int>(v));
    } else if constexpr (Streamable<T>) {
        std::ostringstream os;
        os << v;
        return os.str();
    } else {
        return "(value)";
    }
}

/** Whether a scan outcome has a finding of `rule` on the resource `name` (any resource when empty). */
template <typename Outcome> bool fired(const Outcome& o, const std::string& rule, const std::string& name = {})
{
    for (const auto& f : o.record.findings)
        if (f.rule == rule && (name.empty() || f.subject.name == name))
            return true;
    return false;
}

} // namespace lg::test

/** QCOMPARE for values QTest cannot print (nlohmann::json, std::string, std::optional). */
#define LG_COMPARE(actual, expected)                                                                                   \
    do {                                                                                                               \
        const auto lgActual_ = (actual);                                                                               \
        const auto lgExpected_ = (expected);                                                                           \
        if (!(lgActual_ == lgExpected_)) {                                                                             \
            const std::string lgMsg_ = std::string(#actual " == " #expected ": got ") + lg::test::text(lgActual_)      \
                + ", expected " + lg::test::text(lgExpected_);                                                         \
            QFAIL(lgMsg_.c_str());                                                                                     \
        }                                                                                                              \
    } while (false)
