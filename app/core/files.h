#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace lg {

/** A file that could not be read: what went wrong, in words for the user. */
class FileReadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/**
 * The bytes of a regular file (a symlink is followed to what it names), at most `maxBytes`. Devices, pipes,
 * sockets and folders are refused before anything is read, and the bytes are counted as they are read, so a
 * file that grows, or claims a size it does not have, never makes the read unbounded. A path starting with ':'
 * is a Qt resource built into the binary. Throws FileReadError.
 */
[[nodiscard]] std::string readRegularFile(const std::string& path, std::uint64_t maxBytes);

/** Whether `path` names a regular file (after symlinks); false for devices, pipes, sockets and folders. */
[[nodiscard]] bool isRegularFile(const std::string& path);

} // namespace lg
