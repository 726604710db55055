#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lg {

/** One entry of a tar archive as its headers describe it: ustar, GNU long names, PAX extended headers. */
struct TarEntry {
    std::string path; ///< as written: the PAX path, the GNU long name, or ustar's prefix and name
    std::string linkPath; ///< a link's target
    char type = '0'; ///< ustar's typeflag: '0' (or NUL) a file, '1' a hard link, '2' a symlink, '5' a folder, ...
    std::uint32_t mode = 0; ///< permission bits with setuid (04000), setgid (02000) and sticky (01000)
    std::uint64_t size = 0; ///< bytes of data that follow the header

    [[nodiscard]] bool isDirectory() const { return type == '5' || (!path.empty() && path.back() == '/'); }
    /** A regular file's data (or a hard link to one): what `find -type f` lists. */
    [[nodiscard]] bool isFile() const
    {
        return !isDirectory() && (type == '0' || type == '\0' || type == '7' || type == '1');
    }
};

/** What a TarStream tells as it reads; each call may return false to stop the archive there. */
class TarHandler {
public:
    virtual ~TarHandler() = default;
    /** An entry's headers were read; `wantData` = true hands its data to data(), else it is skipped. */
    virtual bool entry(const TarEntry& e, bool& wantData) = 0;
    /** The next piece of the current entry's data (only when it was wanted). */
    virtual bool data(std::string_view) { return true; }
    /** The current entry's data is complete (only when it was wanted). */
    virtual bool entryEnd() { return true; }
};

/**
 * Reads a tar archive pushed in pieces of any size, without holding it: headers are parsed and data is handed
 * on or skipped as it passes. Memory is bounded by `maxHeader`, the longest PAX header or GNU long name taken.
 * Hostile or cut input ends in failed() with a reason, never in a crash.
 */
class TarStream {
public:
    explicit TarStream(TarHandler& handler, std::size_t maxHeader = 1 << 20)
        : m_handler(handler)
        , m_maxHeader(maxHeader)
    {
    }
    /** Takes the next bytes; false once the archive ended, failed or was stopped (more input is then ignored). */
    bool feed(std::string_view bytes);
    /** The archive's end marker was read (a cut archive never gets there). */
    [[nodiscard]] bool ended() const { return m_state == State::Ended; }
    [[nodiscard]] bool failed() const { return !m_error.empty(); }
    /** Why it failed: "not a tar archive", "header too long", or what the handler said through fail(). */
    [[nodiscard]] const std::string& error() const { return m_error; }
    /** Ends the archive with a reason; the handler calls it before returning false. */
    void fail(std::string reason);
    /** What the archive ends in when no more input comes: empty when it ended properly. */
    [[nodiscard]] std::string endOfInput() const;

private:
    enum class State : std::uint8_t { Header, Data, Padding, Meta, SparseMap, Ended };
    bool header();
    bool entryOf(const char* block);
    bool meta(std::string_view piece);
    void takeMeta();
    bool applyPax(std::string_view records);
    bool startData(const TarEntry& e);
    bool data(std::string_view& bytes);

    TarHandler& m_handler;
    std::size_t m_maxHeader;
    State m_state = State::Header;
    std::string m_error;
    char m_block[512] {};
    std::size_t m_filled = 0; ///< bytes of m_block read
    std::uint64_t m_left = 0; ///< data (or padding) bytes of the current entry still to come
    std::uint64_t m_padding = 0; ///< padding after the current data
    bool m_wanted = false;
    char m_metaType = 0; ///< 'L', 'K', 'x' or 'g' while reading such an entry's data
    std::string m_meta; ///< that data
    // what 'L', 'K' and 'x' entries said for the next entry
    std::string m_nextPath;
    std::string m_nextSparseName;
    std::string m_nextLink;
    bool m_hasNextSize = false;
    std::uint64_t m_nextSize = 0;
    TarEntry m_sparse; ///< an old GNU sparse entry waiting for its extension blocks
};

} // namespace lg
