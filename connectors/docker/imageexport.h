#pragma once

#include "connectors/docker/imagefiles.h"
#include "connectors/http/httpclient.h"

#include <string>

namespace lg {

/**
 * Streams an image's export (`GET <path>`, path = "/v1.41/images/<id>/get") from the engine into an
 * ImageFilesReader as it arrives (HttpClient::stream): nothing of the image is held in memory or written to disk,
 * and the transfer stops at the reader's limits. No total timeout: an export takes as long as the image is big (the
 * engine may first write it to its own temporary folder), so only a stall ends it.
 * An engine error, a broken connection or a limit gives the image as not read, with the reason.
 * Throws Cancelled when `cancel` is set.
 */
[[nodiscard]] ImageFiles exportImageFiles(
    const HttpEndpoint& endpoint, const std::string& path, const ImageFilesLimits& limits, const CancelToken& cancel);

} // namespace lg
