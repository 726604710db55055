#pragma once

#include <QFile>
#include <QSaveFile>

#include <memory>
#include <string>

namespace lg {

/**
 * Where a report is written. A regular file (or a new one) is replaced atomically through QSaveFile, so a
 * failed or interrupted write leaves the old file, or none. A device or a pipe (`-o /dev/stdout`) is written
 * in place: QSaveFile would rename a temporary file over the device node. Every write is checked either way.
 */
class OutputFile {
public:
    /** Opens `path` for writing; throws std::runtime_error naming the file when it cannot. */
    explicit OutputFile(const std::string& path);
    [[nodiscard]] QIODevice& device();
    /** Makes the output final; throws std::runtime_error when any write failed (a full disk, a closed pipe). */
    void commit();

private:
    std::string m_path;
    std::unique_ptr<QSaveFile> m_atomic;
    std::unique_ptr<QFile> m_direct;
};

} // namespace lg
