#pragma once

#include "core/model.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lg {

/** Set from any thread to ask a running collect() to stop at the next safe point. */
using CancelToken = std::atomic<bool>;

/** A source failed: which one, why, and what the user can do about it. Never carries secrets. */
class ConnectorError : public std::runtime_error {
public:
    ConnectorError(std::string source, const std::string& what, std::string hint)
        : std::runtime_error(what)
        , m_source(std::move(source))
        , m_hint(std::move(hint))
    {
    }
    [[nodiscard]] const std::string& source() const { return m_source; }
    [[nodiscard]] const std::string& hint() const { return m_hint; }

private:
    std::string m_source;
    std::string m_hint;
};

/** Thrown by collect() when the cancel token was set. */
class Cancelled : public std::runtime_error {
public:
    Cancelled()
        : std::runtime_error("cancelled")
    {
    }
};

/** The resource kind importers give each result another tool reported (kube-bench, OpenSCAP, ...): see external.h. */
inline constexpr std::string_view kExternalCheckKind = "ExternalCheck";
/**
 * One imported file: tool, tool_version, file, host, generated_at (RFC 3339), generated_unix (0 when the
 * file does not say and its modification time is unknown), layer, and counts. The scanner adds age_days,
 * max_age_days (from the policy) and stale before the rules see it.
 */
inline constexpr std::string_view kImportedReportKind = "ImportedReport";

/** Receives resources one by one; the connector may reuse its memory after the call returns. */
using ResourceSink = std::function<void(const Resource&)>;
/** How far a source is: a line for the user and, when it knows them, how much of how much is done. */
struct Progress {
    Progress(std::string line, std::int64_t doneSoFar = 0, std::int64_t outOf = 0)
        : text(std::move(line))
        , done(doneSoFar)
        , total(outOf)
    {
    }
    Progress(const char* line)
        : text(line)
    {
    }
    std::string text;
    std::int64_t done = 0;
    std::int64_t total = 0; ///< 0: not known
};
/** Progress for the user ("read 120 of 300 files"); may be called often, the window shows ~10 a second. */
using ProgressFn = std::function<void(const Progress&)>;

/**
 * One endpoint turned into normalised resources. Knows transport, auth and pagination; knows
 * nothing of rules. collect() blocks, runs on a worker thread, and throws ConnectorError or Cancelled.
 */
class Connector {
public:
    virtual ~Connector() = default;
    [[nodiscard]] virtual std::string kind() const = 0;
    [[nodiscard]] virtual std::string target() const = 0;
    /** Where it reads from, for display: a path or a URL without credentials. */
    [[nodiscard]] virtual std::string location() const = 0;
    /** The layers this source observes (they get a score once it succeeded). */
    [[nodiscard]] virtual std::vector<Layer> layers() const = 0;
    virtual void collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress) = 0;

    /**
     * What the source is, however it is reached or named (a folder's canonical path, a cluster's server, a
     * registry's host): the same target scanned from the CLI, the window or a saved connection has one identity.
     */
    [[nodiscard]] virtual std::string identity() const { return kind() + ":" + location(); }
    /**
     * What the target's previous scan recorded for the resources of the kind SourceKind::previousOrigins names
     * (resource name -> origin); sources that compare against it override this.
     */
    virtual void rememberPrevious(const std::map<std::string, std::string>& /*originsByName*/) { }
    /** True while the target's name is the one the connector made up (the user gave none). */
    [[nodiscard]] bool defaultNamed() const { return m_defaultNamed; }
    /** Takes the name the cache knows this identity by (the name the user last gave it). */
    void rename(const std::string& name)
    {
        renameTarget(name);
        m_defaultNamed = false;
    }

protected:
    void setDefaultNamed(bool defaultNamed) { m_defaultNamed = defaultNamed; }
    /** Connectors that name their target override this to take another name. */
    virtual void renameTarget(const std::string&) { }

private:
    bool m_defaultNamed = false;
};

} // namespace lg
