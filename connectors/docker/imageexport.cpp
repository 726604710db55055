#include "connectors/docker/imageexport.h"

#include <nlohmann/json.hpp>

namespace lg {

namespace {

/** The engine's message from its JSON error, or the text itself. */
std::string engineMessage(const std::string& body)
{
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_object() && j.contains("message") && j["message"].is_string())
        return j["message"].get<std::string>().substr(0, 300);
    return body.substr(0, 300);
}

} // namespace

ImageFiles exportImageFiles(
    const HttpEndpoint& endpoint, const std::string& path, const ImageFilesLimits& limits, const CancelToken& cancel)
{
    ImageFilesReader reader(limits);
    HttpEndpoint ep = endpoint;
    ep.maxBody = 64 * 1024; // what an error answer may carry; the export itself streams through the reader
    try {
        HttpClient client(ep, &cancel);
        // The reader says when it has what it needs, or gave up: the transfer stops there.
        const HttpResponse r = client.stream(path, [&](std::string_view data) { return reader.feed(data); });
        if (r.status != 200)
            reader.fail("the engine answered " + std::to_string(r.status) + " to the export: " + engineMessage(r.body));
    } catch (const HttpError& e) {
        reader.fail(std::string("the export broke off: ") + e.what());
    }
    return reader.finish();
}

} // namespace lg
