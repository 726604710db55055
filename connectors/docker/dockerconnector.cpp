#include "connectors/docker/dockerconnector.h"

#include "connectors/docker/imageexport.h"
#include "connectors/host/dockerdaemon.h"
#include "core/jsonutil.h"
#include "core/predicate.h"

#include <QString>
#include <QSysInfo>

#include <atomic>
#include <chrono>
#include <mutex>
#include <regex>
#include <system_error>
#include <thread>

namespace lg {

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

/** Container, image and exec ids go into URL paths: only well-formed ones are used. */
bool wellFormedId(const std::string& id)
{
    static const std::regex kId("^(sha256:)?[0-9a-f]{12,64}$");
    return std::regex_match(id, kId);
}

/** What a batch of inspections gave: an answer per path (none when skipped), and the paths skipped. */
struct Inspected {
    std::vector<std::optional<nlohmann::json>> answers;
    std::vector<std::string> skipped;
};

/**
 * One scan of one engine: the API version negotiated, how the engine was reached, /info and /version, every
 * container (inspect, running processes, exec sessions, the daemon's own settings), then every image.
 */
class DockerScan {
public:
    DockerScan(const DockerEndpoint& endpoint, const std::string& target, int connections,
        const DockerImageFilesOption& imageFiles, const std::function<void(const std::vector<std::string>&)>& afterList,
        const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress)
        : m_endpoint(endpoint)
        , m_target(target)
        , m_connections(connections)
        , m_imageFiles(imageFiles)
        , m_afterList(afterList)
        , m_sink(sink)
        , m_cancel(cancel)
        , m_progress(progress)
        , m_client(endpoint.http, &cancel)
    {
    }
    void run();

private:
    HttpResponse call(HttpClient& c, const std::string& path) const;
    nlohmann::json negotiate();
    nlohmann::json mustGet(HttpClient& c, const std::string& path) const;
    void emit(Layer layer, const char* kind, std::string name, nlohmann::json data) const;
    void connection() const;
    Inspected inspectAll(const std::vector<std::string>& paths, const char* what, bool tolerant = false) const;
    void containers(const nlohmann::json& info);
    [[nodiscard]] nlohmann::json daemonSettings(const nlohmann::json& info) const;
    std::vector<nlohmann::json> processLists(
        const std::vector<std::optional<nlohmann::json>>& inspected, const std::vector<std::string>& ids) const;
    std::vector<nlohmann::json> execSessions(const std::vector<std::optional<nlohmann::json>>& inspected) const;
    void images();
    [[nodiscard]] nlohmann::json imageFiles(const std::string& id, std::size_t done, std::size_t total) const;
    void say(const std::string& line) const
    {
        if (m_progress)
            m_progress(line);
    }

