#include "widgets/plurals.h"

#include <QCoreApplication>

namespace lg {

QString EnglishPlurals::translate(const char*, const char* sourceText, const char*, int n) const
{
    if (n < 0 || !sourceText)
        return {}; // no count: the text as written
    QString text = QString::fromUtf8(sourceText);
    if (!text.contains(QLatin1String("(s)")))
        return {};
    // "(s)" after a word: the plural suffix, dropped for exactly one
    text.replace(QLatin1String("(s)"), n == 1 ? QString() : QStringLiteral("s"));
    return text;
}

void EnglishPlurals::install()
{
    static EnglishPlurals* installed = nullptr;
    if (installed || !QCoreApplication::instance())
        return;
    installed = new EnglishPlurals(QCoreApplication::instance());
    QCoreApplication::installTranslator(installed);
}

} // namespace lg
