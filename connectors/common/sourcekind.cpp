#include "connectors/common/sourcekind.h"

#include <filesystem>
#include <stdexcept>

namespace lg {

std::string TargetSecret::toJson() const
{
    nlohmann::json j = nlohmann::json::object();
    if (!password.empty())
        j["password"] = password;
    if (!token.empty())
        j["token"] = token;
    return j.dump();
}

TargetSecret TargetSecret::fromJson(const std::string& json)
{
    TargetSecret s;
    const auto j = nlohmann::json::parse(json, nullptr, false);
    if (j.is_object()) {
        s.password = j.value("password", std::string());
        s.token = j.value("token", std::string());
    }
    return s;
}

SourceKind::SourceKind(std::string id_, std::string title_, std::string description_, std::vector<Layer> layers_)
    : id(std::move(id_))
    , title(std::move(title_))
    , description(std::move(description_))
    , layers(std::move(layers_))
{
}

SourceField reportPathsField(std::string flag, std::string help)
{
    return { .key = "paths",
        .flag = std::move(flag),
        .valueName = "PATH",
        .help = std::move(help),
        .input = FieldInput::List,
        .selects = true };
}

const SourceField* SourceKind::field(std::string_view key) const
{
    for (const auto& f : fields)
        if (f.key == key)
            return &f;
    return nullptr;
}

std::vector<nlohmann::json> SourceKind::configsFor(const SourceValues& values) const
{
    if (configure)
        return configure(values);
    nlohmann::json config = nlohmann::json::object();
    for (const auto& f : fields) {
        if (f.scanOnly || f.input == FieldInput::Password || f.input == FieldInput::Token)
            continue;
        const auto it = values.find(f.key);
        if (f.input == FieldInput::Switch)
            config[f.key] = it != values.end() && !it->second.empty() && it->second.front() == "true";
        else if (f.input == FieldInput::List)
            config[f.key] = it == values.end() ? std::vector<std::string>() : it->second;
        else if (f.input == FieldInput::Path || f.input == FieldInput::File)
            config[f.key] = absolutePath(firstValue(values, f.key));
        else
            config[f.key] = firstValue(values, f.key);
    }
    return { config };
}

void SourceKind::checkSavable(const nlohmann::json& config) const
{
    for (const auto& f : fields)
        if (f.url)
            if (const auto it = config.find(f.key); it != config.end() && it->is_string())
                refuseCredentialsInUrl(it->get<std::string>());
}

SourceField caFileField(std::string hint)
{
    return { .key = "caFile",
        .flag = "ca-file",
        .valueName = "FILE",
        .help = "Extra CA certificate to trust for this source.",
        .label = "CA file",
        .placeholder = std::move(hint),
        .input = FieldInput::File };
}

std::string firstValue(const SourceValues& values, const std::string& key)
{
    const auto it = values.find(key);
    return it == values.end() || it->second.empty() ? std::string() : it->second.front();
}

std::string absolutePath(const std::string& path)
{
    if (path.empty())
        return {};
    std::error_code ec;
    const auto abs = std::filesystem::absolute(path, ec);
    if (ec)
        return path;
    std::string normal = abs.lexically_normal().string();
    if (normal.size() > 1 && normal.back() == '/')
        normal.pop_back();
    return normal;
}

void refuseCredentialsInUrl(const std::string& url)
{
    // Any '@' (as the CLI always did): "alice:pw@host:5000" has no scheme, so a URL parser would not see a user.
    if (url.find('@') != std::string::npos)
        throw std::invalid_argument(
            "credentials do not belong in the URL: the cache is not a secret store. Give the user on its own and keep "
            "the password in the OS keyring or the docker config");
}

} // namespace lg
