#include "core/rule.h"

#include "core/frameworks.h"

#include "core/files.h"
#include "core/jsonutil.h"
#include "core/kubeshape.h"
#include "core/yamlio.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace lg {

namespace {
std::string requireString(const nlohmann::json& j, const char* key)
{
    if (!j.contains(key) || !j.at(key).is_string() || j.at(key).get<std::string>().empty())
        throw std::invalid_argument(std::string("missing or empty \"") + key + "\"");
    return j.at(key).get<std::string>();
}
} // namespace

bool Rule::appliesToKind(std::string_view kind) const
{
    for (const auto& k : appliesTo) {
        if (k == kind || k == "*" || (k == "@workload" && isWorkloadKind(kind)))
            return true;
    }
    return false;
}

nlohmann::json Rule::toJson() const
{
    nlohmann::json remediationJson = nlohmann::json::array();
    for (const auto& s : remediation) {
        nlohmann::json step { { "step", s.text } };
        if (!s.snippet.empty())
            step["snippet"] = s.snippet;
        remediationJson.push_back(step);
    }
    return { { "id", id }, { "title", title }, { "description", description }, { "layer", lg::toString(layer) },
        { "severity", lg::toString(severity) }, { "applies_to", appliesTo }, { "references", references },
        { "frameworks", frameworks }, { "remediation", remediationJson },
        { "kind", check.empty() ? "predicate" : "check" } };
}

Rule parseRule(const nlohmann::json& j)
{
    if (!j.is_object())
        throw std::invalid_argument("a rule must be a JSON object");
    Rule r;
    r.id = requireString(j, "id");
    r.title = requireString(j, "title");
    r.description = j.value("description", std::string());
    const auto layer = layerFromString(requireString(j, "layer"));
    if (!layer)
        throw std::invalid_argument("unknown layer \"" + j.at("layer").get<std::string>() + "\"");
    r.layer = *layer;
    const auto severity = severityFromString(requireString(j, "severity"));
    if (!severity)
        throw std::invalid_argument("unknown severity \"" + j.at("severity").get<std::string>() + "\"");
    r.severity = *severity;
    const std::string scope = j.value("scope", std::string("resource"));
    if (scope == "resource")
        r.scope = RuleScope::Resource;
    else if (scope == "pod")
        r.scope = RuleScope::Pod;
    else if (scope == "container")
        r.scope = RuleScope::Container;
    else
        throw std::invalid_argument("unknown scope \"" + scope + "\"");
    if (j.contains("containers")) {
        if (r.scope != RuleScope::Container || !j.at("containers").is_array())
            throw std::invalid_argument("\"containers\" lists container kinds of a container-scoped rule");
        r.containerLists = 0;
        for (const auto& list : j.at("containers")) {
            const std::string name = list.is_string() ? list.get<std::string>() : std::string();
            if (name == "initContainers")
                r.containerLists |= 1;
            else if (name == "containers")
                r.containerLists |= 2;
            else if (name == "ephemeralContainers")
                r.containerLists |= 4;
            else
                throw std::invalid_argument("\"containers\" takes initContainers, containers, ephemeralContainers");
        }
    }
    if (!j.contains("applies_to") || !j.at("applies_to").is_array() || j.at("applies_to").empty())
        throw std::invalid_argument("\"applies_to\" must list resource kinds");
    r.appliesTo = j.at("applies_to").get<std::vector<std::string>>();
    if (j.contains("when"))
        r.when = compilePredicate(j.at("when"));
    if (j.contains("requires"))
        r.requires_ = compilePredicate(j.at("requires"));
    r.coverage = j.value("coverage", false);
    if (j.contains("predicate"))
        r.predicate = compilePredicate(j.at("predicate"));
    r.check = j.value("check", std::string());
    if (!r.predicate && r.check.empty())
        throw std::invalid_argument("a rule needs \"predicate\" or \"check\"");
    r.message = requireString(j, "message");
    r.messageTemplate = MessageTemplate(r.message);
    if (!j.contains("remediation") || !j.at("remediation").is_array() || j.at("remediation").empty())
        throw std::invalid_argument("\"remediation\" must list at least one step");
    for (const auto& s : j.at("remediation")) {
        if (s.is_string())
            r.remediation.push_back({ s.get<std::string>(), {} });
        else
            r.remediation.push_back({ requireString(s, "step"), s.value("snippet", std::string()) });
    }
    r.references = j.value("references", std::vector<std::string>());
    // The rule's own LG- id is its reference where no peer has an id for the check.
    const bool hasPeer = std::any_of(
        r.references.begin(), r.references.end(), [](const std::string& ref) { return !ref.starts_with("LG-"); });
    if (!hasPeer && std::find(r.references.begin(), r.references.end(), r.id) == r.references.end()
        && r.id.starts_with("LG-"))
        r.references.push_back(r.id);
    r.frameworks = j.value("frameworks", std::vector<std::string>());
    return r;
}

