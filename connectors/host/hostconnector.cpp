#include "connectors/host/hostconnector.h"

#include "connectors/host/dockerdaemon.h"
#include "core/files.h"
#include "core/jsonutil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSysInfo>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace lg {

namespace {

/** Docker's files that CIS Docker 1.6.0 section 1 (audit) and 3 (ownership / mode) look at. */
const std::vector<std::string>& dockerFiles()
{
    static const std::vector<std::string> files {
        "/usr/bin/dockerd",
        "/run/containerd",
        "/var/lib/docker",
        "/etc/docker",
        "/lib/systemd/system/docker.service",
        "/run/containerd/containerd.sock",
        "/lib/systemd/system/docker.socket",
        "/etc/default/docker",
        "/etc/docker/daemon.json",
        "/etc/containerd/config.toml",
        "/etc/sysconfig/docker",
        "/usr/bin/containerd",
        "/usr/bin/containerd-shim",
        "/usr/bin/containerd-shim-runc-v1",
        "/usr/bin/containerd-shim-runc-v2",
        "/usr/bin/runc",
        "/var/run/docker.sock",
    };
    return files;
}

std::string userName(unsigned uid)
{
    if (const passwd* pw = getpwuid(uid))
        return pw->pw_name;
    return std::to_string(uid);
}

std::string groupName(unsigned gid)
{
    if (const group* gr = getgrgid(gid))
        return gr->gr_name;
    return std::to_string(gid);
}

nlohmann::json fileInfo(const std::string& root, const std::string& path)
{
    struct stat st { };
    const std::string full = root == "/" ? path : root + path;
    if (::lstat(full.c_str(), &st) != 0)
        return { { "path", path }, { "exists", false } };
    bool symlink = false;
    if (S_ISLNK(st.st_mode)) {
        // Judge what the link points to, as stat(1) in docker-bench does; absolute targets stay in the root.
        symlink = true;
        char target[4096];
        const ssize_t n = ::readlink(full.c_str(), target, sizeof target - 1);
        std::string resolved = full;
        if (n > 0) {
            target[n] = '\0';
            resolved = target[0] == '/' ? (root == "/" ? std::string(target) : root + target)
                                        : full.substr(0, full.rfind('/') + 1) + target;
        }
        if (::stat(resolved.c_str(), &st) != 0)
            return { { "path", path }, { "exists", false }, { "danglingSymlink", true } };
    }
    char octal[8];
    std::snprintf(octal, sizeof octal, "%o", unsigned(st.st_mode & 07777));
    return { { "path", path }, { "exists", true }, { "uid", st.st_uid }, { "gid", st.st_gid },
        { "owner", userName(st.st_uid) }, { "group", groupName(st.st_gid) },
        { "ownership", userName(st.st_uid) + ":" + groupName(st.st_gid) }, { "mode", std::string(octal) },
        { "type",
            S_ISDIR(st.st_mode)        ? "directory"
                : S_ISSOCK(st.st_mode) ? "socket"
                                       : "file" },
        { "viaSymlink", symlink } };
}

std::map<std::string, std::string> readOsRelease(const std::string& root)
{
    std::map<std::string, std::string> out;
    for (const char* candidate : { "/etc/os-release", "/usr/lib/os-release" }) {
        std::string text;
        try { // a root may be any filesystem (an image's): a link to a device here must not be read for ever
            text = readRegularFile((root == "/" ? std::string() : root) + candidate, 64u << 10);
        } catch (const FileReadError&) {
            continue;
        }
        for (const auto& raw : QString::fromStdString(text).split(QLatin1Char('\n'))) {
            const QString line = raw.trimmed();
            const auto eq = line.indexOf(QLatin1Char('='));
            if (eq <= 0 || line.startsWith(QLatin1Char('#')))
                continue;
            QString value = line.mid(eq + 1);
            if (value.size() >= 2 && (value.startsWith(QLatin1Char('"')) || value.startsWith(QLatin1Char('\''))))
                value = value.mid(1, value.size() - 2);
            out[line.left(eq).toStdString()] = value.toStdString();
        }
        break;
    }
    return out;
}

/** Audit rules from auditd's rule files (auditctl needs root; the files are the persistent truth). */
std::string readAuditRules(const std::string& root, bool* readable)
{
    std::string text;
    *readable = false;
    const QString base = QString::fromStdString(root == "/" ? std::string() : root);
    auto add = [&](const QString& file) {
        try {
            text += "\n" + readRegularFile(file.toStdString(), 4u << 20);
            *readable = true;
        } catch (const FileReadError&) {
            // unreadable (auditd keeps its rules root-only): the rules that need them say "not observed"
        }
    };
    if (QFileInfo::exists(base + QStringLiteral("/etc/audit/audit.rules")))
        add(base + QStringLiteral("/etc/audit/audit.rules"));
    QDir dir(base + QStringLiteral("/etc/audit/rules.d"));
    for (const auto& info : dir.entryInfoList({ QStringLiteral("*.rules") }, QDir::Files, QDir::Name))
        add(info.absoluteFilePath());
    return text;
}

bool ruleMentions(const std::string& rules, const std::string& path)
{
    std::size_t pos = 0;
    while ((pos = rules.find(path, pos)) != std::string::npos) {
        const std::size_t end = pos + path.size();
        // the path must end there (not be a prefix of a longer path) and the line must not be a comment
        const bool boundary = end >= rules.size() || rules[end] == ' ' || rules[end] == '\t' || rules[end] == '\n';
        const std::size_t lineStart = rules.rfind('\n', pos);
        const std::size_t first = rules.find_first_not_of(" \t", lineStart == std::string::npos ? 0 : lineStart + 1);
        if (boundary && first != std::string::npos && rules[first] != '#')
            return true;
        pos = end;
    }
    return false;
}

/** Docker's files as fileInfo() sees them; `installed`: the engine's binary, configuration folder or socket exists. */
nlohmann::json dockerFileInfos(const std::string& root, bool& installed)
{
    nlohmann::json files = nlohmann::json::object();
    for (const auto& path : dockerFiles()) {
        auto info = fileInfo(root, path);
        if (info["exists"].get<bool>()
            && (path == "/usr/bin/dockerd" || path == "/etc/docker" || path == "/var/run/docker.sock"))
            installed = true;
        files[path] = std::move(info);
    }
    return files;
}

/** Registry certificates (CIS 3.7 / 3.8): every file below /etc/docker/certs.d. */
nlohmann::json registryCertificates(const std::string& root)
{
    nlohmann::json certs = nlohmann::json::array();
    const std::string certRoot = (root == "/" ? std::string() : root) + "/etc/docker/certs.d";
    QDir certDir(QString::fromStdString(certRoot));
    if (certDir.exists()) {
        for (const auto& sub : certDir.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            for (const auto& f : QDir(sub.absoluteFilePath()).entryInfoList(QDir::Files)) {
                const std::string rel
                    = "/etc/docker/certs.d/" + sub.fileName().toStdString() + "/" + f.fileName().toStdString();
                certs.push_back(fileInfo(root, rel));
            }
        }
    }
    return certs;
}

/** For each of Docker's files (but the socket): whether it exists and an audit rule watches it. */
nlohmann::json auditCoverage(const std::string& root, nlohmann::json& files, bool& readable)
{
    const std::string rules = readAuditRules(root, &readable);
    nlohmann::json audit = nlohmann::json::object();
    for (const auto& path : dockerFiles()) {
        if (path == "/var/run/docker.sock")
            continue;
        audit[path] = { { "exists", files[path]["exists"] }, { "audited", ruleMentions(rules, path) } };
    }
    return audit;
}

/** Is Docker's data root its own mount point (CIS 1.1.1)? */
bool dataRootSeparate(const std::string& root)
{
    bool separatePartition = false;
    QFile mounts(QString::fromStdString((root == "/" ? std::string() : root) + "/proc/mounts"));
    if (mounts.open(QIODevice::ReadOnly)) {
        while (!mounts.atEnd()) {
            const auto fields = QString::fromUtf8(mounts.readLine()).split(QLatin1Char(' '));
            if (fields.size() > 1 && fields[1] == QLatin1String("/var/lib/docker"))
                separatePartition = true;
        }
    }
    return separatePartition;
}

/**
 * Members of the docker group (CIS 1.1.2): each can run anything as root through the engine. Null when
 * /etc/group cannot be read.
 */
nlohmann::json dockerGroupMembers(const std::string& root)
{
    nlohmann::json dockerGroup = nullptr;
    try {
        const std::string groups = readRegularFile((root == "/" ? std::string() : root) + "/etc/group", 4u << 20);
        dockerGroup = nlohmann::json::array();
        std::size_t pos = 0;
        while (pos < groups.size()) {
            const std::size_t end = std::min(groups.find('\n', pos), groups.size());
            const std::string line = groups.substr(pos, end - pos);
            pos = end + 1;
            if (!line.starts_with("docker:"))
                continue;
            const std::size_t members = line.rfind(':');
            std::size_t at = members + 1;
            while (at < line.size()) {
                const std::size_t comma = std::min(line.find(',', at), line.size());
                if (comma > at)
                    dockerGroup.push_back(line.substr(at, comma - at));
                at = comma + 1;
            }
        }
    } catch (const std::exception&) {
        dockerGroup = nullptr; // unreadable: not observed
    }
    return dockerGroup;
}

/** daemon.json and dockerd's own flags, the flag winning (as docker-bench reads them), and the TLS files named. */
void addDaemonResources(const std::string& root, const std::string& hostname, nlohmann::json& resources)
{
    const DockerDaemonConfig daemon = readDockerDaemonConfig(root);
    // The TLS CA, certificate and key dockerd is configured with (CIS 3.9-3.14: their owner and mode).
    for (const auto& [key, role] :
        { std::pair { "tlscacert", "ca" }, std::pair { "tlscert", "cert" }, std::pair { "tlskey", "key" } }) {
        const auto it = daemon.config.find(key);
        if (it == daemon.config.end() || !it->is_string() || it->get<std::string>().empty()
            || it->get<std::string>().front() != '/')
            continue;
        auto info = fileInfo(root, it->get<std::string>());
        if (!info["exists"].get<bool>())
            continue;
        info["dockerTls"] = role;
        resources.push_back(
            { { "kind", "HostFile" }, { "layer", "host" }, { "name", info["path"] }, { "data", std::move(info) } });
    }
    resources.push_back({ { "kind", "DockerDaemonConfig" }, { "layer", "runtime" }, { "name", "daemon.json" },
        { "data",
            { { "metadata", { { "name", hostname } } }, { "source", daemon.file }, { "readable", daemon.fileReadable },
                { "valid", daemon.fileValid }, { "config", daemon.config }, { "configSources", daemon.sources },
                { "commandLine", daemon.commandLine }, { "commandLineFrom", daemon.commandLineFrom } } } });
}

} // namespace

