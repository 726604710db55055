#include "connectors/docker/dockerconnector.h"

#include "connectors/host/dockerdaemon.h"
#include "core/jsonutil.h"
#include "core/masking.h"
#include "core/predicate.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSysInfo>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <regex>
#include <system_error>
#include <thread>

namespace lg {

namespace {

std::string env(const char* name)
{
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

nlohmann::json readJsonFile(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return nullptr;
    auto j = nlohmann::json::parse(f.readAll().toStdString(), nullptr, false);
    return j.is_discarded() ? nlohmann::json() : j;
}

QString dockerConfigDir()
{
    const std::string dir = env("DOCKER_CONFIG");
    return dir.empty() ? QDir::homePath() + QStringLiteral("/.docker") : QString::fromStdString(dir);
}

/** Turns a docker host URL into an HTTP endpoint; TLS files come from `certDir` when given. */
DockerEndpoint fromHost(const std::string& host, const std::string& source, const QString& certDir, bool tlsVerify,
    const std::string& caFile)
{
    DockerEndpoint ep;
    ep.source = source;
    if (host.rfind("unix://", 0) == 0) {
        ep.http.unixSocket = host.substr(7);
        ep.http.baseUrl = "http://localhost";
        ep.display = host;
    } else if (host.rfind("tcp://", 0) == 0 || host.rfind("https://", 0) == 0 || host.rfind("http://", 0) == 0) {
        const std::string rest = host.substr(host.find("://") + 3);
        const auto at = rest.find('@');
        if (at != std::string::npos && at < rest.find('/'))
            throw ConnectorError("docker",
                "the Docker endpoint URL carries credentials; they are not used and never stored",
                "remove user:password@ from the URL: the Engine API authenticates with TLS client "
                "certificates (DOCKER_CERT_PATH)");
        const bool tls = host.rfind("https://", 0) == 0 || tlsVerify || !certDir.isEmpty();
        ep.http.baseUrl = (tls ? "https://" : "http://") + rest;
        ep.display = "tcp://" + rest;
        if (tls && !certDir.isEmpty()) {
            const QDir d(certDir);
            if (QFileInfo::exists(d.filePath(QStringLiteral("ca.pem"))))
                ep.http.caFile = d.filePath(QStringLiteral("ca.pem")).toStdString();
            if (QFileInfo::exists(d.filePath(QStringLiteral("cert.pem"))))
                ep.http.clientCert = d.filePath(QStringLiteral("cert.pem")).toStdString();
            if (QFileInfo::exists(d.filePath(QStringLiteral("key.pem"))))
                ep.http.clientKey = d.filePath(QStringLiteral("key.pem")).toStdString();
        }
    } else if (host.rfind("ssh://", 0) == 0) {
        throw ConnectorError("docker",
            "Docker endpoint " + withoutCredentials(host) + " uses ssh, which Layerguard does not tunnel",
            "forward the socket first (ssh -L /tmp/docker.sock:/var/run/docker.sock host) and use "
            "--docker unix:///tmp/docker.sock");
    } else {
        throw ConnectorError("docker", "unsupported Docker endpoint \"" + withoutCredentials(host) + "\"",
            "use unix:///path/to/docker.sock or tcp://host:2376");
    }
    if (!caFile.empty())
        ep.http.caFile = caFile;
    return ep;
}

DockerEndpoint fromContext(const std::string& name, const std::string& caFile)
{
    if (name == "default")
        return {};
    const QString hash = QString::fromLatin1(
        QCryptographicHash::hash(QByteArray::fromStdString(name), QCryptographicHash::Sha256).toHex());
    const QString base = dockerConfigDir() + QStringLiteral("/contexts");
    const auto meta = readJsonFile(base + QStringLiteral("/meta/") + hash + QStringLiteral("/meta.json"));
    const std::string host = text(path(meta, "Endpoints", "docker"), "Host");
    if (host.empty())
        throw ConnectorError("docker", "Docker context \"" + name + "\" was not found or has no docker endpoint",
            "list contexts with `docker context ls`, or pass --docker");
    const bool skipVerify = path(meta, "Endpoints", "docker", "SkipTLSVerify").is_boolean()
        && path(meta, "Endpoints", "docker", "SkipTLSVerify").get<bool>();
    const QString tlsDir = base + QStringLiteral("/tls/") + hash + QStringLiteral("/docker");
    // skip-tls-verify still speaks TLS (as the docker CLI does), without checking the engine's certificate.
    auto ep = fromHost(host, "context " + name, QDir(tlsDir).exists() ? tlsDir : QString(), skipVerify, caFile);
    ep.http.verifyTls = !skipVerify;
    return ep;
}

} // namespace

DockerEndpoint resolveDockerEndpoint(const std::string& explicitUrl, const std::string& caFile)
{
    QString certPath = QString::fromStdString(env("DOCKER_CERT_PATH"));
    const bool tlsVerify = !env("DOCKER_TLS_VERIFY").empty() && env("DOCKER_TLS_VERIFY") != "0";
    if (tlsVerify && certPath.isEmpty())
        certPath = dockerConfigDir(); // as the docker CLI: ~/.docker/{ca,cert,key}.pem
    if (!explicitUrl.empty())
        return fromHost(explicitUrl, "--docker", certPath, tlsVerify, caFile);
    if (const auto ctx = env("DOCKER_CONTEXT"); !ctx.empty()) {
        auto ep = fromContext(ctx, caFile);
        if (!ep.display.empty())
            return ep;
    }
    if (const auto host = env("DOCKER_HOST"); !host.empty())
        return fromHost(host, "DOCKER_HOST", certPath, tlsVerify, caFile);
    const auto config = readJsonFile(dockerConfigDir() + QStringLiteral("/config.json"));
    if (const std::string current = text(config, "currentContext"); !current.empty()) {
        auto ep = fromContext(current, caFile);
        if (!ep.display.empty())
            return ep;
    }
    std::vector<std::string> candidates { "/var/run/docker.sock" };
    if (const auto xdg = env("XDG_RUNTIME_DIR"); !xdg.empty()) {
        candidates.push_back(xdg + "/docker.sock");
        candidates.push_back(xdg + "/podman/podman.sock");
    }
    candidates.push_back("/run/podman/podman.sock");
    for (const auto& c : candidates) {
        if (QFileInfo::exists(QString::fromStdString(c)))
            return fromHost("unix://" + c, "default socket", {}, false, caFile);
    }
    throw ConnectorError("docker",
        "no Docker engine found (no DOCKER_HOST, no docker context, no socket at "
        "/var/run/docker.sock or in $XDG_RUNTIME_DIR)",
        "start Docker, or pass --docker unix:///path/to/docker.sock or tcp://host:2376");
}

std::string machineName()
{
    return QSysInfo::machineHostName().toStdString();
}

DockerConnector::DockerConnector(DockerEndpoint endpoint, std::string target, int connections)
    : m_endpoint(std::move(endpoint))
    , m_target(std::move(target))
    , m_connections(std::max(1, connections))
{
    if (m_target.empty()) {
        m_target = "docker:" + m_endpoint.display;
        setDefaultNamed(true);
    }
}

namespace {

/** Parses an answer or fails the source with the endpoint and the call named. */
nlohmann::json parseAnswer(const HttpResponse& r, const std::string& what, const std::string& target)
{
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded())
        throw ConnectorError(target, "the Docker engine answered malformed JSON for " + what,
            "is this endpoint really a Docker Engine API? check --docker");
    return j;
}

std::string apiMessage(const HttpResponse& r)
{
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    const std::string msg = text(j, "message");
    return msg.empty() ? r.body.substr(0, 200) : msg;
}

} // namespace

void DockerConnector::collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress)
{
    HttpClient client(m_endpoint.http, &cancel);
    auto call = [&](HttpClient& c, const std::string& path) {
        try {
            return c.get(path);
        } catch (const HttpError& e) {
            throw ConnectorError(m_target, e.what(), e.hint());
        }
    };

    // Negotiate: /version answers on every API version (unversioned path).
    const auto versionAnswer = call(client, "/version");
    if (versionAnswer.status != 200)
        throw ConnectorError(m_target,
            "the Docker engine at " + m_endpoint.display + " answered " + std::to_string(versionAnswer.status)
                + " to /version: " + apiMessage(versionAnswer),
            versionAnswer.status == 401 || versionAnswer.status == 403
                ? "the endpoint requires credentials Layerguard was not given"
                : "check that the endpoint is a Docker Engine API");
    const auto version = parseAnswer(versionAnswer, "/version", m_target);
    const std::string api = text(version, "ApiVersion");
    if (api.empty() || compareVersions(api, kMinApi) < 0)
        throw ConnectorError(m_target,
            "the Docker engine at " + m_endpoint.display + " speaks API " + (api.empty() ? "?" : api) + ", older than "
                + kMinApi + " (Docker 1.12)",
            "upgrade the engine; versions this old receive no security fixes");
    static const std::regex kApi("^[0-9]{1,2}\\.[0-9]{1,3}$");
    if (!std::regex_match(api, kApi))
        throw ConnectorError(m_target,
            "the Docker engine reported an unusable API version \"" + api.substr(0, 40) + "\"",
            "is this endpoint really a Docker Engine API?");
    const std::string prefix = "/v" + api;

    auto mustGet = [&](HttpClient& c, const std::string& path) {
        const auto r = call(c, prefix + path);
        if (r.status != 200)
            throw ConnectorError(m_target,
                "GET " + path + " answered " + std::to_string(r.status) + ": " + apiMessage(r),
                r.status == 400 ? "the engine rejected API version " + api + "; report this"
                                : "check the engine's logs");
        return parseAnswer(r, path, m_target);
    };

    auto emit = [&](Layer layer, const char* kind, std::string name, nlohmann::json data) {
        Resource res;
        res.layer = layer;
        res.target = m_target;
        res.kind = kind;
        res.name = std::move(name);
        res.origin = m_endpoint.display;
        res.data = std::move(data);
        sink(res);
    };

    // How the engine was reached: TLS verification turned off by a context is reported, never silent.
    const bool tcp = m_endpoint.display.starts_with("tcp://");
    if (tcp && !m_endpoint.http.verifyTls && progress)
        progress("docker " + m_endpoint.display + ": TLS verification is turned off (" + m_endpoint.source
            + "): the engine's certificate is not checked");
    emit(Layer::Runtime, "DockerConnection", m_endpoint.display,
        { { "endpoint", m_endpoint.display }, { "from", m_endpoint.source },
            { "tls", m_endpoint.http.baseUrl.starts_with("https") },
            { "tlsVerified", tcp ? nlohmann::json(m_endpoint.http.verifyTls) : nlohmann::json() } });

    auto info = mustGet(client, "/info");
    const std::string engineName = text(info, "Name", m_endpoint.display);
    emit(Layer::Runtime, "DockerVersion", engineName, version);
    emit(Layer::Runtime, "DockerInfo", engineName, info);
    if (progress)
        progress("docker " + m_endpoint.display + ": engine " + text(version, "Version") + ", API " + api);

    // Inspect in parallel on a few keep-alive connections; emit in order on this thread.
    // `tolerant`: an answer other than 200 skips the path instead of failing the source (what a container shows
    // while it runs: it may stop meanwhile).
    auto inspectAll
        = [&](const std::vector<std::string>& paths, const char* what, std::vector<std::optional<nlohmann::json>>& out,
              std::vector<std::string>& skipped, bool tolerant = false) {
              out.assign(paths.size(), std::nullopt);
              std::atomic<std::size_t> next { 0 };
              std::mutex lock;
              std::exception_ptr failure;
              auto worker = [&] {
                  try {
                      HttpClient c(m_endpoint.http, &cancel);
                      for (std::size_t i = next++; i < paths.size(); i = next++) {
                          if (cancel.load())
                              return;
                          const auto r = call(c, prefix + paths[i]);
                          if (r.status == 404 || (tolerant && r.status != 200)) {
                              std::lock_guard g(lock);
                              skipped.push_back(paths[i]);
                              continue;
                          }
                          if (r.status != 200)
                              throw ConnectorError(m_target,
                                  "GET " + paths[i] + " answered " + std::to_string(r.status) + ": " + apiMessage(r),
                                  "check the engine's logs");
                          out[i] = parseAnswer(r, paths[i], m_target);
                      }
                  } catch (...) {
                      std::lock_guard g(lock);
                      if (!failure)
                          failure = std::current_exception();
                      next = paths.size();
                  }
              };
              std::vector<std::thread> threads;
              const int n = std::min<int>(m_connections, int(paths.size()));
              try {
                  for (int t = 0; t < n; ++t)
                      threads.emplace_back(worker);
              } catch (const std::system_error&) {
                  if (threads.empty())
                      worker(); // no thread to be had: inspect on this one
              }
              for (auto& t : threads)
                  t.join();
              if (cancel.load())
                  throw Cancelled();
              if (failure)
                  std::rethrow_exception(failure);
              if (progress)
                  progress("docker " + m_endpoint.display + ": inspected "
                      + std::to_string(paths.size() - skipped.size()) + " " + what);
          };

    const auto containers = mustGet(client, "/containers/json?all=1");
    // Ids go into URL paths: only well-formed ones are used.
    static const std::regex kId("^(sha256:)?[0-9a-f]{12,64}$");
    std::vector<std::string> paths, ids;
    if (containers.is_array()) {
        for (const auto& c : containers) {
            const std::string id = text(c, "Id");
            if (std::regex_match(id, kId)) {
                ids.push_back(id);
                paths.push_back("/containers/" + id + "/json");
            }
        }
    }
    if (m_afterList)
        m_afterList(ids);
    std::vector<std::optional<nlohmann::json>> inspected;
    std::vector<std::string> skipped;
    inspectAll(paths, "containers", inspected, skipped);
    // What the daemon decides for every container, which `docker inspect` does not show: its security
    // options (AppArmor or SELinux, so those checks apply only where the host has them) and, on this machine's
    // engine, the daemon-wide no-new-privileges of daemon.json or dockerd's flags (null when it cannot be read).
    nlohmann::json daemon { { "securityOptions", member(info, "SecurityOptions") }, { "noNewPrivileges", nullptr } };
    if (m_endpoint.display.starts_with("unix://")) {
        const DockerDaemonConfig local = readDockerDaemonConfig("/", m_endpoint.display.substr(7));
        if (!local.commandLineFrom.empty() || local.fileReadable) {
            const auto& nnp = member(local.config, "no-new-privileges");
            daemon["noNewPrivileges"] = nnp.is_boolean() && nnp.get<bool>();
        }
    }
    // The processes of each running container (GET /containers/{id}/top, as `docker top` shows them): CIS 5.7 looks
    // for sshd there. A stopped container, or one that stops meanwhile, shows none: not observed.
    std::vector<std::string> topPaths;
    std::vector<std::size_t> topOf;
    for (std::size_t i = 0; i < inspected.size(); ++i)
        if (inspected[i] && path(*inspected[i], "State", "Running").is_boolean()
            && path(*inspected[i], "State", "Running").get<bool>()) {
            topPaths.push_back("/containers/" + ids[i] + "/top");
            topOf.push_back(i);
        }
    std::vector<std::optional<nlohmann::json>> tops;
    std::vector<std::string> topSkipped;
    inspectAll(topPaths, "container process lists", tops, topSkipped, true);
    std::vector<nlohmann::json> processes(inspected.size());
    for (std::size_t k = 0; k < tops.size(); ++k) {
        if (!tops[k])
            continue;
        // the command column, whatever its place; at most 500 processes, each cut at 512 bytes
        const auto& titles = member(*tops[k], "Titles");
        std::size_t column = std::string::npos;
        for (std::size_t c = 0; titles.is_array() && c < titles.size(); ++c)
            if (titles[c] == "CMD" || titles[c] == "COMMAND")
                column = c;
        nlohmann::json list = nlohmann::json::array();
        for (const auto& row : member(*tops[k], "Processes"))
            if (column != std::string::npos && row.is_array() && column < row.size() && row[column].is_string()
                && list.size() < 500)
                list.push_back(row[column].get<std::string>().substr(0, 512));
        if (column != std::string::npos)
            processes[topOf[k]] = std::move(list);
    }
    // The exec sessions running in each container (ExecIDs, then GET /exec/{id}/json): CIS 5.23 and 5.24 look for
    // privileged and root ones. Only sessions the engine still runs are shown; finished ones are gone.
    std::vector<std::string> execPaths;
    std::vector<std::size_t> execOf;
    for (std::size_t i = 0; i < inspected.size(); ++i)
        if (inspected[i])
            for (const auto& e : member(*inspected[i], "ExecIDs"))
                if (e.is_string() && std::regex_match(e.get<std::string>(), kId) && execPaths.size() < 10000) {
                    execPaths.push_back("/exec/" + e.get<std::string>() + "/json");
                    execOf.push_back(i);
                }
    std::vector<std::optional<nlohmann::json>> execs;
    std::vector<std::string> execSkipped;
    inspectAll(execPaths, "exec sessions", execs, execSkipped, true);
    std::vector<nlohmann::json> sessions(inspected.size(), nlohmann::json::array());
    for (std::size_t k = 0; k < execs.size(); ++k) {
        if (!execs[k] || !member(*execs[k], "Running").is_boolean() || !member(*execs[k], "Running").get<bool>())
            continue;
        const auto& process = member(*execs[k], "ProcessConfig");
        std::string command = text(process, "entrypoint");
        for (const auto& a : member(process, "arguments"))
            if (a.is_string())
                command += " " + a.get<std::string>();
        sessions[execOf[k]].push_back(
            { { "privileged", member(process, "privileged").is_boolean() && member(process, "privileged").get<bool>() },
                { "user", text(process, "user") }, { "command", command.substr(0, 512) } });
    }
    for (std::size_t i = 0; i < inspected.size(); ++i) {
        auto& c = inspected[i];
        if (!c || !c->is_object())
            continue;
        (*c)["Layerguard"] = { { "daemon", daemon }, { "execs", std::move(sessions[i]) } };
        if (!processes[i].is_null())
            (*c)["Layerguard"]["processes"] = std::move(processes[i]);
        std::string name = text(*c, "Name");
        if (!name.empty() && name[0] == '/')
            name.erase(0, 1);
        emit(Layer::Runtime, "DockerContainer", name.empty() ? text(*c, "Id") : name, std::move(*c));
    }
    if (!skipped.empty() && progress)
        progress("docker " + m_endpoint.display + ": " + std::to_string(skipped.size())
            + " container(s) disappeared during the scan and were skipped");

    const auto images = mustGet(client, "/images/json");
    paths.clear();
    std::vector<std::string> historyPaths;
    if (images.is_array()) {
        for (const auto& i : images) {
            const std::string id = text(i, "Id");
            if (std::regex_match(id, kId)) {
                paths.push_back("/images/" + id + "/json");
                historyPaths.push_back("/images/" + id + "/history");
            }
        }
    }
    std::vector<std::optional<nlohmann::json>> imageInspect, imageHistory;
    std::vector<std::string> skippedImages, skippedHistory;
    inspectAll(paths, "images", imageInspect, skippedImages);
    inspectAll(historyPaths, "image histories", imageHistory, skippedHistory);
    for (std::size_t i = 0; i < imageInspect.size(); ++i) {
        if (!imageInspect[i])
            continue;
        if (!imageInspect[i]->is_object())
            continue;
        nlohmann::json data = std::move(*imageInspect[i]);
        nlohmann::json history = nlohmann::json::array();
        if (imageHistory[i] && imageHistory[i]->is_array()) {
            // The API lists newest first; the image config lists oldest first. Keep the config's order.
            for (auto it = imageHistory[i]->rbegin(); it != imageHistory[i]->rend(); ++it)
                history.push_back({ { "CreatedBy", text(*it, "CreatedBy") }, { "Created", member(*it, "Created") } });
        }
        data["History"] = std::move(history);
        const auto& tags = member(data, "RepoTags");
        const std::string name = tags.is_array() && !tags.empty() ? scalarText(tags[0]) : text(data, "Id");
        emit(Layer::Image, "DockerImage", name, std::move(data));
    }
}

} // namespace lg