RuleCatalog RuleCatalog::builtin()
{
    RuleCatalog catalog;
    // resources/rules/<platform>/<ID>.json
    QDirIterator it(QStringLiteral(":/rules"), { QStringLiteral("*.json") }, QDir::Files, QDirIterator::Subdirectories);
    std::vector<QString> files;
    while (it.hasNext())
        files.push_back(it.next());
    std::sort(files.begin(), files.end());
    for (const auto& path : files) {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            throw std::runtime_error("cannot read built-in rule " + path.toStdString());
        catalog.loadFile(path.toStdString(), f.readAll().toStdString());
    }
    // Which framework controls a built-in rule judges is written once, in resources/frameworks/.
    for (auto& rule : catalog.m_rules)
        rule.frameworks = frameworksOfRule(rule.id);
    return catalog;
}

void RuleCatalog::addFolder(const std::string& dir)
{
    QDir d(QString::fromStdString(dir));
    if (!d.exists())
        throw std::runtime_error("rule folder " + dir + " does not exist");
    const auto entries = d.entryInfoList({ QStringLiteral("*.json") }, QDir::Files, QDir::Name);
    for (const auto& info : entries) {
        const std::string file = info.absoluteFilePath().toStdString();
        try {
            loadFile(file, readRegularFile(file, 4u << 20));
        } catch (const FileReadError& e) {
            throw std::runtime_error(std::string("rule file: ") + e.what());
        }
    }
}

void RuleCatalog::loadFile(const std::string& displayName, const std::string& text)
{
    try {
        auto json = nlohmann::json::parse(text);
        Rule rule = parseRule(json);
        rule.sourceFile = displayName;
        add(std::move(rule));
    } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error(displayName + ": not valid JSON: " + e.what());
    } catch (const std::exception& e) {
        throw std::runtime_error(displayName + ": " + e.what());
    }
}

void RuleCatalog::add(Rule rule)
{
    auto it = std::find_if(m_rules.begin(), m_rules.end(), [&](const Rule& r) { return r.id == rule.id; });
    if (it != m_rules.end())
        *it = std::move(rule);
    else
        m_rules.push_back(std::move(rule));
}

const Rule* RuleCatalog::find(std::string_view id) const
{
    auto it = std::find_if(m_rules.begin(), m_rules.end(), [&](const Rule& r) { return r.id == id; });
    return it == m_rules.end() ? nullptr : &*it;
}

bool Policy::isDisabled(std::string_view ruleId) const
{
    return std::find(disabled.begin(), disabled.end(), ruleId) != disabled.end();
}

