// The estate: the latest scan of each target, and what the cache says of findings' ages, deadlines and time to
// remediate over many scans.
#include "tst_store.h"

#include "core/scoring.h"

#include <QTest>

#include "testsupport.h"

#include <map>
#include <numeric>
#include <random>
#include <set>

using namespace lg;

// Targets scanned at different times: each keeps its latest scan; the estate adds their tallies; a target's
// history is its own; stale after the age given.
void TestStore::estateIsTheLatestOfEachTarget()
{
    Store s(m_path.toStdString());
    auto scanOf = [&](const std::string& target, std::int64_t at, long failedWeight, int high) {
        ScanRecord r;
        r.startedAt = at;
        r.finishedAt = at + 1;
        r.toolVersion = "test";
        r.sources = { { target, "manifests", "/x", true, {}, {} } };
        auto& t = r.tallies[Layer::Orchestrator];
        t.scanned = true;
        t.evaluated = 10;
        t.evaluatedWeight = 60;
        t.failedWeight = failedWeight;
        t.openBySeverity[std::size_t(Severity::High)] = high;
        r.targetTallies[target][Layer::Orchestrator] = t;
        return s.writeScan(r);
    };
    const auto a1 = scanOf("alpha", 1000, 30, 5); // alpha 50
    const auto b1 = scanOf("beta", 2000, 0, 0); // beta 100
    const auto a2 = scanOf("alpha", 3000, 12, 2); // alpha 80
    auto e = s.estate(3001 + 86400, {}, 86400);
    QCOMPARE(e.targets.size(), std::size_t(2));
    LG_COMPARE(e.targets[0].scanId, a2);
    LG_COMPARE(e.targets[0].previousScanId, std::optional<std::int64_t>(a1));
    LG_COMPARE(e.targets[0].score, std::optional<int>(80));
    LG_COMPARE(e.targets[1].scanId, b1);
    LG_COMPARE(e.targets[1].stale, true); // 2001 + 1 day < now
    LG_COMPARE(e.targets[0].stale, false);
    // together: (60 + 60) evaluated, 12 failed: 90
    QCOMPARE(e.layers.size(), std::size_t(1));
    LG_COMPARE(e.layers[0].score, std::optional<int>(90));
    LG_COMPARE(e.layers[0].tally.openBySeverity[std::size_t(Severity::High)], 2);
    LG_COMPARE(e.score, std::optional<int>(90));
    // the estate over time: alpha alone 50, then alpha 50 + beta 100 = 75, then alpha 80 + beta 100 = 90
    const auto h = s.estateHistory();
    QCOMPARE(h.size(), std::size_t(3));
    LG_COMPARE(h[0].score, std::optional<int>(50));
    LG_COMPARE(h[1].score, std::optional<int>(75));
    LG_COMPARE(h[2].score, std::optional<int>(90));
    const auto own = s.estateHistory("alpha");
    QCOMPARE(own.size(), std::size_t(2));
    LG_COMPARE(own[1].score, std::optional<int>(80));
    LG_COMPARE(s.estate(5000, "beta").targets.size(), std::size_t(1));
}

