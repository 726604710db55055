#include "connectors/prometheus/promconnector.h"

#include "core/files.h"
#include "core/jsonutil.h"
#include "core/masking.h"

#include <QByteArray>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QUrl>

#include <cmath>
#include <map>

namespace lg {

namespace {

constexpr std::size_t kPostAbove = 1024; ///< longer queries go in a POST body (URL length limits)

std::string form(const std::string& s)
{
    return QUrl::toPercentEncoding(QString::fromStdString(s)).toStdString();
}

HttpEndpoint httpEndpoint(const PrometheusEndpoint& p, const std::string& source)
{
    QUrl url(QString::fromStdString(p.url));
    if (!url.isValid() || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))
        || url.host().isEmpty())
        throw ConnectorError(source, "\"" + p.url + "\" is not an http(s) URL", "give --prometheus http://host:9090");
    if (!url.userInfo().isEmpty())
        throw ConnectorError(source, "the Prometheus URL carries credentials",
            "use --prom-user with LAYERGUARD_PROM_PASSWORD, or --prom-token-file; the URL is stored with the scan");
    HttpEndpoint ep;
    ep.baseUrl = url.toString(QUrl::StripTrailingSlash).toStdString();
    ep.caFile = p.caFile;
    ep.clientCert = p.clientCert;
    ep.clientKey = p.clientKey;
    ep.verifyTls = p.verifyTls;
    ep.totalTimeout = p.timeout;
    ep.maxBody = 128u * 1024 * 1024;
    ep.tlsHint = "the Prometheus certificate is not trusted: give its CA with --ca-file";
    if (!p.bearerToken.empty())
        ep.authorization = "Bearer " + p.bearerToken;
    else if (!p.username.empty())
        ep.authorization = "Basic " + QByteArray::fromStdString(p.username + ":" + p.password).toBase64().toStdString();
    return ep;
}

double sampleValue(const nlohmann::json& pair, std::int64_t* at)
{
    if (!pair.is_array() || pair.size() != 2)
        throw std::runtime_error("a sample is not a [time, value] pair");
    if (at) {
        // Unix seconds; anything outside years 0..9999 is not a sample time (and would not fit an integer).
        const double t = pair[0].is_number() ? pair[0].get<double>() : 0.0;
        if (!std::isfinite(t) || t < 0 || t > 253402300799.0)
            throw std::runtime_error("a sample time is out of range");
        *at = std::int64_t(t);
    }
    const std::string v = scalarText(pair[1]);
    if (v == "NaN")
        return std::nan("");
    if (v == "+Inf")
        return HUGE_VAL;
    if (v == "-Inf")
        return -HUGE_VAL;
    std::size_t used = 0;
    const double d = std::stod(v, &used);
    if (used != v.size())
        throw std::runtime_error("sample value \"" + v + "\" is not a number");
    return d;
}

/** Sets data[a][b]... = value for a dotted path "a.b". */
void setPath(nlohmann::json& data, const std::string& path, nlohmann::json value)
{
    nlohmann::json* cur = &data;
    std::size_t start = 0;
    while (true) {
        const auto dot = path.find('.', start);
        const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (dot == std::string::npos) {
            (*cur)[key] = std::move(value);
            return;
        }
        cur = &(*cur)[key];
        start = dot + 1;
    }
}

} // namespace

PrometheusClient::PrometheusClient(PrometheusEndpoint endpoint, std::string source, const CancelToken* cancel)
    : m_endpoint(std::move(endpoint))
    , m_source(std::move(source))
    , m_http(httpEndpoint(m_endpoint, m_source), cancel)
{
}

PromResult PrometheusClient::query(const std::string& promql, std::optional<std::int64_t> at)
{
    std::string f = "query=" + form(promql);
    if (at)
        f += "&time=" + std::to_string(*at);
    return call("/api/v1/query", f);
}

PromResult PrometheusClient::queryRange(const std::string& promql, std::int64_t start, std::int64_t end, int step)
{
    return call("/api/v1/query_range",
        "query=" + form(promql) + "&start=" + std::to_string(start) + "&end=" + std::to_string(end)
            + "&step=" + std::to_string(std::max(1, step)));
}

