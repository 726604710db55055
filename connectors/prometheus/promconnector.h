#pragma once

#include "connectors/common/connector.h"
#include "connectors/http/httpclient.h"

#include <nlohmann/json.hpp>

#include <optional>

namespace lg {

/** How to reach a Prometheus (or Thanos / Mimir) HTTP API. Secrets stay in memory only. */
struct PrometheusEndpoint {
    std::string url; ///< http(s)://host:port[/prefix], without credentials
    std::string caFile;
    std::string clientCert;
    std::string clientKey;
    std::string bearerToken;
    std::string username;
    std::string password;
    bool verifyTls = true;
    std::chrono::seconds timeout { 30 };
};

/** One instant-query answer: the samples (`metric` labels and value) and the server's warnings. */
struct PromResult {
    std::string resultType;
    nlohmann::json samples = nlohmann::json::array(); ///< [{metric: {...}, value: double, at: unix seconds}]
    std::vector<std::string> warnings;
};

/** An error envelope answer ({"status":"error"}): the query is at fault, not the connection. */
class PromQueryError : public std::runtime_error {
public:
    PromQueryError(const std::string& what, std::string type)
        : std::runtime_error(what)
        , m_type(std::move(type))
    {
    }
    [[nodiscard]] const std::string& type() const { return m_type; }

private:
    std::string m_type;
};

/**
 * The Prometheus HTTP API: instant and range queries (POST once the query is long), the error envelope
 * (bad_data, 422 execution, 503 unavailable), warnings. Transport and auth failures throw ConnectorError
 * with a hint; a failing query throws PromQueryError.
 */
class PrometheusClient {
public:
    PrometheusClient(PrometheusEndpoint endpoint, std::string source, const CancelToken* cancel);
    /**
     * Reads an answer of the HTTP API (`where` names the URL in messages): the samples of a vector, scalar
     * or matrix result. Throws PromQueryError for an error envelope about the query, ConnectorError for an
     * answer that is not Prometheus's or says the server cannot answer.
     */
    [[nodiscard]] static PromResult parseAnswer(
        const std::string& body, int status, const std::string& where, const std::string& source);
    [[nodiscard]] PromResult query(const std::string& promql, std::optional<std::int64_t> at = {});
    /** A range query: samples carry `values` [[t, v], ...] instead of value/at. */
    [[nodiscard]] PromResult queryRange(
        const std::string& promql, std::int64_t start, std::int64_t end, int stepSeconds);

private:
    PromResult call(const std::string& path, const std::string& form);
    PrometheusEndpoint m_endpoint;
    std::string m_source;
    HttpClient m_http;
};

/** A check as data (a JSON file in resources/prometheus): the query and the resource each sample becomes. */
struct PromCheck {
    std::string id;
    std::string description;
    std::string query; ///< may contain {window}, replaced by the scan window ("1h")
    std::string kind; ///< resource kind of the samples (rules apply to it)
    Layer layer = Layer::Host;
    std::string nameLabel; ///< label naming the resource ("nodename", "instance", ...); several joined by '/'
    std::string namespaceLabel;
    std::string requires_; ///< what must be installed for the series to exist ("kube-state-metrics")
    /** Data paths filled from labels ("kernel.release" <- "release"), so host rules read them as usual. */
    std::vector<std::pair<std::string, std::string>> fields;
    static PromCheck fromJson(const nlohmann::json& j);
};

/** The built-in checks plus `*.json` in `extraDirs` (same id replaces). Throws std::invalid_argument. */
[[nodiscard]] std::vector<PromCheck> loadPromChecks(const std::vector<std::string>& extraDirs = {});

/**
 * A Prometheus as a source: each check's query becomes resources of the check's kind (labels, value,
 * the query and the sample time, so a finding cites what it rests on). Each check also gives a
 * PromCheckResult (sample count, or the server's error): "no data" is a finding, never a pass.
 * Unreachable, unauthorised or timed-out servers fail the source.
 */
class PrometheusConnector final : public Connector {
public:
    PrometheusConnector(PrometheusEndpoint endpoint, std::string target = {}, std::string window = "1h",
        std::vector<PromCheck> checks = loadPromChecks());
    [[nodiscard]] std::string kind() const override { return "prometheus"; }
    [[nodiscard]] std::string target() const override { return m_target; }
    void renameTarget(const std::string& name) override { m_target = name; }
    [[nodiscard]] std::string location() const override { return m_endpoint.url; }
    [[nodiscard]] std::vector<Layer> layers() const override { return { Layer::Host, Layer::Runtime }; }
    void collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress) override;

private:
    PrometheusEndpoint m_endpoint;
    std::string m_target;
    std::string m_window;
    std::vector<PromCheck> m_checks;
};

} // namespace lg
