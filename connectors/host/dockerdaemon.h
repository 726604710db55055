#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace lg {

/**
 * dockerd's effective configuration as docker-bench reads it: daemon.json (or the file --config-file names)
 * merged with the command line of the running dockerd (/proc/<pid>/cmdline), else of its systemd unit
 * (ExecStart of docker.service and its drop-ins). Where both set a key, the flag wins. Keys use daemon.json's
 * names ("icc", "hosts", "no-new-privileges", ...), so rules read one shape whichever way it was set.
 */
struct DockerDaemonConfig {
    nlohmann::json config = nlohmann::json::object(); ///< the merged, effective settings
    nlohmann::json sources = nlohmann::json::object(); ///< key -> "command line" or the config file's path
    std::string file = "/etc/docker/daemon.json";
    bool fileReadable = false;
    bool fileValid = true;
    std::vector<std::string> commandLine; ///< dockerd's arguments (argv[0] left out)
    std::string commandLineFrom; ///< "/proc/1234/cmdline", "docker.service ExecStart", or "" when none was found
};

/**
 * Reads it under `root` ("/" for this machine; a prepared folder in tests). Where several dockerd run, the one
 * listening on the unix `socket` path is read (the only one when none names it). Never throws.
 */
[[nodiscard]] DockerDaemonConfig readDockerDaemonConfig(const std::string& root, const std::string& socket = {});

/** dockerd's flags as daemon.json settings: `-H tcp://0.0.0.0:2375 --icc=false` -> {"hosts": [...], "icc": false}. */
[[nodiscard]] nlohmann::json dockerdFlagsToConfig(const std::vector<std::string>& args);

/** The words of a systemd ExecStart= value (quotes and backslash escapes as systemd splits them). */
[[nodiscard]] std::vector<std::string> splitExecStart(const std::string& value);

} // namespace lg
