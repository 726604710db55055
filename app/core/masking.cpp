#include "masking.h"

#include <QRegularExpression>
#include <algorithm>
#include <array>
#include <cctype>

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

namespace {

/** Cheap test first: every token pattern below starts with one of these. */
bool mayHoldToken(std::string_view v)
{
    static constexpr std::array<std::string_view, 9> kStarts { "AKIA", "ASIA", "eyJ", "ghp_", "gho_", "ghu_", "ghs_",
        "xox", "glpat-" };
    return std::any_of(kStarts.begin(), kStarts.end(), [&](std::string_view s) { return v.find(s) != v.npos; })
        || v.find("ghr_") != v.npos;
}

/**
 * Whether any NAME in `text` could look like a secret's: each word looksLikeSecretName() tests for holds one
 * of these, in any case. Without one (and without mayHoldToken()), maskText() leaves the text as it is.
 */
bool mayNameSecret(std::string_view text)
{
    static constexpr std::array<std::string_view, 7> kParts { "PASS", "PWD", "SECRET", "TOKEN", "KEY", "PRIVATE",
        "CREDENTIAL" };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = char(std::toupper(static_cast<unsigned char>(text[i])));
        for (std::string_view part : kParts) {
            if (c != part.front() || text.size() - i < part.size())
                continue;
            std::size_t k = 1;
            while (k < part.size() && std::toupper(static_cast<unsigned char>(text[i + k])) == part[k])
                ++k;
            if (k == part.size())
                return true;
        }
    }
    return false;
}

QString q(std::string_view s)
{
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

} // namespace

bool looksLikeSecretValue(std::string_view value)
{
    if (value.size() > 8192)
        return true; // too long to inspect usefully; treat as sensitive
    if (value.find("BEGIN") != std::string_view::npos && value.find("PRIVATE KEY") != std::string_view::npos)
        return true;
    if (!mayHoldToken(value))
        return false;
    static const QRegularExpression kPatterns(QStringLiteral(
        R"((AKIA|ASIA)[0-9A-Z]{16}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.|gh[pousr]_[A-Za-z0-9]{30,}|xox[abp]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20})"));
    return kPatterns.match(q(value)).hasMatch();
}

std::string maskText(std::string_view text)
{
    if (text.size() > 8192)
        return std::string(text.substr(0, 200)) + " ... " + std::string(kMasked) + " (long text withheld)";
    // NAME=value pairs (env lines, build args) with a secret-looking NAME or value.
    if (text.find_first_of("=:") == std::string_view::npos && !looksLikeSecretValue(text))
        return std::string(text);
    // Image references, URLs, "key: value" evidence: nothing to mask, and the common case by far. Only for
    // ASCII: the path below also replaces invalid UTF-8, as it always did.
    if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })
        && !mayHoldToken(text) && !mayNameSecret(text))
        return std::string(text);
    static const QRegularExpression kAssign(
        QStringLiteral(R"(([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*("[^"]*"|'[^']*'|[^\s,;"']+))"));
    const QString in = q(text);
    QString result;
    qsizetype last = 0;
    auto it = kAssign.globalMatch(in);
    while (it.hasNext()) {
        const auto m = it.next();
        const bool secret
            = looksLikeSecretName(m.captured(1).toStdString()) || looksLikeSecretValue(m.captured(2).toStdString());
        result += in.mid(last, m.capturedStart(0) - last);
        if (secret)
            result += m.captured(1) + u'=' + QLatin1String(kMasked.data(), qsizetype(kMasked.size()));
        else
            result += m.captured(0);
        last = m.capturedEnd(0);
    }
    result += in.mid(last);
    std::string out = result.toStdString();
    if (looksLikeSecretValue(out)) {
        static const QRegularExpression kValue(QStringLiteral(
            R"((AKIA|ASIA)[0-9A-Z]{16}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_.-]{8,}|gh[pousr]_[A-Za-z0-9]{30,}|xox[abp]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20}|-----BEGIN[^-]*PRIVATE KEY-----[\s\S]*?(-----END[^-]*PRIVATE KEY-----|$))"));
        QString masked = QString::fromStdString(out);
        masked.replace(kValue, QLatin1String(kMasked.data(), qsizetype(kMasked.size())));
        out = masked.toStdString();
    }
    return out;
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
