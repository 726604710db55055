#pragma once

#include "core/findingtable.h"
#include "core/model.h"
#include "core/rule.h"
#include "core/ruleengine.h"

#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace lg {

/** A cache error the user can act on; `hint` says what to do. */
class StoreError : public std::runtime_error {
public:
    enum class Kind { Io, Corrupt, Locked, TooNew, Full };
    StoreError(Kind kind, const std::string& what, std::string hint)
        : std::runtime_error(what)
        , m_kind(kind)
        , m_hint(std::move(hint))
    {
    }
    [[nodiscard]] Kind kind() const { return m_kind; }
    [[nodiscard]] const std::string& hint() const { return m_hint; }

private:
    Kind m_kind;
    std::string m_hint;
};

/** One source of a scan and how it went (no secrets: location is a path or URL without userinfo). */
struct SourceStatus {
    std::string target;
    std::string kind;
    std::string location;
    bool ok = true;
    std::string error;
    std::string hint;
};

/** Everything one scan produced; written in one transaction. */
struct ScanRecord {
    std::int64_t startedAt = 0;
    std::int64_t finishedAt = 0;
    std::string toolVersion;
    std::string runBy;
    std::vector<SourceStatus> sources;
    std::vector<Resource> resources; ///< only identity fields are stored
    /**
     * The findings a scan made, compact (a 50,000-pod scan has ~600,000). writeScan writes these when there
     * are any, else `findings`.
     */
    FindingTable table;
    /**
     * Findings as objects: what a caller gives writeScan, or a scan's findings when ScanSettings::keepFindings.
     * Findings of catalogue rules carry their title but not remediation, references and frameworks: those are
     * the same for every finding of a rule and live once in `rules`. writeScan takes them from `rules`, else
     * from the rule's first finding.
     */
    std::vector<Finding> findings;
    std::map<std::string, const Rule*> rules; ///< rule id -> its catalogue entry (outlives the record)
    std::map<Layer, LayerTally> tallies;
    TargetTallies targetTallies; ///< the same per target (a scan may cover several)
    std::map<std::string, RuleOutcome> outcomes;
};

struct LayerScore {
    Layer layer;
    std::optional<int> score;
    LayerTally tally;
};

struct ScanInfo {
    std::int64_t id = 0;
    std::int64_t startedAt = 0;
    std::int64_t finishedAt = 0;
    std::string toolVersion;
    std::string runBy;
    std::vector<SourceStatus> sources;
    int resources = 0;
    std::optional<int> overallScore;
    std::vector<LayerScore> layers; ///< scanned layers only
};

/** An accepted risk: from `createdAt` until it expires or is revoked, the finding counts as accepted. */
struct AcceptedRisk {
    std::string fid;
    std::string owner; ///< who owns the risk
    std::string reason;
    std::optional<std::int64_t> expiresAt;
    std::int64_t createdAt = 0; ///< when it was accepted: it applies from then on
    std::string acceptedBy; ///< who recorded it
    std::optional<std::int64_t> revokedAt;
    std::string revokedBy;
    [[nodiscard]] bool activeAt(std::int64_t t) const
    {
        return createdAt <= t && (!expiresAt || *expiresAt > t) && (!revokedAt || *revokedAt > t);
    }
};

/** A saved connection: what to scan, without secrets (those belong in the OS keyring). */
struct SavedTarget {
    std::string name;
    std::string kind; ///< docker | manifests | host
    nlohmann::json config; ///< e.g. {"url": "unix:///var/run/docker.sock", "caFile": "..."}
    std::int64_t createdAt = 0;
};

struct ChecklistEntry {
    int step = 0;
    std::string doneBy;
    std::int64_t doneAt = 0;
};

/** What a findings list groups by (the dashboard's "Group by"). */
enum class FindingGroupBy { None, Rule, Resource, Namespace, Target };

