#pragma once

#include "connectors/common/connector.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lg {

/**
 * What a saved connection may need that the cache must never hold: a registry or Prometheus password or
 * a Prometheus bearer token, from the OS keyring (the window) or the environment (the CLI). Memory only.
 */
struct TargetSecret {
    std::string password;
    std::string token;
    [[nodiscard]] bool empty() const { return password.empty() && token.empty(); }
    /** The keyring entry's text: {"password": ..., "token": ...} (only what is set). */
    [[nodiscard]] std::string toJson() const;
    /** Reads an entry back; anything that is not such an object gives an empty secret. */
    [[nodiscard]] static TargetSecret fromJson(const std::string& json);
};

/** How the Connections dialog takes a setting. */
enum class FieldInput {
    Text,
    Path, ///< a folder (or a file): saved as an absolute path
    File, ///< a file: saved as an absolute path
    List, ///< comma-separated in the dialog, repeatable on the command line
    Switch,
    Password, ///< a secret: to the OS keyring, never to the cache
    Token, ///< a secret: to the OS keyring, never to the cache
    Choice, ///< one of the values choices() offers for the other fields
};

/** One value a Choice field offers, with what the user must know before picking it. */
struct FieldChoice {
    std::string value;
    std::string warning;
};

/** The settings as given, by field key; a switch that is on holds "true". */
using SourceValues = std::map<std::string, std::vector<std::string>>;

/** One setting of a source: a command-line flag, a saved connection's field and a dialog field, declared once. */
struct SourceField {
    std::string key {}; ///< the saved connection's field and the dialog's "<kind>.<key>"
    std::string flag {}; ///< the command line's --flag; empty: the dialog only
    std::string valueName {}; ///< "URL", "FILE"; empty for a switch
    std::string help {}; ///< the flag's help
    std::string label {}; ///< the dialog's label; empty: not in the dialog
    std::string placeholder {}; ///< the dialog's hint
    FieldInput input = FieldInput::Text;
    bool scanOnly = false; ///< a choice for one scan (`scan`), not saved with a connection
    bool selects = false; ///< giving this flag to `scan` or `target add` asks for this kind of source
    bool url = false; ///< an address: a saved one must carry no credentials
    std::string warnWhenOn {}; ///< a switch's consequence, shown when it is turned on
    /** A Choice field's values for the other fields (a kubeconfig's contexts); throws ConnectorError. */
    std::function<std::vector<FieldChoice>(const SourceValues&)> choices {};
};

/** What a source is told when it is made. */
struct SourceContext {
    std::string target; ///< the target name; empty: the source names it
    TargetSecret secret;
    int pageSize = 500; ///< list page size for sources that page
    /** Told before a credential plugin runs and when TLS verification is off. */
    std::function<void(const std::string&)> notice;
    /** The sources made before this one in the same scan (a source may join a lone one's target). */
    const std::vector<std::unique_ptr<Connector>>* earlier = nullptr;
};

/**
 * One kind of source, declared once: the CLI's `scan` and `target add` flags, saved connections, the Scan menu
 * and the Connections dialog are generated from these.
 */
struct SourceKind {
    SourceKind() = default;
    /** What every kind has: its id, title, one-line description and the layers it reads. */
    SourceKind(std::string id, std::string title, std::string description, std::vector<Layer> layers);

    std::string id; ///< "docker"; the saved connection's kind and Connector::kind()
    std::string title; ///< "Docker engine"
    std::string description; ///< one line: what it reads
    std::vector<Layer> layers;
    std::vector<SourceField> fields;
    bool savable = true; ///< false: a scan-time input only (reports of other tools)
    bool oneTargetEach = false; ///< several configs from one command line are several targets (kubeconfig contexts)
    /** The resource kind whose origins in the target's previous scan the source compares against; empty: none. */
    std::string previousOrigins;
    /** The secret a saved connection of this kind uses ("password", "token" or empty), from its config. */
    std::function<std::string(const nlohmann::json& config)> secretKind;
    /**
     * The configs the given values ask for (more than one when they name several targets), checked and with
     * absolute paths. Throws std::invalid_argument on a usage error, ConnectorError when what they name cannot
     * be read. Default: each field's value as given.
     */
    std::function<std::vector<nlohmann::json>(const SourceValues&)> configure;
    /** Before a scan from the window or a test: the command a config runs, for the user to allow; empty: none. */
    std::function<std::string(const nlohmann::json& config)> runsCommand;
    /** The connector for a config; throws ConnectorError with a hint. */
    std::function<std::unique_ptr<Connector>(const nlohmann::json& config, const SourceContext&)> create;

    [[nodiscard]] const SourceField* field(std::string_view key) const;
    /** configure(), or the default when the kind has none. */
    [[nodiscard]] std::vector<nlohmann::json> configsFor(const SourceValues& values) const;
    /** Throws std::invalid_argument when a config cannot be saved: credentials in an address. */
    void checkSavable(const nlohmann::json& config) const;
};

/** Every kind of source, built-in ones first (connectors/sources.cpp), in the order the user sees them. */
[[nodiscard]] const std::vector<SourceKind>& sourceKinds();
/** The kind with this id, or null. */
[[nodiscard]] const SourceKind* sourceKind(std::string_view id);
/** Adds a kind (a plug-in or a test's example); one with the same id is replaced. */
void addSourceKind(SourceKind kind);

/** The `--ca-file` setting several network sources share (one flag on the command line); `hint` is the dialog's. */
[[nodiscard]] SourceField caFileField(std::string hint);
/** The `paths` setting of a source that reads report files or folders of them (repeatable). */
[[nodiscard]] SourceField reportPathsField(std::string flag, std::string help);
/** The one value of a field, or empty. */
[[nodiscard]] std::string firstValue(const SourceValues& values, const std::string& key);
/** "path" made absolute; empty stays empty. */
[[nodiscard]] std::string absolutePath(const std::string& path);
/** Throws std::invalid_argument when a URL carries credentials: the cache is not a secret store. */
void refuseCredentialsInUrl(const std::string& url);

} // namespace lg
