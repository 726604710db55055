// An image export read as it streams: each layer's tar headers summarised (setuid and setgid files, every path,
// whiteouts), then the layers stacked in the order manifest.json or index.json gives, which in `docker save`
// output comes after the layers (the outer tar is sorted by name, not by stacking order).
#include "connectors/docker/imagefiles.h"

#include "connectors/docker/tarstream.h"

#include <QByteArrayView>
#include <QHash>
#include <QRandomGenerator>

#include <zlib.h>

#include <algorithm>
#include <map>

namespace lg {

namespace {

/** A path inside an archive without "." and "..", leading or doubled slashes: "usr/bin/passwd"; "" is the root. */
std::string normalPath(std::string_view p)
{
    std::vector<std::string_view> parts;
    while (!p.empty()) {
        const auto slash = p.find('/');
        const std::string_view part = p.substr(0, slash);
        p = slash == std::string_view::npos ? std::string_view() : p.substr(slash + 1);
        if (part.empty() || part == ".")
            continue;
        if (part == "..") {
            if (!parts.empty())
                parts.pop_back();
            continue;
        }
        parts.push_back(part);
    }
    std::string out;
    for (const auto& part : parts) {
        if (!out.empty())
            out += '/';
        out += part;
    }
    return out;
}

std::string parentOf(const std::string& p)
{
    const auto slash = p.rfind('/');
    return slash == std::string::npos ? std::string() : p.substr(0, slash);
}

bool sortedHas(const std::vector<std::uint64_t>& v, std::uint64_t x)
{
    return std::binary_search(v.begin(), v.end(), x);
}

void seal(std::vector<std::uint64_t>& v)
{
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    v.shrink_to_fit();
}

/** What one layer holds that matters once the layers are stacked. Paths are kept as keyed hashes, 8 bytes each. */
struct LayerSummary {
    std::string error; ///< the layer could not be read; it matters only when the image stacks it
    std::map<std::string, std::uint32_t> found; ///< setuid/setgid regular files: path -> 04000 | 02000 bits
    std::vector<std::uint64_t> entries; ///< every path; the low bit set for what is not a folder
    std::vector<std::uint64_t> removed; ///< paths a whiteout deletes from the layers below
    std::vector<std::uint64_t> opaque; ///< folders whose content below is hidden (.wh..wh..opq)
};

/** What every layer of one export shares: the limits, the totals they count against and the hash key. */
struct Budget {
    ImageFilesLimits limits;
    std::size_t entries = 0;
    std::size_t found = 0;
    std::uint64_t inflated = 0;
    std::size_t seed = 0; ///< random per export: a crafted image cannot make one path stand for another

    [[nodiscard]] std::uint64_t key(const std::string& path) const
    {
        return std::uint64_t(qHash(QByteArrayView(path.data(), qsizetype(path.size())), seed)) & ~std::uint64_t(1);
    }
};

/**
 * One layer's bytes as they pass: gzip is recognised by its magic and inflated in steps; the tar inside is read
 * by its headers. A blob that turns out to be JSON (an OCI manifest, index or config) is kept as text instead.
 */
class LayerReader final : public TarHandler {
public:
    explicit LayerReader(Budget& budget)
        : m_budget(budget)
        , m_tar(*this, budget.limits.maxHeader)
    {
    }
    ~LayerReader() override
    {
        if (m_inflating)
            inflateEnd(&m_z);
    }
    LayerReader(const LayerReader&) = delete;
    LayerReader& operator=(const LayerReader&) = delete;

    /** The next bytes of the layer; false when it cannot be read further (the summary's error says why). */
    bool feed(std::string_view bytes);
    /** The layer's summary once its bytes are through. */
    LayerSummary finish();
    [[nodiscard]] bool isJson() const { return m_format == Format::Json; }
    [[nodiscard]] const std::string& json() const { return m_json; }

    bool entry(const TarEntry& e, bool& wantData) override;

private:
    enum class Format : std::uint8_t { Unknown, Tar, Gzip, Json, Unreadable };
    bool decide(bool last);
    bool inflateSome(std::string_view in);
    bool failWith(std::string reason)
    {
        if (m_summary.error.empty())
            m_summary.error = std::move(reason);
        m_format = Format::Unreadable;
        return false;
    }

