// Renaming a target: its whole history goes with it, and a name another target has is refused.
#include "tst_store.h"

#include "core/scoring.h"

#include <QTest>

#include "testsupport.h"

#include <algorithm>
#include <set>
#include <stdexcept>

using namespace lg;

namespace {

using Targets = std::vector<std::pair<std::string, std::vector<std::string>>>; ///< target -> its pods' names

Finding privileged(const std::string& target, const std::string& pod)
{
    Finding f;
    f.rule = "LG-PSS-PRIVILEGED";
    f.title = "Privileged container";
    f.layer = Layer::Orchestrator;
    f.severity = pod == "db" ? Severity::Critical : Severity::High;
    f.subject = { target, "Pod", "shop", pod, "c" };
    f.id = fingerprint(f.rule, f.subject);
    f.message = "privileged " + pod;
    return f;
}

/** A scan at `at` of these targets, each with a privileged finding per pod, its tallies per target. */
ScanRecord scanOf(std::int64_t at, const Targets& targets)
{
    ScanRecord r;
    r.startedAt = at - 1;
    r.finishedAt = at;
    r.toolVersion = "test";
    for (const auto& [target, pods] : targets) {
        r.sources.push_back({ target, "manifests", "/srv/" + target, true, {}, {} });
        std::vector<Finding> own;
        for (const auto& pod : pods)
            own.push_back(privileged(target, pod));
        auto& t = r.targetTallies[target][Layer::Orchestrator];
        t.scanned = true;
        t.evaluated = 10;
        t.evaluatedWeight = 60;
        std::map<Layer, LayerTally> mine { { Layer::Orchestrator, t } };
        tallyFindings(mine, own);
        t = mine[Layer::Orchestrator];
        for (const auto& pod : pods)
            r.resources.push_back({ Layer::Orchestrator, target, "Pod", "shop", pod, "/srv/" + target, nullptr });
        r.findings.insert(r.findings.end(), own.begin(), own.end());
    }
    for (const auto& [target, layers] : r.targetTallies)
        for (const auto& [layer, t] : layers) {
            auto& all = r.tallies[layer];
            all.scanned = true;
            all.evaluated += t.evaluated;
            all.evaluatedWeight += t.evaluatedWeight;
            all.failedWeight += t.failedWeight;
            for (std::size_t i = 0; i < 5; ++i)
                all.openBySeverity[i] += t.openBySeverity[i];
        }
    return r;
}

std::set<std::string> ids(const std::vector<Finding>& findings)
{
    std::set<std::string> out;
    for (const auto& f : findings)
        out.insert(f.id);
    return out;
}

/** The estate, its history and the scans' records under the new name, the scores as before. */
void checkEstate(const Store& s, std::int64_t first, std::int64_t second, const EstatePosture& before)
{
    LG_COMPARE(s.integrityCheck(), std::string("ok"));
    LG_COMPARE(s.scannedTargets(), (std::vector<std::string> { "beta", "zulu" }));
    const auto after = s.estate(2100);
    QCOMPARE(after.targets.size(), std::size_t(2));
    LG_COMPARE(after.targets[1].target, std::string("zulu"));
    LG_COMPARE(after.targets[1].scanId, second);
    LG_COMPARE(after.targets[1].previousScanId, std::optional<std::int64_t>(first));
    LG_COMPARE(after.targets[1].kind, std::string("manifests"));
    LG_COMPARE(after.targets[1].score, before.targets[0].score);
    LG_COMPARE(after.score, before.score);
    LG_COMPARE(s.estateHistory("zulu").size(), std::size_t(2));
    LG_COMPARE(s.estateHistory("alpha").size(), std::size_t(0));
    LG_COMPARE(s.scan(first)->sources[0].target, std::string("zulu"));
    LG_COMPARE(s.targetLayerScoresAt(first, "zulu", 0).size(), std::size_t(1));
    LG_COMPARE(s.target("alpha").has_value(), false);
    LG_COMPARE(s.target("zulu")->config["paths"][0].get<std::string>(), std::string("/srv/alpha"));
    LG_COMPARE(s.targetNameFor("manifests:/srv/alpha"), std::optional<std::string>("zulu"));
}

/** Every scan's findings under the fingerprints the new name gives, the shared scan in the new name's order. */
void checkFindings(const Store& s, std::int64_t first, std::int64_t second)
{
    FindingFilter zulu;
    zulu.target = "zulu";
    LG_COMPARE(ids(s.findings(first, zulu)),
        (std::set<std::string> {
            privileged("zulu", "web").id, privileged("zulu", "db").id, privileged("zulu", "cache").id }));
    FindingFilter alpha;
    alpha.target = "alpha";
    LG_COMPARE(s.findings(first, alpha).size() + s.findings(second, alpha).size(), std::size_t(0));
    LG_COMPARE(s.knowsFinding(privileged("alpha", "web").id), false);
    LG_COMPARE(s.findingRowId(second, privileged("zulu", "queue").id).has_value(), true);
    const auto shared = s.findings(first); // in stored order: the default order with the new name
    QCOMPARE(shared.size(), std::size_t(4));
    QVERIFY(std::is_sorted(shared.begin(), shared.end(), defaultLess));
    LG_COMPARE(shared.back().subject.target, std::string("zulu")); // of the highs, beta's api now comes first
    FindingQuery byTarget;
    byTarget.scanId = first;
    byTarget.sort = FindingSort::Target;
    const auto rows = s.findingRowIds(byTarget);
    QCOMPARE(rows.size(), std::size_t(4));
    LG_COMPARE(s.findingsByRowId(first, rows.data(), 1).front().subject.target, std::string("beta"));
}

/** The acceptance, the checklist tick and the first sightings followed the fingerprints; the diff spans the rename. */
void checkTriageAndDiff(const Store& s, std::int64_t first, std::int64_t second)
{
    LG_COMPARE(s.activeAcceptances(2100).count(privileged("zulu", "web").id), std::size_t(1));
    FindingFilter now;
    now.target = "zulu";
    now.asOf = 2100;
    for (const auto& f : s.findings(second, now))
        LG_COMPARE(f.status == FindingStatus::Accepted, f.subject.name == "web");
    LG_COMPARE(s.checklist(privileged("zulu", "db").id).size(), std::size_t(1));
    LG_COMPARE(s.checklist(privileged("alpha", "db").id).size(), std::size_t(0));
    for (const auto& f : s.findings(second))
        LG_COMPARE(f.firstSeen, std::int64_t(f.subject.name == "queue" ? 2000 : 1000));
    const ScanDiff d = s.diff(first, second); // one new, cache and beta's api resolved, two unchanged
    LG_COMPARE(ids(d.added), (std::set<std::string> { privileged("zulu", "queue").id }));
    LG_COMPARE(
        ids(d.resolved), (std::set<std::string> { privileged("zulu", "cache").id, privileged("beta", "api").id }));
    LG_COMPARE(d.unchanged.size(), std::size_t(2));
    const auto summary = s.diffSummary(first, second, 10, "zulu");
    LG_COMPARE(summary.added, 1);
    LG_COMPARE(summary.resolved, 1);
    LG_COMPARE(summary.unchanged, 2);
}

} // namespace

