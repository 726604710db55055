#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lg {

/** What reading one image's files may cost at most; past a limit the image is not read (never half-judged). */
struct ImageFilesLimits {
    std::uint64_t maxBytes = 8ull << 30; ///< bytes of the export read
    std::uint64_t maxInflated = 32ull << 30; ///< bytes inflated from gzip-compressed layers
    std::size_t maxEntries = 4'000'000; ///< paths remembered over all layers, 8 bytes each
    std::size_t maxFound = 100'000; ///< setuid and setgid files remembered until the layers are stacked
    std::size_t maxListed = 20; ///< paths listed of each kind; the counts cover the rest
    std::size_t maxHeader = 1 << 20; ///< one pax header, GNU long name, or JSON file of the export
};

/**
 * The regular files of an image that carry setuid (04000) or setgid (02000) once its layers are stacked: what
 * `find / -perm /6000 -type f` shows in a fresh container. A file a later layer deletes (a `.wh.` whiteout, an
 * opaque folder) or replaces (`chmod a-s` in a later step) does not count.
 */
struct ImageFiles {
    bool read = false; ///< every layer was read to its end; false: `error` says why
    std::string error;
    std::vector<std::string> setuid; ///< absolute paths, sorted, at most ImageFilesLimits::maxListed
    std::vector<std::string> setgid;
    std::size_t setuidCount = 0;
    std::size_t setgidCount = 0;
    std::size_t layers = 0;
    std::uint64_t bytes = 0; ///< bytes of the export read

    /** {read: true, setuid, setgid, setuidCount, setgidCount, count, layers, bytes} or {read: false, error}. */
    [[nodiscard]] nlohmann::json toJson() const;
};

/**
 * Reads an image export (`GET /images/{id}/get`, what `docker save` writes: legacy `<id>/layer.tar` entries
 * with manifest.json, or an OCI layout with index.json and `blobs/<alg>/<hex>`) pushed in pieces as it arrives,
 * never holding it: only the layers' tar headers are read, uncompressed or gzip. The layers come in any order;
 * manifest.json (or index.json) gives their stacking order at the end. Memory stays within ImageFilesLimits.
 */
class ImageFilesReader {
public:
    explicit ImageFilesReader(ImageFilesLimits limits = {});
    ~ImageFilesReader();
    ImageFilesReader(const ImageFilesReader&) = delete;
    ImageFilesReader& operator=(const ImageFilesReader&) = delete;

    /** The next bytes of the export; false once no more are wanted (it ended, failed or reached a limit). */
    bool feed(std::string_view bytes);
    /** Ends reading with a reason (the transfer broke off); finish() then reports it. */
    void fail(std::string reason);
    /** What was found; not read when the export was cut short, malformed or over a limit. */
    [[nodiscard]] ImageFiles finish();

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

/** Reads a whole export held in memory (tests, fuzzing). */
[[nodiscard]] ImageFiles readImageFiles(std::string_view archive, const ImageFilesLimits& limits = {});

} // namespace lg
