#include "report/reportwriter.h"

#include "core/scoring.h"
#include "report/exporters.h"
#include "report/outputfile.h"
#include "report/pdfreport.h"

#include <QDateTime>

#include <algorithm>
#include <iterator>
#include <set>
#include <stdexcept>

namespace lg {

namespace {
void save(const std::string& path, const std::string& text)
{
    OutputFile out(path);
    if (out.device().write(text.data(), qint64(text.size())) != qint64(text.size()))
        throw std::runtime_error("could not write " + path + ": " + out.device().errorString().toStdString());
    out.commit();
}
} // namespace

namespace {
/** What every format reports: the scan (or the estate as one), its findings and what the PDF adds. */
struct Gathered {
    ReportInput in;
    PdfReportInput pdf; ///< scan, findings, risks and catalogue filled in by the caller of gather*
    std::map<std::string, RuleOutcome> outcomes;
};

/** Each target against its own previous scan: another target's scan never "resolves" its findings. */
void addChanges(const Store& store, const std::string& target, std::int64_t previous, std::int64_t scanId,
    std::optional<ScanDiff>& into)
{
    ScanDiff d = store.diff(previous, scanId);
    auto other = [&](const Finding& f) { return f.subject.target != target; };
    std::erase_if(d.added, other);
    std::erase_if(d.resolved, other);
    std::erase_if(d.unchanged, other);
    if (!into)
        into = ScanDiff {};
    std::move(d.added.begin(), d.added.end(), std::back_inserter(into->added));
    std::move(d.resolved.begin(), d.resolved.end(), std::back_inserter(into->resolved));
    std::move(d.unchanged.begin(), d.unchanged.end(), std::back_inserter(into->unchanged));
}

void gatherScan(
    const Store& store, std::int64_t scanId, const std::string& target, std::int64_t clock, bool pdf, Gathered& g)
{
    // The latest scan is reported as of now (acceptances made or expired since count); an older one as recorded.
    // A target's latest scan counts as the latest for that target.
    const std::int64_t asOf
        = !target.empty() ? (store.latestScanOf(target) == scanId ? clock : 0) : store.statusTime(scanId, clock);
    auto scan = store.scanAt(scanId, asOf);
    if (!scan)
        throw std::runtime_error("no scan " + std::to_string(scanId) + " in the cache");
    if (!target.empty()) { // the target's own share of the scan
        scan->layers = store.targetLayerScoresAt(scanId, target, asOf);
        std::map<Layer, LayerTally> tallies;
        for (const auto& ls : scan->layers)
            tallies[ls.layer] = ls.tally;
        scan->overallScore = overallScore(tallies);
        std::erase_if(scan->sources, [&](const SourceStatus& s) { return s.target != target; });
    }
    g.in.scan = *scan;
    FindingFilter all;
    all.asOf = asOf;
    all.target = target;
    g.in.findings = store.findings(scanId, all);
    for (const auto& [fid, risk] : store.activeAcceptances(asOf ? asOf : scan->finishedAt))
        if (std::any_of(g.in.findings.begin(), g.in.findings.end(), [&](const Finding& f) { return f.id == fid; }))
            g.in.acceptedRisks.push_back(risk);
    g.outcomes = store.ruleOutcomes(scanId);
    if (!pdf)
        return;
    for (auto sc : store.scans()) {
        if (sc.id > scanId)
            continue;
        if (!target.empty()) {
            sc.layers = store.targetLayerScoresAt(sc.id, target, 0);
            if (sc.layers.empty())
                continue; // a scan that did not cover this target
            std::map<Layer, LayerTally> tallies;
            for (const auto& ls : sc.layers)
                tallies[ls.layer] = ls.tally;
            sc.overallScore = overallScore(tallies);
        }
        g.pdf.history.push_back(std::move(sc));
    }
    std::set<std::string> targets;
    for (const auto& src : scan->sources)
        if (src.ok && (target.empty() || src.target == target))
            targets.insert(src.target);
    for (const auto& t : targets)
        if (const auto prev = store.previousScanOf(t, scanId))
            addChanges(store, t, *prev, scanId, g.pdf.diffFromPrevious);
    g.pdf.deadlinesAt = asOf ? asOf : scan->finishedAt;
}

void gatherEstate(const Store& store, std::int64_t clock, bool pdf, Gathered& g)
{
    // The estate: the latest scan of each target, as of now, reported as one.
    const EstatePosture e = store.estate(clock);
    if (e.targets.empty())
        throw std::runtime_error("the cache holds no scan yet");
    ScanInfo& s = g.in.scan;
    s.id = 0;
    s.startedAt = e.targets.front().scannedAt;
    s.layers = e.layers;
    s.overallScore = e.score;
    std::set<std::int64_t> scans;
    for (const auto& t : e.targets) {
        s.startedAt = std::min(s.startedAt, t.scannedAt);
        s.finishedAt = std::max(s.finishedAt, t.scannedAt);
        const auto one = store.scan(t.scanId);
        if (one) {
            if (one->finishedAt >= s.finishedAt) {
                s.toolVersion = one->toolVersion;
                s.runBy = one->runBy;
            }
            for (const auto& src : one->sources)
                if (src.target == t.target && src.ok)
                    s.sources.push_back(src);
            if (scans.insert(t.scanId).second)
                s.resources += one->resources;
        }
        FindingFilter mine;
        mine.asOf = clock;
        mine.target = t.target;
        auto some = store.findings(t.scanId, mine);
        std::move(some.begin(), some.end(), std::back_inserter(g.in.findings));
    }
    std::set<std::string> fids;
    for (const auto& f : g.in.findings)
        fids.insert(f.id);
    for (const auto& [fid, risk] : store.activeAcceptances(clock))
        if (fids.count(fid))
            g.in.acceptedRisks.push_back(risk);
    // A scan's rule outcomes count once, whichever targets it covered.
    for (const auto id : scans)
        for (const auto& [rule, o] : store.ruleOutcomes(id)) {
            auto& sum = g.outcomes[rule];
            sum.evaluated += o.evaluated;
            sum.failed += o.failed;
            sum.notApplicable += o.notApplicable;
            sum.exempted += o.exempted;
            sum.notObserved += o.notObserved;
        }
    if (!pdf)
        return;
    for (const auto& point : store.estateHistory()) { // the estate after each scan, for the trend
        ScanInfo h;
        h.id = point.scanId;
        h.finishedAt = point.at;
        h.overallScore = point.score;
        for (const auto& [layer, score] : point.layers) {
            LayerScore ls;
            ls.layer = layer;
            ls.score = score;
            ls.tally.scanned = true;
            ls.tally.evaluated = 1;
            h.layers.push_back(ls);
        }
        g.pdf.history.push_back(std::move(h));
    }
    for (const auto& t : e.targets)
        if (t.previousScanId)
            addChanges(store, t.target, *t.previousScanId, t.scanId, g.pdf.diffFromPrevious);
    g.pdf.targets = e.targets;
    g.pdf.deadlinesAt = clock;
}
} // namespace

std::string writeReport(const Store& store, std::int64_t scanId, const std::string& format, const std::string& path,
    const std::vector<Framework>& frameworks, bool filterFindings, const std::atomic<bool>* cancel, std::int64_t now,
    const std::string& target)
{
    const std::int64_t clock = now ? now : QDateTime::currentSecsSinceEpoch();
    const RuleCatalog catalog = RuleCatalog::builtin();
    Gathered g;
    if (scanId == 0)
        gatherEstate(store, clock, format == "pdf", g);
    else
        gatherScan(store, scanId, target, clock, format == "pdf", g);
    ReportInput& in = g.in;
    in.catalog = &catalog;
    if (format == "junit") {
        save(path, exportJUnit(in.scan, frameworks, catalog, g.outcomes, in.findings));
        return "wrote " + std::to_string(frameworks.size()) + " framework(s) to " + path;
    }
    if (format == "pdf") {
        PdfReportInput& pdf = g.pdf;
        pdf.scan = in.scan;
        pdf.outcomes = std::move(g.outcomes);
        pdf.acceptedRisks = in.acceptedRisks;
        auto ticked = store.checklists();
        for (const auto& f : in.findings)
            if (auto it = ticked.find(f.id); it != ticked.end())
                pdf.checklist[f.id] = std::move(it->second);
        pdf.findings = std::move(in.findings);
        pdf.catalog = &catalog;
        pdf.frameworks = frameworks;
        pdf.cancel = cancel;
        pdf.remediation = store.remediationTimes(
            pdf.deadlinesAt - 90 * 86400, pdf.deadlinesAt, scanId == 0 ? std::string() : target);
        const int pages = writePdfReport(path, pdf); // atomically, every write checked (QSaveFile)
        return "wrote " + std::to_string(pages) + " pages to " + path;
    }
    if (filterFindings) {
        std::set<std::string> wanted;
        for (const auto& fw : frameworks)
            wanted.insert(fw.id);
        std::erase_if(in.findings, [&](const Finding& f) {
            return std::none_of(
                f.frameworks.begin(), f.frameworks.end(), [&](const std::string& fw) { return wanted.count(fw) > 0; });
        });
    }
    if (format == "json")
        save(path, exportJson(in));
    else if (format == "csv")
        save(path, exportCsv(in.findings));
    else if (format == "sarif")
        save(path, exportSarif(in));
    else
        throw std::runtime_error("unknown report format " + format);
    return "wrote " + std::to_string(in.findings.size()) + " findings to " + path;
}

} // namespace lg
