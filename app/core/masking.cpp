#include "core/masking.h"

#include <QRegularExpression>
#include <QUrl>

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <shared_mutex>
#include <vector>

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

namespace {

struct SentSecrets {
    std::shared_mutex lock;
    std::vector<std::string> secrets;
};

SentSecrets& sentSecrets()
{
    static SentSecrets s;
    return s;
}

/** Every registered secret in `text` replaced by kMasked. */
std::string scrubSentSecrets(std::string text)
{
    auto& reg = sentSecrets();
    std::shared_lock guard(reg.lock);
    for (const auto& secret : reg.secrets)
        for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + kMasked.size()))
            text.replace(at, secret.size(), kMasked);
    return text;
}

/** The password of `scheme://user:password@host` masked; "git@host:path" and "user@host" have none. */
std::string maskConnectionStrings(std::string text)
{
    if (text.find("://") == std::string::npos || text.find('@') == std::string::npos)
        return text;
    static const QRegularExpression kUserInfo(QStringLiteral(R"(([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@"']*:)[^@\s/"']+@)"));
    QString in = QString::fromStdString(text);
    in.replace(kUserInfo, QStringLiteral("\\1") + QLatin1String(kMasked.data(), qsizetype(kMasked.size())) + u'@');
    return in.toStdString();
}

std::string maskAssignments(std::string_view text);

} // namespace

void registerSentSecret(std::string_view secret)
{
    if (secret.size() < 6)
        return;
    auto& reg = sentSecrets();
    std::unique_lock guard(reg.lock);
    if (std::find(reg.secrets.begin(), reg.secrets.end(), secret) == reg.secrets.end())
        reg.secrets.emplace_back(secret);
    // longest first: a secret that contains another is removed whole
    std::sort(reg.secrets.begin(), reg.secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string withoutCredentials(std::string_view url)
{
    const QUrl u(q(url));
    if (!u.isValid() || u.scheme().isEmpty() || u.userInfo().isEmpty())
        return std::string(url);
    return u.toString(QUrl::RemoveUserInfo).toStdString();
}

std::string maskText(std::string_view text)
{
    return scrubSentSecrets(maskConnectionStrings(maskAssignments(text)));
}

namespace {

std::string maskAssignments(std::string_view text)
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
    // NAME=value, NAME: value, and "name": "value" as JSON writes it; only the value is replaced.
    static const QRegularExpression kAssign(
        QStringLiteral(R"(([A-Za-z_][A-Za-z0-9_.-]*)["']?\s*[=:]\s*("[^"]*"|'[^']*'|[^\s,;"'}\]]+))"));
    const QString in = q(text);
    QString result;
    qsizetype last = 0;
    auto it = kAssign.globalMatch(in);
    while (it.hasNext()) {
        const auto m = it.next();
        QString value = m.captured(2);
        if (value.size() >= 2 && (value.front() == u'"' || value.front() == u'\''))
            value = value.mid(1, value.size() - 2);
        const bool secret = !value.isEmpty()
            && (looksLikeSecretName(m.captured(1).toStdString()) || looksLikeSecretValue(value.toStdString()));
        result += in.mid(last, m.capturedStart(2) - last);
        if (secret) { // quotes kept: a masked JSON or YAML text stays well-formed
            const QString quote
                = m.captured(2).size() >= 2 && (m.captured(2).front() == u'"' || m.captured(2).front() == u'\'')
                ? QString(m.captured(2).front())
                : QString();
            result += quote + QLatin1String(kMasked.data(), qsizetype(kMasked.size())) + quote;
        } else
            result += m.captured(2);
        last = m.capturedEnd(2);
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

} // namespace

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
