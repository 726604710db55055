#include "connectors/common/sourcekind.h"
#include "connectors/host/hostconnector.h"

namespace lg {

SourceKind hostSource()
{
    SourceKind k("host", "This host", "This machine, read from /: CIS Docker sections 1 and 3, daemon.json, kernel.",
        { Layer::Host, Layer::Runtime });
    k.fields = {
        { .key = "host",
            .flag = "host",
            .help = "Scan this machine (CIS Docker sections 1 and 3, daemon.json).",
            .input = FieldInput::Switch,
            .selects = true },
        { .key = "root",
            .flag = "host-root",
            .valueName = "DIR",
            .help = "Read the host below this folder instead of /.",
            .input = FieldInput::Path,
            .selects = true },
    };
    k.configure = [](const SourceValues& values) {
        const std::string root = absolutePath(firstValue(values, "root"));
        return std::vector<nlohmann::json> { { { "root", root.empty() ? std::string("/") : root } } };
    };
    k.create = [](const nlohmann::json& c, const SourceContext& ctx) -> std::unique_ptr<Connector> {
        return std::make_unique<HostConnector>(c.value("root", std::string("/")), ctx.target);
    };
    return k;
}

} // namespace lg