std::optional<ExemptionInfo> Policy::exemption(const Rule& rule, const Resource& resource) const
{
    auto names = [&](const std::string& item) {
        return item == rule.id
            || std::find(rule.references.begin(), rule.references.end(), item) != rule.references.end();
    };
    // Called for every failure: references into the resource, never copies of its metadata.
    const auto& meta = member(resource.data, "metadata");
    if (const auto& ann = member(meta, "annotations"); ann.is_object()) {
        auto it = ann.find("layerguard.io/ignore");
        if (it != ann.end() && it->is_string()) {
            const std::string& list = it->get_ref<const std::string&>();
            std::size_t start = 0;
            while (start <= list.size()) {
                auto end = list.find(',', start);
                if (end == std::string::npos)
                    end = list.size();
                std::string item = list.substr(start, end - start);
                item.erase(0, item.find_first_not_of(" \t"));
                item.erase(item.find_last_not_of(" \t") + 1);
                if (names(item)) {
                    const std::string reason = text(ann, "layerguard.io/ignore-reason");
                    return ExemptionInfo { "annotation layerguard.io/ignore on the resource",
                        reason.empty() ? "no reason given (layerguard.io/ignore-reason is not set)" : reason };
                }
                start = end + 1;
            }
        }
    }
    for (const auto& e : exemptions) {
        if (e.rule != "*" && !names(e.rule))
            continue;
        if (!e.namespace_.empty() && e.namespace_ != resource.namespace_)
            continue;
        if (!e.name.empty() && e.name != resource.name)
            continue;
        auto matches = [&](const std::string& selector, const char* field) {
            if (selector.empty())
                return true;
            const auto eq = selector.find('=');
            const std::string key = selector.substr(0, eq);
            const std::string value = eq == std::string::npos ? std::string() : selector.substr(eq + 1);
            const auto& v = member(member(meta, field), key);
            return v.is_string() && (eq == std::string::npos || v.get_ref<const std::string&>() == value);
        };
        if (!matches(e.label, "labels") || !matches(e.annotation, "annotations"))
            continue;
        return ExemptionInfo { e.source.empty() ? std::string("policy") : e.source, e.reason };
    }
    return std::nullopt;
}

Policy Policy::fromJson(
    const nlohmann::json& j, const std::string& source, const std::function<int(std::size_t)>& lineOfExemption)
{
    Policy p;
    if (!j.is_object())
        throw std::invalid_argument("a policy must be an object");
    if (j.contains("severity")) {
        for (const auto& [rule, sev] : j.at("severity").items()) {
            const auto s = severityFromString(sev.get<std::string>());
            if (!s)
                throw std::invalid_argument("unknown severity \"" + sev.get<std::string>() + "\" for " + rule);
            p.severityOverrides[rule] = *s;
        }
    }
    p.disabled = j.value("disabled", std::vector<std::string>());
    if (j.contains("import_max_age_days")) {
        const auto& days = j.at("import_max_age_days");
        if (!days.is_number_integer() || days.get<int>() < 1)
            throw std::invalid_argument("import_max_age_days must be a whole number of days, at least 1");
        p.importMaxAgeDays = days.get<int>();
    }
    if (j.contains("allowed_registries")) { // allowed_registries: [registry.example, ghcr.io/acme]
        const auto& list = j.at("allowed_registries");
        if (!list.is_array())
            throw std::invalid_argument("allowed_registries must be a list of registries, e.g. [registry.example]");
        for (const auto& e : list) {
            if (!e.is_string() || e.get<std::string>().empty()
                || e.get<std::string>().find_first_of(" \t*") != std::string::npos)
                throw std::invalid_argument(
                    "allowed_registries: each entry is a registry host or host/path prefix, without spaces or *");
            std::string entry = e.get<std::string>();
            while (entry.size() > 1 && entry.back() == '/')
                entry.pop_back();
            p.allowedRegistries.push_back(std::move(entry));
        }
    }
    if (j.contains("sla")) { // sla: {critical: 3, high: 14, ...}: days to fix, 0 for none
        const auto& sla = j.at("sla");
        if (!sla.is_object())
            throw std::invalid_argument("sla must map severities to days, e.g. {critical: 7, high: 30}");
        for (const auto& [name, days] : sla.items()) {
            const auto s = severityFromString(name);
            if (!s)
                throw std::invalid_argument("sla: unknown severity \"" + name + "\"");
            if (!days.is_number_integer() || days.get<int>() < 0)
                throw std::invalid_argument("sla: " + name + " takes a whole number of days (0: no deadline)");
            p.slaDays[static_cast<std::size_t>(*s)] = days.get<int>();
        }
    }
    std::size_t index = 0;
    for (const auto& e : j.value("exemptions", nlohmann::json::array())) {
        Exemption ex;
        const int line = lineOfExemption ? lineOfExemption(index) : 0;
        const std::string where = "exemption " + std::to_string(index + 1)
            + (line > 0 ? " (line " + std::to_string(line) + ")" : std::string());
        ++index;
        if (!e.is_object())
            throw std::invalid_argument(where + " must be a map of rule, namespace, name, label, annotation, reason");
        // An exemption without a rule used to exempt every rule of the resource: it must now say so ("*").
        if (!e.contains("rule") || !e.at("rule").is_string() || e.at("rule").get<std::string>().empty())
            throw std::invalid_argument(where
                + " names no rule: give the rule id it exempts (or a peer id such as "
                  "KSV017; rule: \"*\" exempts every rule and must be written out)");
        ex.rule = e.at("rule").get<std::string>();
        ex.namespace_ = e.value("namespace", std::string());
        ex.name = e.value("name", std::string());
        ex.label = e.value("label", std::string());
        ex.annotation = e.value("annotation", std::string());
        ex.reason = e.value("reason", std::string());
        if (ex.reason.empty())
            throw std::invalid_argument(where + " (" + ex.rule + ") needs a reason");
        if (!source.empty())
            ex.source = source + (line > 0 ? ":" + std::to_string(line) : std::string());
        p.exemptions.push_back(std::move(ex));
    }
    return p;
}