PromResult PrometheusClient::call(const std::string& path, const std::string& f)
{
    HttpResponse r;
    try {
        r = f.size() > kPostAbove ? m_http.request("POST", path, f, "application/x-www-form-urlencoded")
                                  : m_http.get(path + "?" + f);
    } catch (const HttpError& e) {
        throw ConnectorError(m_source, e.what(), e.hint());
    }
    if (r.status == 401 || r.status == 403)
        throw ConnectorError(m_source,
            m_endpoint.url + " refused the credentials (HTTP " + std::to_string(r.status) + ")",
            "check --prom-user / LAYERGUARD_PROM_PASSWORD or --prom-token-file, and that this identity may query");
    return parseAnswer(r.body, r.status, m_endpoint.url + path, m_source);
}

PromResult PrometheusClient::parseAnswer(
    const std::string& body, int status, const std::string& where, const std::string& source)
{
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object() || !member(j, "status").is_string()) {
        if (status == 404)
            throw ConnectorError(source, where + " does not exist (HTTP 404)",
                "check the URL: Prometheus answers at /api/v1/query (with Thanos or Mimir, include the "
                "path prefix, e.g. /prometheus)");
        throw ConnectorError(source,
            where + " did not answer a Prometheus API response (HTTP " + std::to_string(status) + ")",
            "check that the URL points at Prometheus, Thanos or Mimir");
    }
    PromResult out;
    for (const auto& w : member(j, "warnings"))
        out.warnings.push_back(maskText(scalarText(w)));
    if (text(j, "status") != "success") {
        const std::string type = text(j, "errorType", "error");
        const std::string msg = maskText(text(j, "error", "(no message)"));
        if (status == 503 || type == "unavailable" || type == "timeout")
            throw ConnectorError(source,
                where + " could not answer (" + type + ", HTTP " + std::to_string(status) + "): " + msg,
                "Prometheus is starting, overloaded or the query timed out; try again later");
        throw PromQueryError(type + ": " + msg, type);
    }
    const auto& data = member(j, "data");
    out.resultType = text(data, "resultType");
    const auto& result = member(data, "result");
    try {
        if (out.resultType == "vector") {
            for (const auto& s : result) {
                std::int64_t at = 0;
                const double v = sampleValue(member(s, "value"), &at);
                out.samples.push_back(
                    { { "metric", member(s, "metric").is_object() ? member(s, "metric") : nlohmann::json::object() },
                        { "value", v }, { "at", at } });
            }
        } else if (out.resultType == "scalar") {
            std::int64_t at = 0;
            const double v = sampleValue(result, &at);
            out.samples.push_back({ { "metric", nlohmann::json::object() }, { "value", v }, { "at", at } });
        } else if (out.resultType == "matrix") {
            for (const auto& s : result) {
                nlohmann::json values = nlohmann::json::array();
                for (const auto& p : member(s, "values")) {
                    std::int64_t at = 0;
                    const double v = sampleValue(p, &at);
                    values.push_back({ at, v });
                }
                out.samples.push_back({ { "metric", member(s, "metric") }, { "values", std::move(values) } });
            }
        } else {
            throw std::runtime_error("unexpected resultType \"" + out.resultType + "\"");
        }
    } catch (const std::exception& e) {
        throw ConnectorError(source, where + " answered a malformed result: " + e.what(),
            "check that the URL points at Prometheus, Thanos or Mimir");
    }
    return out;
}

PromCheck PromCheck::fromJson(const nlohmann::json& j)
{
    PromCheck c;
    c.id = text(j, "id");
    c.description = text(j, "description");
    c.query = text(j, "query");
    c.kind = text(j, "kind");
    c.nameLabel = text(j, "name_label");
    c.namespaceLabel = text(j, "namespace_label");
    c.requires_ = text(j, "requires");
    for (const auto& [path, label] : member(j, "fields").items())
        c.fields.emplace_back(path, scalarText(label));
    const auto layer = layerFromString(text(j, "layer", "host"));
    if (c.id.empty() || c.query.empty() || c.kind.empty() || !layer)
        throw std::invalid_argument("a Prometheus check needs id, query, kind and a valid layer");
    c.layer = *layer;
    return c;
}

std::vector<PromCheck> loadPromChecks(const std::vector<std::string>& extraDirs)
{
    std::map<std::string, PromCheck> byId;
    std::vector<QString> dirs { QStringLiteral(":/prometheus") };
    for (const auto& d : extraDirs)
        dirs.push_back(QString::fromStdString(d));
    for (const auto& dir : dirs) {
        QDirIterator it(dir, { QStringLiteral("*.json") }, QDir::Files);
        std::vector<QString> files;
        while (it.hasNext())
            files.push_back(it.next());
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            nlohmann::json j;
            try {
                j = nlohmann::json::parse(readRegularFile(file.toStdString(), 4u << 20), nullptr, false);
            } catch (const FileReadError& e) {
                throw std::invalid_argument(std::string("check file: ") + e.what());
            }
            try {
                auto c = PromCheck::fromJson(j);
                byId[c.id] = std::move(c);
            } catch (const std::invalid_argument& e) {
                throw std::invalid_argument(file.toStdString() + ": " + e.what());
            }
        }
    }
    std::vector<PromCheck> out;
    for (auto& [id, c] : byId)
        out.push_back(std::move(c));
    return out;
}

