#include "masking.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <regex>

namespace lg {

namespace {

std::string upper(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::toupper(c)); });
    return out;
}

std::string lastSegment(std::string_view path)
{
    auto pos = path.find_last_of(".[");
    std::string_view seg = pos == std::string_view::npos ? path : path.substr(pos + 1);
    std::string out(seg);
    std::erase(out, '"');
    std::erase(out, ']');
    return out;
}

} // namespace

bool looksLikeSecretName(std::string_view name)
{
    const std::string n = upper(name);
    static constexpr std::array<std::string_view, 12> kWords { "PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY",
        "APIKEY", "PRIVATE", "CREDENTIAL", "ACCESS_KEY", "AUTH_KEY", "PASSPHRASE", "_PWD" };
    if (std::any_of(kWords.begin(), kWords.end(), [&](std::string_view w) { return n.find(w) != std::string::npos; }))
        return true;
    if (n == "PWD_HASH" || n == "PASS" || n == "KEY" || n.ends_with("_PASS") || n.ends_with("_PWD")
        || n.ends_with("_KEY") || n.ends_with("-KEY") || n.find("ACCESSKEY") != std::string::npos
        || n.find("KEY_CONTENT") != std::string::npos)
        return true;
    // "credentials.json", "token.txt": any dotted part of a key may tell.
    if (n.find('.') != std::string::npos) {
        std::size_t start = 0;
        while (start < n.size()) {
            const std::size_t end = std::min(n.find('.', start), n.size());
            const std::string part = n.substr(start, end - start);
            if (!part.empty() && part != n && looksLikeSecretName(part))
                return true;
            start = end + 1;
        }
    }
    return false;
}

bool looksLikeSecretValue(std::string_view value)
{
    if (value.size() > 8192)
        return true; // too long to inspect safely (std::regex recursion); treat as sensitive
    if (value.find("BEGIN") != std::string_view::npos && value.find("PRIVATE KEY") != std::string_view::npos)
        return true;
    static const std::regex kPatterns(
        R"((AKIA|ASIA)[0-9A-Z]{16}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.|gh[pousr]_[A-Za-z0-9]{30,}|xox[abp]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20})",
        std::regex::optimize);
    return std::regex_search(value.begin(), value.end(), kPatterns);
}

std::string maskText(std::string_view text)
{
    if (text.size() > 8192)
        return std::string(text.substr(0, 200)) + " ... " + std::string(kMasked) + " (long text withheld)";
    // NAME=value pairs (env lines, build args) with a secret-looking NAME or value.
    std::string out(text);
    static const std::regex kAssign(R"(([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*("[^"]*"|'[^']*'|[^\s,;"']+))");
    std::string result;
    auto begin = std::sregex_iterator(out.begin(), out.end(), kAssign);
    std::size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
        const auto& m = *it;
        const bool secret = looksLikeSecretName(m[1].str()) || looksLikeSecretValue(m[2].str());
        result.append(out, last, std::size_t(m.position(0)) - last);
        if (secret)
            result += m[1].str() + "=" + std::string(kMasked);
        else
            result += m[0].str();
        last = std::size_t(m.position(0) + m.length(0));
    }
    result.append(out, last);
    if (looksLikeSecretValue(result)) {
        static const std::regex kValue(
            R"((AKIA|ASIA)[0-9A-Z]{16}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_.-]{8,}|gh[pousr]_[A-Za-z0-9]{30,}|xox[abp]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20}|-----BEGIN[^-]*PRIVATE KEY-----[\s\S]*?(-----END[^-]*PRIVATE KEY-----|$))");
        result = std::regex_replace(result, kValue, std::string(kMasked));
    }
    return result;
}

nlohmann::json maskIfSecret(std::string_view path, const nlohmann::json& value)
{
    if (value.is_string()) {
        const auto& s = value.get_ref<const std::string&>();
        if (s.empty())
            return value;
        if (looksLikeSecretName(lastSegment(path)) || looksLikeSecretValue(s))
            return std::string(kMasked);
        return maskText(s);
    }
    if (value.is_object()) {
        nlohmann::json out = value;
        if (out.contains("name") && out["name"].is_string() && out.contains("value")
            && looksLikeSecretName(out["name"].get<std::string>())) {
            out["value"] = std::string(kMasked);
        }
        for (auto it = out.begin(); it != out.end(); ++it) {
            if (it.key() == "name")
                continue;
            if (looksLikeSecretName(it.key()) && (it.value().is_string() || it.value().is_number()))
                it.value() = std::string(kMasked);
            else
                it.value() = maskIfSecret(it.key(), it.value());
        }
        return out;
    }
    if (value.is_array()) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& v : value)
            out.push_back(maskIfSecret(path, v));
        return out;
    }
    return value;
}

} // namespace lg