    Budget& m_budget;
    TarStream m_tar;
    Format m_format = Format::Unknown;
    std::string m_head; ///< the first bytes, until the format is known
    std::string m_json;
    z_stream m_z {};
    bool m_inflating = false; ///< m_z holds zlib's state, to be released whatever happens to the layer
    LayerSummary m_summary;
};

bool LayerReader::feed(std::string_view bytes)
{
    if (m_format == Format::Unknown) {
        const std::size_t n = std::min<std::size_t>(4 - m_head.size(), bytes.size());
        m_head.append(bytes.substr(0, n));
        bytes.remove_prefix(n);
        if (m_head.size() < 4 || !decide(false))
            return m_format != Format::Unreadable;
    }
    switch (m_format) {
    case Format::Tar:
        if (!m_tar.feed(bytes) && m_tar.failed())
            return failWith(m_tar.error());
        return true;
    case Format::Gzip:
        return inflateSome(bytes);
    case Format::Json:
        if (m_json.size() + bytes.size() > m_budget.limits.maxHeader)
            return failWith("a JSON file of the export is larger than the limit");
        m_json.append(bytes);
        return true;
    default:
        return false;
    }
}

/** Picks the format from the first bytes and hands them on; `last`: no more bytes come. */
bool LayerReader::decide(bool last)
{
    const std::string head = std::move(m_head);
    m_head.clear();
    if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f
        && static_cast<unsigned char>(head[1]) == 0x8b) {
        m_format = Format::Gzip;
        m_inflating = inflateInit2(&m_z, 16 + MAX_WBITS) == Z_OK;
        if (!m_inflating)
            return failWith("zlib could not start");
    } else if (head.starts_with("\x28\xb5\x2f\xfd")) {
        return failWith("a zstd-compressed layer (Layerguard reads uncompressed and gzip layers)");
    } else if (!head.empty() && (head[0] == '{' || head[0] == '[')) {
        m_format = Format::Json;
    } else if (last && head.empty()) {
        return failWith("an empty layer file");
    } else {
        m_format = Format::Tar;
    }
    return feed(head);
}

/** Inflates `in` in steps of 64 KiB, each handed to the tar reader; concatenated gzip members follow each other. */
bool LayerReader::inflateSome(std::string_view in)
{
    unsigned char out[64 * 1024];
    m_z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    m_z.avail_in = uInt(in.size());
    while (m_z.avail_in > 0 && !m_tar.ended()) {
        m_z.next_out = out;
        m_z.avail_out = sizeof out;
        const int rc = inflate(&m_z, Z_NO_FLUSH);
        const std::size_t produced = sizeof out - m_z.avail_out;
        m_budget.inflated += produced;
        if (m_budget.inflated > m_budget.limits.maxInflated)
            return failWith(
                "its layers inflate to more than " + std::to_string(m_budget.limits.maxInflated >> 20) + " MiB");
        if (produced > 0 && !m_tar.feed(std::string_view(reinterpret_cast<const char*>(out), produced))
            && m_tar.failed())
            return failWith(m_tar.error());
        if (rc == Z_STREAM_END) {
            if (inflateReset(&m_z) != Z_OK)
                return failWith("zlib could not go on");
        } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && produced == 0)) {
            return failWith("a layer's gzip data is corrupt");
        }
    }
    return true;
}

LayerSummary LayerReader::finish()
{
    if (m_format == Format::Unknown)
        decide(true);
    if (m_summary.error.empty() && (m_format == Format::Tar || m_format == Format::Gzip)) {
        if (const std::string end = m_tar.endOfInput(); !end.empty())
            failWith(end);
    }
    if (!m_summary.error.empty()) {
        m_summary.found.clear();
        m_summary.entries = {};
        m_summary.removed = {};
        m_summary.opaque = {};
    }
    seal(m_summary.entries);
    seal(m_summary.removed);
    seal(m_summary.opaque);
    return std::move(m_summary);
}

/** One entry of the layer: a whiteout, or a path (a setuid/setgid file among them) that covers the layers below. */
bool LayerReader::entry(const TarEntry& e, bool& wantData)
{
    wantData = false;
    const std::string p = normalPath(e.path);
    if (p.empty())
        return true; // the root folder
    const std::string parent = parentOf(p);
    const std::string_view base = std::string_view(p).substr(parent.empty() ? 0 : parent.size() + 1);
    if (++m_budget.entries > m_budget.limits.maxEntries) {
        m_tar.fail("more than " + std::to_string(m_budget.limits.maxEntries) + " files in its layers");
        return false;
    }
    if (base.starts_with(".wh.")) {
        if (base == ".wh..wh..opq")
            m_summary.opaque.push_back(m_budget.key(parent));
        else if (!base.starts_with(".wh..wh.")) // other ".wh..wh." names are aufs' bookkeeping, not files
            m_summary.removed.push_back(m_budget.key(
                parent.empty() ? std::string(base.substr(4)) : parent + "/" + std::string(base.substr(4))));
        return true;
    }
    m_summary.entries.push_back(m_budget.key(p) | (e.isDirectory() ? 0 : 1));
    const std::uint32_t bits = e.isFile() ? (e.mode & 06000) : 0;
    if (bits == 0) {
        m_summary.found.erase(p); // an entry later in the same layer replaces the earlier one
        return true;
    }
    if (!m_summary.found.count(p) && ++m_budget.found > m_budget.limits.maxFound) {
        m_tar.fail("more than " + std::to_string(m_budget.limits.maxFound) + " setuid or setgid files");
        return false;
    }
    m_summary.found[p] = bits;
    return true;
}

