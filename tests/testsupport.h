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

/**
 * Whether a scan outcome has a finding of `rule` on the resource `name` (any resource when empty) that counts:
 * open or accepted, not exempted.
 */
template <typename Outcome> bool fired(const Outcome& o, const std::string& rule, const std::string& name = {})
{
    for (const auto& f : o.record.findings)
        if (f.rule == rule && (name.empty() || f.subject.name == name)
            && f.status != std::decay_t<decltype(f.status)>::Exempted)
            return true;
    return false;
}

/** The exempted finding of `rule` on `name`, or nullptr. */
template <typename Outcome> auto exempted(const Outcome& o, const std::string& rule, const std::string& name)
{
    const auto* found = o.record.findings.empty() ? nullptr : &o.record.findings.front();
    for (const auto& f : o.record.findings)
        if (f.rule == rule && f.subject.name == name && f.status == std::decay_t<decltype(f.status)>::Exempted)
            return &f;
    found = nullptr;
    return found;
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
