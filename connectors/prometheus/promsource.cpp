#include "connectors/common/sourcekind.h"
#include "connectors/prometheus/promconnector.h"

#include <QFile>
#include <QString>

#include <regex>
#include <stdexcept>

namespace lg {

namespace {

/** The endpoint of a config: the password from LAYERGUARD_PROM_PASSWORD when a user is set, the token from its file. */
PrometheusEndpoint endpointOf(const nlohmann::json& c, const TargetSecret& secret)
{
    PrometheusEndpoint ep;
    ep.url = c.value("url", std::string());
    ep.caFile = c.value("caFile", std::string());
    ep.clientCert = c.value("cert", std::string());
    ep.clientKey = c.value("key", std::string());
    ep.username = c.value("user", std::string());
    if (!ep.username.empty())
        ep.password = secret.password.empty() ? qEnvironmentVariable("LAYERGUARD_PROM_PASSWORD").toStdString()
                                              : secret.password;
    const std::string tokenFile = c.value("tokenFile", std::string());
    if (!secret.token.empty()) {
        ep.bearerToken = secret.token;
    } else if (!tokenFile.empty()) {
        QFile f(QString::fromStdString(tokenFile));
        if (!f.open(QIODevice::ReadOnly))
            throw ConnectorError("prometheus", "cannot read the token file " + tokenFile,
                "check the token file (--prom-token-file, or the saved connection's) and its permissions");
        ep.bearerToken = f.read(64 * 1024).trimmed().toStdString();
    }
    return ep;
}

} // namespace

// Long by nature: a declaration, one entry per setting the source takes.
SourceKind prometheusSource()
{
    SourceKind k;
    k.id = "prometheus";
    k.title = "Prometheus";
    k.description = "Host and runtime signals from Prometheus, Thanos or Mimir: node_exporter, cAdvisor, Falco alerts.";
    k.layers = { Layer::Host, Layer::Runtime };
    k.fields = {
        { .key = "url",
            .flag = "prometheus",
            .valueName = "URL",
            .help = "Prometheus (or Thanos / Mimir) URL: host and runtime signals, Falco alerts.",
            .label = "Prometheus URL",
            .placeholder = "http://127.0.0.1:9090",
            .selects = true,
            .url = true },
        caFileField("for https; empty: the system store"),
        { .key = "user",
            .flag = "prom-user",
            .valueName = "NAME",
            .help = "Prometheus basic-auth user (password from LAYERGUARD_PROM_PASSWORD).",
            .label = "User",
            .placeholder = "basic auth; empty: none" },
        { .key = "password", .label = "Password", .input = FieldInput::Password },
        { .key = "token", .label = "Bearer token", .input = FieldInput::Token },
        { .key = "tokenFile",
            .flag = "prom-token-file",
            .valueName = "FILE",
            .help = "File holding a bearer token for Prometheus.",
            .label = "Token file",
            .placeholder = "read at scan time instead",
            .input = FieldInput::File },
        { .key = "cert",
            .flag = "prom-cert",
            .valueName = "FILE",
            .help = "Client certificate for Prometheus (mTLS).",
            .input = FieldInput::File },
        { .key = "key",
            .flag = "prom-key",
            .valueName = "FILE",
            .help = "Client key for Prometheus (mTLS).",
            .input = FieldInput::File },
        { .key = "window",
            .flag = "prom-window",
            .valueName = "DURATION",
            .help = "Scan window for counters and alerts (default 1h)." },
        { .key = "checks",
            .flag = "prom-checks",
            .valueName = "DIR",
            .help = "Extra folder of Prometheus check files (same id replaces).",
            .input = FieldInput::List,
            .scanOnly = true },
    };
    k.secretKind = [](const nlohmann::json& c) {
        return std::string(c.value("user", std::string()).empty() ? "token" : "password");
    };
    k.configure = [](const SourceValues& values) {
        const std::string url = firstValue(values, "url");
        if (url.empty())
            throw std::invalid_argument("give the Prometheus URL");
        std::string window = firstValue(values, "window");
        if (window.empty())
            window = "1h";
        if (!std::regex_match(window, std::regex("[0-9]+[smhdw]")))
            throw std::invalid_argument("--prom-window takes a Prometheus duration such as 30m, 1h or 1d");
        std::vector<std::string> checks;
        if (auto it = values.find("checks"); it != values.end())
            for (const auto& d : it->second)
                checks.push_back(absolutePath(d));
        // Paths and the user name only: the password stays in the keyring or LAYERGUARD_PROM_PASSWORD.
        return std::vector<nlohmann::json> { { { "url", url }, { "caFile", absolutePath(firstValue(values, "caFile")) },
            { "user", firstValue(values, "user") }, { "tokenFile", absolutePath(firstValue(values, "tokenFile")) },
            { "cert", absolutePath(firstValue(values, "cert")) }, { "key", absolutePath(firstValue(values, "key")) },
            { "window", window }, { "checks", checks } } };
    };
    k.create = [](const nlohmann::json& c, const SourceContext& ctx) -> std::unique_ptr<Connector> {
        // With one Kubernetes context in the same scan, the signals join its target: node names line up.
        std::string target = ctx.target;
        if (target.empty() && ctx.earlier && ctx.earlier->size() == 1 && ctx.earlier->front()->kind() == "kubernetes")
            target = ctx.earlier->front()->target();
        try {
            return std::make_unique<PrometheusConnector>(endpointOf(c, ctx.secret), target,
                c.value("window", std::string("1h")), loadPromChecks(c.value("checks", std::vector<std::string>())));
        } catch (const std::invalid_argument& e) {
            throw ConnectorError("prometheus", std::string("prometheus checks: ") + e.what(),
                "correct the check file or leave out --prom-checks");
        }
    };
    return k;
}

} // namespace lg
