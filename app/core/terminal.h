#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace lg {

/**
 * Text safe to print on a terminal: control characters (ESC sequences that retitle the window or erase lines,
 * bells, backspaces) and C1 controls are shown as \xNN instead of acted on. Newlines and tabs stay. Imported
 * reports and servers' answers are written by others; what Layerguard prints of them must not drive the terminal.
 */
inline std::string printable(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const bool c1 = c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80
            && static_cast<unsigned char>(text[i + 1]) <= 0x9f; // U+0080..U+009F in UTF-8
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || c1) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c1 ? static_cast<unsigned char>(text[++i]) : c);
            out += buf;
        } else {
            out += text[i];
        }
    }
    return out;
}

} // namespace lg
