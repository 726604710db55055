// A push reader of tar archives (POSIX ustar and pax, GNU long names and old sparse files), as Go's archive/tar
// writes them for Docker and reads them back: header-only types carry no data whatever their size field says.
#include "connectors/docker/tarstream.h"

#include <algorithm>
#include <cstring>
#include <optional>

namespace lg {

namespace {

constexpr std::size_t kBlock = 512;

/** A NUL-terminated field of at most `n` bytes. */
std::string field(const char* f, std::size_t n)
{
    return std::string(f, std::find(f, f + n, '\0'));
}

/** A numeric field: octal digits between spaces and NULs, or GNU's base-256 (high bit set); nullopt when neither. */
std::optional<std::uint64_t> number(const char* f, std::size_t n)
{
    const auto* u = reinterpret_cast<const unsigned char*>(f);
    if (n > 0 && (u[0] & 0x80) != 0) {
        if ((u[0] & 0x40) != 0)
            return std::nullopt; // negative
        std::uint64_t v = u[0] & 0x3f;
        for (std::size_t i = 1; i < n; ++i) {
            if (v >> 55)
                return std::nullopt;
            v = (v << 8) | u[i];
        }
        return v;
    }
    std::size_t i = 0;
    while (i < n && (f[i] == ' ' || f[i] == '\0'))
        ++i;
    std::uint64_t v = 0;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; ++i) {
        if (v >> 60)
            return std::nullopt;
        v = v * 8 + std::uint64_t(f[i] - '0');
    }
    for (; i < n; ++i)
        if (f[i] != ' ' && f[i] != '\0')
            return std::nullopt;
    return v;
}

/** The header's checksum holds, summed as unsigned or (as some old writers did) signed bytes. */
bool checksumHolds(const char* block)
{
    const auto stored = number(block + 148, 8);
    if (!stored)
        return false;
    std::uint64_t unsignedSum = 0;
    std::int64_t signedSum = 0;
    for (std::size_t i = 0; i < kBlock; ++i) {
        const bool inField = i >= 148 && i < 156;
        unsignedSum += inField ? ' ' : static_cast<unsigned char>(block[i]);
        signedSum += inField ? ' ' : static_cast<signed char>(block[i]);
    }
    return *stored == unsignedSum || std::int64_t(*stored) == signedSum;
}

/** Types whose data size is always 0, whatever the header says (as Go's reader treats them). */
bool headerOnly(char type)
{
    return type >= '1' && type <= '6';
}

std::optional<std::uint64_t> decimal(std::string_view s)
{
    if (s.empty() || s.size() > 19)
        return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return std::nullopt;
        v = v * 10 + std::uint64_t(c - '0');
    }
    return v;
}

} // namespace

void TarStream::fail(std::string reason)
{
    if (m_error.empty())
        m_error = reason.empty() ? std::string("stopped") : std::move(reason);
}

std::string TarStream::endOfInput() const
{
    if (failed())
        return m_error;
    return ended() ? std::string() : std::string("the archive was cut short");
}

bool TarStream::feed(std::string_view bytes)
{
    while (!bytes.empty() && !failed() && m_state != State::Ended) {
        if (m_state == State::Header || m_state == State::SparseMap) {
            const std::size_t n = std::min(kBlock - m_filled, bytes.size());
            std::memcpy(m_block + m_filled, bytes.data(), n);
            m_filled += n;
            bytes.remove_prefix(n);
            if (m_filled == kBlock) {
                m_filled = 0;
                if (!header())
                    break;
            }
        } else if (!data(bytes)) {
            break;
        }
    }
    return !failed() && m_state != State::Ended;
}

/** A full block in Header or SparseMap state. */
bool TarStream::header()
{
    if (m_state == State::SparseMap) { // old GNU sparse: extension blocks until one says none follows
        if (m_block[504] == '\0')
            return startData(m_sparse);
        return true;
    }
    if (std::all_of(m_block, m_block + kBlock, [](char c) { return c == '\0'; })) {
        m_state = State::Ended;
        return false;
    }
    if (!checksumHolds(m_block)) {
        fail("not a tar archive (a header's checksum does not hold)");
        return false;
    }
    return entryOf(m_block);
}

