#include "scan/scanner.h"

#include "core/kubeshape.h"
#include "core/masking.h"
#include "core/scoring.h"
#include "core/version.h"
#include "scan/external.h"

#include <QDateTime>

namespace lg {

std::string toolVersion()
{
    return std::string("layerguard ") + kVersion;
}

namespace {

/** An imported report with its age against the policy's limit, for the LG-IMPORT-STALE rules. */
Resource withAge(const Resource& r, std::int64_t now, int maxAgeDays)
{
    Resource dated = r;
    const std::int64_t generated = dated.data.value("generated_unix", std::int64_t(0));
    const std::int64_t ageDays = generated > 0 ? (now - generated) / 86400 : 0;
    dated.data["age_days"] = ageDays;
    dated.data["max_age_days"] = maxAgeDays;
    dated.data["stale"] = generated > 0 && ageDays > maxAgeDays;
    return dated;
}

/** A source the user did not name takes the name its identity already goes by: the folder scanned from the window is
 * the one a saved connection or `--target` named, and its findings keep their ids. */
void adoptKnownNames(const std::vector<std::unique_ptr<Connector>>& sources, Store* store,
    const std::map<std::string, std::string>& renamed)
{
    if (!store)
        return;
    for (const auto& src : sources) {
        if (src->defaultNamed())
            if (auto known = store->targetNameFor(src->identity()); known && *known != src->target())
                src->rename(*known);
        // A target renamed since: its old name, given again, is the same target under its new name.
        if (const auto it = renamed.find(src->target()); it != renamed.end())
            src->rename(it->second);
    }
}

/** The evaluation of one scan: sources collected one after the other into one record, then finished together. */
class ScanPass {
public:
    ScanPass(const RuleCatalog& catalog, const ScanSettings& settings, ScanRecord& rec,
        std::map<std::string, std::string> renamed)
        : m_catalog(catalog)
        , m_settings(settings)
        , m_rec(rec)
        , m_engine(catalog, settings.policy, rec.startedAt)
        , m_renamed(std::move(renamed))
    {
        // Failed checks go straight into the record's compact table; a failed source's rows are taken back.
        m_engine.setSink(&rec.table);
    }

    /** Collects one source, evaluating its resources as they arrive; false when the scan was cancelled. */
    bool collect(Connector& src, SourceStatus& status, const CancelToken& cancel, const ProgressFn& progress)
    {
        // A failing source's rows are taken back, its tallies never merged: it contributes nothing.
        RuleEngine sourceEngine(m_catalog, m_settings.policy, m_rec.startedAt);
        sourceEngine.setSink(&m_rec.table);
        const FindingTable::Mark mark = m_rec.table.mark();
        std::vector<Resource> identities;
        std::vector<Resource> sourceExternal;
        try {
            src.collect(
                [&](const Resource& given) {
                    // An imported report that names a renamed target (host:web-01) joins it under its new name.
                    Resource renamed;
                    const Resource& r = underCurrentName(given, renamed);
                    if (r.kind == kExternalCheckKind) { // another tool's result: judged after the rules ran
                        sourceExternal.push_back(r);
                        return;
                    }
                    if (r.kind == kImportedReportKind)
                        sourceEngine.add(withAge(r, m_rec.startedAt, m_settings.policy.importMaxAgeDays));
                    else
                        sourceEngine.add(r);
                    // keep identity only (no copy of the data): the whole inventory is never held
                    if (r.kind != kPolicyContextKind)
                        identities.push_back({ r.layer, r.target, r.kind, r.namespace_, r.name, r.origin, nullptr });
                },
                cancel, progress);
        } catch (const Cancelled&) {
            m_rec.table = FindingTable(); // nothing of a cancelled scan is kept
            status.ok = false;
            status.error = "cancelled";
            return false;
        } catch (const ConnectorError& e) {
            status.ok = false;
            status.error = e.what();
            status.hint = e.hint();
        } catch (const std::exception& e) {
            status.ok = false;
            status.error = std::string("unexpected error: ") + e.what();
            status.hint = "please report this with the source that triggered it";
        }
        if (!status.ok) {
            // Servers' texts end up here: nothing they echo of what Layerguard sent may be stored or shown.
            status.error = maskText(status.error);
            status.hint = maskText(status.hint);
            m_rec.table.truncate(mark); // its layers get no score from this source: never shown as secure
            return true;
        }
        // Its cross-resource observations join those of the other sources, so a NetworkPolicy in one folder covers
        // the workloads of another of the same target.
        for (Layer l : src.layers()) {
            m_engine.markScanned(l);
            m_targetLayers[src.target()].insert(l);
        }
        m_engine.absorb(sourceEngine);
        m_rec.resources.reserve(m_rec.resources.size() + identities.size());
        for (auto& id : identities)
            m_rec.resources.push_back(std::move(id));
        for (auto& e : sourceExternal)
            m_external.push_back(std::move(e));
        return true;
    }

