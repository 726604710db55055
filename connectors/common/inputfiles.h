#pragma once

#include "connector.h"

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
        while (it.hasNext())
            files.push_back({ it.next(), true });
    }
    std::sort(files.begin(), files.end(), [](const InputFile& a, const InputFile& b) { return a.path < b.path; });
    return files;
}

/** A report file's bytes (at most 256 MiB); throws ConnectorError naming the file. */
inline std::string readInputFile(const QString& path, const std::string& source, const std::string& permissionHint)
{
    constexpr qint64 kMax = 256 * 1024 * 1024;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        throw ConnectorError(
            source, "cannot read " + path.toStdString() + ": " + f.errorString().toStdString(), permissionHint);
    if (f.size() > kMax)
        throw ConnectorError(source, path.toStdString() + " is larger than 256 MiB", "check the file");
    return f.readAll().toStdString();
}

} // namespace lg