std::string HostConnector::identity() const
{
    if (!m_snapshot.empty())
        return "host-snapshot:" + QFileInfo(QString::fromStdString(m_snapshot)).absoluteFilePath().toStdString();
    QFile id(QString::fromStdString((m_root == "/" ? std::string() : m_root) + "/etc/machine-id"));
    if (id.open(QIODevice::ReadOnly))
        if (const QByteArray machine = id.read(64).trimmed(); !machine.isEmpty())
            return "host:" + machine.toStdString();
    return "host:" + QSysInfo::machineHostName().toStdString() + ":" + m_root;
}

HostConnector::HostConnector(std::string root, std::string target, std::string snapshotFile)
    : m_root(std::move(root))
    , m_target(std::move(target))
    , m_snapshot(std::move(snapshotFile))
{
    if (m_target.empty()) {
        m_target = "host:" + QSysInfo::machineHostName().toStdString();
        setDefaultNamed(true);
    }
}

nlohmann::json HostConnector::readLive() const
{
    nlohmann::json resources = nlohmann::json::array();
    const auto os = readOsRelease(m_root);
    utsname uts {};
    ::uname(&uts);
    const std::string hostname = QSysInfo::machineHostName().toStdString();

    bool dockerInstalled = false;
    nlohmann::json files = dockerFileInfos(m_root, dockerInstalled);
    nlohmann::json certs = registryCertificates(m_root);
    bool auditReadable = false;
    const nlohmann::json audit = auditCoverage(m_root, files, auditReadable);
    const bool separatePartition = dataRootSeparate(m_root);
    const nlohmann::json dockerGroup = dockerGroupMembers(m_root);

    nlohmann::json host { { "metadata", { { "name", hostname } } },
        { "os",
            { { "id", os.count("ID") ? os.at("ID") : "" },
                { "versionId", os.count("VERSION_ID") ? os.at("VERSION_ID") : "" },
                { "prettyName", os.count("PRETTY_NAME") ? os.at("PRETTY_NAME") : "" } } },
        { "kernel", { { "release", std::string(uts.release) }, { "machine", std::string(uts.machine) } } },
        { "docker",
            { { "installed", dockerInstalled }, { "dataRootSeparatePartition", separatePartition },
                { "groupMembers", dockerGroup }, { "dataRootExists", files["/var/lib/docker"]["exists"] } } },
        { "audit", { { "rulesReadable", auditReadable }, { "paths", audit } } } };
    resources.push_back({ { "kind", "Host" }, { "layer", "host" }, { "name", hostname }, { "data", host } });

    for (auto& [path, info] : files.items()) {
        if (!info["exists"].get<bool>())
            continue;
        resources.push_back({ { "kind", "HostFile" }, { "layer", "host" }, { "name", path }, { "data", info } });
    }
    for (auto& info : certs)
        resources.push_back(
            { { "kind", "HostFile" }, { "layer", "host" }, { "name", info["path"] }, { "data", info } });
    if (dockerInstalled)
        addDaemonResources(m_root, hostname, resources);
    return { { "resources", resources } };
}

