#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lg {

/** A `users[].user.exec` credential plugin (client.authentication.k8s.io/v1 or v1beta1). */
struct ExecPlugin {
    std::string apiVersion;
    std::string command;
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> env;
    std::string installHint;
    bool provideClusterInfo = false;
    std::string baseDir; ///< folder of the kubeconfig that defined it (relative commands)
    /** The command line as shown to the user before it runs (env values are not shown). */
    [[nodiscard]] std::string display() const;
};

struct KubeCluster {
    std::string server;
    std::string caFile;
    std::string caPem; ///< decoded certificate-authority-data
    std::string tlsServerName;
    bool insecureSkipTlsVerify = false;
    std::string proxyUrl;
};

/** How to authenticate. Secret members are kept in memory only, never logged, stored or reported. */
struct KubeUser {
    std::string token;
    std::string tokenFile;
    std::string username;
    std::string password;
    std::string clientCertFile;
    std::string clientKeyFile;
    std::string clientCertPem;
    std::string clientKeyPem;
    std::optional<ExecPlugin> exec;
    std::string authProvider; ///< legacy auth-provider name (gcp, azure, oidc): refused with a hint
    std::string impersonate; ///< `as`
    /** "exec", "client-certificate", "token", "token-file", "basic", "in-cluster" or "anonymous". */
    [[nodiscard]] std::string kind() const;
};

/** A resolved context: everything needed to reach one cluster as one user. */
struct KubeContext {
    std::string name;
    std::string namespace_;
    std::string clusterName;
    std::string userName;
    std::string origin; ///< the kubeconfig file(s), or "in-cluster"
    KubeCluster cluster;
    KubeUser user;
};

/**
 * The kubeconfig as kubectl reads it: `--kubeconfig`, else every file of KUBECONFIG (':'-separated;
 * missing files skipped; for each named cluster, user and context the first file that defines it wins,
 * and so does the first current-context), else ~/.kube/config. Relative paths are resolved against the
 * file that holds them; *-data fields are base64 PEM. Errors throw ConnectorError with the file name.
 */
class Kubeconfig {
public:
    static Kubeconfig load(const std::string& explicitPath = {});
    /** Parses files in order, as KUBECONFIG would list them. */
    static Kubeconfig fromFiles(const std::vector<std::string>& files, bool mustExist);

    [[nodiscard]] std::vector<std::string> contextNames() const { return m_contextOrder; }
    [[nodiscard]] const std::string& currentContext() const { return m_current; }
    [[nodiscard]] const std::vector<std::string>& files() const { return m_files; }
    /** The named context, or the current one when `name` is empty. */
    [[nodiscard]] KubeContext resolve(const std::string& name = {}) const;

private:
    struct Entry {
        nlohmann::json value;
        std::string file;
    };
    void addFile(const std::string& file);
    std::map<std::string, Entry> m_contexts;
    std::map<std::string, Entry> m_clusters;
    std::map<std::string, Entry> m_users;
    std::vector<std::string> m_contextOrder;
    std::vector<std::string> m_files;
    std::string m_current;
};

/**
 * In-cluster configuration for running the scan as a Job: KUBERNETES_SERVICE_HOST/PORT and the service
 * account's token, CA and namespace under `saDir` (default /var/run/secrets/kubernetes.io/serviceaccount).
 */
[[nodiscard]] KubeContext inClusterContext(const std::string& saDir = {});

/** A credential an exec plugin returned. */
struct ExecCredential {
    std::string token;
    std::string clientCertPem;
    std::string clientKeyPem;
    std::int64_t expiresAt = 0; ///< unix seconds; 0: no expiry given
};

/**
 * Runs exec plugins and caches their credentials per command line until `expirationTimestamp`
 * (process-wide, thread-safe). `notice` is told the command before it first runs.
 */
class ExecCredentialProvider {
public:
    static ExecCredential get(const ExecPlugin& plugin, const KubeCluster& cluster, const std::string& source,
        bool forceRefresh, const std::function<void(const std::string&)>& notice);
};

} // namespace lg
