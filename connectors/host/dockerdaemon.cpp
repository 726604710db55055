#include "connectors/host/dockerdaemon.h"

#include "core/files.h"

#include <QDir>
#include <QFile>
#include <QString>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <map>
#include <string_view>

namespace lg {

namespace {

std::string under(const std::string& root, const std::string& path)
{
    return root == "/" ? path : root + path;
}

/** Flags that take no value (`--icc`, `--icc=false`). */
bool isBooleanFlag(std::string_view name)
{
    static constexpr std::array<std::string_view, 17> kBooleans { "icc", "userland-proxy", "no-new-privileges",
        "live-restore", "tlsverify", "tls", "iptables", "ip6tables", "experimental", "selinux-enabled", "ip-forward",
        "ip-masq", "debug", "raw-logs", "init", "rootless", "ipv6" };
    return std::find(kBooleans.begin(), kBooleans.end(), name) != kBooleans.end();
}

/** dockerd's one-letter flags, by their long names. */
std::string longName(char c)
{
    switch (c) {
    case 'H':
        return "host";
    case 'D':
        return "debug";
    case 'l':
        return "log-level";
    case 'G':
        return "group";
    case 'b':
        return "bridge";
    case 's':
        return "storage-driver";
    case 'g':
        return "graph";
    case 'p':
        return "pidfile";
    default:
        return std::string(1, c);
    }
}

/** Flags repeated into a list, by their daemon.json key. */
const std::map<std::string, std::string>& listKeys()
{
    static const std::map<std::string, std::string> keys { { "host", "hosts" },
        { "insecure-registry", "insecure-registries" }, { "authorization-plugin", "authorization-plugins" },
        { "storage-opt", "storage-opts" }, { "registry-mirror", "registry-mirrors" }, { "dns", "dns" },
        { "dns-search", "dns-search" }, { "label", "labels" }, { "exec-opt", "exec-opts" } };
    return keys;
}

nlohmann::json parseBool(const std::string& v)
{
    if (v == "false" || v == "0" || v == "f" || v == "F" || v == "FALSE" || v == "False")
        return false;
    return true;
}

std::string readText(const std::string& path)
{
    try {
        return readRegularFile(path, 1u << 20);
    } catch (const FileReadError&) {
        return {};
    }
}

/** Calls `f` with each line of `text`, leading blanks removed. */
template <typename F> void forEachLine(const std::string& text, F f)
{
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        std::string line = text.substr(start, end - start);
        start = end + 1;
        line.erase(0, line.find_first_not_of(" \t"));
        f(std::move(line));
    }
}

/** KEY=VALUE lines of an EnvironmentFile (quotes removed), for expanding $DOCKER_OPTS and the like. */
void readEnvironmentFile(const std::string& path, std::map<std::string, std::string>& env)
{
    const std::string text = readText(path);
    forEachLine(text, [&](std::string line) {
        if (line.empty() || line[0] == '#')
            return;
        if (line.starts_with("export "))
            line.erase(0, 7);
        const auto eq = line.find('=');
        if (eq == std::string::npos)
            return;
        std::string value = line.substr(eq + 1);
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
            value = value.substr(1, value.size() - 2);
        env[line.substr(0, eq)] = value;
    });
}

std::string expand(const std::string& word, const std::map<std::string, std::string>& env)
{
    std::string out;
    for (std::size_t i = 0; i < word.size(); ++i) {
        if (word[i] != '$' || i + 1 == word.size()) {
            out += word[i];
            continue;
        }
        std::size_t j = i + 1;
        std::string name;
        if (word[j] == '{') {
            const auto close = word.find('}', j);
            if (close == std::string::npos) {
                out += word[i];
                continue;
            }
            name = word.substr(j + 1, close - j - 1);
            i = close;
        } else {
            while (j < word.size() && (std::isalnum(static_cast<unsigned char>(word[j])) || word[j] == '_'))
                ++j;
            name = word.substr(i + 1, j - i - 1);
            i = j - 1;
        }
        if (auto it = env.find(name); it != env.end())
            out += it->second;
    }
    return out;
}

/** ExecStart of docker.service with its drop-ins applied, expanded with the unit's environment. */
std::vector<std::string> unitCommandLine(const std::string& root, std::string* from)
{
    std::vector<std::string> files;
    for (const char* unit : { "/etc/systemd/system/docker.service", "/lib/systemd/system/docker.service",
             "/usr/lib/systemd/system/docker.service" })
        if (isRegularFile(under(root, unit))) {
            files.push_back(under(root, unit));
            break;
        }
    if (files.empty())
        return {};
    const QDir dropIns(QString::fromStdString(under(root, "/etc/systemd/system/docker.service.d")));
    for (const auto& f : dropIns.entryList({ QStringLiteral("*.conf") }, QDir::Files, QDir::Name))
        files.push_back(dropIns.filePath(f).toStdString());
    std::string execStart;
    std::map<std::string, std::string> env;
    for (const auto& file : files) {
        std::string text = readText(file);
        // a line that ends in a backslash continues on the next
        for (std::size_t p; (p = text.find("\\\n")) != std::string::npos;)
            text.replace(p, 2, " ");
        forEachLine(text, [&](const std::string& line) {
            if (line.starts_with("ExecStart=")) {
                execStart = line.substr(10); // an empty ExecStart= resets the list, as systemd does
            } else if (line.starts_with("EnvironmentFile=")) {
                std::string path = line.substr(16);
                if (!path.empty() && path[0] == '-')
                    path.erase(0, 1);
                readEnvironmentFile(under(root, path), env);
            } else if (line.starts_with("Environment=")) {
                for (const auto& kv : splitExecStart(line.substr(12)))
                    if (const auto eq = kv.find('='); eq != std::string::npos)
                        env[kv.substr(0, eq)] = kv.substr(eq + 1);
            }
        });
    }
    while (!execStart.empty() && std::string_view("-@+!:").find(execStart[0]) != std::string_view::npos)
        execStart.erase(0, 1); // systemd's prefixes (ignore failure, argv[0], privileges)
    std::vector<std::string> words;
    for (const auto& w : splitExecStart(execStart)) {
        // an unquoted $VAR splits into words, as systemd does
        const std::string value = expand(w, env);
        if (w.find('$') != std::string::npos)
            for (const auto& part : splitExecStart(value))
                words.push_back(part);
        else
            words.push_back(value);
    }
    if (words.empty())
        return {};
    *from = "docker.service ExecStart";
    words.erase(words.begin());
    return words;
}

/**
 * The arguments of the running dockerd (/proc/<pid>/cmdline). With several (a test engine beside the system's),
 * the one listening on `socket`; when none says so, the only one, else none.
 */
std::vector<std::string> runningCommandLine(const std::string& root, const std::string& socket, std::string* from)
{
    struct Candidate {
        std::vector<std::string> args;
        std::string from;
    };
    std::vector<Candidate> found;
    const QDir proc(QString::fromStdString(under(root, "/proc")));
    for (const auto& pid : proc.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool numeric = false;
        pid.toLongLong(&numeric);
        if (!numeric)
            continue;
        const std::string dir = proc.filePath(pid).toStdString();
        std::string comm = readText(dir + "/comm");
        while (!comm.empty() && (comm.back() == '\n' || comm.back() == ' '))
            comm.pop_back();
        if (comm != "dockerd")
            continue;
        const std::string cmdline = readText(dir + "/cmdline");
        std::vector<std::string> args;
        std::size_t start = 0;
        while (start < cmdline.size()) {
            std::size_t end = cmdline.find('\0', start);
            if (end == std::string::npos)
                end = cmdline.size();
            args.push_back(cmdline.substr(start, end - start));
            start = end + 1;
        }
        if (args.empty())
            continue;
        args.erase(args.begin());
        found.push_back({ std::move(args), "/proc/" + pid.toStdString() + "/cmdline" });
    }
    const Candidate* pick = found.size() == 1 ? &found.front() : nullptr;
    if (!socket.empty())
        for (const auto& c : found) {
            const auto hosts = dockerdFlagsToConfig(c.args).value("hosts", nlohmann::json::array());
            if (std::find(hosts.begin(), hosts.end(), nlohmann::json("unix://" + socket)) != hosts.end())
                pick = &c;
        }
    if (!pick)
        return {};
    *from = pick->from;
    return pick->args;
}

} // namespace

