#include "report/outputfile.h"

#include "core/files.h"

#include <QFileInfo>

#include <stdexcept>

namespace lg {

OutputFile::OutputFile(const std::string& path)
    : m_path(path)
{
    const QString file = QString::fromStdString(path);
    QFileDevice* dev = nullptr;
    if (QFileInfo::exists(file) && !isRegularFile(path))
        dev = (m_direct = std::make_unique<QFile>(file)).get();
    else
        dev = (m_atomic = std::make_unique<QSaveFile>(file)).get();
    if (!dev->open(QIODevice::WriteOnly))
        throw std::runtime_error("cannot write " + path + ": " + dev->errorString().toStdString());
}

QIODevice& OutputFile::device()
{
    return m_atomic ? static_cast<QIODevice&>(*m_atomic) : static_cast<QIODevice&>(*m_direct);
}

void OutputFile::commit()
{
    if (m_atomic) {
        if (m_atomic->error() != QFileDevice::NoError || !m_atomic->commit())
            throw std::runtime_error("could not write " + m_path + ": " + m_atomic->errorString().toStdString());
        return;
    }
    if (!m_direct->flush() || m_direct->error() != QFileDevice::NoError)
        throw std::runtime_error("could not write " + m_path + ": " + m_direct->errorString().toStdString());
    m_direct->close();
}

} // namespace lg
