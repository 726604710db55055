#include "connectors/kubernetes/kubeconfig.h"

#include "core/files.h"

#include "connectors/common/connector.h"
#include "core/jsonutil.h"
#include "core/masking.h"
#include "core/yamlio.h"

#include <QByteArray>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>

#include <mutex>

namespace lg {

namespace {

constexpr qint64 kMaxKubeconfigSize = 16 * 1024 * 1024;
constexpr int kExecTimeoutMs = 60'000;

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

std::string readSmallFile(const std::string& file, const std::string& what, const std::string& source)
{
    // A regular file only, its bytes counted as read: a path to /dev/zero or a FIFO fails with the reason.
    try {
        return readRegularFile(file, kMaxKubeconfigSize);
    } catch (const FileReadError& e) {
        throw ConnectorError(source, "the " + what + ": " + e.what(), "check the path, and that you may read the file");
    }
}

/** A path from a kubeconfig: relative paths are relative to the file that holds them. */
std::string resolvePath(const std::string& path, const std::string& kubeconfigFile)
{
    if (path.empty() || QDir::isAbsolutePath(q(path)))
        return path;
    return QFileInfo(QFileInfo(q(kubeconfigFile)).absolutePath() + u'/' + q(path)).absoluteFilePath().toStdString();
}

std::string decodeBase64(const nlohmann::json& v, const std::string& field, const std::string& where)
{
    const std::string in = scalarText(v);
    if (in.empty())
        return {};
    auto r = QByteArray::fromBase64Encoding(QByteArray::fromStdString(in), QByteArray::AbortOnBase64DecodingErrors);
    if (!r)
        throw ConnectorError(
            where, field + " is not valid base64", "copy the value again from the cluster's kubeconfig");
    return r.decoded.toStdString();
}

/** A clusters[].cluster entry; `file` is the kubeconfig that holds it (relative paths are relative to it). */
KubeCluster clusterFrom(
    const nlohmann::json& cl, const std::string& file, const std::string& clusterName, const std::string& source)
{
    KubeCluster cluster;
    cluster.server = text(cl, "server");
    if (cluster.server.empty())
        throw ConnectorError(
            source, "cluster \"" + clusterName + "\" has no server URL", "add clusters[].cluster.server");
    cluster.caFile = resolvePath(text(cl, "certificate-authority"), file);
    cluster.caPem = decodeBase64(member(cl, "certificate-authority-data"), "certificate-authority-data", source);
    cluster.tlsServerName = text(cl, "tls-server-name");
    const auto& insecure = member(cl, "insecure-skip-tls-verify");
    cluster.insecureSkipTlsVerify
        = insecure.is_boolean() ? insecure.get<bool>() : text(cl, "insecure-skip-tls-verify") == "true";
    cluster.proxyUrl = text(cl, "proxy-url");
    return cluster;
}

/** A users[].user.exec entry: the plugin to run for a credential, refused when kubectl would refuse it. */
ExecPlugin execPluginFrom(
    const nlohmann::json& ex, const std::string& file, const std::string& userName, const std::string& source)
{
    ExecPlugin p;
    p.apiVersion = text(ex, "apiVersion");
    p.command = text(ex, "command");
    p.installHint = text(ex, "installHint");
    const auto& pci = member(ex, "provideClusterInfo");
    p.provideClusterInfo = pci.is_boolean() && pci.get<bool>();
    p.baseDir = QFileInfo(q(file)).absolutePath().toStdString();
    for (const auto& a : member(ex, "args"))
        p.args.push_back(scalarText(a));
    for (const auto& e : member(ex, "env"))
        p.env.emplace_back(text(e, "name"), text(e, "value"));
    if (p.command.empty())
        throw ConnectorError(
            source, "user \"" + userName + "\" has an exec plugin without a command", "fix users[].user.exec.command");
    if (p.apiVersion != "client.authentication.k8s.io/v1" && p.apiVersion != "client.authentication.k8s.io/v1beta1")
        throw ConnectorError(source, "exec plugin apiVersion \"" + p.apiVersion + "\" is not supported",
            "use client.authentication.k8s.io/v1 (or v1beta1); v1alpha1 was removed in Kubernetes 1.24");
    return p;
}

/** A users[].user entry; `file` is the kubeconfig that holds it. */
KubeUser userFrom(
    const nlohmann::json& u, const std::string& file, const std::string& userName, const std::string& source)
{
    KubeUser user;
    user.token = text(u, "token");
    user.tokenFile = resolvePath(text(u, "tokenFile"), file);
    user.username = text(u, "username");
    user.password = text(u, "password");
    user.clientCertFile = resolvePath(text(u, "client-certificate"), file);
    user.clientKeyFile = resolvePath(text(u, "client-key"), file);
    user.clientCertPem = decodeBase64(member(u, "client-certificate-data"), "client-certificate-data", source);
    user.clientKeyPem = decodeBase64(member(u, "client-key-data"), "client-key-data", source);
    user.impersonate = text(u, "as");
    const auto& ap = member(u, "auth-provider");
    if (ap.is_object())
        user.authProvider = text(ap, "name", "unnamed");
    const auto& ex = member(u, "exec");
    if (ex.is_object())
        user.exec = execPluginFrom(ex, file, userName, source);
    return user;
}

} // namespace

std::string ExecPlugin::display() const
{
    std::string s = command;
    for (const auto& a : args) {
        s += ' ';
        const bool quote = a.find_first_of(" \t\"'") != std::string::npos;
        s += quote ? "'" + a + "'" : a;
    }
    return maskText(s);
}

std::string KubeUser::kind() const
{
    if (exec)
        return "exec";
    if (!clientCertPem.empty() || !clientCertFile.empty())
        return "client-certificate";
    if (!token.empty())
        return "token";
    if (!tokenFile.empty())
        return "token-file";
    if (!username.empty())
        return "basic";
    return "anonymous";
}

Kubeconfig Kubeconfig::load(const std::string& explicitPath)
{
    if (!explicitPath.empty())
        return fromFiles({ explicitPath }, true);
    const QByteArray env = qgetenv("KUBECONFIG");
    if (!env.isEmpty()) {
        std::vector<std::string> files;
        for (const auto& part : QString::fromLocal8Bit(env).split(u':', Qt::SkipEmptyParts))
            files.push_back(part.toStdString());
        return fromFiles(files, false);
    }
    return fromFiles({ QString(QDir::homePath() + QStringLiteral("/.kube/config")).toStdString() }, true);
}

Kubeconfig Kubeconfig::fromFiles(const std::vector<std::string>& files, bool mustExist)
{
    Kubeconfig k;
    for (const auto& f : files) {
        if (!QFileInfo::exists(q(f))) {
            if (mustExist)
                throw ConnectorError("kubeconfig", "kubeconfig " + f + " does not exist",
                    "give the file with --kubeconfig, set KUBECONFIG, or copy the cluster's kubeconfig to "
                    "~/.kube/config");
            continue; // kubectl skips missing entries of KUBECONFIG
        }
        k.addFile(f);
    }
    if (k.m_files.empty())
        throw ConnectorError("kubeconfig", "none of the files in KUBECONFIG exists",
            "check KUBECONFIG (files separated by ':') or give --kubeconfig");
    return k;
}

void Kubeconfig::addFile(const std::string& file)
{
    const std::string text = readSmallFile(file, "kubeconfig", "kubeconfig");
    std::vector<YamlDocument> docs;
    try {
        docs = parseYamlDocuments(text, file);
    } catch (const YamlError& e) {
        throw ConnectorError("kubeconfig", std::string("malformed kubeconfig ") + e.what(),
            "fix the YAML at that line (kubectl config view shows what kubectl makes of it)");
    }
    m_files.push_back(file);
    if (docs.empty())
        return; // an empty file is allowed, as by kubectl
    const auto& doc = docs.front().json;
    if (!doc.is_object())
        throw ConnectorError("kubeconfig", "kubeconfig " + file + " is not a YAML mapping",
            "it should start with apiVersion: v1 and kind: Config");
    // `[{name: X, <key>: {...}}]`: for each name the first file that defines it wins, as in kubectl.
    auto merge = [&](const char* list, const char* key, std::map<std::string, Entry>& into, bool keepOrder) {
        const auto& items = member(doc, list);
        if (!items.is_array())
            return;
        for (const auto& item : items) {
            const std::string name = lg::text(item, "name");
            if (!name.empty() && into.emplace(name, Entry { member(item, key), file }).second && keepOrder)
                m_contextOrder.push_back(name);
        }
    };
    merge("contexts", "context", m_contexts, true);
    merge("clusters", "cluster", m_clusters, false);
    merge("users", "user", m_users, false);
    if (m_current.empty())
        m_current = lg::text(doc, "current-context");
}

KubeContext Kubeconfig::resolve(const std::string& wanted) const
{
    std::string filesText;
    for (const auto& f : m_files)
        filesText += (filesText.empty() ? "" : ", ") + f;
    const std::string name = wanted.empty() ? m_current : wanted;
    if (name.empty())
        throw ConnectorError("kubeconfig", "no current-context is set in " + filesText,
            "pick one with --context NAME (kubectl config get-contexts lists them)");
    auto ctxIt = m_contexts.find(name);
    if (ctxIt == m_contexts.end())
        throw ConnectorError("kubeconfig", "context \"" + name + "\" is not in " + filesText,
            "kubectl config get-contexts lists the contexts; check the name or KUBECONFIG");
    const std::string source = "context " + name;
    KubeContext ctx;
    ctx.name = name;
    ctx.origin = filesText;
    const auto& c = ctxIt->second.value;
    ctx.clusterName = text(c, "cluster");
    ctx.userName = text(c, "user");
    ctx.namespace_ = text(c, "namespace");

    auto lookup
        = [&](const std::map<std::string, Entry>& in, const std::string& what, const std::string& key) -> const Entry& {
        auto it = in.find(key);
        if (it == in.end())
            throw ConnectorError(source,
                "context \"" + name + "\" names " + what + " \"" + key + "\", which is not in " + filesText,
                "add the " + what + " to the kubeconfig or fix the context");
        return it->second;
    };
    const Entry& clusterEntry = lookup(m_clusters, "cluster", ctx.clusterName);
    ctx.cluster = clusterFrom(clusterEntry.value, clusterEntry.file, ctx.clusterName, source);
    if (!ctx.userName.empty()) {
        const Entry& userEntry = lookup(m_users, "user", ctx.userName);
        ctx.user = userFrom(userEntry.value, userEntry.file, ctx.userName, source);
    }
    return ctx;
}

KubeContext inClusterContext(const std::string& saDirIn)
{
    const std::string saDir = saDirIn.empty() ? "/var/run/secrets/kubernetes.io/serviceaccount" : saDirIn;
    const std::string host = qEnvironmentVariable("KUBERNETES_SERVICE_HOST").toStdString();
    const std::string port = qEnvironmentVariable("KUBERNETES_SERVICE_PORT").toStdString();
    if (host.empty() || port.empty())
        throw ConnectorError("in-cluster", "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set",
            "--in-cluster works inside a pod; elsewhere use a kubeconfig");
    KubeContext ctx;
    ctx.name = "in-cluster";
    ctx.origin = "in-cluster";
    ctx.clusterName = "in-cluster";
    ctx.userName = "serviceaccount";
    const bool v6 = host.find(':') != std::string::npos;
    ctx.cluster.server = "https://" + (v6 ? "[" + host + "]" : host) + ":" + port;
    ctx.cluster.caFile = saDir + "/ca.crt";
    ctx.user.tokenFile = saDir + "/token"; // re-read on every use: the kubelet rotates it
    QFile ns(q(saDir + "/namespace"));
    if (ns.open(QIODevice::ReadOnly))
        ctx.namespace_ = ns.readAll().trimmed().toStdString();
    if (!QFileInfo::exists(q(ctx.user.tokenFile)))
        throw ConnectorError("in-cluster", "no service account token at " + ctx.user.tokenFile,
            "mount the service account token (automountServiceAccountToken: true on the scanning Job)");
    return ctx;
}

namespace {

/** KUBERNETES_EXEC_INFO: what the plugin is told of the cluster (only with provideClusterInfo). */
nlohmann::json execInfo(const ExecPlugin& plugin, const KubeCluster& cluster)
{
    nlohmann::json info = { { "apiVersion", plugin.apiVersion }, { "kind", "ExecCredential" },
        { "spec", { { "interactive", false } } } };
    if (plugin.provideClusterInfo) {
        info["spec"]["cluster"] = { { "server", cluster.server } };
        if (!cluster.tlsServerName.empty())
            info["spec"]["cluster"]["tls-server-name"] = cluster.tlsServerName;
        if (cluster.insecureSkipTlsVerify)
            info["spec"]["cluster"]["insecure-skip-tls-verify"] = true;
        if (!cluster.caPem.empty())
            info["spec"]["cluster"]["certificate-authority-data"]
                = QByteArray::fromStdString(cluster.caPem).toBase64().toStdString();
    }
    return info;
}

/** The plugin's ExecCredential (a token, or a client certificate and key); `what` names the plugin in errors. */
ExecCredential credentialFrom(
    const std::string& output, const ExecPlugin& plugin, const std::string& what, const std::string& source)
{
    nlohmann::json out = nlohmann::json::parse(output, nullptr, false);
    if (!out.is_object() || text(out, "kind") != "ExecCredential")
        throw ConnectorError(
            source, what + " did not print an ExecCredential object", "check the plugin's version and its output");
    if (text(out, "apiVersion") != plugin.apiVersion)
        throw ConnectorError(source,
            what + " answered apiVersion \"" + text(out, "apiVersion") + "\" but the kubeconfig asks for "
                + plugin.apiVersion,
            "set users[].user.exec.apiVersion to what the plugin speaks");
    const auto& status = member(out, "status");
    ExecCredential cred;
    cred.token = text(status, "token");
    cred.clientCertPem = text(status, "clientCertificateData");
    cred.clientKeyPem = text(status, "clientKeyData");
    if (cred.token.empty() && (cred.clientCertPem.empty() || cred.clientKeyPem.empty()))
        throw ConnectorError(source, what + " returned neither a token nor a client certificate and key",
            "check the plugin's output (status.token or status.clientCertificateData/clientKeyData)");
    const std::string exp = text(status, "expirationTimestamp");
    if (!exp.empty()) {
        const QDateTime t = QDateTime::fromString(q(exp), Qt::ISODateWithMs);
        if (!t.isValid())
            throw ConnectorError(source, what + " returned an unreadable expirationTimestamp \"" + exp + "\"",
                "the plugin must give an RFC 3339 time");
        cred.expiresAt = t.toSecsSinceEpoch();
    }
    return cred;
}

} // namespace

ExecCredential ExecCredentialProvider::get(const ExecPlugin& plugin, const KubeCluster& cluster,
    const std::string& source, bool forceRefresh, const std::function<void(const std::string&)>& notice)
{
    static std::mutex mutex;
    static std::map<std::string, ExecCredential> cache;
    std::string key = plugin.apiVersion + '\n' + plugin.baseDir + '\n' + plugin.command + '\n' + cluster.server;
    for (const auto& a : plugin.args)
        key += '\n' + a;
    for (const auto& [k, v] : plugin.env)
        key += '\n' + k + '=' + v;

    std::lock_guard lock(mutex);
    const std::int64_t now = QDateTime::currentSecsSinceEpoch();
    if (!forceRefresh) {
        auto it = cache.find(key);
        // a credential about to expire is refreshed rather than used for a long scan
        if (it != cache.end() && (it->second.expiresAt == 0 || it->second.expiresAt > now + 30))
            return it->second;
    }
    if (notice)
        notice("running the kubeconfig exec plugin for " + source + ": " + plugin.display());

    QString program = q(plugin.command);
    if (program.contains(u'/') && QDir::isRelativePath(program))
        program = QDir(q(plugin.baseDir)).absoluteFilePath(program);
    QProcess proc;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const auto& [k, v] : plugin.env)
        env.insert(q(k), q(v));
    env.insert(QStringLiteral("KUBERNETES_EXEC_INFO"), q(dumpJson(execInfo(plugin, cluster))));
    proc.setProcessEnvironment(env);
    proc.setProgram(program);
    QStringList args;
    for (const auto& a : plugin.args)
        args << q(a);
    proc.setArguments(args);
    proc.setStandardInputFile(QProcess::nullDevice()); // never interactive: a scan has no terminal to prompt on
    proc.start();
    const std::string what = "exec plugin " + plugin.command + " (" + source + ")";
    if (!proc.waitForStarted(10'000)) {
        std::string hint = plugin.installHint.empty() ? "install it or fix users[].user.exec.command (check PATH)"
                                                      : plugin.installHint;
        throw ConnectorError(source, what + " could not be started: " + proc.errorString().toStdString(), hint);
    }
    if (!proc.waitForFinished(kExecTimeoutMs)) {
        proc.kill();
        proc.waitForFinished(1000);
        throw ConnectorError(source, what + " did not finish within 60 s",
            "run it by hand to see whether it waits for a login prompt; log in first, then scan again");
    }
    const std::string err = maskText(proc.readAllStandardError().trimmed().right(400).toStdString());
    if (proc.exitStatus() != QProcess::NormalExit || proc.exitCode() != 0)
        throw ConnectorError(source,
            what + " failed with exit code " + std::to_string(proc.exitCode())
                + (err.empty() ? std::string() : ": " + err),
            "run the command by hand; it usually needs a fresh login with the cloud provider's CLI");
    const ExecCredential cred = credentialFrom(proc.readAllStandardOutput().toStdString(), plugin, what, source);
    cache[key] = cred;
    return cred;
}

} // namespace lg