namespace {

constexpr int kNames = 30, kScans = 40;
constexpr std::int64_t kDay = 86400, kStart = 1'700'000'000;

/** What the daily scans of target "t" leave, worked out from the scans alone. */
struct DailyScans {
    std::array<Severity, kNames> severity {};
    std::map<int, std::int64_t> firstSeen, openSince;
    std::array<std::int64_t, 5> total {}; ///< by severity: seconds open of the findings fixed in the period
    std::array<int, 5> fixed {}; ///< by severity: findings fixed in the period
    std::int64_t periodFrom = kStart + 16 * kDay; // after the oldest scan kept (index 15)
    std::set<int> present;
    std::int64_t lastAt = 0;
};

/** Day `scan`'s record: the findings of "t" numbered in `now` (none when it failed) and one of another target. */
ScanRecord dailyScan(
    int scan, std::int64_t at, bool failed, const std::set<int>& now, const std::array<Severity, kNames>& severity)
{
    ScanRecord r;
    r.startedAt = at - 5;
    r.finishedAt = at;
    r.toolVersion = "test";
    r.sources = { { "t", "manifests", "/x", !failed, failed ? "unreachable" : "", {} } };
    r.sources.push_back({ "other", "manifests", "/y", true, {}, {} });
    auto add = [&](const std::string& target, int n) {
        Finding f;
        f.rule = "LG-PSS-PRIVILEGED";
        f.title = "Privileged container";
        f.layer = Layer::Orchestrator;
        f.severity = severity[std::size_t(n)];
        f.subject = { target, "Pod", "ns", "pod-" + std::to_string(n), "c" };
        f.id = fingerprint(f.rule, f.subject);
        f.message = "privileged";
        r.findings.push_back(f);
    };
    for (const int n : now)
        add("t", n);
    add("other", scan % kNames); // another target's findings never count as the target's
    auto& tally = r.targetTallies["other"][Layer::Orchestrator];
    tally.scanned = true;
    tally.evaluated = 1;
    tally.evaluatedWeight = 6;
    if (!failed) {
        auto& mine = r.targetTallies["t"][Layer::Orchestrator];
        mine.scanned = true;
        mine.evaluated = kNames;
        mine.evaluatedWeight = 6 * kNames;
    }
    tallyFindings(r.tallies, r.findings);
    return r;
}

/** Writes the daily scans (which findings each day has drawn at random, a fixed seed), tracking what they leave. */
DailyScans writeDailyScans(Store& s)
{
    DailyScans d;
    std::mt19937 rng(20261207);
    for (auto& sv : d.severity)
        sv = Severity(rng() % 5);
    for (int scan = 0; scan < kScans; ++scan) {
        const std::int64_t at = kStart + scan * kDay;
        d.lastAt = at;
        const bool failed = scan == 3 || scan == 17;
        std::set<int> now;
        if (!failed)
            for (int n = 0; n < kNames; ++n)
                if (rng() % 100 < (d.present.count(n) ? 85u : 25u))
                    now.insert(n);
        s.writeScan(dailyScan(scan, at, failed, now, d.severity));
        if (failed)
            continue;
        for (const int n : now) {
            d.firstSeen.emplace(n, at);
            d.openSince.emplace(n, at);
        }
        if (scan == kScans - 25) // the oldest scan retention keeps: what it shows is open since first seen
            for (const int n : now)
                d.openSince[n] = d.firstSeen.at(n);
        for (const int n : d.present)
            if (!now.count(n)) {
                if (at >= d.periodFrom) {
                    const auto sv = std::size_t(d.severity[std::size_t(n)]);
                    ++d.fixed[sv];
                    d.total[sv] += at - d.openSince.at(n);
                }
                d.openSince.erase(n);
            }
        d.present = now;
    }
    return d;
}

/** Overdue 30 days after the last scan (deadlines of 3, 10 and 20 days), and first seen before day 10. */
void checkOverdueAndOlderThan(const Store& s, const DailyScans& d, std::int64_t latest, const FindingFilter& mine)
{
    const std::array<int, 5> sla { 3, 10, 20, 0, 0 };
    const std::int64_t when = d.lastAt + 2 * kDay;
    FindingFilter late = mine;
    late.asOf = when;
    late.overdueAt = when;
    late.slaDays = sla;
    std::set<std::string> expected, got;
    for (const int n : d.present) {
        const int days = sla[std::size_t(d.severity[std::size_t(n)])];
        if (days > 0 && when - d.firstSeen.at(n) > days * kDay)
            expected.insert("pod-" + std::to_string(n));
    }
    for (const auto& f : s.findings(latest, late))
        got.insert(f.subject.name);
    QVERIFY(!expected.empty());
    LG_COMPARE(got, expected);
    FindingQuery q;
    q.scanId = latest;
    q.filter = late;
    const auto counts = s.severityCounts(q);
    LG_COMPARE(std::accumulate(counts.begin(), counts.end(), 0), int(expected.size()));
    FindingFilter old = mine;
    old.firstSeenBefore = kStart + 10 * kDay;
    expected.clear();
    got.clear();
    for (const int n : d.present)
        if (d.firstSeen.at(n) < kStart + 10 * kDay)
            expected.insert("pod-" + std::to_string(n));
    for (const auto& f : s.findings(latest, old))
        got.insert(f.subject.name);
    LG_COMPARE(got, expected);
}

/** The table sorted by age: the oldest first, then as the default order. */
void checkSortedByAge(const Store& s, const std::set<int>& present, std::int64_t latest, const FindingFilter& mine)
{
    FindingQuery byAge;
    byAge.scanId = latest;
    byAge.filter = mine;
    byAge.sort = FindingSort::Age;
    const auto rowIds = s.findingRowIds(byAge);
    const auto sorted = s.findingsByRowId(latest, rowIds.data(), rowIds.size());
    QCOMPARE(sorted.size(), present.size());
    for (std::size_t i = 1; i < sorted.size(); ++i)
        QVERIFY(sorted[i - 1].firstSeen <= sorted[i].firstSeen);
    QVERIFY(sorted.front().firstSeen < sorted.back().firstSeen);
}

/** Time to remediate: intervals that ended in the period. */
void checkTimeToRemediate(const Store& s, const DailyScans& d)
{
    const auto mttr = s.remediationTimes(d.periodFrom, d.lastAt, "t");
    int anyFixed = 0;
    for (std::size_t sv = 0; sv < 5; ++sv) {
        LG_COMPARE(mttr[sv].fixed, d.fixed[sv]);
        LG_COMPARE(mttr[sv].meanSeconds, d.fixed[sv] ? d.total[sv] / d.fixed[sv] : 0);
        anyFixed += d.fixed[sv];
    }
    QVERIFY(anyFixed > 5);
}

} // namespace

// A target's findings come and go over 40 daily scans (drawn at random, a fixed seed); what the cache says of
// their age, of what is overdue and of the mean time to remediate is checked against the same figures worked
// out here from the scans alone. Scans 3 and 17 of the target fail: they resolve nothing.
void TestStore::ageDeadlinesAndTimeToRemediate()
{
    Store s(m_path.toStdString());
    s.setRetention(25); // first sightings outlive the scans retention removes
    const DailyScans d = writeDailyScans(s);
    QVERIFY(d.present.size() > 3);

    // ages: the first sighting, even when the scan it was in is gone
    const auto latest = s.estate(d.lastAt, "t").targets.at(0).scanId;
    FindingFilter mine;
    mine.target = "t";
    for (const auto& f : s.findings(latest, mine)) {
        const int n = std::stoi(f.subject.name.substr(4));
        LG_COMPARE(f.firstSeen, d.firstSeen.at(n));
    }
    checkOverdueAndOlderThan(s, d, latest, mine);
    if (QTest::currentTestFailed())
        return;
    checkSortedByAge(s, d.present, latest, mine);
    if (QTest::currentTestFailed())
        return;
    checkTimeToRemediate(s, d);
}
