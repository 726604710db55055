#include "report/palette.h"

namespace lg::palette {

QColor severity(Severity s)
{
    switch (s) {
    case Severity::Critical:
        return QColor(0xB0, 0x1E, 0x2D);
    case Severity::High:
        return QColor(0xE0, 0x6C, 0x12);
    case Severity::Medium:
        return QColor(0xC9, 0x9A, 0x06);
    case Severity::Low:
        return QColor(0x2F, 0x6F, 0xB8);
    case Severity::Info:
        break;
    }
    return QColor(0x80, 0x80, 0x80);
}

QColor layer(Layer l)
{
    switch (l) {
    case Layer::Host:
        return QColor(0x6A, 0x4C, 0x93);
    case Layer::Image:
        return QColor(0x19, 0x82, 0xC4);
    case Layer::Runtime:
        return QColor(0xE0, 0x6C, 0x12);
    case Layer::Registry:
        return QColor(0x8A, 0xC9, 0x26);
    case Layer::Orchestrator:
        break;
    }
    return QColor(0x2E, 0x8B, 0x57);
}

} // namespace lg::palette
