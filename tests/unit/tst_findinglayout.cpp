// How writeScan lays a scan's findings out, without a cache: one row per fingerprint (the last given wins), in the
// dashboard's default order, with dense ranks; checked against a plain sort of the same findings.
#include "store/findinglayout.h"

#include <QRandomGenerator>
#include <QTest>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "testsupport.h"

using namespace lg;

namespace {

Finding random(QRandomGenerator& rng)
{
    static const char* rules[] = { "LG-B", "LG-A", "LG-A\x01", "CIS-5.1", "LG-Z" };
    static const char* names[] = { "web", "api", "", "web-2", "a" };
    Finding f;
    f.rule = rules[rng.bounded(5)];
    f.title = "title";
    f.layer = kAllLayers[std::size_t(rng.bounded(int(kAllLayers.size())))];
    f.severity = static_cast<Severity>(rng.bounded(5));
    f.subject = { rng.bounded(2) ? "prod" : "staging", rng.bounded(2) ? "Pod" : "Deployment",
        rng.bounded(2) ? "ns" : "", names[rng.bounded(5)], rng.bounded(2) ? "app" : "" };
    f.message = "message " + std::to_string(rng.bounded(7));
    f.id = fingerprint(f.rule, f.subject);
    return f;
}

/** Dense 1-based ranks of `values` (by operator<). */
template <class T> std::vector<std::int64_t> dense(const std::vector<T>& values)
{
    std::set<T> sorted(values.begin(), values.end());
    std::vector<std::int64_t> out;
    for (const auto& v : values)
        out.push_back(std::distance(sorted.begin(), sorted.find(v)) + 1);
    return out;
}

} // namespace

class TestFindingLayout : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void matchesAPlainSort_data()
    {
        QTest::addColumn<int>("count");
        QTest::addColumn<quint32>("seed");
        for (const int n : { 0, 1, 2, 40, 500, 3000 })
            QTest::addRow("%d findings", n) << n << quint32(n * 7 + 1);
    }

    void matchesAPlainSort()
    {
        QFETCH(int, count);
        QFETCH(quint32, seed);
        QRandomGenerator rng(seed);
        std::vector<Finding> findings;
        for (int i = 0; i < count; ++i)
            findings.push_back(random(rng)); // few rules and names: many share a fingerprint
        FindingTable table;
        for (const auto& f : findings)
            table.append(f);

        const FindingLayout layout = layOut(table);

        // The reference: the last row of each fingerprint, sorted by the default order's keys as text.
        std::map<std::string, std::size_t> last;
        for (std::size_t i = 0; i < findings.size(); ++i)
            last[findings[i].id] = i;
        std::vector<std::size_t> kept;
        for (const auto& [fid, i] : last)
            kept.push_back(i);
        const auto key = [&](std::size_t i) {
            const Finding& f = findings[i];
            return std::make_tuple(int(f.severity), std::string(toString(f.layer)), f.rule, f.subject.target,
                f.subject.namespace_, f.subject.name, f.subject.container, f.subject.kind, f.id);
        };
        std::sort(kept.begin(), kept.end(), [&](auto a, auto b) { return key(a) < key(b); });
        QCOMPARE(layout.order.size(), kept.size());
        QCOMPARE(layout.byFid.size(), kept.size());
        std::vector<std::string> rules, targets, messages;
        std::vector<std::tuple<std::string, std::string, std::string, std::string>> resources;
        for (std::size_t p = 0; p < kept.size(); ++p) {
            LG_COMPARE(std::string(table.fid(layout.order[p])), findings[kept[p]].id);
            LG_COMPARE(table.message(layout.order[p]), std::string_view(findings[kept[p]].message));
            const Finding& f = findings[kept[p]];
            rules.push_back(f.rule);
            targets.push_back(f.subject.target);
            messages.push_back(f.message);
            resources.emplace_back(f.subject.kind, f.subject.namespace_, f.subject.name, f.subject.container);
        }
        const auto ruleRank = dense(rules), targetRank = dense(targets), messageRank = dense(messages);
        const auto resourceRank = dense(resources);
        for (std::size_t p = 0; p < kept.size(); ++p) {
            LG_COMPARE(layout.ranks[p][0], ruleRank[p]);
            LG_COMPARE(layout.ranks[p][1], resourceRank[p]);
            LG_COMPARE(layout.ranks[p][2], targetRank[p]);
            LG_COMPARE(layout.ranks[p][3], messageRank[p]);
        }
        for (std::size_t k = 1; k < layout.byFid.size(); ++k)
            QVERIFY(table.fid(layout.byFid[k - 1]) < table.fid(layout.byFid[k]));
    }
};

QTEST_APPLESS_MAIN(TestFindingLayout)
#include "tst_findinglayout.moc"