struct FindingFilter {
    std::optional<Layer> layer;
    std::optional<Severity> minSeverity; ///< at least this severe
    unsigned severities = 0x1f; ///< bit (1 << Severity): the severities shown (the dashboard's chips)
    std::optional<FindingStatus> status;
    std::string search; ///< substring over rule, title, resource, message (case-insensitive)
    std::string target; ///< only this target's findings (a scan may cover several)
    /** Only findings first seen before this time (unix seconds; `--older-than`). */
    std::optional<std::int64_t> firstSeenBefore;
    /** Only open findings past their deadline at this time (unix seconds), by `slaDays`. */
    std::optional<std::int64_t> overdueAt;
    std::array<int, 5> slaDays = kDefaultSlaDays; ///< see Policy::slaDays
    /** Only the findings of one group (e.g. rule "LG-K8S-001"); the key as findingGroups returns it. */
    FindingGroupBy groupBy = FindingGroupBy::None;
    std::string groupKey;
    /**
     * 0: statuses as the scan recorded them. Otherwise a time (unix seconds): statuses as of then, acceptances
     * counted from when they were made until they expire or are revoked (Store::statusTime gives it).
     */
    std::int64_t asOf = 0;
};

/** Sort keys of a findings list; ties keep the default order (severity, layer, rule, target, resource). */
enum class FindingSort { Severity, Rule, Resource, Target, Status, Message, Age };

/** A filtered, sorted findings list of one scan, as the windowed dashboard table asks for it. */
struct FindingQuery {
    std::int64_t scanId = 0;
    /**
     * Instead of one scan: these (scan, target) parts together, e.g. the latest scan of each target of the estate
     * (scanId is then 0).
     */
    std::vector<std::pair<std::int64_t, std::string>> parts;
    FindingFilter filter;
    FindingSort sort = FindingSort::Severity;
    bool descending = false;
};

/** One group of a grouped findings list. */
struct FindingGroup {
    std::string key;
    int findings = 0;
    Severity worst = Severity::Info;
    int layers = 0; ///< how many layers the group spans
};

struct ScanDiff {
    std::vector<Finding> added; ///< in B, not in A
    std::vector<Finding> resolved; ///< in A, not in B, where B looked (its rule evaluated something in B)
    std::vector<Finding> unchanged; ///< in both (as in B)
};

/** What changed between two scans, counted in SQL, with the first findings of each side for display. */
struct ScanDiffSummary {
    int added = 0;
    int resolved = 0;
    int unchanged = 0;
    std::vector<Finding> addedFirst; ///< up to the limit asked for, most severe first
    std::vector<Finding> resolvedFirst; ///< as in the older scan, status Resolved
};

/** One target of the estate: the latest scan in which its source succeeded, and what it found then. */
struct TargetPosture {
    std::string target;
    std::string kind; ///< the kind of its source (kubernetes, docker, registry, ...)
    std::int64_t scanId = 0;
    std::int64_t scannedAt = 0;
    bool stale = false; ///< not scanned for longer than the estate's stale age
    std::optional<std::int64_t> previousScanId; ///< its own previous scan
    std::vector<LayerScore> layers; ///< as of the time asked for (acceptances since count)
    std::optional<int> score;
};

/** The estate: the latest scan of each target, together. */
struct EstatePosture {
    std::vector<TargetPosture> targets; ///< by name
    std::vector<LayerScore> layers; ///< every target's latest tallies, added up per layer
    std::optional<int> score;
    std::int64_t staleAfter = 0;
};

/** The estate's scores right after one scan: the latest of each target at that moment. */
struct EstatePoint {
    std::int64_t at = 0;
    std::int64_t scanId = 0;
    std::optional<int> score;
    std::map<Layer, int> layers; ///< the layers with a score
};

/** How long findings of one severity stayed open before a scan no longer found them. */
struct RemediationTime {
    int fixed = 0; ///< open intervals that ended in the period
    std::int64_t meanSeconds = 0; ///< their mean length (0 when none)
};

/** What renaming a target moved (Store::renameTarget). */
struct TargetRename {
    int scans = 0; ///< scans that covered the target
    int findings = 0; ///< finding rows, in every scan
    int fingerprints = 0; ///< fingerprints that derived from the name, with their acceptances, ticks and sightings
    bool savedConnection = false; ///< a saved connection of that name was renamed too
};

