#include "reportwriter.h"

#include "exporters.h"
#include "outputfile.h"
#include "pdfreport.h"
#include "scoring.h"

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

std::string writeReport(const Store& store, std::int64_t scanId, const std::string& format, const std::string& path,
    const std::vector<Framework>& frameworks, bool filterFindings, const std::atomic<bool>* cancel, std::int64_t now,
    const std::string& target)
{
    // The latest scan is reported as of now (acceptances made or expired since count); an older one as recorded.
    // A target's latest scan counts as the latest for that target.
    const std::int64_t clock = now ? now : QDateTime::currentSecsSinceEpoch();
    const std::int64_t asOf = !target.empty() ? (store.latestScanOf(target) == scanId ? clock : 0)
                                              : store.statusTime(scanId, clock);
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
    const RuleCatalog catalog = RuleCatalog::builtin();
    ReportInput in;
    in.scan = *scan;
    FindingFilter all;
    all.asOf = asOf;
    all.target = target;
    in.findings = store.findings(scanId, all);
    for (const auto& [fid, risk] : store.activeAcceptances(asOf ? asOf : scan->finishedAt))
        if (std::any_of(in.findings.begin(), in.findings.end(), [&](const Finding& f) { return f.id == fid; }))
            in.acceptedRisks.push_back(risk);
    in.catalog = &catalog;
    if (format == "junit") {
        save(path, exportJUnit(in.scan, frameworks, catalog, store.ruleOutcomes(scanId), in.findings));
        return "wrote " + std::to_string(frameworks.size()) + " framework(s) to " + path;
    }
    if (format == "pdf") {
        PdfReportInput pdf;
        pdf.scan = in.scan;
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
            pdf.history.push_back(std::move(sc));
        }
        // Each target against its own previous scan: another target's scan never "resolves" these findings.
        std::set<std::string> targets;
        for (const auto& src : scan->sources)
            if (src.ok && (target.empty() || src.target == target))
                targets.insert(src.target);
        for (const auto& t : targets) {
            const auto prev = store.previousScanOf(t, scanId);
            if (!prev)
                continue;
            ScanDiff d = store.diff(*prev, scanId);
            auto other = [&](const Finding& f) { return f.subject.target != t; };
            std::erase_if(d.added, other);
            std::erase_if(d.resolved, other);
            std::erase_if(d.unchanged, other);
            if (!pdf.diffFromPrevious)
                pdf.diffFromPrevious = ScanDiff {};
            auto& into = *pdf.diffFromPrevious;
            std::move(d.added.begin(), d.added.end(), std::back_inserter(into.added));
            std::move(d.resolved.begin(), d.resolved.end(), std::back_inserter(into.resolved));
            std::move(d.unchanged.begin(), d.unchanged.end(), std::back_inserter(into.unchanged));
        }
        pdf.outcomes = store.ruleOutcomes(scanId);
        pdf.acceptedRisks = in.acceptedRisks;
        auto ticked = store.checklists();
        for (const auto& f : in.findings)
            if (auto it = ticked.find(f.id); it != ticked.end())
                pdf.checklist[f.id] = std::move(it->second);
        pdf.findings = std::move(in.findings);
        pdf.catalog = &catalog;
        pdf.frameworks = frameworks;
        pdf.cancel = cancel;
        pdf.deadlinesAt = asOf ? asOf : scan->finishedAt;
        pdf.remediation = store.remediationTimes(pdf.deadlinesAt - 90 * 86400, pdf.deadlinesAt, target);
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
