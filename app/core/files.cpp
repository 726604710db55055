#include "core/files.h"

#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lg {

namespace {

std::string sizeText(std::uint64_t bytes)
{
    if (bytes >= (std::uint64_t(1) << 20) && bytes % (std::uint64_t(1) << 20) == 0)
        return std::to_string(bytes >> 20) + " MiB";
    return std::to_string(bytes) + " bytes";
}

const char* typeText(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a folder";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    if (S_ISFIFO(mode))
        return "a pipe";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

} // namespace

bool isRegularFile(const std::string& path)
{
    if (path.starts_with(':')) // built into the binary (the demo lab, the built-in checks)
        return QFileInfo(QString::fromStdString(path)).isFile();
    struct stat st { };
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string readRegularFile(const std::string& path, std::uint64_t maxBytes)
{
    if (path.starts_with(':')) { // a Qt resource, inside the binary
        QFile f(QString::fromStdString(path));
        if (!f.open(QIODevice::ReadOnly))
            throw FileReadError("cannot read " + path + " (not in this build)");
        if (std::uint64_t(f.size()) > maxBytes)
            throw FileReadError(path + " is larger than " + sizeText(maxBytes));
        return f.readAll().toStdString();
    }
    // Opened without blocking (a FIFO would wait for a writer), then judged by what was opened, not by the path.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        throw FileReadError("cannot read " + path + ": " + std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer { fd };
    struct stat st { };
    if (::fstat(fd, &st) != 0)
        throw FileReadError("cannot read " + path + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        throw FileReadError(path + " is " + typeText(st.st_mode) + ", not a regular file");
    if (std::uint64_t(st.st_size) > maxBytes)
        throw FileReadError(path + " is larger than " + sizeText(maxBytes));
    std::string out;
    out.reserve(std::size_t(st.st_size));
    char buf[65536];
    while (true) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw FileReadError("cannot read " + path + ": " + std::strerror(errno));
        }
        if (n == 0)
            break;
        if (out.size() + std::size_t(n) > maxBytes)
            throw FileReadError(path + " is larger than " + sizeText(maxBytes) + " (it grew while it was read)");
        out.append(buf, std::size_t(n));
    }
    return out;
}

} // namespace lg