Policy Policy::load(const std::string& path)
{
    std::string text;
    try {
        text = readRegularFile(path, 4u << 20);
    } catch (const FileReadError& e) {
        throw std::invalid_argument(std::string("policy: ") + e.what());
    }
    std::vector<YamlDocument> docs;
    try {
        docs = parseYamlDocuments(text, path);
    } catch (const YamlError& e) {
        throw std::invalid_argument(std::string("malformed policy ") + e.what());
    }
    const std::vector<int> lines = sequenceItemLines(text, "exemptions");
    const std::string name = QFileInfo(QString::fromStdString(path)).fileName().toStdString();
    return fromJson(docs.empty() ? nlohmann::json::object() : docs.front().json, name,
        [&](std::size_t i) { return i < lines.size() ? lines[i] : 0; });
}

bool imageFromAllowedRegistry(std::string_view image, const std::vector<std::string>& allowed)
{
    // The registry is the first component when it looks like a host (a dot, a port or localhost), as the
    // container runtimes decide; otherwise the image is Docker Hub's, under library/ when it has no path.
    auto lower = [](std::string_view s) {
        std::string out(s);
        std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        return out;
    };
    std::string_view name = image.substr(0, image.find('@'));
    std::string host = "docker.io", path;
    const auto slash = name.find('/');
    const std::string_view first = name.substr(0, slash);
    if (slash != std::string_view::npos
        && (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos
            || first == "localhost")) {
        host = lower(first);
        path = std::string(name.substr(slash + 1));
    } else {
        path = slash == std::string_view::npos ? "library/" + std::string(name) : std::string(name);
    }
    if (const auto colon = path.rfind(':'); colon != std::string::npos && path.find('/', colon) == std::string::npos)
        path.resize(colon); // the tag
    if (host == "index.docker.io" || host == "registry-1.docker.io")
        host = "docker.io";
    const std::string full = host + "/" + path;
    for (const auto& raw : allowed) {
        const std::string entry = lower(raw);
        if (entry.find('/') == std::string::npos) {
            if (host == entry || (host.size() > entry.size() && host.ends_with("." + entry)))
                return true;
        } else if (lower(full) == entry || lower(full).starts_with(entry + "/")) {
            return true;
        }
    }
    return false;
}

} // namespace lg
