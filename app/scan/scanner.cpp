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

    // Failed checks go straight into the record's compact table; a failed source's rows are taken back.
    RuleEngine engine(m_catalog, m_settings.policy, rec.startedAt);
    engine.setSink(&rec.table);
    std::vector<Resource> external;
    std::map<std::string, std::set<Layer>> targetLayers; // what each target's sources covered
    // A source the user did not name takes the name its identity already goes by: the folder scanned from the
    // window is the one a saved connection or `--target` named, and its findings keep their ids.
    if (store)
        for (const auto& src : sources)
            if (src->defaultNamed())
                if (auto known = store->targetNameFor(src->identity()); known && *known != src->target())
                    src->rename(*known);
    for (std::size_t i = 0; i < sources.size(); ++i) {
        const auto& src = sources[i];
        current = i;
        // A location is shown and stored without credentials, whatever the user typed.
        SourceStatus status { src->target(), src->kind(), withoutCredentials(src->location()), true, {}, {} };
        if (progress)
            progress("[" + std::to_string(i + 1) + "/" + std::to_string(sources.size()) + "] " + src->kind() + " "
                + status.location);
        // Resources of a source are evaluated as they arrive, their findings recorded into the scan's table;
        // a failing source's rows are taken back, its tallies never merged: it contributes nothing.
        RuleEngine sourceEngine(m_catalog, m_settings.policy, rec.startedAt);
        sourceEngine.setSink(&rec.table);
        const FindingTable::Mark mark = rec.table.mark();
        std::vector<Resource> identities;
        std::vector<Resource> sourceExternal;
        try {
            src->collect(
                [&](const Resource& r) {
                    if (r.kind == kExternalCheckKind) { // another tool's result: judged after the rules ran
                        sourceExternal.push_back(r);
                        return;
                    }
                    if (r.kind == kImportedReportKind)
                        sourceEngine.add(withAge(r, rec.startedAt, m_settings.policy.importMaxAgeDays));
                    else
                        sourceEngine.add(r);
                    // keep identity only (no copy of the data): the whole inventory is never held
                    if (r.kind != kPolicyContextKind)
                        identities.push_back({ r.layer, r.target, r.kind, r.namespace_, r.name, r.origin, nullptr });
                },
                cancel, progress);
        } catch (const Cancelled&) {
            rec.table = FindingTable(); // nothing of a cancelled scan is kept
            outcome.cancelled = true;
            status.ok = false;
            status.error = "cancelled";
            outcome.sources.push_back(status);
            return outcome;
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
            rec.table.truncate(mark);
            // its layers get no score from this source: a failed source is never shown as secure
            outcome.sources.push_back(status);
            continue;
        }
        // Merge the source's results; its cross-resource observations join those of the other
        // sources, so a NetworkPolicy in one folder covers the workloads of another of the same target.
        for (Layer l : src->layers()) {
            engine.markScanned(l);
            targetLayers[src->target()].insert(l);
        }
        engine.absorb(sourceEngine);
        rec.resources.reserve(rec.resources.size() + identities.size());
        for (auto& id : identities)
            rec.resources.push_back(std::move(id));
        for (auto& e : sourceExternal)
            external.push_back(std::move(e));
        outcome.sources.push_back(status);
    }
    if (cancel.load()) {
        rec.table = FindingTable();
        outcome.cancelled = true;
        return outcome;
    }

    try {
        engine.finish();
    } catch (const std::exception& e) {
        outcome.sources.push_back({ "cross-resource checks", "engine", {}, false, e.what(),
            "please report this with the manifests that triggered it" });
    }
    rec.tallies = engine.tallies();
    rec.targetTallies = engine.targetTallies();
    rec.outcomes = engine.outcomes();
    applyExternalChecks(
        external, m_catalog, m_settings.policy, rec.table, rec.outcomes, rec.tallies, rec.targetTallies);
    // The same object given twice (a base and an overlay file, two reports of one host) is one finding.
    rec.table.removeDuplicates();
    for (const auto& [rule, o] : rec.outcomes) // the rules that failed somewhere, for their text
        if (o.failed > 0)
            if (const Rule* r = m_catalog.find(rule)) // imported results carry their own text
                rec.rules[rule] = r;
    for (Layer l : engine.scannedLayers())
        rec.tallies[l].scanned = true;
    for (const auto& [target, layers] : targetLayers)
        for (Layer l : layers)
            rec.targetTallies[target][l].scanned = true;
    const std::int64_t now = m_settings.clock();
    if (store) {
        const auto accepted = store->activeAcceptances(now);
        if (!accepted.empty())
            for (std::size_t i = 0; i < rec.table.size(); ++i)
                if (accepted.count(std::string(rec.table.fid(i))))
                    rec.table.setStatus(i, FindingStatus::Accepted);
    }
    tallyFindings(rec.tallies, rec.table);
    tallyFindings(rec.targetTallies, rec.table);
    rec.finishedAt = now;
    rec.sources = outcome.sources;

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
