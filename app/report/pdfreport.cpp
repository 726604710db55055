#include "report/pdfreport.h"

#include "core/masking.h"
#include "core/plural.h"
#include "core/predicate.h"
#include "core/scoring.h"
#include "report/outputfile.h"
#include "report/palette.h"
#include "report/pdfdoc.h"

#include <QBuffer>
#include <QDateTime>
#include <QPageSize>
#include <QPdfWriter>

#include <map>
#include <stdexcept>

namespace lg {

using namespace pdf;

namespace {

/** Masked texts of the findings, computed once for both passes (masking is regex work). */
struct Prepared {
    std::map<std::string, std::pair<QString, QString>> byId; ///< message, evidence
};

/** One row per layer: score, checks run, open findings by severity. */
void layerTable(Doc& doc, const std::vector<LayerScore>& layers)
{
    std::vector<std::vector<Doc::Cell>> layerRows;
    for (Layer l : kAllLayers) {
        const auto it = std::find_if(layers.begin(), layers.end(), [&](const LayerScore& x) { return x.layer == l; });
        if (it == layers.end()) {
            layerRows.push_back({ { q(std::string(toString(l))) },
                { QStringLiteral("not scanned"), QColor(0x70, 0x70, 0x70) }, {}, {}, {}, {}, {} });
            continue;
        }
        const auto& c = it->tally.openBySeverity;
        layerRows.push_back({ { q(std::string(toString(l))), Qt::black, true },
            { it->score ? QStringLiteral("%1 (%2)").arg(*it->score).arg(QString::fromLatin1(scoreBand(*it->score)))
                    : it->tally.evaluated == 0 ? QStringLiteral("not observed (no data)")
                                               : QStringLiteral("no score") },
            { QString::number(it->tally.evaluated) }, { QString::number(c[0]), palette::severity(Severity::Critical) },
            { QString::number(c[1]), palette::severity(Severity::High) },
            { QString::number(c[2]), palette::severity(Severity::Medium) },
            { QString::number(c[3]), palette::severity(Severity::Low) } });
    }
    doc.table({ 0.18, 0.22, 0.14, 0.115, 0.115, 0.115, 0.115 },
        { QStringLiteral("Layer"), QStringLiteral("Score"), QStringLiteral("Checks run"), QStringLiteral("Critical"),
            QStringLiteral("High"), QStringLiteral("Medium"), QStringLiteral("Low") },
        layerRows);
}

void coverSection(Doc& doc, const PdfReportInput& in)
{
    const ScanInfo& s = in.scan;
    doc.advance(120);
    doc.text(QStringLiteral("Container security compliance report"), Font::Title, QColor(0x1F, 0x3A, 0x5F), 0, 12);
    QStringList fws;
    for (const auto& f : in.frameworks)
        fws << q(f.title);
    doc.text(fws.join(QStringLiteral(" · ")), Font::Bold, QColor(0x40, 0x40, 0x40), 0, 24);
    QStringList targets;
    for (const auto& src : s.sources)
        targets << q(src.target + " (" + src.kind + ": " + src.location + ")" + (src.ok ? "" : " — FAILED"));
    if (in.targets.empty())
        doc.text(QStringLiteral("Scan %1, finished %2").arg(s.id).arg(dateTime(s.finishedAt)), Font::Body);
    else
        doc.text(
            QStringLiteral("Estate of %1: the latest scan of each, %2 to %3")
                .arg(q(counted(in.targets.size(), "target", "targets")), dateTime(s.startedAt), dateTime(s.finishedAt)),
            Font::Body);
    doc.text(QStringLiteral("Targets: ") + targets.join(QStringLiteral("; ")), Font::Body);
    doc.text(QStringLiteral("Produced by %1 for %2; report written %3")
                 .arg(q(s.toolVersion), q(s.runBy.empty() ? std::string("unknown") : s.runBy),
                     QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'"))),
        Font::Body);
    doc.advance(30);
    doc.text(s.overallScore ? QString::number(*s.overallScore) : QStringLiteral("—"), Font::Big,
        s.overallScore && *s.overallScore >= 70 ? QColor(0x2E, 0x8B, 0x57) : QColor(0xB0, 0x1E, 0x2D), 0, 2);
    doc.text(
        QStringLiteral("Overall posture (0–100, higher is better)%1")
            .arg(s.overallScore ? QStringLiteral(": ") + QString::fromLatin1(scoreBand(*s.overallScore)) : QString()),
        Font::Body);
}

void contentsSection(Doc& doc, const PdfReportInput& in)
{
    doc.newPage();
    doc.setSection(QStringLiteral("Contents"));
    doc.text(QStringLiteral("Contents"), Font::H1, QColor(0x1F, 0x3A, 0x5F), 0, 10);
    std::vector<std::vector<Doc::Cell>> tocRows;
    for (const auto& e : doc.toc())
        tocRows.push_back({ { e.title }, { QString::number(e.page) } });
    if (tocRows.empty()) // measuring pass: reserve the same room (the contents have a page of their own)
        for (std::size_t i = 0; i < 5 + in.frameworks.size(); ++i)
            tocRows.push_back({ { QStringLiteral("—") }, { QStringLiteral("0") } });
    doc.table({ 0.85, 0.15 }, { QStringLiteral("Section"), QStringLiteral("Page") }, tocRows);
    doc.toc().clear();
}

void summarySection(Doc& doc, const PdfReportInput& in)
{
    const ScanInfo& s = in.scan;
    doc.heading(QStringLiteral("Executive summary"), 1);
    layerTable(doc, s.layers);
    if (in.diffFromPrevious)
        doc.text((in.targets.empty() ? QStringLiteral("Since the previous scan")
                                     : QStringLiteral("Since each target's previous scan"))
                + QStringLiteral(": %1 new findings, %2 resolved, %3 unchanged.")
                      .arg(in.diffFromPrevious->added.size())
                      .arg(in.diffFromPrevious->resolved.size())
                      .arg(in.diffFromPrevious->unchanged.size()),
            Font::Body);
    else
        doc.text(QStringLiteral("This is the first scan of the cache: no change to report yet."), Font::Body);
    doc.heading(QStringLiteral("Risk trend per layer"), 2);
    drawTrend(doc, in.history);
}

void targetsSection(Doc& doc, const PdfReportInput& in)
{
    // The estate: a section per target, its own latest scan.
    if (!in.targets.empty()) {
        doc.heading(QStringLiteral("Targets"), 1);
        doc.text(QStringLiteral("The estate is the latest scan of each target; each is compared with its own previous "
                                "scan. A target not scanned for more than %1 days is stale.")
                     .arg(kDefaultStaleAfter / 86400),
            Font::Body);
        for (const auto& t : in.targets) {
            doc.heading(q(t.target), 2);
            doc.text(QStringLiteral("%1 · scan %2, finished %3 · overall %4%5")
                         .arg(q(t.kind.empty() ? std::string("target") : t.kind))
                         .arg(t.scanId)
                         .arg(dateTime(t.scannedAt))
                         .arg(t.score ? QString::number(*t.score) : QStringLiteral("—"))
                         .arg(t.stale ? QStringLiteral(" · STALE") : QString()),
                Font::Body, t.stale ? QColor(0xB0, 0x1E, 0x2D) : QColor(0x40, 0x40, 0x40));
            layerTable(doc, t.layers);
        }
    }
}

/** A framework's control table and its counts. */
void controlTable(Doc& doc, const std::vector<ControlResult>& controls)
{
    int pass = 0, fail = 0, na = 0, no = 0;
    std::vector<std::vector<Doc::Cell>> rows;
    for (const auto& c : controls) {
        switch (c.status) {
        case ControlStatus::Pass:
            ++pass;
            break;
        case ControlStatus::Fail:
            ++fail;
            break;
        case ControlStatus::NotApplicable:
            ++na;
            break;
        case ControlStatus::NotObserved:
            ++no;
            break;
        }
        rows.push_back({ { q(c.control), Qt::black, false, true }, { q(c.rule->title) },
            { QString::fromLatin1(toString(c.status)), statusColor(c.status), true },
            { c.evaluated ? QStringLiteral("%1 / %2").arg(c.failed).arg(c.evaluated) : QStringLiteral("—") } });
    }
    doc.text(QStringLiteral("%1 controls: %2 pass, %3 fail, %4 not applicable, %5 not observed (no source in this scan "
                            "reads what they need). Failures covered by an accepted risk count as pass and are listed "
                            "under Accepted risks.")
                 .arg(controls.size())
                 .arg(pass)
                 .arg(fail)
                 .arg(na)
                 .arg(no),
        Font::Body);
    doc.table({ 0.24, 0.46, 0.15, 0.15 },
        { QStringLiteral("Control"), QStringLiteral("Check"), QStringLiteral("Result"),
            QStringLiteral("Failed / run") },
        rows);
}

/** Each failing control: its open failures with evidence, then the remediation steps. */
void failingResources(Doc& doc, const std::vector<ControlResult>& controls, const Prepared& prep)
{
    bool any = false;
    for (const auto& c : controls) {
        if (c.status != ControlStatus::Fail)
            continue;
        if (!any) {
            doc.heading(QStringLiteral("Failing resources"), 2);
            any = true;
        }
        doc.text(
            QStringLiteral("%1 — %2").arg(q(c.control), q(c.rule->title)), Font::Bold, QColor(0x1F, 0x3A, 0x5F), 0, 3);
        std::vector<std::vector<Doc::Cell>> frows;
        for (const Finding* f : c.findings) {
            if (f->status != FindingStatus::Open)
                continue;
            const auto& [message, evidence] = prep.byId.at(f->id);
            frows.push_back({ { q(std::string(toString(f->severity))), palette::severity(f->severity), true },
                { resourceText(*f) }, { message }, { evidence, Qt::black, false, true } });
        }
        doc.table({ 0.08, 0.22, 0.32, 0.38 },
            { QStringLiteral("Severity"), QStringLiteral("Resource"), QStringLiteral("Finding"),
                QStringLiteral("Evidence") },
            frows);
        QString steps;
        int n = 1;
        for (const auto& st : c.rule->remediation)
            steps += QStringLiteral("%1. %2\n").arg(n++).arg(q(st.text));
        doc.text(QStringLiteral("Remediation:\n") + steps.trimmed(), Font::Small, QColor(0x30, 0x30, 0x30), 10, 10);
    }
}

void frameworksSection(Doc& doc, const PdfReportInput& in, const Prepared& prep)
{
    for (const auto& fw : in.frameworks) {
        doc.heading(q(fw.title), 1);
        const auto controls = controlResults(fw, *in.catalog, in.outcomes, in.findings);
        controlTable(doc, controls);
        failingResources(doc, controls, prep);
    }
}

void importedSection(Doc& doc, const PdfReportInput& in, const Prepared& prep)
{
    // Results of other tools' reports imported into the scan: their checks have no control table here.
    std::vector<std::vector<Doc::Cell>> importedRows;
    for (const auto& f : in.findings) {
        if (f.status != FindingStatus::Open || in.catalog->find(f.rule))
            continue;
        const auto& [message, evidence] = prep.byId.at(f.id);
        importedRows.push_back({ { q(std::string(toString(f.severity))), palette::severity(f.severity), true },
            { q(f.rule), Qt::black, false, true }, { resourceText(f) }, { message } });
    }
    if (!importedRows.empty()) {
        doc.heading(QStringLiteral("Results imported from other tools"), 1);
        doc.text(QStringLiteral("%1 open findings come from reports of other tools (OpenSCAP, Lynis, kube-bench, "
                                "docker-bench-security, Kubescape) imported into this scan, under those tools' own "
                                "check ids. A result that a Layerguard rule also reported on the same resource is "
                                "listed once, in the framework sections above, naming both sources in its evidence.")
                     .arg(importedRows.size()),
            Font::Body);
        doc.table({ 0.08, 0.27, 0.25, 0.40 },
            { QStringLiteral("Severity"), QStringLiteral("Check"), QStringLiteral("Resource"),
                QStringLiteral("Finding") },
            importedRows);
    }
}

void overdueSection(Doc& doc, const PdfReportInput& in)
{
    const ScanInfo& s = in.scan;
    // Overdue: open findings past the deadline their severity has, counted from when each was first seen.
    doc.heading(QStringLiteral("Overdue findings"), 1);
    {
        const std::int64_t at = in.deadlinesAt ? in.deadlinesAt : s.finishedAt;
        std::vector<const Finding*> late;
        for (const auto& f : in.findings)
            if (f.status == FindingStatus::Open && overdue(f.severity, f.firstSeen, at, in.slaDays))
                late.push_back(&f);
        std::stable_sort(late.begin(), late.end(), [](const Finding* a, const Finding* b) {
            return std::tie(a->severity, a->firstSeen) < std::tie(b->severity, b->firstSeen);
        });
        QStringList deadlines;
        for (Severity sev : kAllSeverities)
            if (const int d = in.slaDays[std::size_t(sev)]; d > 0)
                deadlines << QStringLiteral("%1 %2 days").arg(q(std::string(toString(sev)))).arg(d);
        doc.text(QStringLiteral("Deadlines from when a finding was first seen: %1. As of %2, %3.")
                     .arg(deadlines.join(QStringLiteral(", ")), dateTime(at),
                         late.empty() ? QStringLiteral("no open finding is past its deadline")
                                      : q(counted(late.size(), "open finding is", "open findings are"))
                                 + QStringLiteral(" past it")),
            Font::Body);
        constexpr std::size_t kListed = 300; // the rest are in the JSON and CSV exports
        std::vector<std::vector<Doc::Cell>> lateRows;
        for (std::size_t i = 0; i < late.size() && i < kListed; ++i) {
            const Finding& f = *late[i];
            const std::int64_t due = f.firstSeen + std::int64_t(in.slaDays[std::size_t(f.severity)]) * 86400;
            lateRows.push_back({ { q(std::string(toString(f.severity))), palette::severity(f.severity) },
                { q(f.rule + " on " + f.subject.kind + "/"
                    + (f.subject.namespace_.empty() ? "" : f.subject.namespace_ + "/") + f.subject.name) },
                { dateTime(f.firstSeen) }, { QStringLiteral("%1 days").arg((at - due) / 86400) } });
        }
        if (!lateRows.empty())
            doc.table({ 0.10, 0.52, 0.22, 0.16 },
                { QStringLiteral("Severity"), QStringLiteral("Finding"), QStringLiteral("First seen"),
                    QStringLiteral("Late by") },
                lateRows);
        if (late.size() > kListed)
            doc.text(QStringLiteral("… and %1 more (layerguard findings --overdue lists them all).")
                         .arg(late.size() - kListed),
                Font::Body);
        QStringList mttr;
        for (Severity sev : kAllSeverities) {
            const auto& r = in.remediation[std::size_t(sev)];
            if (r.fixed > 0)
                mttr << QStringLiteral("%1 %2 days (%3 fixed)")
                            .arg(q(std::string(toString(sev))))
                            .arg(double(r.meanSeconds) / 86400.0, 0, 'f', 1)
                            .arg(r.fixed);
        }
        doc.text(QStringLiteral("Mean time to remediate over the 90 days before: %1.")
                     .arg(mttr.isEmpty() ? QStringLiteral("nothing was fixed") : mttr.join(QStringLiteral("; "))),
            Font::Body);
    }
}

void risksSection(Doc& doc, const PdfReportInput& in)
{
    const ScanInfo& s = in.scan;
    doc.heading(QStringLiteral("Accepted risks"), 1);
    std::vector<std::vector<Doc::Cell>> riskRows;
    for (const auto& r : in.acceptedRisks) {
        std::string what = r.fid;
        for (const auto& f : in.findings)
            if (f.id == r.fid)
                what = f.rule + " on " + f.subject.kind + "/" + f.subject.name;
        const bool expired = r.expiresAt && *r.expiresAt <= s.finishedAt;
        riskRows.push_back({ { q(what) }, { q(r.owner) }, { q(maskText(r.reason)) },
            { r.expiresAt ? dateTime(*r.expiresAt) + (expired ? QStringLiteral(" (expired)") : QString())
                          : QStringLiteral("no expiry"),
                expired ? QColor(0xB0, 0x1E, 0x2D) : QColor(Qt::black) } });
    }
    if (riskRows.empty())
        doc.text(QStringLiteral("No risk has been accepted."), Font::Body);
    else
        doc.table({ 0.36, 0.14, 0.32, 0.18 },
            { QStringLiteral("Finding"), QStringLiteral("Owner"), QStringLiteral("Reason"), QStringLiteral("Expires") },
            riskRows);
}

void exemptionsSection(Doc& doc, const PdfReportInput& in)
{
    // Exemptions: failures the policy or an annotation on the resource exempts. Kept and listed, never scored.
    doc.heading(QStringLiteral("Exemptions"), 1);
    std::vector<std::vector<Doc::Cell>> exemptRows;
    for (const auto& f : in.findings)
        if (f.status == FindingStatus::Exempted)
            exemptRows.push_back({ { q(std::string(toString(f.severity))), palette::severity(f.severity) },
                { q(f.rule + " on " + f.subject.kind + "/"
                    + (f.subject.namespace_.empty() ? "" : f.subject.namespace_ + "/") + f.subject.name) },
                { q(maskText(f.exemption.by)) }, { q(maskText(f.exemption.reason)) } });
    if (exemptRows.empty())
        doc.text(QStringLiteral("Nothing is exempted."), Font::Body);
    else {
        doc.text(q(counted(exemptRows.size(), "failure is", "failures are"))
                + QStringLiteral(" exempted by the policy or by a layerguard.io/ignore annotation on the resource. "
                                 "They do not count against the score; each says who or what exempts it and why."),
            Font::Body);
        doc.table({ 0.08, 0.40, 0.22, 0.30 },
            { QStringLiteral("Severity"), QStringLiteral("Finding"), QStringLiteral("Exempted by"),
                QStringLiteral("Reason") },
            exemptRows);
    }
}

void progressSection(Doc& doc, const PdfReportInput& in)
{
    doc.heading(QStringLiteral("Remediation progress"), 1);
    std::vector<std::vector<Doc::Cell>> progressRows;
    int started = 0;
    for (const auto& f : in.findings) {
        auto it = in.checklist.find(f.id);
        if (it == in.checklist.end() || it->second.empty())
            continue;
        ++started;
        const auto& last = it->second.back();
        progressRows.push_back({ { q(f.rule + " on " + f.subject.kind + "/" + f.subject.name) },
            { QStringLiteral("%1 of %2").arg(it->second.size()).arg(f.remediation.size()) },
            { q(last.doneBy) + QStringLiteral(", ") + dateTime(last.doneAt) } });
    }
    doc.text(QStringLiteral("%1 of %2 open findings have remediation steps ticked off.")
                 .arg(started)
                 .arg(in.findings.size()),
        Font::Body);
    if (!progressRows.empty())
        doc.table({ 0.55, 0.15, 0.30 },
            { QStringLiteral("Finding"), QStringLiteral("Steps done"), QStringLiteral("Last step by") }, progressRows);
}

void appendixSection(Doc& doc, const PdfReportInput& in)
{
    const ScanInfo& s = in.scan;
    doc.heading(QStringLiteral("Appendix: method and score"), 1);
    doc.text(
        QStringLiteral("Method. Layerguard collected the sources below, evaluated its rule catalogue (%1 rules, each "
                       "citing the peer control IDs it implements) and stored the scan in its local cache in one "
                       "transaction. A control is pass when every resource it applied to passed, fail when one did "
                       "not, not applicable when no scanned resource was in its scope, and not observed when no "
                       "source of this scan reads the data it needs. Secret-looking values are masked.")
            .arg(in.catalog->rules().size()),
        Font::Body, Qt::black, 0, 8);
    std::vector<std::vector<Doc::Cell>> srcRows;
    for (const auto& src : s.sources)
        srcRows.push_back({ { q(src.target) }, { q(src.kind) }, { q(src.location), Qt::black, false, true },
            { src.ok ? QStringLiteral("ok") : q("failed: " + src.error),
                src.ok ? QColor(0x2E, 0x8B, 0x57) : QColor(0xB0, 0x1E, 0x2D) } });
    doc.table({ 0.22, 0.13, 0.40, 0.25 },
        { QStringLiteral("Target"), QStringLiteral("Source"), QStringLiteral("Location"), QStringLiteral("Status") },
        srcRows);
    doc.text(QStringLiteral(
                 "Score. For each layer, E is the sum of severity weights over every (rule, resource) pair "
                 "evaluated on data and F the sum over its open failures (accepted risks and exemptions count as "
                 "passed; what a source could not see never weighs); weights are critical 10, high 6, medium 3, "
                 "low 1, info 0. score = round(100 × (1 − F / E)), with no cap: it moves with every fix. Beside it, "
                 "a gate says when a critical or high finding is open. A layer that was not scanned, or where "
                 "nothing was evaluated on data, has no score. Bands: 90–100 good, 70–89 fair, 50–69 poor, below "
                 "50 bad."),
        Font::Body);
    doc.finishPage();
}

void render(Doc& doc, const PdfReportInput& in, const Prepared& prep)
{
    coverSection(doc, in);
    contentsSection(doc, in);
    summarySection(doc, in);
    targetsSection(doc, in);
    frameworksSection(doc, in, prep);
    importedSection(doc, in, prep);
    overdueSection(doc, in);
    risksSection(doc, in);
    exemptionsSection(doc, in);
    progressSection(doc, in);
    appendixSection(doc, in);
}

} // namespace

int writePdfReport(const std::string& path, const PdfReportInput& in)
{
    if (!in.catalog)
        throw std::runtime_error("no rule catalogue");
    // An estate report has no scan of its own (its id is 0): its pages say whose estate they show.
    const QString header = in.targets.empty() ? QStringLiteral("Layerguard compliance report — scan %1").arg(in.scan.id)
                                              : QStringLiteral("Layerguard compliance report — estate of %1")
                                                    .arg(q(counted(in.targets.size(), "target", "targets")));
    auto setup = [](QPdfWriter& w) {
        w.setPageSize(QPageSize(QPageSize::A4));
        w.setResolution(72); // one unit is one point
        w.setPageMargins(QMarginsF(0, 0, 0, 0));
        w.setTitle(QStringLiteral("Layerguard compliance report"));
        w.setCreator(QStringLiteral("Layerguard"));
    };
    Prepared prep;
    for (const auto& f : in.findings) {
        QString evidence;
        for (const auto& e : f.evidence)
            evidence += q(e.path) + QStringLiteral(" = ") + q(maskText(displayValue(e.value))) + QLatin1Char('\n');
        prep.byId[f.id] = { q(maskText(f.message)), evidence.trimmed() };
    }
    // Pass 1: measure, to know the contents' page numbers and the page count.
    QBuffer scratch;
    scratch.open(QIODevice::WriteOnly);
    std::vector<Doc::TocEntry> toc;
    int pages = 0;
    LayoutCache laid;
    {
        QPdfWriter measureWriter(&scratch);
        setup(measureWriter);
        Doc doc(measureWriter, false, header, laid);
        doc.setCancel(in.cancel);
        render(doc, in, prep);
        pages = doc.page();
        toc = doc.toc();
    }
    // Every write is checked: a full disk or a failed write leaves the old file (or none), never a truncated report.
    OutputFile file(path);
    {
        QPdfWriter writer(&file.device());
        setup(writer);
        Doc doc(writer, true, header, laid);
        doc.setCancel(in.cancel);
        doc.setTotalPages(pages);
        doc.toc() = toc;
        render(doc, in, prep);
    }
    file.commit();
    return pages;
}

} // namespace lg