/** Targets not scanned for longer than this are shown as stale (and say since when). */
inline constexpr std::int64_t kDefaultStaleAfter = 7 * 86400;

/**
 * The local SQLite cache. The only code that speaks SQL. Every scan is written in one transaction:
 * a failed, cancelled or killed scan leaves the cache as it was. Not thread-safe: one Store per thread.
 */
class Store {
public:
    /**
     * Opens (creating when missing) the cache at `path`, applies schema migrations, switches to WAL
     * and checks integrity. Throws StoreError with a hint on a damaged, locked or newer-format file.
     */
    /** Create (with its folder) when missing, or only open a cache that exists (read commands create nothing). */
    enum class OpenMode { Create, Existing };
    explicit Store(const std::string& path, OpenMode mode = OpenMode::Create);
    /**
     * A second, read-only connection to a cache another Store opened (and checked, and migrated): for
     * queries on a worker thread. Throws StoreError when the file cannot be read.
     */
    [[nodiscard]] static std::unique_ptr<Store> openReader(const std::string& path);
    /**
     * While `flag` is set and true, a running query stops (it throws StoreError); for worker threads whose
     * query was superseded. nullptr removes it.
     */
    void setInterruptFlag(const std::atomic<bool>* flag);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    [[nodiscard]] const std::string& path() const { return m_path; }
    [[nodiscard]] int schemaVersion() const;
    /** Changes whenever another connection (another process: the CLI, another window) commits to the cache. */
    [[nodiscard]] std::int64_t dataVersion() const;

    /** Writes one scan; returns its id. Throws StoreError (the cache is unchanged then). */
    std::int64_t writeScan(const ScanRecord& scan);

    [[nodiscard]] std::vector<ScanInfo> scans() const; ///< oldest first
    /** name -> origin of the resources of `kind` in the newest scan that has any for `target`. */
    [[nodiscard]] std::map<std::string, std::string> lastOrigins(
        const std::string& target, const std::string& kind) const;
    [[nodiscard]] std::optional<ScanInfo> scan(std::int64_t id) const;
    /** A scan with its scores as of `asOf` (see layerScoresAt); 0 gives the stored scores. */
    [[nodiscard]] std::optional<ScanInfo> scanAt(std::int64_t id, std::int64_t asOf) const;
    [[nodiscard]] std::optional<std::int64_t> latestScanId() const;
    [[nodiscard]] std::optional<std::int64_t> previousScanId(std::int64_t id) const;
    [[nodiscard]] std::vector<Finding> findings(std::int64_t scanId, const FindingFilter& filter = {}) const;
    /**
     * Row ids of the findings a query selects, in its order (1M findings: well under a second; run it off
     * the UI thread). Filtering happens in SQLite, sorting by a key fetched with the row id. `cancel` is
     * polled; when it turns true the call returns nothing.
     */
    [[nodiscard]] std::vector<std::int64_t> findingRowIds(
        const FindingQuery& query, const std::atomic<bool>* cancel = nullptr) const;
    /** Findings per severity the query selects before its severity chips (the chips' counts). */
    [[nodiscard]] std::array<int, 5> severityCounts(const FindingQuery& query) const;
    /**
     * The findings of scan `scanId` (0: of any scan) with these row ids, in the same order; an id no longer
     * present (or of another scan) gives a Finding without id.
     */
    [[nodiscard]] std::vector<Finding> findingsByRowId(
        std::int64_t scanId, const std::int64_t* rowIds, std::size_t count, std::int64_t asOf = 0) const;
    /** The row id of a finding in a scan, if present. */
    [[nodiscard]] std::optional<std::int64_t> findingRowId(std::int64_t scanId, const std::string& fid) const;
    /** Groups of a query's findings (its sort and group filter ignored): most severe first, then largest. */
    [[nodiscard]] std::vector<FindingGroup> findingGroups(const FindingQuery& query, FindingGroupBy by) const;
    [[nodiscard]] std::map<std::string, RuleOutcome> ruleOutcomes(std::int64_t scanId) const;
    [[nodiscard]] ScanDiff diff(std::int64_t scanA, std::int64_t scanB) const;
    /** The rules that could evaluate nothing in a scan for want of data (not observed anywhere in it). */
    [[nodiscard]] std::set<std::string> rulesNotObserved(std::int64_t scanId) const;
    /** Counts of what changed from scan A to B, and the first `limit` findings of each side (no full lists). */
    [[nodiscard]] ScanDiffSummary diffSummary(
        std::int64_t scanA, std::int64_t scanB, int limit, const std::string& target = {}) const;
    /** The `limit` most severe open findings of a scan (reads only those rows); statuses as FindingFilter::asOf. */
    [[nodiscard]] std::vector<Finding> topFindings(
        std::int64_t scanId, int limit, std::int64_t asOf = 0, const std::string& target = {}) const;

