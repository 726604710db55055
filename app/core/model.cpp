#include "core/model.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QDateTime>

#include <openssl/evp.h>

#include <algorithm>
#include <memory>

namespace lg {

namespace {
constexpr std::array<std::string_view, 5> kLayerNames { "host", "image", "runtime", "registry", "orchestrator" };
constexpr std::array<std::string_view, 5> kSeverityNames { "critical", "high", "medium", "low", "info" };
constexpr std::array<std::string_view, 4> kStatusNames { "open", "accepted", "resolved", "exempted" };

template <typename E, std::size_t N>
std::optional<E> lookup(const std::array<std::string_view, N>& names, std::string_view text)
{
    for (std::size_t i = 0; i < N; ++i) {
        if (names[i] == text)
            return static_cast<E>(i);
    }
    return std::nullopt;
}
} // namespace

std::string_view toString(Layer layer)
{
    return kLayerNames.at(static_cast<std::size_t>(layer));
}
std::string_view toString(Severity severity)
{
    return kSeverityNames.at(static_cast<std::size_t>(severity));
}
std::string_view toString(FindingStatus status)
{
    return kStatusNames.at(static_cast<std::size_t>(status));
}
std::optional<Layer> layerFromString(std::string_view text)
{
    return lookup<Layer>(kLayerNames, text);
}
std::optional<Severity> severityFromString(std::string_view text)
{
    return lookup<Severity>(kSeverityNames, text);
}
std::optional<FindingStatus> statusFromString(std::string_view text)
{
    return lookup<FindingStatus>(kStatusNames, text);
}

int severityWeight(Severity severity)
{
    switch (severity) {
    case Severity::Critical:
        return 10;
    case Severity::High:
        return 6;
    case Severity::Medium:
        return 3;
    case Severity::Low:
        return 1;
    case Severity::Info:
        return 0;
    }
    return 0;
}

std::uint64_t textPrefix(std::string_view text, std::size_t at)
{
    std::uint64_t p = 0;
    for (std::size_t i = at; i < at + 8; ++i)
        p = (p << 8) | (i < text.size() ? std::uint8_t(text[i]) : 0U);
    return p;
}

std::string fingerprint(std::string_view ruleId, const Subject& subject)
{
    // Unit separators keep "a|b" + "c" distinct from "a" + "b|c".
    std::string key;
    key.reserve(128);
    for (std::string_view part : { ruleId, std::string_view(subject.target), std::string_view(subject.kind),
             std::string_view(subject.namespace_), std::string_view(subject.name),
             std::string_view(subject.container) }) {
        key.append(part);
        key.push_back('\x1f');
    }
    // OpenSSL's SHA-256 uses the CPU's SHA instructions: a 50,000-pod scan takes ~600,000 of these. Qt's
    // portable code gives the same digest, and stays the fallback should OpenSSL refuse.
    static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!sha256 || !ctx || EVP_DigestInit_ex2(ctx.get(), sha256, nullptr) != 1
        || EVP_DigestUpdate(ctx.get(), key.data(), key.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), digest, &size) != 1
        || size < 16) {
        const QByteArray qt
            = QCryptographicHash::hash(QByteArrayView(key.data(), qsizetype(key.size())), QCryptographicHash::Sha256);
        return qt.left(16).toHex().toStdString();
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id(32, '0');
    for (std::size_t i = 0; i < 16; ++i) {
        id[2 * i] = kHex[digest[i] >> 4];
        id[2 * i + 1] = kHex[digest[i] & 0xf];
    }
    return id;
}

nlohmann::json toJson(const Finding& f)
{
    nlohmann::json evidence = nlohmann::json::array();
    for (const auto& e : f.evidence)
        evidence.push_back({ { "path", e.path }, { "value", e.value } });
    nlohmann::json remediation = nlohmann::json::array();
    for (const auto& step : f.remediation) {
        nlohmann::json s { { "step", step.text } };
        if (!step.snippet.empty())
            s["snippet"] = step.snippet;
        remediation.push_back(std::move(s));
    }
    nlohmann::json resource { { "kind", f.subject.kind }, { "namespace", f.subject.namespace_ },
        { "name", f.subject.name } };
    if (!f.subject.container.empty())
        resource["container"] = f.subject.container;
    nlohmann::json out { { "id", f.id }, { "rule", f.rule }, { "title", f.title }, { "layer", toString(f.layer) },
        { "severity", toString(f.severity) }, { "status", toString(f.status) }, { "target", f.subject.target },
        { "resource", std::move(resource) }, { "message", f.message }, { "evidence", std::move(evidence) },
        { "remediation", std::move(remediation) }, { "references", f.references }, { "frameworks", f.frameworks } };
    auto iso
        = [](std::int64_t t) { return QDateTime::fromSecsSinceEpoch(t, Qt::UTC).toString(Qt::ISODate).toStdString(); };
    if (f.firstSeen > 0)
        out["first_seen"] = iso(f.firstSeen);
    if (f.status == FindingStatus::Exempted)
        out["exemption"] = { { "by", f.exemption.by }, { "reason", f.exemption.reason } };
    if (f.status == FindingStatus::Accepted && f.acceptance) {
        const auto& a = *f.acceptance;
        out["acceptance"] = { { "owner", a.owner }, { "reason", a.reason }, { "by", a.by }, { "at", iso(a.at) },
            { "expires", a.expires ? nlohmann::json(iso(*a.expires)) : nlohmann::json() } };
    }
    return out;
}

Finding findingFromJson(const nlohmann::json& j)
{
    Finding f;
    f.id = j.at("id").get<std::string>();
    f.rule = j.at("rule").get<std::string>();
    f.title = j.value("title", std::string());
    f.layer = layerFromString(j.at("layer").get<std::string>()).value_or(Layer::Orchestrator);
    f.severity = severityFromString(j.at("severity").get<std::string>()).value_or(Severity::Medium);
    f.status = statusFromString(j.value("status", std::string("open"))).value_or(FindingStatus::Open);
    f.subject.target = j.value("target", std::string());
    const auto& r = j.at("resource");
    f.subject.kind = r.value("kind", std::string());
    f.subject.namespace_ = r.value("namespace", std::string());
    f.subject.name = r.value("name", std::string());
    f.subject.container = r.value("container", std::string());
    f.message = j.value("message", std::string());
    for (const auto& e : j.value("evidence", nlohmann::json::array()))
        f.evidence.push_back({ e.value("path", std::string()), e.value("value", nlohmann::json()) });
    for (const auto& s : j.value("remediation", nlohmann::json::array()))
        f.remediation.push_back({ s.value("step", std::string()), s.value("snippet", std::string()) });
    f.references = j.value("references", std::vector<std::string>());
    f.frameworks = j.value("frameworks", std::vector<std::string>());
    if (const auto it = j.find("first_seen"); it != j.end() && it->is_string())
        f.firstSeen
            = QDateTime::fromString(QString::fromStdString(it->get<std::string>()), Qt::ISODate).toSecsSinceEpoch();
    if (const auto it = j.find("exemption"); it != j.end() && it->is_object()) {
        f.exemption.by = it->value("by", std::string());
        f.exemption.reason = it->value("reason", std::string());
    }
    return f;
}

} // namespace lg
