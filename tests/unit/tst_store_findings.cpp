// A scan's findings as the table lists them (sorted, filtered and counted in SQL), and the diff of two scans.
#include "tst_store.h"

#include <QStringList>
#include <QTest>

#include "testsupport.h"

#include <algorithm>
#include <cctype>

using namespace lg;

void TestStore::diffBetweenScans()
{
    Store s(m_path.toStdString());
    const auto a = s.writeScan(record({ "a", "b" }));
    const auto b = s.writeScan(record({ "b", "c" }));
    const auto d = s.diff(a, b);
    LG_COMPARE(d.added.size(), std::size_t(1));
    LG_COMPARE(d.added[0].subject.name, std::string("c"));
    LG_COMPARE(d.resolved.size(), std::size_t(1));
    LG_COMPARE(d.resolved[0].subject.name, std::string("a"));
    LG_COMPARE(int(d.resolved[0].status), int(FindingStatus::Resolved));
    LG_COMPARE(d.unchanged.size(), std::size_t(1));
    LG_COMPARE(*s.previousScanId(b), a);
}

// A rule that could evaluate nothing in the newer scan (its data not read: an option off, a file unreadable) did
// not see its findings go: they are not resolved there, in the diff nor in the summary the window shows.
void TestStore::resolvedOnlyWhereTheNewerScanLooked()
{
    Store s(m_path.toStdString());
    auto older = record({ "a", "b" });
    older.outcomes["LG-PSS-PRIVILEGED"] = RuleOutcome { .evaluated = 2, .failed = 2 };
    const auto a = s.writeScan(older);
    auto blind = record({});
    blind.outcomes["LG-PSS-PRIVILEGED"] = RuleOutcome { .notObserved = 2 };
    const auto b = s.writeScan(blind);
    auto looked = record({ "b" });
    looked.outcomes["LG-PSS-PRIVILEGED"] = RuleOutcome { .evaluated = 2, .failed = 1 };
    const auto c = s.writeScan(looked);

    LG_COMPARE(s.diff(a, b).resolved.size(), std::size_t(0));
    LG_COMPARE(s.diffSummary(a, b, 10).resolved, 0);
    LG_COMPARE(s.diffSummary(a, b, 10, "t").resolved, 0);
    const auto d = s.diff(a, c);
    LG_COMPARE(d.resolved.size(), std::size_t(1));
    LG_COMPARE(d.resolved[0].subject.name, std::string("a"));
    const auto summary = s.diffSummary(a, c, 10);
    LG_COMPARE(summary.resolved, 1);
    LG_COMPARE(summary.resolvedFirst.size(), std::size_t(1));
    LG_COMPARE(s.diffSummary(a, c, 10, "t").resolved, 1);
}

void TestStore::findingListsAreSortedAndFilteredInSql_data()
{
    QTest::addColumn<int>("sort");
    QTest::addColumn<bool>("descending");
    QTest::addColumn<QString>("search");
    QTest::addColumn<unsigned>("chips");
    QTest::addColumn<int>("findings");
    for (int sort = 0; sort <= int(FindingSort::Age); ++sort)
        for (bool desc : { false, true }) {
            QTest::addRow("sort %d%s", sort, desc ? " desc" : "") << sort << desc << QString() << 0x1fU << 400;
            QTest::addRow("sort %d%s, search, chips", sort, desc ? " desc" : "")
                << sort << desc << QStringLiteral("NEEDLE") << 0x5U << 400;
        }
    QTest::addRow("search for a LIKE wildcard is literal") << 0 << false << QStringLiteral("%") << 0x1fU << 400;
    // Thousands of distinct names and messages: many distinct pooled texts, and messages sorted by prefix.
    for (int sort = 0; sort <= int(FindingSort::Message); ++sort)
        QTest::addRow("sort %d, many distinct texts", sort) << sort << false << QString() << 0x1fU << 3000;
}

void TestStore::findingListsAreSortedAndFilteredInSql()
{
    QFETCH(int, sort);
    QFETCH(bool, descending);
    QFETCH(QString, search);
    QFETCH(unsigned, chips);
    QFETCH(int, findings);
    Store s(m_path.toStdString());
    const auto rec = scrambled(findings, findings > 400);
    const auto scanId = s.writeScan(rec);
    FindingQuery q;
    q.scanId = scanId;
    q.sort = FindingSort(sort);
    q.descending = descending;
    q.filter.search = search.toStdString();
    q.filter.severities = chips;
    const auto ids = s.findingRowIds(q);
    const auto got = s.findingsByRowId(scanId, ids.data(), ids.size());

    // The same list computed here: filter, default order, then a stable sort by the key.
    std::vector<Finding> want;
    const std::string needle = search.toLower().toStdString();
    for (const auto& f : rec.findings) {
        if (((chips >> int(f.severity)) & 1U) == 0)
            continue;
        std::string hay = f.rule + "\n" + f.title + "\n" + f.subject.kind + "\n" + f.subject.namespace_ + "\n"
            + f.subject.name + "\n" + f.subject.container + "\n" + f.message;
        std::transform(hay.begin(), hay.end(), hay.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        if (!needle.empty() && hay.find(needle) == std::string::npos)
            continue;
        want.push_back(f);
    }
    std::sort(want.begin(), want.end(), defaultLess);
    const auto key = [&](const Finding& f) -> std::string {
        switch (FindingSort(sort)) {
        case FindingSort::Severity:
            return std::to_string(int(f.severity));
        case FindingSort::Rule:
            return f.rule;
        case FindingSort::Resource:
            return f.subject.kind + '\1' + f.subject.namespace_ + '\1' + f.subject.name + '\1' + f.subject.container;
        case FindingSort::Target:
            return f.subject.target;
        case FindingSort::Status:
            return f.status == FindingStatus::Accepted ? "0" : "1"; // accepted first, as the words sort
        case FindingSort::Message:
            return f.message;
        case FindingSort::Age:
            return {}; // one scan: all first seen together (ageDeadlinesAndTimeToRemediate sorts by age)
        }
        return {};
    };
    std::stable_sort(want.begin(), want.end(),
        [&](const Finding& a, const Finding& b) { return descending ? key(b) < key(a) : key(a) < key(b); });
    QCOMPARE(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        LG_COMPARE(got[i].id, want[i].id);
    if (search == QStringLiteral("%"))
        QCOMPARE(got.size(), std::size_t(0));
    if (search.isEmpty() && chips == 0x1f)
        QCOMPARE(got.size(), rec.findings.size());
    // The chips' counts ignore the chips.
    const auto counts = s.severityCounts(q);
    std::array<int, 5> wantCounts {};
    for (const auto& f : rec.findings) {
        std::string hay = f.rule + "\n" + f.title + "\n" + f.subject.kind + "\n" + f.subject.namespace_ + "\n"
            + f.subject.name + "\n" + f.subject.container + "\n" + f.message;
        std::transform(hay.begin(), hay.end(), hay.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        if (needle.empty() || hay.find(needle) != std::string::npos)
            wantCounts[std::size_t(f.severity)]++;
    }
    QCOMPARE(counts, wantCounts);
}