std::vector<std::string> splitExecStart(const std::string& value)
{
    std::vector<std::string> words;
    std::string word;
    bool inWord = false;
    char quote = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const char c = value[i];
        if (quote) {
            if (c == quote)
                quote = 0;
            else if (c == '\\' && i + 1 < value.size())
                word += value[++i];
            else
                word += c;
        } else if (c == '"' || c == '\'') {
            quote = c;
            inWord = true;
        } else if (c == ' ' || c == '\t') {
            if (inWord)
                words.push_back(std::move(word));
            word.clear();
            inWord = false;
        } else if (c == '\\' && i + 1 < value.size()) {
            word += value[++i];
            inWord = true;
        } else {
            word += c;
            inWord = true;
        }
    }
    if (inWord)
        words.push_back(std::move(word));
    return words;
}

nlohmann::json dockerdFlagsToConfig(const std::vector<std::string>& args)
{
    nlohmann::json config = nlohmann::json::object();
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        std::string name, value;
        bool hasValue = false;
        if (arg.starts_with("--") && arg.size() > 2) {
            const auto eq = arg.find('=');
            name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
            if (eq != std::string::npos) {
                value = arg.substr(eq + 1);
                hasValue = true;
            }
        } else if (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-') {
            name = longName(arg[1]);
            if (arg.size() > 2) {
                value = arg.substr(arg[2] == '=' ? 3 : 2);
                hasValue = true;
            }
        } else {
            continue; // a stray word
        }
        if (isBooleanFlag(name)) {
            config[name] = hasValue ? parseBool(value) : nlohmann::json(true);
            continue;
        }
        if (!hasValue) {
            if (i + 1 >= args.size())
                continue;
            value = args[++i];
        }
        if (name == "graph")
            name = "data-root";
        if (const auto it = listKeys().find(name); it != listKeys().end()) {
            auto& list = config[it->second];
            if (!list.is_array())
                list = nlohmann::json::array();
            list.push_back(value);
        } else if (name == "default-ulimit") {
            // nofile=1024:2048 -> {"nofile": {"Name": "nofile", "Soft": 1024, "Hard": 2048}}
            const auto eq = value.find('=');
            const std::string ulimit = value.substr(0, eq);
            const std::string limits = eq == std::string::npos ? std::string() : value.substr(eq + 1);
            const auto colon = limits.find(':');
            auto number = [](const std::string& s) { return nlohmann::json(std::strtoll(s.c_str(), nullptr, 10)); };
            config["default-ulimits"][ulimit] = { { "Name", ulimit }, { "Soft", number(limits.substr(0, colon)) },
                { "Hard", number(colon == std::string::npos ? limits : limits.substr(colon + 1)) } };
        } else if (name == "log-opt") {
            const auto eq = value.find('=');
            config["log-opts"][value.substr(0, eq)] = eq == std::string::npos ? std::string() : value.substr(eq + 1);
        } else {
            config[name] = value;
        }
    }
    return config;
}

