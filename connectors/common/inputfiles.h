#pragma once

#include "connectors/common/connector.h"
#include "core/files.h"

#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QStringList>

#include <algorithm>

namespace lg {

/** A file a source reads, and whether it was found inside a folder that was given. */
struct InputFile {
    QString path;
    bool inFolder = false;
};

/**
 * The files `paths` name, folders searched recursively for `nameFilters` (empty: every file), sorted.
 * Throws ConnectorError naming `what` + the path when one does not exist.
 */
inline std::vector<InputFile> listInputFiles(const std::vector<std::string>& paths, const std::string& source,
    const std::string& what, const QStringList& nameFilters, const std::string& hint)
{
    std::vector<InputFile> files;
    for (const auto& p : paths) {
        const QFileInfo info(QString::fromStdString(p));
        if (!info.exists())
            throw ConnectorError(source, what + p + " does not exist", hint);
        if (!info.isDir()) {
            files.push_back({ info.filePath(), false });
            continue;
        }
        QDirIterator it(info.filePath(), nameFilters, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString file = it.next();
            if (isRegularFile(file.toStdString())) // a link to a device or a pipe in a folder is not a report
                files.push_back({ file, true });
        }
    }
    std::sort(files.begin(), files.end(), [](const InputFile& a, const InputFile& b) { return a.path < b.path; });
    return files;
}

/**
 * A report file's bytes (a regular file of at most 256 MiB, counted as read: a device or a pipe is refused);
 * throws ConnectorError naming the file.
 */
inline std::string readInputFile(const QString& path, const std::string& source, const std::string& permissionHint)
{
    try {
        return readRegularFile(path.toStdString(), 256u << 20);
    } catch (const FileReadError& e) {
        throw ConnectorError(source, e.what(), permissionHint);
    }
}

} // namespace lg
