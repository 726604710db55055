#include "widgets/theme.h"

#include "report/palette.h"

#include <QApplication>
#include <QPalette>
#include <QStyle>

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

namespace {
Scheme g_scheme = Scheme::System;
QPalette systemPalette()
{
    static const QPalette p = QApplication::palette(); // captured before any scheme is applied
    return p;
}
QPalette darkPalette()
{
    QPalette p;
    const QColor window(0x2B, 0x2D, 0x30), base(0x1F, 0x21, 0x23), text(0xE6, 0xE6, 0xE6), mid(0x3A, 0x3D, 0x41);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, mid);
    p.setColor(QPalette::ToolTipBase, window);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, QColor(0xFF, 0x6B, 0x6B));
    p.setColor(QPalette::Link, QColor(0x6C, 0xA8, 0xF0));
    p.setColor(QPalette::Highlight, QColor(0x2F, 0x6F, 0xB8));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::PlaceholderText, QColor(0x90, 0x90, 0x90));
    p.setColor(QPalette::Mid, mid);
    p.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1B));
    for (auto role : { QPalette::WindowText, QPalette::Text, QPalette::ButtonText })
        p.setColor(QPalette::Disabled, role, QColor(0x80, 0x80, 0x80));
    return p;
}
} // namespace

void applyScheme(Scheme scheme)
{
    (void)systemPalette();
    g_scheme = scheme;
    switch (scheme) {
    case Scheme::System:
        QApplication::setPalette(systemPalette());
        break;
    case Scheme::Light:
        QApplication::setPalette(QApplication::style()->standardPalette());
        break;
    case Scheme::Dark:
        QApplication::setPalette(darkPalette());
        break;
    }
}

Scheme currentScheme()
{
    return g_scheme;
}

bool isDark()
{
    const QPalette p = QApplication::palette();
    return p.color(QPalette::Window).lightness() < p.color(QPalette::WindowText).lightness();
}

} // namespace lg::theme