void HostConnector::collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress)
{
    nlohmann::json snapshot;
    if (!m_snapshot.empty()) {
        try {
            snapshot = nlohmann::json::parse(readRegularFile(m_snapshot, 64u << 20), nullptr, false);
        } catch (const FileReadError& e) {
            throw ConnectorError(m_target, std::string("host snapshot: ") + e.what(), "check the file");
        }
        if (!snapshot.is_object() || !snapshot.contains("resources"))
            throw ConnectorError(
                m_target, "host snapshot " + m_snapshot + " is not valid", "write it with `layerguard host-snapshot`");
    } else {
        if (!QFileInfo::exists(QString::fromStdString(m_root)))
            throw ConnectorError(m_target, "host root " + m_root + " does not exist", "check the path");
        snapshot = readLive();
    }
    if (cancel.load())
        throw Cancelled();
    if (!snapshot["resources"].is_array())
        throw ConnectorError(m_target, "host snapshot " + m_snapshot + " has no resource list", "check the file");
    for (const auto& item : snapshot["resources"]) {
        Resource r;
        r.layer = layerFromString(text(item, "layer", "host")).value_or(Layer::Host);
        r.target = m_target;
        r.kind = text(item, "kind");
        r.name = text(item, "name");
        r.origin = m_snapshot.empty() ? std::string("host ") + m_root : m_snapshot;
        r.data = member(item, "data").is_null() ? nlohmann::json::object() : member(item, "data");
        sink(r);
    }
    if (progress)
        progress("read host configuration");
}

} // namespace lg
