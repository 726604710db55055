#include "connectors/docker/imageexport.h"

#include <nlohmann/json.hpp>

#include <curl/curl.h>

#include <memory>

namespace lg {

namespace {

/** One export as it streams: the engine's answer status, its error text when not 200, the reader fed otherwise. */
struct Stream {
    CURL* handle;
    ImageFilesReader& reader;
    const CancelToken& cancel;
    long status = 0;
    std::string errorBody; ///< the engine's error (JSON), at most 4 KiB
    bool readerDone = false; ///< the reader wanted no more: the transfer was stopped on purpose
};

size_t onData(char* data, size_t size, size_t n, void* user)
{
    auto* s = static_cast<Stream*>(user);
    const size_t bytes = size * n;
    if (s->status == 0)
        curl_easy_getinfo(s->handle, CURLINFO_RESPONSE_CODE, &s->status);
    if (s->status != 200) {
        s->errorBody.append(data, std::min<size_t>(bytes, 4096 - std::min<size_t>(4096, s->errorBody.size())));
        return bytes;
    }
    if (!s->reader.feed(std::string_view(data, bytes))) {
        s->readerDone = true;
        return 0; // stops the transfer: the reader has what it needs, or gave up
    }
    return bytes;
}

int onProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
{
    return static_cast<Stream*>(user)->cancel.load() ? 1 : 0;
}

/** The engine's message from its JSON error, or the text itself. */
std::string engineMessage(const std::string& body)
{
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_object() && j.contains("message") && j["message"].is_string())
        return j["message"].get<std::string>().substr(0, 300);
    return body.substr(0, 300);
}

void setEndpoint(CURL* h, const HttpEndpoint& ep)
{
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, long(ep.connectTimeout.count()));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L); // a stall of 5 minutes ends it (no total timeout)
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 300L);
    if (!ep.unixSocket.empty())
        curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, ep.unixSocket.c_str());
    if (!ep.caFile.empty())
        curl_easy_setopt(h, CURLOPT_CAINFO, ep.caFile.c_str());
    if (!ep.clientCert.empty())
        curl_easy_setopt(h, CURLOPT_SSLCERT, ep.clientCert.c_str());
    if (!ep.clientKey.empty())
        curl_easy_setopt(h, CURLOPT_SSLKEY, ep.clientKey.c_str());
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, ep.verifyTls ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, ep.verifyTls ? 2L : 0L);
}

} // namespace

ImageFiles exportImageFiles(
    const HttpEndpoint& endpoint, const std::string& path, const ImageFilesLimits& limits, const CancelToken& cancel)
{
    ImageFilesReader reader(limits);
    const std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle(curl_easy_init(), &curl_easy_cleanup);
    if (!handle) {
        reader.fail("libcurl could not start a transfer");
        return reader.finish();
    }
    CURL* h = handle.get();
    Stream stream {
        .handle = h, .reader = reader, .cancel = cancel, .status = 0, .errorBody = {}, .readerDone = false
    };
    const std::string url = endpoint.baseUrl + path;
    char curlError[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    setEndpoint(h, endpoint);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onData);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &stream);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, onProgress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &stream);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curlError);
    const CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_ABORTED_BY_CALLBACK || cancel.load())
        throw Cancelled();
    if (stream.status == 0)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &stream.status);
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && stream.readerDone))
        reader.fail(std::string("the export broke off: ") + (curlError[0] ? curlError : curl_easy_strerror(rc)));
    else if (stream.status != 200)
        reader.fail("the engine answered " + std::to_string(stream.status)
            + " to the export: " + engineMessage(stream.errorBody));
    return reader.finish();
}

} // namespace lg