bool TarStream::entryOf(const char* block)
{
    TarEntry e;
    e.type = block[156];
    const auto mode = number(block + 100, 8);
    const auto size = number(block + 124, 12);
    if (!mode || !size) {
        fail("not a tar archive (a header's mode or size is not a number)");
        return false;
    }
    e.mode = std::uint32_t(*mode & 07777);
    e.size = *size;
    e.path = field(block, 100);
    if (std::memcmp(block + 257, "ustar\0", 6) == 0) { // POSIX: a prefix folder, GNU's "ustar  " has none
        const std::string prefix = field(block + 345, 155);
        if (!prefix.empty())
            e.path = prefix + "/" + e.path;
    }
    e.linkPath = field(block + 157, 100);
    if (e.type == 'L' || e.type == 'K' || e.type == 'x' || e.type == 'g') {
        if (e.size > m_maxHeader) {
            fail("a tar header longer than " + std::to_string(m_maxHeader) + " bytes");
            return false;
        }
        m_metaType = e.type;
        m_meta.clear();
        m_left = e.size;
        m_padding = (kBlock - e.size % kBlock) % kBlock;
        m_state = State::Meta;
        return true;
    }
    if (!m_nextSparseName.empty())
        e.path = std::move(m_nextSparseName);
    else if (!m_nextPath.empty())
        e.path = std::move(m_nextPath);
    if (!m_nextLink.empty())
        e.linkPath = std::move(m_nextLink);
    if (m_hasNextSize)
        e.size = m_nextSize;
    m_nextPath.clear();
    m_nextSparseName.clear();
    m_nextLink.clear();
    m_hasNextSize = false;
    if (e.type == 'S' && block[482] != '\0') {
        m_sparse = std::move(e);
        m_state = State::SparseMap;
        return true;
    }
    return startData(e);
}

bool TarStream::startData(const TarEntry& e)
{
    m_wanted = false;
    if (!m_handler.entry(e, m_wanted)) {
        fail("stopped by its reader");
        return false;
    }
    m_left = headerOnly(e.type) ? 0 : e.size;
    m_padding = (kBlock - m_left % kBlock) % kBlock;
    m_state = State::Data;
    if (m_left == 0) {
        std::string_view none;
        return data(none);
    }
    return true;
}

/** Data, padding or a meta entry's text from `bytes`, consumed as far as the current state goes. */
bool TarStream::data(std::string_view& bytes)
{
    const std::size_t n = std::size_t(std::min<std::uint64_t>(m_left, bytes.size()));
    const std::string_view piece = bytes.substr(0, n);
    bytes.remove_prefix(n);
    m_left -= n;
    if (m_state == State::Data && m_wanted && n > 0 && !m_handler.data(piece)) {
        fail("stopped by its reader");
        return false;
    }
    if (m_state == State::Meta)
        m_meta.append(piece);
    if (m_left > 0)
        return true;
    if (m_state == State::Data && m_wanted && !m_handler.entryEnd()) {
        fail("stopped by its reader");
        return false;
    }
    if (m_state == State::Meta && !meta(m_meta))
        return false;
    if (m_state == State::Padding) {
        m_state = State::Header;
        return true;
    }
    m_state = State::Padding;
    m_left = m_padding;
    if (m_left == 0)
        m_state = State::Header;
    return true;
}

/** A complete GNU long name ('L'), long link ('K') or pax header ('x'; global 'g' ones are not applied). */
bool TarStream::meta(std::string_view text)
{
    if (m_metaType == 'L')
        m_nextPath = field(text.data(), text.size());
    else if (m_metaType == 'K')
        m_nextLink = field(text.data(), text.size());
    else if (m_metaType == 'x' && !applyPax(text)) {
        fail("not a tar archive (a malformed pax header)");
        return false;
    }
    m_meta.clear();
    m_meta.shrink_to_fit();
    return true;
}

/** Pax records, "<length> <key>=<value>\n" each: path, linkpath, size and GNU's sparse file name. */
bool TarStream::applyPax(std::string_view records)
{
    while (!records.empty()) {
        const auto space = records.find(' ');
        const auto length = space == std::string_view::npos ? std::nullopt : decimal(records.substr(0, space));
        if (!length || *length <= space + 1 || *length > records.size() || records[*length - 1] != '\n')
            return false;
        const std::string_view record = records.substr(space + 1, *length - space - 2);
        records.remove_prefix(*length);
        const auto eq = record.find('=');
        if (eq == std::string_view::npos)
            return false;
        const std::string_view key = record.substr(0, eq);
        const std::string_view value = record.substr(eq + 1);
        if (key == "path") {
            m_nextPath = std::string(value);
        } else if (key == "GNU.sparse.name") { // the real name of a pax sparse file, whose "path" is made up
            m_nextSparseName = std::string(value);
        } else if (key == "linkpath") {
            m_nextLink = std::string(value);
        } else if (key == "size") {
            const auto size = decimal(value);
            if (!size)
                return false;
            m_nextSize = *size;
            m_hasNextSize = true;
        }
    }
    return true;
}

} // namespace lg
