// Triage kept in the cache: accepted risks with their expiry and revocation, remediation checklists.
#include "tst_store.h"

#include <QTest>

#include "testsupport.h"

using namespace lg;

void TestStore::acceptedRisksAndExpiry()
{
    // An acceptance applies from the moment it is recorded until it expires or is revoked: a stored scan's
    // statuses and scores never change, the posture as of a moment follows the acceptances in force then.
    Store s(m_path.toStdString());
    const auto rec = record({ "a", "b" }); // two open highs, written at t = 1001
    const std::int64_t scanId = s.writeScan(rec);
    const auto stored = s.scan(scanId)->layers.at(0);
    auto accept = [&](const Finding& f, std::int64_t at, std::optional<std::int64_t> expires) {
        AcceptedRisk r;
        r.fid = f.id;
        r.owner = "alice";
        r.reason = "vendor fix due in Q3";
        r.createdAt = at;
        r.expiresAt = expires;
        r.acceptedBy = "bob";
        s.acceptRisk(r);
    };
    accept(rec.findings[0], 2000, 5000);
    accept(rec.findings[1], 2000, 3000);
    LG_COMPARE(s.acceptedRisks().size(), std::size_t(2));
    LG_COMPARE(s.acceptedRisks()[0].acceptedBy, std::string("bob"));
    // The stored scan is as it was written: both open, the same score.
    LG_COMPARE(s.scan(scanId)->layers.at(0).score, stored.score);
    FindingFilter accepted;
    accepted.status = FindingStatus::Accepted;
    LG_COMPARE(s.findings(scanId, accepted).size(), std::size_t(0));
    // Before the acceptances: nothing accepted; while both are in force: both accepted and the score rises.
    auto at = [&](std::int64_t t) {
        FindingFilter f = accepted;
        f.asOf = t;
        return s.findings(scanId, f).size();
    };
    LG_COMPARE(at(1500), std::size_t(0));
    LG_COMPARE(at(2500), std::size_t(2));
    const auto both = s.layerScoresAt(scanId, 2500).at(0);
    QVERIFY(*both.score > *stored.score);
    LG_COMPARE(both.tally.acceptedWeight, stored.tally.acceptedWeight + 12);
    LG_COMPARE(both.tally.openBySeverity[1], 0);
    // From its expiry on, b counts as open again without any rescan.
    LG_COMPARE(at(3500), std::size_t(1));
    const auto one = s.layerScoresAt(scanId, 3500).at(0);
    QVERIFY(*one.score<*both.score&& * one.score> * stored.score);
    LG_COMPARE(one.tally.openBySeverity[1], 1);
    LG_COMPARE(s.activeAcceptances(3500).size(), std::size_t(1));
    // A revocation ends a's acceptance from then on; revoking what is not in force says so.
    QVERIFY(s.revokeRisk(rec.findings[0].id, "carol", 4000));
    LG_COMPARE(at(3900), std::size_t(1));
    LG_COMPARE(at(4100), std::size_t(0));
    QVERIFY(!s.revokeRisk(rec.findings[0].id, "carol", 4200));
    QVERIFY(!s.revokeRisk(rec.findings[1].id, "carol", 4200)); // expired: nothing in force
    LG_COMPARE(s.layerScoresAt(scanId, 4100).at(0).score, stored.score);
    LG_COMPARE(s.scan(scanId)->layers.at(0).score, stored.score);
    // A scan written while an acceptance is in force records it; the acceptance's owner comes with the finding.
    accept(rec.findings[0], 4500, std::nullopt);
    ScanRecord later = record({ "a", "b" });
    later.startedAt = 5000;
    later.finishedAt = 5001;
    for (auto& f : later.findings)
        if (f.id == rec.findings[0].id)
            f.status = FindingStatus::Accepted;
    const std::int64_t laterId = s.writeScan(later);
    const auto laterAccepted = s.findings(laterId, accepted);
    QCOMPARE(laterAccepted.size(), std::size_t(1));
    QVERIFY(laterAccepted[0].acceptance);
    LG_COMPARE(laterAccepted[0].acceptance->owner, std::string("alice"));
    LG_COMPARE(laterAccepted[0].acceptance->by, std::string("bob"));
    // The latest scan is shown as of now, an older one as recorded.
    LG_COMPARE(s.statusTime(laterId, 9999), std::int64_t(9999));
    LG_COMPARE(s.statusTime(scanId, 9999), std::int64_t(0));
}

void TestStore::checklistSurvivesRescans()
{
    Store s(m_path.toStdString());
    const auto rec = record({ "a" });
    s.writeScan(rec);
    s.setChecklistStep(rec.findings[0].id, 0, true, "alice", 1234);
    s.writeScan(record({ "a" }));
    const auto steps = s.checklist(rec.findings[0].id);
    LG_COMPARE(steps.size(), std::size_t(1));
    LG_COMPARE(steps[0].doneBy, std::string("alice"));
    s.setChecklistStep(rec.findings[0].id, 2, true, "bob", 1250);
    const auto all = s.checklists();
    LG_COMPARE(all.size(), std::size_t(1));
    LG_COMPARE(all.at(rec.findings[0].id).size(), std::size_t(2));
    LG_COMPARE(all.at(rec.findings[0].id)[1].doneBy, std::string("bob"));
    s.setChecklistStep(rec.findings[0].id, 0, false, "alice", 1300);
    s.setChecklistStep(rec.findings[0].id, 2, false, "bob", 1300);
    LG_COMPARE(s.checklist(rec.findings[0].id).size(), std::size_t(0));
    LG_COMPARE(s.checklists().size(), std::size_t(0));
}
