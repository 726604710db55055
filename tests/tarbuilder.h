#pragma once
// Tar archives built in memory, byte for byte as Go's archive/tar (Docker) and GNU tar write them: ustar headers
// with a POSIX prefix for long names, GNU long names, pax headers. For the image export tests.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace lg::test {

/** Tar bytes as Go's archive/tar and GNU tar write them. */
class Tar {
public:
    /** One header block; without `gnu`, a name over 100 bytes is split into ustar's prefix and name fields. */
    Tar& header(const std::string& name, char type, unsigned mode, std::uint64_t size, const std::string& link = {},
        bool gnu = false)
    {
        char b[512] = {};
        std::string n = name, prefix;
        if (!gnu && n.size() > 100) {
            const auto slash = n.rfind('/', 155);
            prefix = n.substr(0, slash);
            n = n.substr(slash + 1);
        }
        std::memcpy(b, n.data(), std::min<std::size_t>(n.size(), 100));
        std::snprintf(b + 100, 8, "%07o", mode);
        std::snprintf(b + 108, 8, "%07o", 0);
        std::snprintf(b + 116, 8, "%07o", 0);
        std::snprintf(b + 124, 12, "%011llo", static_cast<unsigned long long>(size));
        std::snprintf(b + 136, 12, "%011o", 0);
        b[156] = type;
        std::memcpy(b + 157, link.data(), std::min<std::size_t>(link.size(), 100));
        static constexpr char kPosix[8] = { 'u', 's', 't', 'a', 'r', '\0', '0', '0' };
        static constexpr char kGnu[8] = { 'u', 's', 't', 'a', 'r', ' ', ' ', '\0' };
        std::memcpy(b + 257, gnu ? kGnu : kPosix, 8);
        std::memcpy(b + 345, prefix.data(), std::min<std::size_t>(prefix.size(), 155));
        std::memset(b + 148, ' ', 8);
        unsigned sum = 0;
        for (unsigned char c : b)
            sum += c;
        std::snprintf(b + 148, 8, "%06o", sum);
        m_out.append(b, 512);
        return *this;
    }
    Tar& data(const std::string& bytes)
    {
        m_out += bytes;
        m_out.append((512 - bytes.size() % 512) % 512, '\0');
        return *this;
    }
    Tar& file(const std::string& name, unsigned mode, const std::string& content = "x")
    {
        return header(name, '0', mode, content.size()).data(content);
    }
    Tar& dir(const std::string& name, unsigned mode = 0755) { return header(name, '5', mode, 0); }
    Tar& link(const std::string& name, char type, const std::string& target, unsigned mode = 0777)
    {
        return header(name, type, mode, 0, target);
    }
    /** A GNU long name ('L') before the entry. */
    Tar& gnuLong(const std::string& name, unsigned mode)
    {
        header("././@LongLink", 'L', 0, name.size() + 1, {}, true).data(name + '\0');
        return header(name.substr(0, 100), '0', mode, 1, {}, true).data("x");
    }
    /** A pax extended header ('x') before the entry. */
    Tar& pax(const std::string& name, unsigned mode, const std::string& records = {})
    {
        std::string rec = records;
        if (rec.empty()) {
            const std::string body = " path=" + name + "\n";
            std::size_t len = body.size() + 1;
            while (std::to_string(len).size() + body.size() != len)
                ++len;
            rec = std::to_string(len) + body;
        }
        header("PaxHeaders/x", 'x', 0644, rec.size()).data(rec);
        return header("short-name", '0', mode, 1).data("x");
    }
    std::string end() const { return m_out + std::string(1024, '\0'); }
    const std::string& bytes() const { return m_out; }

private:
    std::string m_out;
};

} // namespace lg::test
