// Image exports (`docker save` / GET /images/{id}/get): the outer tar, each layer's tar, gzip, pax and GNU headers,
// whiteouts and the manifest that stacks the layers. Small limits, so that a large size field or a bomb meets them.
#include "connectors/docker/imagefiles.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    lg::ImageFilesLimits limits;
    limits.maxBytes = 4u << 20;
    limits.maxInflated = 16u << 20;
    limits.maxEntries = 100000;
    limits.maxHeader = 64u << 10;
    (void)lg::readImageFiles(std::string_view(reinterpret_cast<const char*>(data), size), limits).toJson();
    return 0;
}