    /**
     * The estate as of `now`: each target's latest scan (where its source succeeded), its layers and score,
     * stale when older than `staleAfter`; and all of them together. `only` narrows it to one target.
     */
    [[nodiscard]] EstatePosture estate(
        std::int64_t now, const std::string& only = {}, std::int64_t staleAfter = kDefaultStaleAfter) const;
    /** The estate after every scan, as the scans recorded it (`only`: one target's own line). */
    [[nodiscard]] std::vector<EstatePoint> estateHistory(const std::string& only = {}) const;
    /**
     * Mean time to remediate per severity (critical first): each target's scans in order, a finding's open
     * interval runs from the scan that found it to the first later scan of the same target without it;
     * intervals that ended in [from, to] count. What the oldest scan kept shows is open since its first
     * sighting (earlier intervals went with the scans retention removed).
     */
    [[nodiscard]] std::array<RemediationTime, 5> remediationTimes(
        std::int64_t from, std::int64_t to, const std::string& only = {}) const;
    /** The name a source's identity goes by (see Connector::identity), if it was ever scanned by a name. */
    [[nodiscard]] std::optional<std::string> targetNameFor(const std::string& identity) const;
    /**
     * Remembers the name an identity goes by. A name the user gave replaces the one before; a default name is
     * only kept while the identity has none.
     */
    void rememberTargetName(const std::string& identity, const std::string& name, bool givenByUser);
    /**
     * Renames a target with its whole history, in one transaction: its findings in every scan, their fingerprints
     * where they derive from the target's name (see fingerprint()) with the acceptances, checklist ticks and first
     * sightings kept by fingerprint, its tallies and resources, its sources in each scan's record, the names its
     * identities go by and its saved connection. Throws std::invalid_argument (the message says why) when `from`
     * names no target, or `to` is empty, the same, or already names another target.
     */
    TargetRename renameTarget(const std::string& from, const std::string& to);
    /** Old name -> current name of every renamed target: a scan that still gives an old name joins the target. */
    [[nodiscard]] std::map<std::string, std::string> renamedTargets() const;
    /** How an old name is kept among the identities (see renameTarget). */
    static constexpr std::string_view kRenamedPrefix = "renamed:";
    /** Names of every target with a stored scan, sorted. */
    [[nodiscard]] std::vector<std::string> scannedTargets() const;
    /** A target's latest scan, and its scan before `scanId`. */
    [[nodiscard]] std::optional<std::int64_t> latestScanOf(const std::string& target) const;
    [[nodiscard]] std::optional<std::int64_t> previousScanOf(const std::string& target, std::int64_t scanId) const;
    /** One target's layers in a scan, as of `asOf` (see layerScoresAt). */
    [[nodiscard]] std::vector<LayerScore> targetLayerScoresAt(
        std::int64_t scanId, const std::string& target, std::int64_t asOf) const;

