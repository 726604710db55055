// The findings models over a scan: sound as item models, and windowed over a scan larger than their windows.
#include "tst_dashboard.h"

#include "store/store.h"
#include "widgets/findingsmodel.h"

#include <QAbstractItemModelTester>
#include <QTest>

#include "testsupport.h"

#include <map>
#include <set>

using namespace lg;

void TestDashboard::findingsModelIsSound()
{
    seed(1);
    Store store(m_path);
    FindingsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setStore(&store);
    FindingQuery query;
    query.scanId = *store.latestScanId();
    model.setQuery(query);
    QVERIFY(model.waitForQuery());
    const auto all = store.findings(query.scanId);
    LG_COMPARE(model.rowCount(), int(all.size()));
    QVERIFY(model.rowCount() > 10);
    model.sort(FindingsModel::RuleColumn, Qt::DescendingOrder);
    QVERIFY(model.waitForQuery());
    for (int r = 1; r < model.rowCount(); ++r)
        QVERIFY(model.data(model.index(r - 1, FindingsModel::RuleColumn)).toString()
            >= model.data(model.index(r, FindingsModel::RuleColumn)).toString());
    model.sort(FindingsModel::SeverityColumn, Qt::AscendingOrder);
    QVERIFY(model.waitForQuery());
    QCOMPARE(model.data(model.index(0, 0), FindingsModel::SeverityRole).toInt(), int(Severity::Critical));
    const QString csv = model.toCsv({ model.index(0, 0), model.index(1, 0) });
    QCOMPARE(csv.count(QStringLiteral("\r\n")), 3);
    query.filter.search = "no finding says this";
    model.setQuery(query);
    QVERIFY(model.waitForQuery());
    QCOMPARE(model.rowCount(), 0);

    FindingGroupsModel groups;
    QAbstractItemModelTester groupsTester(&groups, QAbstractItemModelTester::FailureReportingMode::QtTest);
    query.filter.search.clear();
    groups.setGroups(FindingGroupBy::Rule, store.findingGroups(query, FindingGroupBy::Rule));
    int total = 0;
    for (int r = 0; r < groups.rowCount(); ++r)
        total += groups.index(r, FindingGroupsModel::CountColumn).data().toInt();
    LG_COMPARE(total, int(all.size()));
}

namespace {
/** `n` findings over 13 rules, five layers and five severities, and the counts the model must show of them. */
struct LargeScan {
    ScanRecord rec;
    std::array<int, 5> bySeverity {};
    int withSeven = 0; ///< messages that start with "message 7"
    std::map<std::string, int> byRule;
};

LargeScan largeScan(int n)
{
    LargeScan out;
    auto& [rec, bySeverity, withSeven, byRule] = out;
    rec.startedAt = 1767225600;
    rec.finishedAt = rec.startedAt + 5;
    rec.toolVersion = "test";
    for (int i = 0; i < n; ++i) {
        Finding f;
        f.rule = "LG-TEST-" + std::to_string(i % 13);
        f.title = "Test rule " + std::to_string(i % 13);
        f.layer = kAllLayers[std::size_t(i % 5)];
        f.severity = Severity((i * 7) % 5);
        f.subject = { "t", "Pod", "ns-" + std::to_string(i % 17), "pod-" + std::to_string(i), "" };
        f.id = fingerprint(f.rule, f.subject);
        f.message = "message " + std::to_string((i * 7919) % n);
        bySeverity[std::size_t(f.severity)]++;
        withSeven += f.message.starts_with("message 7") ? 1 : 0;
        byRule[f.rule]++;
        rec.tallies[f.layer].scanned = true;
        rec.findings.push_back(std::move(f));
    }
    return out;
}
} // namespace

/** A scan larger than the model's windows: rows, order, filters, chips and groups against a count made here. */
void TestDashboard::windowedModelOverALargeScan()
{
    const int n = 5 * FindingsModel::kWindow + 37;
    auto [rec, bySeverity, withSeven, byRule] = largeScan(n);
    Store store(m_path);
    const auto scanId = store.writeScan(rec);
    FindingsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setStore(&store);
    FindingQuery query;
    query.scanId = scanId;
    model.setQuery(query);
    QVERIFY(model.waitForQuery());
    QCOMPARE(model.rowCount(), n);
    QCOMPARE(model.severityCounts(), bySeverity);
    // Default order: by severity across window boundaries, every row read exactly once.
    std::set<QString> ids;
    for (int r = 0; r < n; ++r) {
        ids.insert(model.index(r, 0).data(FindingsModel::FindingIdRole).toString());
        if (r > 0)
            QVERIFY(model.index(r - 1, 0).data(FindingsModel::SeverityRole).toInt()
                <= model.index(r, 0).data(FindingsModel::SeverityRole).toInt());
    }
    LG_COMPARE(int(ids.size()), n);
    // Sorted by message (descending), in SQL: the rows come out in that order.
    model.sort(FindingsModel::MessageColumn, Qt::DescendingOrder);
    QVERIFY(model.waitForQuery());
    for (int r = 1; r < n; r += 97)
        QVERIFY(model.index(r - 1, FindingsModel::MessageColumn).data().toString()
            >= model.index(r, FindingsModel::MessageColumn).data().toString());
    // Search, then the chips.
    query.filter.search = "MESSAGE 7"; // case-insensitive; no rule, title or name contains it
    model.setQuery(query);
    QVERIFY(model.waitForQuery());
    QCOMPARE(model.rowCount(), withSeven);
    query.filter.search.clear();
    query.filter.severities = (1U << int(Severity::Critical)) | (1U << int(Severity::Low));
    model.setQuery(query);
    QVERIFY(model.waitForQuery());
    QCOMPARE(model.rowCount(), bySeverity[0] + bySeverity[3]);
    QCOMPARE(model.severityCounts(), bySeverity); // the chips' counts do not depend on the chips
    // One group's findings.
    query.filter.severities = 0x1f;
    query.filter.groupBy = FindingGroupBy::Rule;
    query.filter.groupKey = "LG-TEST-4";
    model.setQuery(query);
    QVERIFY(model.waitForQuery());
    QCOMPARE(model.rowCount(), byRule["LG-TEST-4"]);
    for (int r = 0; r < model.rowCount(); ++r)
        QCOMPARE(model.index(r, FindingsModel::RuleColumn).data().toString(), QStringLiteral("LG-TEST-4"));
    const auto groups = store.findingGroups(query, FindingGroupBy::Rule);
    QCOMPARE(int(groups.size()), 13);
    for (const auto& g : groups)
        QCOMPARE(g.findings, byRule[g.key]);
    // A query started before the previous one finished: only the newest result lands.
    query = {};
    query.scanId = scanId;
    query.sort = FindingSort::Message;
    model.setQuery(query);
    query.filter.search = "message 1";
    model.setQuery(query);
    QVERIFY(model.waitForQuery());
    for (int r = 0; r < model.rowCount(); ++r)
        QVERIFY(model.index(r, FindingsModel::MessageColumn).data().toString().contains(QStringLiteral("message 1")));
}