    const DockerEndpoint& m_endpoint;
    const std::string& m_target;
    const int m_connections;
    const DockerImageFilesOption& m_imageFiles;
    const std::function<void(const std::vector<std::string>&)>& m_afterList;
    const ResourceSink& m_sink;
    const CancelToken& m_cancel;
    const ProgressFn& m_progress;
    HttpClient m_client;
    std::string m_api; ///< the engine's API version, "1.43"
    std::string m_prefix; ///< "/v1.43"
};

void DockerScan::run()
{
    const auto version = negotiate();
    connection();
    auto info = mustGet(m_client, "/info");
    const std::string engineName = text(info, "Name", m_endpoint.display);
    emit(Layer::Runtime, "DockerVersion", engineName, version);
    emit(Layer::Runtime, "DockerInfo", engineName, info);
    say("docker " + m_endpoint.display + ": engine " + text(version, "Version") + ", API " + m_api);
    containers(info);
    images();
}

HttpResponse DockerScan::call(HttpClient& c, const std::string& path) const
{
    try {
        return c.get(path);
    } catch (const HttpError& e) {
        throw ConnectorError(m_target, e.what(), e.hint());
    }
}

/** /version answers on every API version (unversioned path): the engine's API, refused when too old. */
nlohmann::json DockerScan::negotiate()
{
    const auto versionAnswer = call(m_client, "/version");
    if (versionAnswer.status != 200)
        throw ConnectorError(m_target,
            "the Docker engine at " + m_endpoint.display + " answered " + std::to_string(versionAnswer.status)
                + " to /version: " + apiMessage(versionAnswer),
            versionAnswer.status == 401 || versionAnswer.status == 403
                ? "the endpoint requires credentials Layerguard was not given"
                : "check that the endpoint is a Docker Engine API");
    auto version = parseAnswer(versionAnswer, "/version", m_target);
    m_api = text(version, "ApiVersion");
    if (m_api.empty() || compareVersions(m_api, DockerConnector::kMinApi) < 0)
        throw ConnectorError(m_target,
            "the Docker engine at " + m_endpoint.display + " speaks API " + (m_api.empty() ? "?" : m_api)
                + ", older than " + DockerConnector::kMinApi + " (Docker 1.12)",
            "upgrade the engine; versions this old receive no security fixes");
    static const std::regex kApi("^[0-9]{1,2}\\.[0-9]{1,3}$");
    if (!std::regex_match(m_api, kApi))
        throw ConnectorError(m_target,
            "the Docker engine reported an unusable API version \"" + m_api.substr(0, 40) + "\"",
            "is this endpoint really a Docker Engine API?");
    m_prefix = "/v" + m_api;
    return version;
}

nlohmann::json DockerScan::mustGet(HttpClient& c, const std::string& path) const
{
    const auto r = call(c, m_prefix + path);
    if (r.status != 200)
        throw ConnectorError(m_target, "GET " + path + " answered " + std::to_string(r.status) + ": " + apiMessage(r),
            r.status == 400 ? "the engine rejected API version " + m_api + "; report this" : "check the engine's logs");
    return parseAnswer(r, path, m_target);
}

void DockerScan::emit(Layer layer, const char* kind, std::string name, nlohmann::json data) const
{
    Resource res;
    res.layer = layer;
    res.target = m_target;
    res.kind = kind;
    res.name = std::move(name);
    res.origin = m_endpoint.display;
    res.data = std::move(data);
    m_sink(res);
}

/** How the engine was reached: TLS verification turned off by a context is reported, never silent. */
void DockerScan::connection() const
{
    const bool tcp = m_endpoint.display.starts_with("tcp://");
    if (tcp && !m_endpoint.http.verifyTls)
        say("docker " + m_endpoint.display + ": TLS verification is turned off (" + m_endpoint.source
            + "): the engine's certificate is not checked");
    emit(Layer::Runtime, "DockerConnection", m_endpoint.display,
        { { "endpoint", m_endpoint.display }, { "from", m_endpoint.source },
            { "tls", m_endpoint.http.baseUrl.starts_with("https") },
            { "tlsVerified", tcp ? nlohmann::json(m_endpoint.http.verifyTls) : nlohmann::json() } });
}

/**
 * Inspects `paths` in parallel on a few keep-alive connections; the answers keep the paths' order. `tolerant`: an
 * answer other than 200 skips the path instead of failing the source (what a container shows while it runs: it
 * may stop meanwhile).
 */
Inspected DockerScan::inspectAll(const std::vector<std::string>& paths, const char* what, bool tolerant) const
{
    Inspected result;
    result.answers.assign(paths.size(), std::nullopt);
    std::atomic<std::size_t> next { 0 };
    std::mutex lock;
    std::exception_ptr failure;
    auto worker = [&] {
        try {
            HttpClient c(m_endpoint.http, &m_cancel);
            for (std::size_t i = next++; i < paths.size(); i = next++) {
                if (m_cancel.load())
                    return;
                const auto r = call(c, m_prefix + paths[i]);
                if (r.status == 404 || (tolerant && r.status != 200)) {
                    std::lock_guard g(lock);
                    result.skipped.push_back(paths[i]);
                    continue;
                }
                if (r.status != 200)
                    throw ConnectorError(m_target,
                        "GET " + paths[i] + " answered " + std::to_string(r.status) + ": " + apiMessage(r),
                        "check the engine's logs");
                result.answers[i] = parseAnswer(r, paths[i], m_target);
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
    if (m_cancel.load())
        throw Cancelled();
    if (failure)
        std::rethrow_exception(failure);
    say("docker " + m_endpoint.display + ": inspected " + std::to_string(paths.size() - result.skipped.size()) + " "
        + what);
    return result;
}

/** Every container: its inspect, with what the engine decides for it and what runs in it (under "Layerguard"). */
void DockerScan::containers(const nlohmann::json& info)
{
    const auto list = mustGet(m_client, "/containers/json?all=1");
    std::vector<std::string> paths, ids;
    if (list.is_array()) {
        for (const auto& c : list) {
            const std::string id = text(c, "Id");
            if (wellFormedId(id)) {
                ids.push_back(id);
                paths.push_back("/containers/" + id + "/json");
            }
        }
    }
    if (m_afterList)
        m_afterList(ids);
    Inspected inspected = inspectAll(paths, "containers");
    const nlohmann::json daemon = daemonSettings(info);
    std::vector<nlohmann::json> processes = processLists(inspected.answers, ids);
    std::vector<nlohmann::json> sessions = execSessions(inspected.answers);
    for (std::size_t i = 0; i < inspected.answers.size(); ++i) {
        auto& c = inspected.answers[i];
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
    if (!inspected.skipped.empty())
        say("docker " + m_endpoint.display + ": " + std::to_string(inspected.skipped.size())
            + " container(s) disappeared during the scan and were skipped");
}

/**
 * What the daemon decides for every container, which `docker inspect` does not show: its security options
 * (AppArmor or SELinux, so those checks apply only where the host has them) and, on this machine's engine, the
 * daemon-wide no-new-privileges of daemon.json or dockerd's flags (null when it cannot be read).
 */
nlohmann::json DockerScan::daemonSettings(const nlohmann::json& info) const
{
    nlohmann::json daemon { { "securityOptions", member(info, "SecurityOptions") }, { "noNewPrivileges", nullptr } };
    if (m_endpoint.display.starts_with("unix://")) {
        const DockerDaemonConfig local = readDockerDaemonConfig("/", m_endpoint.display.substr(7));
        if (!local.commandLineFrom.empty() || local.fileReadable) {
            const auto& nnp = member(local.config, "no-new-privileges");
            daemon["noNewPrivileges"] = nnp.is_boolean() && nnp.get<bool>();
        }
    }
    return daemon;
}

/**
 * The processes of each running container (GET /containers/{id}/top, as `docker top` shows them): CIS 5.7 looks
 * for sshd there. A stopped container, or one that stops meanwhile, shows none (null): not observed.
 */
std::vector<nlohmann::json> DockerScan::processLists(
    const std::vector<std::optional<nlohmann::json>>& inspected, const std::vector<std::string>& ids) const
{
    std::vector<std::string> topPaths;
    std::vector<std::size_t> topOf;
    for (std::size_t i = 0; i < inspected.size(); ++i)
        if (inspected[i] && path(*inspected[i], "State", "Running").is_boolean()
            && path(*inspected[i], "State", "Running").get<bool>()) {
            topPaths.push_back("/containers/" + ids[i] + "/top");
            topOf.push_back(i);
        }
    const Inspected tops = inspectAll(topPaths, "container process lists", true);
    std::vector<nlohmann::json> processes(inspected.size());
    for (std::size_t k = 0; k < tops.answers.size(); ++k) {
        if (!tops.answers[k])
            continue;
        // the command column, whatever its place; at most 500 processes, each cut at 512 bytes
        const auto& titles = member(*tops.answers[k], "Titles");
        std::size_t column = std::string::npos;
        for (std::size_t c = 0; titles.is_array() && c < titles.size(); ++c)
            if (titles[c] == "CMD" || titles[c] == "COMMAND")
                column = c;
        nlohmann::json list = nlohmann::json::array();
        for (const auto& row : member(*tops.answers[k], "Processes"))
            if (column != std::string::npos && row.is_array() && column < row.size() && row[column].is_string()
                && list.size() < 500)
                list.push_back(row[column].get<std::string>().substr(0, 512));
        if (column != std::string::npos)
            processes[topOf[k]] = std::move(list);
    }
    return processes;
}

/**
 * The exec sessions running in each container (ExecIDs, then GET /exec/{id}/json): CIS 5.23 and 5.24 look for
 * privileged and root ones. Only sessions the engine still runs are shown; finished ones are gone.
 */
std::vector<nlohmann::json> DockerScan::execSessions(const std::vector<std::optional<nlohmann::json>>& inspected) const
{
    std::vector<std::string> execPaths;
    std::vector<std::size_t> execOf;
    for (std::size_t i = 0; i < inspected.size(); ++i)
        if (inspected[i])
            for (const auto& e : member(*inspected[i], "ExecIDs"))
                if (e.is_string() && wellFormedId(e.get<std::string>()) && execPaths.size() < 10000) {
                    execPaths.push_back("/exec/" + e.get<std::string>() + "/json");
                    execOf.push_back(i);
                }
    const Inspected execs = inspectAll(execPaths, "exec sessions", true);
    std::vector<nlohmann::json> sessions(inspected.size(), nlohmann::json::array());
    for (std::size_t k = 0; k < execs.answers.size(); ++k) {
        const auto& exec = execs.answers[k];
        if (!exec || !member(*exec, "Running").is_boolean() || !member(*exec, "Running").get<bool>())
            continue;
        const auto& process = member(*exec, "ProcessConfig");
        std::string command = text(process, "entrypoint");
        for (const auto& a : member(process, "arguments"))
            if (a.is_string())
                command += " " + a.get<std::string>();
        sessions[execOf[k]].push_back(
            { { "privileged", member(process, "privileged").is_boolean() && member(process, "privileged").get<bool>() },
                { "user", text(process, "user") }, { "command", command.substr(0, 512) } });
    }
    return sessions;
}

/** Every image: its inspect, with its history in the image config's order (oldest first). */
void DockerScan::images()
{
    const auto images = mustGet(m_client, "/images/json");
    std::vector<std::string> paths, historyPaths;
    if (images.is_array()) {
        for (const auto& i : images) {
            const std::string id = text(i, "Id");
            if (wellFormedId(id)) {
                paths.push_back("/images/" + id + "/json");
                historyPaths.push_back("/images/" + id + "/history");
            }
        }
    }
    Inspected imageInspect = inspectAll(paths, "images");
    const Inspected imageHistory = inspectAll(historyPaths, "image histories");
    const auto started = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < imageInspect.answers.size(); ++i) {
        if (!imageInspect.answers[i] || !imageInspect.answers[i]->is_object())
            continue;
        nlohmann::json data = std::move(*imageInspect.answers[i]);
        nlohmann::json history = nlohmann::json::array();
        const auto& api = imageHistory.answers[i];
        if (api && api->is_array()) {
            // The API lists newest first; the image config lists oldest first. Keep the config's order.
            for (auto it = api->rbegin(); it != api->rend(); ++it)
                history.push_back({ { "CreatedBy", text(*it, "CreatedBy") }, { "Created", member(*it, "Created") } });
        }
        data["History"] = std::move(history);
        if (m_imageFiles.read)
            data["Layerguard"]["files"] = imageFiles(text(data, "Id"), i, imageInspect.answers.size());
        const auto& tags = member(data, "RepoTags");
        const std::string name = tags.is_array() && !tags.empty() ? scalarText(tags[0]) : text(data, "Id");
        emit(Layer::Image, "DockerImage", name, std::move(data));
    }
    if (m_imageFiles.read && m_progress) {
        const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        m_progress(Progress("docker " + m_endpoint.display + ": read the files of "
                + std::to_string(imageInspect.answers.size()) + " image(s) in "
                + QString::number(seconds, 'f', 1).toStdString() + " s",
            std::int64_t(imageInspect.answers.size()), std::int64_t(imageInspect.answers.size())));
    }
}

/**
 * CIS 4.8: the image's setuid and setgid files, from its export streamed through ImageFilesReader (never held).
 * One image at a time: an export keeps the engine busy writing it. A failed export leaves the image not read.
 */
nlohmann::json DockerScan::imageFiles(const std::string& id, std::size_t done, std::size_t total) const
{
    if (m_cancel.load())
        throw Cancelled();
    if (!wellFormedId(id))
        return { { "read", false }, { "error", "the engine gave no usable image id" } };
    if (m_progress)
        m_progress(Progress("docker " + m_endpoint.display + ": reading the files of image " + id.substr(0, 19),
            std::int64_t(done), std::int64_t(total)));
    const ImageFiles files
        = exportImageFiles(m_endpoint.http, m_prefix + "/images/" + id + "/get", m_imageFiles.limits, m_cancel);
    if (!files.read)
        say("docker " + m_endpoint.display + ": the files of image " + id.substr(0, 19)
            + " were not read: " + files.error);
    return files.toJson();
}

} // namespace

void DockerConnector::collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress)
{
    DockerScan(m_endpoint, m_target, m_connections, m_imageFiles, m_afterList, sink, cancel, progress).run();
}

} // namespace lg