    /**
     * Accepted risks, kept as a log: an acceptance applies from the moment it is recorded until it expires or
     * is revoked, and never changes a stored scan's statuses or scores. Accepting a finding again replaces its
     * acceptance from then on.
     */
    void acceptRisk(const AcceptedRisk& risk);
    /** Ends the finding's acceptance at `at`; false when none was in force. */
    bool revokeRisk(const std::string& fid, const std::string& by, std::int64_t at);
    /** Every acceptance ever recorded, in the order they were recorded. */
    [[nodiscard]] std::vector<AcceptedRisk> acceptedRisks() const;
    /** The acceptances in force at `now`, by fingerprint. */
    [[nodiscard]] std::map<std::string, AcceptedRisk> activeAcceptances(std::int64_t now) const;
    /** Whether any stored scan has a finding with this fingerprint. */
    [[nodiscard]] bool knowsFinding(const std::string& fid) const;
    /**
     * A scan's layer scores with statuses as of `asOf`: the stored tallies, moved by the acceptances that began,
     * ended or expired since. The stored scores themselves never change.
     */
    [[nodiscard]] std::vector<LayerScore> layerScoresAt(std::int64_t scanId, std::int64_t asOf) const;
    /**
     * The time a scan's statuses are shown as of: `now` for the latest scan (the posture today, acceptances as
     * they are now), 0 for an older one (as it was recorded).
     */
    [[nodiscard]] std::int64_t statusTime(std::int64_t scanId, std::int64_t now) const;

    void setChecklistStep(const std::string& fid, int step, bool done, const std::string& who, std::int64_t when);
    [[nodiscard]] std::vector<ChecklistEntry> checklist(const std::string& fid) const;
    /** Every ticked step, by finding id (one query, for reports). */
    [[nodiscard]] std::map<std::string, std::vector<ChecklistEntry>> checklists() const;

    /** Saved connections; saving a name again replaces it. Secrets are refused (see SavedTarget). */
    void saveTarget(const SavedTarget& target);
    bool removeTarget(const std::string& name);
    [[nodiscard]] std::vector<SavedTarget> targets() const;
    [[nodiscard]] std::optional<SavedTarget> target(const std::string& name) const;

    /** Keep at most `scans` scans (0 = all); older ones are deleted after each new scan. */
    void setRetention(int scans);
    [[nodiscard]] int retention() const;

    /** Full `PRAGMA integrity_check`; returns "ok" or the problems found. */
    [[nodiscard]] std::string integrityCheck() const;

    /** Raw handle for tests and benchmarks only. */
    [[nodiscard]] sqlite3* handle() const { return m_db; }

private:
    Store() = default;
    void exec(const char* sql) const;
    void migrate();
    void applyRetention();
    [[nodiscard]] std::vector<LayerScore> layerScores(std::int64_t scanId) const;
    /**
     * Appends (sort key, row id) of one scan's findings a query selects; false when it did not (cancelled, or the
     * whole scan in stored order went to `whole` instead, when given).
     */
    bool rowKeys(const FindingQuery& query, const std::atomic<bool>* cancel,
        std::vector<std::pair<std::int64_t, std::int64_t>>& rows, std::vector<std::int64_t>* whole) const;
    [[nodiscard]] std::vector<LayerScore> targetLayerScores(std::int64_t scanId, const std::string& target) const;
    /** Moves stored layer scores to `asOf`; `target` (non-empty) counts that target's findings only. */
    void moveToAsOf(
        std::vector<LayerScore>& layers, std::int64_t scanId, std::int64_t asOf, const std::string& target) const;
    [[nodiscard]] std::int64_t scanTime(std::int64_t scanId) const;
    /** Fills in who accepted each accepted finding, as of `at`. */
    void attachAcceptances(std::vector<Finding>& findings, std::int64_t at) const;
    [[nodiscard]] StoreError error(const std::string& what) const;

    std::string m_path;
    sqlite3* m_db = nullptr;
};

/** Where the cache lives by default: $LAYERGUARD_DB, else the XDG data dir (AppDataLocation). */
[[nodiscard]] std::string defaultCachePath();

/** Moves a damaged cache aside (<path>.damaged-<time>) so a new one can be created; returns the new name. */
[[nodiscard]] std::string moveAsideDamagedCache(const std::string& path);

} // namespace lg