    /** Cross-resource checks, other tools' results, acceptances and tallies: the record complete. */
    void finish(ScanOutcome& outcome, Store* store)
    {
        try {
            m_engine.finish();
        } catch (const std::exception& e) {
            outcome.sources.push_back({ "cross-resource checks", "engine", {}, false, e.what(),
                "please report this with the manifests that triggered it" });
        }
        m_rec.tallies = m_engine.tallies();
        m_rec.targetTallies = m_engine.targetTallies();
        m_rec.outcomes = m_engine.outcomes();
        applyExternalChecks(
            m_external, m_catalog, m_settings.policy, m_rec.table, m_rec.outcomes, m_rec.tallies, m_rec.targetTallies);
        // The same object given twice (a base and an overlay file, two reports of one host) is one finding.
        m_rec.table.removeDuplicates();
        for (const auto& [rule, o] : m_rec.outcomes) // the rules that failed somewhere, for their text
            if (o.failed > 0)
                if (const Rule* r = m_catalog.find(rule)) // imported results carry their own text
                    m_rec.rules[rule] = r;
        for (Layer l : m_engine.scannedLayers())
            m_rec.tallies[l].scanned = true;
        for (const auto& [target, layers] : m_targetLayers)
            for (Layer l : layers)
                m_rec.targetTallies[target][l].scanned = true;
        const std::int64_t now = m_settings.clock();
        if (store) {
            const auto accepted = store->activeAcceptances(now);
            if (!accepted.empty())
                for (std::size_t i = 0; i < m_rec.table.size(); ++i)
                    if (accepted.count(std::string(m_rec.table.fid(i))))
                        m_rec.table.setStatus(i, FindingStatus::Accepted);
        }
        tallyFindings(m_rec.tallies, m_rec.table);
        tallyFindings(m_rec.targetTallies, m_rec.table);
        m_rec.finishedAt = now;
        m_rec.sources = outcome.sources;
    }

private:
    /** `r`, or a copy in `copy` under its target's current name when the target was renamed. */
    const Resource& underCurrentName(const Resource& r, Resource& copy) const
    {
        if (m_renamed.empty())
            return r;
        const auto it = m_renamed.find(r.target);
        if (it == m_renamed.end())
            return r;
        copy = r;
        copy.target = it->second;
        return copy;
    }

    const RuleCatalog& m_catalog;
    const ScanSettings& m_settings;
    ScanRecord& m_rec;
    RuleEngine m_engine;
    std::map<std::string, std::string> m_renamed; ///< old target name -> current (Store::renamedTargets)
    std::vector<Resource> m_external;
    std::map<std::string, std::set<Layer>> m_targetLayers; ///< what each target's sources covered
};

} // namespace

Scanner::Scanner(const RuleCatalog& catalog, ScanSettings settings)
    : m_catalog(catalog)
    , m_settings(std::move(settings))
{
    if (!m_settings.clock)
        m_settings.clock = [] { return QDateTime::currentSecsSinceEpoch(); };
}

ScanOutcome Scanner::run(const std::vector<std::unique_ptr<Connector>>& sources, Store* store,
    const CancelToken& cancel, const ProgressFn& userProgress)
{
    // Progress carries servers' words too (warnings, retries): masked on the way out. The scan's own measure gives
    // each source an equal share, filled as far as the source says, and storing one share more.
    constexpr std::int64_t kShare = 1000;
    std::size_t current = 0;
    const ProgressFn progress = userProgress ? ProgressFn([&](const Progress& p) {
        const std::int64_t within = p.total > 0 ? std::clamp<std::int64_t>(p.done, 0, p.total) * kShare / p.total : 0;
        userProgress(Progress(
            maskText(p.text), std::int64_t(current) * kShare + within, std::int64_t(sources.size() + 1) * kShare));
    })
                                             : ProgressFn();
    ScanOutcome outcome;
    ScanRecord& rec = outcome.record;
    rec.startedAt = m_settings.clock();
    rec.toolVersion = toolVersion();
    rec.runBy = m_settings.runBy;
    const auto renamed = store ? store->renamedTargets() : std::map<std::string, std::string>();
    ScanPass pass(m_catalog, m_settings, rec, renamed);
    adoptKnownNames(sources, store, renamed);
    for (std::size_t i = 0; i < sources.size(); ++i) {
        const auto& src = sources[i];
        current = i;
        // A location is shown and stored without credentials, whatever the user typed.
        SourceStatus status { src->target(), src->kind(), withoutCredentials(src->location()), true, {}, {} };
        if (progress)
            progress("[" + std::to_string(i + 1) + "/" + std::to_string(sources.size()) + "] " + src->kind() + " "
                + status.location);
        const bool goOn = pass.collect(*src, status, cancel, progress);
        outcome.sources.push_back(status);
        if (!goOn) {
            outcome.cancelled = true;
            return outcome;
        }
    }
    if (cancel.load()) {
        rec.table = FindingTable();
        outcome.cancelled = true;
        return outcome;
    }
    pass.finish(outcome, store);

    long observed = 0;
    for (const auto& [layer, t] : rec.tallies)
        observed += t.evaluated;
    outcome.nothingObserved = observed == 0 && rec.table.empty();
    if (store && !outcome.nothingObserved && (!outcome.anySourceFailed() || m_settings.allowPartial)) {
        current = sources.size();
        if (progress)
            progress("storing " + std::to_string(rec.table.size()) + " findings");
        outcome.scanId = store->writeScan(rec);
        for (std::size_t i = 0; i < sources.size() && i < outcome.sources.size(); ++i)
            if (outcome.sources[i].ok)
                store->rememberTargetName(sources[i]->identity(), sources[i]->target(), !sources[i]->defaultNamed());
    }
    if (m_settings.keepFindings) {
        rec.findings = rec.table.findings();
        rec.table = FindingTable();
    }
    return outcome;
}

} // namespace lg