PrometheusConnector::PrometheusConnector(
    PrometheusEndpoint endpoint, std::string target, std::string window, std::vector<PromCheck> checks)
    : m_endpoint(std::move(endpoint))
    , m_target(std::move(target))
    , m_window(std::move(window))
    , m_checks(std::move(checks))
{
    if (m_target.empty()) {
        QUrl u(QString::fromStdString(m_endpoint.url));
        u.setUserInfo({}); // never part of a name that is stored and shown
        m_target = "prometheus:" + u.authority().toStdString();
        setDefaultNamed(true);
    }
}

void PrometheusConnector::collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress)
{
    PrometheusClient client(m_endpoint, m_target, &cancel);
    // Reachable, authorised and a Prometheus at all: one cheap query first, so that a wrong URL fails
    // the source instead of turning every check into "no data".
    (void)client.query("vector(1)");
    std::size_t withData = 0;
    for (const auto& check : m_checks) {
        if (cancel.load())
            throw Cancelled();
        std::string q = check.query;
        for (auto pos = q.find("{window}"); pos != std::string::npos; pos = q.find("{window}", pos))
            q.replace(pos, 8, m_window);
        Resource base;
        base.target = m_target;
        base.origin = m_endpoint.url + "/api/v1/query";
        // One PromCheckResult per check: how many samples it had, or why it had none. No sample is not
        // a pass (the series does not exist here: exporter missing, or renamed); a rejected query neither.
        Resource status = base;
        status.layer = check.layer;
        status.kind = "PromCheckResult";
        status.name = check.id;
        status.data = { { "check", check.id }, { "query", q }, { "requires", check.requires_ },
            { "description", check.description }, { "samples", 0 }, { "error", "" }, { "errorType", "" } };
        PromResult result;
        try {
            result = client.query(q);
        } catch (const PromQueryError& e) {
            status.data["error"] = e.what();
            status.data["errorType"] = e.type();
            sink(status);
            if (progress)
                progress("prometheus: query of " + check.id + " failed: " + e.what());
            continue;
        }
        for (const auto& w : result.warnings)
            if (progress)
                progress("prometheus: " + check.id + ": warning: " + w);
        status.data["samples"] = result.samples.size();
        sink(status);
        if (result.samples.empty())
            continue;
        ++withData;
        for (const auto& s : result.samples) {
            const auto& labels = member(s, "metric");
            Resource r = base;
            r.layer = check.layer;
            r.kind = check.kind;
            std::string name;
            // "a|b/c": the first of a and b that the sample has, then c
            for (const auto& part : QString::fromStdString(check.nameLabel).split(u'/', Qt::SkipEmptyParts)) {
                std::string v;
                for (const auto& label : part.split(u'|', Qt::SkipEmptyParts))
                    if (v.empty())
                        v = text(labels, label.toStdString());
                if (!v.empty())
                    name += (name.empty() ? "" : "/") + v;
            }
            r.name = name.empty() ? check.id : name;
            r.namespace_ = check.namespaceLabel.empty() ? std::string() : text(labels, check.namespaceLabel);
            const double v = member(s, "value").is_number() ? member(s, "value").get<double>() : 0.0;
            r.data = { { "check", check.id }, { "query", q }, { "labels", labels }, { "at", member(s, "at") },
                { "metadata", { { "name", r.name } } } };
            // NaN and infinities are not JSON numbers: kept as text, so rules comparing numbers skip them
            if (std::isfinite(v)) // increase() extrapolates: 47.99999999 reads better as 48
                r.data["value"] = std::round(v * 1000.0) / 1000.0;
            else
                r.data["value"] = std::isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf");
            for (const auto& [path, label] : check.fields)
                if (const auto& lv = member(labels, label); !lv.is_null())
                    setPath(r.data, path, lv);
            sink(r);
        }
    }
    if (progress)
        progress("prometheus: " + std::to_string(withData) + " of " + std::to_string(m_checks.size())
            + " checks had data in the last " + m_window);
}

} // namespace lg