// alpha is scanned with beta, then alone, with an acceptance, a checklist tick and a saved connection; renamed
// "zulu" (after beta now: the shared scan's order and target ranks change too), every view shows its whole history
// under the new name and nothing under the old, and the next scan under the new name continues it.
void TestStore::renameKeepsTheWholeHistory()
{
    Store s(m_path.toStdString());
    const auto first = s.writeScan(scanOf(1000, { { "alpha", { "web", "db", "cache" } }, { "beta", { "api" } } }));
    const auto second = s.writeScan(scanOf(2000, { { "alpha", { "web", "db", "queue" } } }));
    s.acceptRisk(
        { privileged("alpha", "web").id, "alice", "replaced next sprint", std::nullopt, 1500, "alice", {}, {} });
    s.setChecklistStep(privileged("alpha", "db").id, 0, true, "bob", 1600);
    s.saveTarget({ "alpha", "manifests", { { "paths", { "/srv/alpha" } } }, 900 });
    s.rememberTargetName("manifests:/srv/alpha", "alpha", true);
    const auto before = s.estate(2100);

    const TargetRename r = s.renameTarget("alpha", "zulu");
    LG_COMPARE(r.scans, 2);
    LG_COMPARE(r.findings, 6);
    LG_COMPARE(r.fingerprints, 4); // web, db, cache, queue
    LG_COMPARE(r.savedConnection, true);
    checkEstate(s, first, second, before);
    if (QTest::currentTestFailed())
        return;
    checkFindings(s, first, second);
    if (QTest::currentTestFailed())
        return;
    checkTriageAndDiff(s, first, second);
    if (QTest::currentTestFailed())
        return;

    // the next scan under the new name continues the history: ages from the first sighting, nothing new
    const auto third = s.writeScan(scanOf(3000, { { "zulu", { "web", "db", "queue" } } }));
    for (const auto& f : s.findings(third))
        LG_COMPARE(f.firstSeen, std::int64_t(f.subject.name == "queue" ? 2000 : 1000));
    LG_COMPARE(s.diffSummary(second, third, 10, "zulu").added, 0);
    LG_COMPARE(s.remediationTimes(0, 5000, "zulu")[std::size_t(Severity::High)].fixed, 1); // cache, in scan 2
}

// A rename never merges two targets, and a refused one changes nothing.
void TestStore::renameRefusesATakenName()
{
    Store s(m_path.toStdString());
    s.writeScan(scanOf(1000, { { "alpha", { "web" } }, { "beta", { "api" } } }));
    s.saveTarget({ "gamma", "manifests", { { "paths", { "/srv/gamma" } } }, 900 });
    s.rememberTargetName("manifests:/srv/delta", "delta", true);
    const auto expectRefused = [&](const std::string& from, const std::string& to, const std::string& why) {
        try {
            s.renameTarget(from, to);
            QFAIL(qPrintable(QString::fromStdString(from + " -> " + to + " was not refused")));
        } catch (const std::invalid_argument& e) {
            QVERIFY2(std::string(e.what()).find(why) != std::string::npos, e.what());
        }
    };
    expectRefused("alpha", "beta", "beta already names another target");
    expectRefused("alpha", "gamma", "gamma already names another target"); // a saved connection
    expectRefused("alpha", "delta", "delta already names another target"); // a name an identity goes by
    expectRefused("omega", "zeta", "no target is called omega");
    expectRefused("alpha", "", "needs a name");
    expectRefused("alpha", "alpha", "already called alpha");
    LG_COMPARE(s.scannedTargets(), (std::vector<std::string> { "alpha", "beta" }));
    FindingFilter alpha;
    alpha.target = "alpha";
    LG_COMPARE(s.findings(*s.latestScanId(), alpha).size(), std::size_t(1));
    // a target known only by its saved connection is renamed too
    const TargetRename r = s.renameTarget("gamma", "gamma-prod");
    LG_COMPARE(r.savedConnection, true);
    LG_COMPARE(r.scans, 0);
    LG_COMPARE(s.target("gamma-prod").has_value(), true);
}
