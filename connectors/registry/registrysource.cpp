#include "connectors/common/sourcekind.h"
#include "connectors/registry/registryconnector.h"

#include <stdexcept>

namespace lg {

// Long by nature: a declaration, one entry per setting the source takes.
SourceKind registrySource()
{
    SourceKind k("registry", "Registry",
        "An OCI registry's repositories, tags and image configs (transport, anonymous access, "
        "signatures, re-pointed tags).",
        { Layer::Registry, Layer::Image });
    k.fields = {
        { .key = "url",
            .flag = "registry",
            .valueName = "URL",
            .help = "OCI registry: host:port or https://host:port (credentials from the docker config, credential "
                    "helpers or podman's auth.json).",
            .label = "Registry URL",
            .placeholder = "https://registry.example:5000",
            .selects = true,
            .url = true },
        caFileField("empty: /etc/docker/certs.d/<host:port>/ca.crt, else the system store"),
        { .key = "repositories",
            .flag = "repo",
            .valueName = "PATTERN",
            .help = "Registry repository, a name or a glob (repeatable). Exact names are read without the catalog, "
                    "which hosted registries (Docker Hub, GHCR, ECR, ...) do not serve.",
            .label = "Repositories",
            .placeholder = "names or glob patterns, comma-separated; exact names for hosted registries (no catalog "
                           "there); empty: the whole catalog",
            .input = FieldInput::List },
        { .key = "tags",
            .flag = "tag",
            .valueName = "PATTERN",
            .help = "Only registry tags matching this glob (repeatable).",
            .input = FieldInput::List },
        { .key = "user",
            .label = "User",
            .placeholder = "empty: the docker config, credential helpers, podman's auth.json" },
        { .key = "password", .label = "Password", .input = FieldInput::Password },
        // An explicit, visible choice: the scan reports it (LG-REGISTRY-TLS-UNVERIFIED) and says so.
        { .key = "insecure",
            .flag = "registry-insecure",
            .help = "Do not verify the registry's certificate (every scan reports it).",
            .label = "Do not verify the registry's certificate (insecure)",
            .placeholder = "Anyone on the network path could pose as the registry. Prefer giving its CA file.",
            .input = FieldInput::Switch,
            .warnWhenOn = "TLS verification off: the registry's identity is not checked, and every scan reports it as "
                          "a finding." },
    };
    k.previousOrigins = "RegistryImage"; // tag re-pointing is judged against the digests of the last scan
    k.secretKind = [](const nlohmann::json&) { return std::string("password"); };
    k.configure = [](const SourceValues& values) {
        std::vector<nlohmann::json> out;
        const auto urls = values.find("url");
        if (urls == values.end() || urls->second.empty() || urls->second.front().empty())
            throw std::invalid_argument("give the registry URL");
        const auto list = [&values](const char* key) {
            const auto it = values.find(key);
            return it == values.end() ? std::vector<std::string>() : it->second;
        };
        for (const auto& url : urls->second) {
            out.push_back({ { "url", url }, { "caFile", absolutePath(firstValue(values, "caFile")) },
                { "repositories", list("repositories") }, { "tags", list("tags") },
                { "user", firstValue(values, "user") }, { "insecure", firstValue(values, "insecure") == "true" } });
        }
        return out;
    };
    k.create = [](const nlohmann::json& c, const SourceContext& ctx) -> std::unique_ptr<Connector> {
        RegistryOptions o;
        o.url = c.value("url", std::string());
        o.caFile = c.value("caFile", std::string());
        o.insecureSkipVerify = c.value("insecure", false);
        o.repositories = c.value("repositories", std::vector<std::string>());
        o.tags = c.value("tags", std::vector<std::string>());
        const std::string user = c.value("user", std::string());
        if (!user.empty() && !ctx.secret.password.empty())
            o.credential = RegistryCredential { user, ctx.secret.password, "OS keyring" };
        // else: the docker config, a credential helper or podman's auth.json, as docker itself would
        return std::make_unique<RegistryConnector>(std::move(o), ctx.target);
    };
    return k;
}

} // namespace lg