/** Whether a later layer deletes or replaces `path`: the path itself, or a folder above it. */
bool coveredBy(const LayerSummary& later, const std::string& path, const Budget& budget)
{
    const std::uint64_t k = budget.key(path);
    if (sortedHas(later.entries, k) || sortedHas(later.entries, k | 1) || sortedHas(later.removed, k))
        return true;
    std::string folder = path;
    while (!folder.empty()) {
        folder = parentOf(folder);
        const std::uint64_t f = budget.key(folder);
        if (sortedHas(later.opaque, f))
            return true;
        if (!folder.empty() && (sortedHas(later.entries, f | 1) || sortedHas(later.removed, f)))
            return true;
    }
    return false;
}

/** The JSON of an OCI digest's blob ("sha256:<hex>" -> blobs/sha256/<hex>), or null. */
std::string blobName(const nlohmann::json& descriptor)
{
    if (!descriptor.is_object() || !descriptor.contains("digest") || !descriptor["digest"].is_string())
        return {};
    const std::string digest = descriptor["digest"];
    const auto colon = digest.find(':');
    if (colon == std::string::npos || digest.find('/') != std::string::npos || digest.find("..") != std::string::npos)
        return {};
    return "blobs/" + digest.substr(0, colon) + "/" + digest.substr(colon + 1);
}

} // namespace

nlohmann::json ImageFiles::toJson() const
{
    if (!read)
        return { { "read", false }, { "error", error } };
    return { { "read", true }, { "setuid", setuid }, { "setgid", setgid }, { "setuidCount", setuidCount },
        { "setgidCount", setgidCount }, { "count", setuidCount + setgidCount }, { "layers", layers },
        { "bytes", bytes } };
}

/** The export's outer tar: its layers summarised as they pass, manifest.json and small JSON blobs kept. */
struct ImageFilesReader::Impl final : public TarHandler {
    explicit Impl(ImageFilesLimits limits)
        : tar(*this, limits.maxHeader)
    {
        budget.limits = limits;
        budget.seed = std::size_t(QRandomGenerator::system()->generate64());
    }
    bool entry(const TarEntry& e, bool& wantData) override;
    bool data(std::string_view piece) override
    {
        (void)layer->feed(piece); // an unreadable layer says why in its summary, which matters if the image stacks it
        return true;
    }
    bool entryEnd() override;
    std::vector<std::string> stackingOrder(std::string& error) const;
    std::string layerOf(std::string name) const;
    void stack(const std::vector<std::string>& order, ImageFiles& out) const;

    Budget budget;
    TarStream tar;
    std::uint64_t bytes = 0;
    std::string failure; ///< set by fail()
    std::string current; ///< the entry being read
    std::unique_ptr<LayerReader> layer;
    std::map<std::string, LayerSummary> layers; ///< by their name in the export
    std::map<std::string, std::string> links; ///< layer names that are links to another entry
    std::map<std::string, std::string> jsonFiles; ///< manifest.json, index.json and JSON blobs
    std::size_t jsonBytes = 0;
};

bool ImageFilesReader::Impl::entry(const TarEntry& e, bool& wantData)
{
    current = normalPath(e.path);
    const bool top = current == "manifest.json" || current == "index.json";
    const bool blob = current.starts_with("blobs/") || current == "layer.tar" || current.ends_with("/layer.tar");
    if (blob && (e.type == '1' || e.type == '2')) { // a layer saved once and linked from elsewhere
        const std::string target = e.type == '2' ? parentOf(current) + "/" + e.linkPath : e.linkPath;
        links[current] = normalPath(target);
        return true;
    }
    wantData = (top || blob) && e.isFile();
    if (wantData)
        layer = std::make_unique<LayerReader>(budget);
    return true;
}

bool ImageFilesReader::Impl::entryEnd()
{
    LayerSummary summary = layer->finish();
    if (layer->isJson() && summary.error.empty()) {
        jsonBytes += layer->json().size();
        if (jsonBytes <= 8 * budget.limits.maxHeader)
            jsonFiles[current] = layer->json();
    } else {
        layers[current] = std::move(summary);
    }
    layer.reset();
    return true;
}

