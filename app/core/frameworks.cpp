#include "core/frameworks.h"

#include <QDirIterator>
#include <QFile>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>

namespace lg {

namespace {

std::vector<Framework> load()
{
    std::vector<Framework> all;
    QDirIterator it(QStringLiteral(":/frameworks"), { QStringLiteral("*.json") }, QDir::Files);
    while (it.hasNext()) {
        QFile f(it.next());
        if (!f.open(QIODevice::ReadOnly))
            throw std::runtime_error("cannot read built-in framework " + f.fileName().toStdString());
        const auto j = nlohmann::json::parse(f.readAll().toStdString());
        Framework fw;
        fw.id = j.at("id").get<std::string>();
        fw.order = j.value("order", 0);
        fw.title = j.at("title").get<std::string>();
        fw.aliases = j.value("aliases", std::vector<std::string>());
        fw.referencePrefixes = j.value("reference_prefixes", std::vector<std::string>());
        for (const auto& c : j.at("controls"))
            fw.controls.push_back({ c.at("id").get<std::string>(), c.at("rules").get<std::vector<std::string>>() });
        all.push_back(std::move(fw));
    }
    std::sort(all.begin(), all.end(), [](const Framework& a, const Framework& b) { return a.order < b.order; });
    return all;
}

} // namespace

std::vector<std::string> Framework::controlsOf(std::string_view rule) const
{
    std::vector<std::string> out;
    for (const auto& c : controls)
        if (std::find(c.rules.begin(), c.rules.end(), rule) != c.rules.end())
            out.push_back(c.id);
    return out;
}

const std::vector<Framework>& allFrameworks()
{
    static const std::vector<Framework> all = load();
    return all;
}

std::vector<const Framework*> frameworksNamed(std::string_view name)
{
    std::vector<const Framework*> out;
    for (const auto& fw : allFrameworks())
        if (fw.id == name || std::find(fw.aliases.begin(), fw.aliases.end(), name) != fw.aliases.end())
            out.push_back(&fw);
    return out;
}

std::vector<std::string> frameworksOfRule(std::string_view rule)
{
    std::vector<std::string> out;
    for (const auto& fw : allFrameworks())
        if (!fw.controlsOf(rule).empty())
            out.push_back(fw.id);
    return out;
}

std::vector<std::string> frameworksOfReference(std::string_view reference)
{
    std::vector<std::string> out;
    for (const auto& fw : allFrameworks())
        for (const auto& prefix : fw.referencePrefixes)
            if (reference.starts_with(prefix) && (out.empty() || out.back() != fw.id))
                out.push_back(fw.id);
    return out;
}

} // namespace lg
