#include "theme.h"

#include "palette.h"

namespace lg::theme {

QColor severityColor(Severity s)
{
    return palette::severity(s);
}

QColor scoreColor(std::optional<int> score)
{
    if (!score)
        return QColor(0x90, 0x90, 0x90);
    if (*score >= 90)
        return QColor(0x2E, 0x8B, 0x57);
    if (*score >= 70)
        return QColor(0xC9, 0x9A, 0x06);
    if (*score >= 50)
        return QColor(0xE0, 0x6C, 0x12);
    return QColor(0xB0, 0x1E, 0x2D);
}

QColor layerColor(Layer l)
{
    return palette::layer(l);
}

QString layerTitle(Layer l)
{
    switch (l) {
    case Layer::Host:
        return QStringLiteral("Host");
    case Layer::Image:
        return QStringLiteral("Image");
    case Layer::Runtime:
        return QStringLiteral("Runtime");
    case Layer::Registry:
        return QStringLiteral("Registry");
    case Layer::Orchestrator:
        return QStringLiteral("Orchestrator");
    }
    return {};
}

QString severityTitle(Severity s)
{
    switch (s) {
    case Severity::Critical:
        return QStringLiteral("Critical");
    case Severity::High:
        return QStringLiteral("High");
    case Severity::Medium:
        return QStringLiteral("Medium");
    case Severity::Low:
        return QStringLiteral("Low");
    case Severity::Info:
        return QStringLiteral("Info");
    }
    return {};
}

QString layerHint(Layer l)
{
    switch (l) {
    case Layer::Host:
        return QStringLiteral("No host source yet. Scan this machine (Scan → This host) or import an audit.");
    case Layer::Image:
        return QStringLiteral("No image source yet. Images are checked through a Docker engine or a registry.");
    case Layer::Runtime:
        return QStringLiteral("No runtime source yet. Scan a host with Docker to check its daemon settings.");
    case Layer::Registry:
        return QStringLiteral("No registry source yet. Registries come with the registry connector.");
    case Layer::Orchestrator:
        return QStringLiteral("No Kubernetes source yet. Scan a folder of manifests (Scan → Manifests folder…).");
    }
    return {};
}

} // namespace lg::theme