DockerDaemonConfig readDockerDaemonConfig(const std::string& root, const std::string& socket)
{
    DockerDaemonConfig d;
    d.commandLine = runningCommandLine(root, socket, &d.commandLineFrom);
    if (d.commandLineFrom.empty())
        d.commandLine = unitCommandLine(root, &d.commandLineFrom);
    const nlohmann::json flags = dockerdFlagsToConfig(d.commandLine);
    if (const auto& f = flags.find("config-file"); f != flags.end() && f->is_string())
        d.file = f->get<std::string>();
    const std::string path = under(root, d.file);
    if (QFile::exists(QString::fromStdString(path))) {
        try {
            const std::string text = readRegularFile(path, 1u << 20);
            d.fileReadable = true;
            auto parsed = nlohmann::json::parse(text, nullptr, false);
            if (parsed.is_object())
                d.config = std::move(parsed);
            else
                d.fileValid = false;
        } catch (const FileReadError&) {
            d.fileReadable = false;
        }
    }
    for (auto it = d.config.begin(); it != d.config.end(); ++it)
        d.sources[it.key()] = d.file;
    for (auto it = flags.begin(); it != flags.end(); ++it) {
        d.config[it.key()] = *it; // the flag wins where both are set
        d.sources[it.key()] = "command line";
    }
    return d;
}

} // namespace lg
