#pragma once

#include <QTranslator>

namespace lg {

/**
 * English plural forms for the window's texts: tr("%n finding(s)", nullptr, n) reads "1 finding" or "3 findings"
 * (without a translation Qt shows "(s)" as written). Installed once on the application by the main window.
 */
class EnglishPlurals final : public QTranslator {
public:
    using QTranslator::QTranslator;
    [[nodiscard]] bool isEmpty() const override { return false; }
    [[nodiscard]] QString translate(
        const char* context, const char* sourceText, const char* disambiguation, int n) const override;
    /** Installs one on the running application, once. */
    static void install();
};

} // namespace lg