/** The layers' names in the export, bottom first: manifest.json's Layers, else the OCI index's first manifest. */
std::vector<std::string> ImageFilesReader::Impl::stackingOrder(std::string& error) const
{
    std::vector<std::string> order;
    if (const auto manifest = jsonFiles.find("manifest.json"); manifest != jsonFiles.end()) {
        const auto j = nlohmann::json::parse(manifest->second, nullptr, false);
        if (j.is_array() && !j.empty() && j[0].is_object() && j[0].contains("Layers") && j[0]["Layers"].is_array()) {
            for (const auto& l : j[0]["Layers"])
                if (l.is_string())
                    order.push_back(normalPath(l.get<std::string>()));
            return order;
        }
    }
    std::string next = "index.json";
    for (int depth = 0; depth < 4 && jsonFiles.count(next); ++depth) {
        const auto j = nlohmann::json::parse(jsonFiles.at(next), nullptr, false);
        if (j.is_object() && j.contains("layers") && j["layers"].is_array()) {
            for (const auto& l : j["layers"])
                order.push_back(blobName(l));
            return order;
        }
        if (!j.is_object() || !j.contains("manifests") || !j["manifests"].is_array() || j["manifests"].empty())
            break;
        next = blobName(j["manifests"][0]);
    }
    error = "the export names no layers (no readable manifest.json or index.json)";
    return {};
}

/** A layer's name with the links that lead to it followed. */
std::string ImageFilesReader::Impl::layerOf(std::string name) const
{
    for (int hops = 0; hops < 8; ++hops) {
        const auto it = links.find(name);
        if (it == links.end())
            break;
        name = it->second;
    }
    return name;
}

/** The layers stacked: a file counts when no layer above deletes or replaces it. */
void ImageFilesReader::Impl::stack(const std::vector<std::string>& order, ImageFiles& out) const
{
    std::vector<const LayerSummary*> stacked;
    for (const auto& name : order) {
        const auto it = layers.find(layerOf(name));
        if (it == layers.end() || !it->second.error.empty()) {
            out.error = it == layers.end() ? "the export lacks its layer " + name.substr(0, 200)
                                           : "layer " + name.substr(0, 200) + ": " + it->second.error;
            return;
        }
        stacked.push_back(&it->second);
    }
    std::map<std::string, std::uint32_t> survivors;
    for (std::size_t i = 0; i < stacked.size(); ++i)
        for (const auto& [path, bits] : stacked[i]->found)
            if (std::none_of(stacked.begin() + std::ptrdiff_t(i) + 1, stacked.end(),
                    [&, &p = path](const LayerSummary* later) { return coveredBy(*later, p, budget); }))
                survivors[path] = bits;
    for (const auto& [path, bits] : survivors) {
        const std::string shown = "/" + path;
        if (bits & 04000 && out.setuidCount++ < budget.limits.maxListed)
            out.setuid.push_back(shown);
        if (bits & 02000 && out.setgidCount++ < budget.limits.maxListed)
            out.setgid.push_back(shown);
    }
    out.layers = stacked.size();
    out.read = true;
}

ImageFilesReader::ImageFilesReader(ImageFilesLimits limits)
    : m(std::make_unique<Impl>(limits))
{
}

ImageFilesReader::~ImageFilesReader() = default;

bool ImageFilesReader::feed(std::string_view bytes)
{
    if (!m->failure.empty())
        return false;
    m->bytes += bytes.size();
    if (m->bytes > m->budget.limits.maxBytes) {
        fail("the image is larger than " + std::to_string(m->budget.limits.maxBytes >> 20) + " MiB");
        return false;
    }
    return m->tar.feed(bytes);
}

void ImageFilesReader::fail(std::string reason)
{
    if (m->failure.empty())
        m->failure = std::move(reason);
}

ImageFiles ImageFilesReader::finish()
{
    ImageFiles out;
    out.bytes = m->bytes;
    out.error = !m->failure.empty() ? m->failure : m->tar.endOfInput();
    if (!out.error.empty())
        return out;
    const auto order = m->stackingOrder(out.error);
    if (out.error.empty())
        m->stack(order, out);
    return out;
}

ImageFiles readImageFiles(std::string_view archive, const ImageFilesLimits& limits)
{
    ImageFilesReader reader(limits);
    while (!archive.empty()) {
        const auto piece = archive.substr(0, 64 * 1024);
        archive.remove_prefix(piece.size());
        if (!reader.feed(piece))
            break;
    }
    return reader.finish();
}

} // namespace lg
