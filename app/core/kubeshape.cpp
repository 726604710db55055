#include "core/kubeshape.h"

#include "core/jsonutil.h"
#include "core/kubeshapecanonical.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <stdexcept>

namespace lg {

namespace {

const nlohmann::json* objectMember(const nlohmann::json* j, const char* key)
{
    if (!j || !j->is_object())
        return nullptr;
    auto it = j->find(key);
    return it == j->end() || !it->is_object() ? nullptr : &*it;
}

/** The canonical writer's view of an nlohmann tree. */
struct NlohmannAdapter {
    using Node = const nlohmann::json*;
    static canonical::JsonType type(Node n)
    {
        using T = canonical::JsonType;
        switch (n->type()) {
        case nlohmann::json::value_t::boolean:
            return T::Bool;
        case nlohmann::json::value_t::number_integer:
        case nlohmann::json::value_t::number_unsigned:
        case nlohmann::json::value_t::number_float:
            return T::Number;
        case nlohmann::json::value_t::string:
            return T::String;
        case nlohmann::json::value_t::array:
            return T::Array;
        case nlohmann::json::value_t::object:
            return T::Object;
        default:
            return T::Null;
        }
    }
    static bool boolean(Node n) { return n->get<bool>(); }
    static std::string_view string(Node n) { return n->get_ref<const std::string&>(); }
    static void appendNumber(std::string& out, Node n)
    {
        char buf[32];
        std::to_chars_result r {};
        if (n->is_number_unsigned())
            r = std::to_chars(buf, buf + sizeof buf, n->get<std::uint64_t>());
        else if (n->is_number_integer())
            r = std::to_chars(buf, buf + sizeof buf, n->get<std::int64_t>());
        else
            r = std::to_chars(buf, buf + sizeof buf, n->get<double>());
        out.append(buf, r.ptr);
    }
    template <class Fn> static void forEachField(Node n, Fn fn)
    {
        for (auto it = n->begin(); it != n->end(); ++it)
            fn(std::string_view(it.key()), &*it);
    }
    template <class Fn> static void forEachItem(Node n, Fn fn)
    {
        for (const auto& item : *n)
            fn(&item);
    }
    static std::optional<Node> field(Node n, std::string_view key)
    {
        if (!n->is_object())
            return std::nullopt;
        auto it = n->find(key);
        return it == n->end() ? std::nullopt : std::optional<Node>(&*it);
    }
};

} // namespace

const nlohmann::json* podTemplate(const nlohmann::json& data, std::string_view kind, std::string* prefix)
{
    std::string ignored;
    if (!prefix)
        prefix = &ignored;
    if (kind == "Pod") {
        *prefix = "";
        return &data;
    }
    if (kind == "CronJob") {
        *prefix = "spec.jobTemplate.spec.template";
        return objectMember(objectMember(objectMember(objectMember(&data, "spec"), "jobTemplate"), "spec"), "template");
    }
    if (kind == "PodTemplate") {
        *prefix = "template";
        return objectMember(&data, "template");
    }
    *prefix = "spec.template";
    return objectMember(objectMember(&data, "spec"), "template");
}

const nlohmann::json* podSpec(const nlohmann::json& data, std::string_view kind, std::string* prefix)
{
    return objectMember(podTemplate(data, kind, prefix), "spec");
}

std::optional<int> kubernetesMinor(std::string_view version)
{
    if (!version.empty() && (version[0] == 'v' || version[0] == 'V'))
        version.remove_prefix(1);
    if (!version.starts_with("1."))
        return std::nullopt;
    version.remove_prefix(2);
    int minor = 0;
    std::size_t digits = 0;
    while (digits < version.size() && digits < 3 && version[digits] >= '0' && version[digits] <= '9')
        minor = minor * 10 + (version[digits++] - '0');
    if (digits == 0 || (digits < version.size() && version[digits] >= '0' && version[digits] <= '9'))
        return std::nullopt;
    return minor;
}

bool isWorkloadKind(std::string_view kind)
{
    static constexpr std::array<std::string_view, 9> kWorkloadKinds { "Pod", "Deployment", "StatefulSet", "DaemonSet",
        "ReplicaSet", "ReplicationController", "Job", "CronJob", "PodTemplate" };
    return std::find(kWorkloadKinds.begin(), kWorkloadKinds.end(), kind) != kWorkloadKinds.end();
}

bool isControllerKind(std::string_view kind)
{
    return kind == "Deployment" || kind == "ReplicaSet" || kind == "StatefulSet" || kind == "DaemonSet" || kind == "Job"
        || kind == "CronJob";
}

std::optional<ControllingOwner> controllingOwner(const nlohmann::json& data)
{
    const auto& owners = path(data, "metadata", "ownerReferences");
    if (!owners.is_array())
        return std::nullopt;
    for (const auto& o : owners) {
        const auto& controller = member(o, "controller");
        if (controller.is_boolean() && controller.get<bool>())
            return ControllingOwner { text(o, "kind"), text(o, "name"), text(o, "uid") };
    }
    return std::nullopt;
}

TemplateDigest digestOfCanonical(std::string_view canonical)
{
    static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!sha256 || !ctx || EVP_DigestInit_ex2(ctx.get(), sha256, nullptr) != 1
        || EVP_DigestUpdate(ctx.get(), canonical.data(), canonical.size()) != 1
        || EVP_DigestFinal_ex(ctx.get(), digest, &size) != 1 || size < 16)
        throw std::runtime_error("SHA-256 is not available from OpenSSL");
    TemplateDigest out {};
    std::copy(digest, digest + out.size(), out.begin());
    return out;
}

TemplateDigest templateDigest(const nlohmann::json& tmpl)
{
    thread_local std::string buffer;
    buffer.clear();
    canonical::Writer<NlohmannAdapter>(buffer).podTemplate(&tmpl);
    return digestOfCanonical(buffer);
}

namespace {
std::string controllerId(std::string_view kind, std::string_view ns, std::string_view name)
{
    std::string key;
    key.reserve(kind.size() + ns.size() + name.size() + 2);
    key.append(kind).append(1, '/').append(ns).append(1, '/').append(name);
    return key;
}
} // namespace

void OwnershipIndex::addController(std::string_view kind, std::string_view ns, std::string_view name,
    std::string_view uid, const TemplateDigest& digest)
{
    if (uid.empty() || name.empty() || !isControllerKind(kind))
        return;
    m_controllers[controllerId(kind, ns, name)] = Entry { std::string(uid), digest };
}

Ownership OwnershipIndex::verdict(const ControllingOwner& owner, std::string_view ns, std::string_view objectKind,
    const TemplateDigest& digest, bool scaledToZero) const
{
    if (owner.uid.empty() || !isControllerKind(owner.kind))
        return Ownership::Own;
    auto it = m_controllers.find(controllerId(owner.kind, ns, owner.name));
    if (it == m_controllers.end() || it->second.uid != owner.uid)
        return Ownership::Own;
    if (it->second.digest == digest)
        return Ownership::ThroughController;
    // A Deployment keeps the ReplicaSets of its older revisions, scaled to zero, to roll back to.
    if (objectKind == "ReplicaSet" && owner.kind == "Deployment" && scaledToZero)
        return Ownership::InactiveRevision;
    return Ownership::Own;
}

} // namespace lg
