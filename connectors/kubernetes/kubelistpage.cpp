#include "connectors/kubernetes/kubelistpage.h"

#include "core/kubeshapecanonical.h"

#include <charconv>

namespace lg {

namespace {

/** simdjson DOM → nlohmann::json; drops managedFields and last-applied-configuration (noise, never checked). */
nlohmann::json convert(simdjson::dom::element e, int depth, bool inMetadata)
{
    using simdjson::dom::element_type;
    if (depth > 64)
        throw std::runtime_error("JSON nested deeper than 64 levels");
    switch (e.type()) {
    case element_type::ARRAY: {
        nlohmann::json a = nlohmann::json::array();
        auto& vec = a.get_ref<nlohmann::json::array_t&>();
        const simdjson::dom::array arr = e.get_array().value_unsafe(); // a copy: the result object is a temporary
        vec.reserve(arr.size());
        for (simdjson::dom::element x : arr)
            vec.push_back(convert(x, depth + 1, false));
        return a;
    }
    case element_type::OBJECT: {
        nlohmann::json o = nlohmann::json::object();
        auto& map = o.get_ref<nlohmann::json::object_t&>();
        const simdjson::dom::object obj = e.get_object().value_unsafe();
        for (auto field : obj) {
            if (inMetadata && field.key == "managedFields")
                continue;
            const bool isMetadata = depth == 0 && field.key == "metadata";
            nlohmann::json v = convert(field.value, depth + 1, isMetadata);
            if (inMetadata && field.key == "annotations" && v.is_object())
                v.erase("kubectl.kubernetes.io/last-applied-configuration");
            map.emplace(std::string(field.key), std::move(v));
        }
        return o;
    }
    case element_type::INT64:
        return e.get_int64().value_unsafe();
    case element_type::UINT64:
        return e.get_uint64().value_unsafe();
    case element_type::DOUBLE:
        return e.get_double().value_unsafe();
    case element_type::STRING:
        return std::string(e.get_string().value_unsafe());
    case element_type::BOOL:
        return e.get_bool().value_unsafe();
    case element_type::NULL_VALUE:
        return nullptr;
    }
    return nullptr;
}

/** The canonical template writer's view of simdjson's DOM (see kubeshapecanonical.h). */
struct SimdAdapter {
    using Node = simdjson::dom::element;
    static canonical::JsonType type(const Node& n)
    {
        using T = canonical::JsonType;
        switch (n.type()) {
        case simdjson::dom::element_type::ARRAY:
            return T::Array;
        case simdjson::dom::element_type::OBJECT:
            return T::Object;
        case simdjson::dom::element_type::INT64:
        case simdjson::dom::element_type::UINT64:
        case simdjson::dom::element_type::DOUBLE:
            return T::Number;
        case simdjson::dom::element_type::STRING:
            return T::String;
        case simdjson::dom::element_type::BOOL:
            return T::Bool;
        case simdjson::dom::element_type::NULL_VALUE:
            return T::Null;
        }
        return T::Null;
    }
    static bool boolean(const Node& n) { return n.get_bool().value_unsafe(); }
    static std::string_view string(const Node& n) { return n.get_string().value_unsafe(); }
    static void appendNumber(std::string& out, const Node& n)
    {
        char buf[32];
        std::to_chars_result r {};
        if (n.type() == simdjson::dom::element_type::INT64)
            r = std::to_chars(buf, buf + sizeof buf, n.get_int64().value_unsafe());
        else if (n.type() == simdjson::dom::element_type::UINT64)
            r = std::to_chars(buf, buf + sizeof buf, n.get_uint64().value_unsafe());
        else
            r = std::to_chars(buf, buf + sizeof buf, n.get_double().value_unsafe());
        out.append(buf, r.ptr);
    }
    template <class Fn> static void forEachField(const Node& n, Fn fn)
    {
        const simdjson::dom::object obj = n.get_object().value_unsafe();
        for (auto field : obj)
            fn(field.key, field.value);
    }
    template <class Fn> static void forEachItem(const Node& n, Fn fn)
    {
        const simdjson::dom::array arr = n.get_array().value_unsafe();
        for (simdjson::dom::element item : arr)
            fn(item);
    }
    static std::optional<Node> field(const Node& n, std::string_view key)
    {
        Node e;
        if (n.type() != simdjson::dom::element_type::OBJECT || n.get_object().value_unsafe()[key].get(e))
            return std::nullopt;
        return e;
    }
};

} // namespace

std::optional<TemplateDigest> simdTemplateDigest(simdjson::dom::element item, std::string_view kind)
{
    std::optional<simdjson::dom::element> tmpl = item;
    if (kind == "CronJob")
        for (const char* key : { "spec", "jobTemplate", "spec", "template" })
            tmpl = tmpl ? SimdAdapter::field(*tmpl, key) : std::nullopt;
    else if (kind != "Pod")
        for (const char* key : { "spec", "template" })
            tmpl = tmpl ? SimdAdapter::field(*tmpl, key) : std::nullopt;
    if (!tmpl || tmpl->type() != simdjson::dom::element_type::OBJECT)
        return std::nullopt;
    thread_local std::string buffer;
    buffer.clear();
    canonical::Writer<SimdAdapter>(buffer).podTemplate(*tmpl);
    return digestOfCanonical(buffer);
}

void readKubeListPage(simdjson::dom::parser& parser, const std::string& body,
    const std::function<void(const KubeListPage&)>& onPage, const std::function<void(nlohmann::json&&)>& onItem,
    const std::function<bool(simdjson::dom::element)>& skip)
{
    simdjson::dom::element doc;
    if (auto err = parser.parse(body).get(doc))
        throw KubeListError(std::string("is not valid JSON (") + simdjson::error_message(err) + ")");
    std::string_view listKindName;
    if (doc.type() != simdjson::dom::element_type::OBJECT || doc["kind"].get(listKindName)
        || !listKindName.ends_with("List"))
        throw KubeListError("is not a Kubernetes list");
    KubeListPage page;
    std::string_view next;
    if (!doc["metadata"]["continue"].get(next))
        page.next = std::string(next);
    std::int64_t remaining = 0;
    if (!doc["metadata"]["remainingItemCount"].get(remaining))
        page.remaining = remaining;
    simdjson::dom::array arr;
    const bool hasItems = doc["items"].get(arr) == simdjson::SUCCESS;
    page.items = hasItems ? arr.size() : 0;
    onPage(page); // the body is no longer needed: the DOM holds the page
    if (!hasItems)
        return;
    for (simdjson::dom::element item : arr) {
        if (skip && skip(item))
            continue;
        nlohmann::json j;
        try {
            j = convert(item, 0, false);
        } catch (const std::exception& e) {
            throw KubeListError(std::string("has an item that cannot be read: ") + e.what());
        }
        if (j.is_object())
            onItem(std::move(j));
    }
}

} // namespace lg
