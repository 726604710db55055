// The published score formula (README "Scores").
#include "core/scoring.h"

#include <QTest>

#include "testsupport.h"

using namespace lg;

class TestScoring : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void formula_data();
    void formula();
    void notScannedHasNoScore();
    void acceptedRisksMoveTheScore();
    void overallCombinesLayers();
    void bands();
    void scoreRisesWithEveryFix();
    void gateIsBesideTheScore();
};

namespace {
Finding finding(Layer l, Severity s, FindingStatus st = FindingStatus::Open)
{
    Finding f;
    f.layer = l;
    f.severity = s;
    f.status = st;
    return f;
}
} // namespace

void TestScoring::formula_data()
{
    QTest::addColumn<long>("evaluatedWeight");
    QTest::addColumn<int>("mediums");
    QTest::addColumn<int>("highs");
    QTest::addColumn<int>("criticals");
    QTest::addColumn<int>("expected");
    QTest::addRow("all pass") << 100L << 0 << 0 << 0 << 100;
    QTest::addRow("one medium of 100") << 100L << 1 << 0 << 0 << 97;
    QTest::addRow("ten mediums of 100") << 100L << 10 << 0 << 0 << 70;
    QTest::addRow("one high of 1000: no cap") << 1000L << 0 << 1 << 0 << 99;
    QTest::addRow("one critical of 1000: no cap") << 1000L << 0 << 0 << 1 << 99;
    QTest::addRow("everything failed") << 30L << 10 << 0 << 0 << 0;
    QTest::addRow("two highs of 20") << 20L << 0 << 2 << 0 << 40;
}

void TestScoring::formula()
{
    QFETCH(long, evaluatedWeight);
    QFETCH(int, mediums);
    QFETCH(int, highs);
    QFETCH(int, criticals);
    QFETCH(int, expected);
    std::map<Layer, LayerTally> t;
    t[Layer::Orchestrator].scanned = true;
    t[Layer::Orchestrator].evaluatedWeight = evaluatedWeight;
    std::vector<Finding> fs;
    for (int i = 0; i < mediums; ++i)
        fs.push_back(finding(Layer::Orchestrator, Severity::Medium));
    for (int i = 0; i < highs; ++i)
        fs.push_back(finding(Layer::Orchestrator, Severity::High));
    for (int i = 0; i < criticals; ++i)
        fs.push_back(finding(Layer::Orchestrator, Severity::Critical));
    tallyFindings(t, fs);
    LG_COMPARE(layerScore(t[Layer::Orchestrator]), std::optional<int>(expected));
}

void TestScoring::notScannedHasNoScore()
{
    LayerTally t;
    QVERIFY(!layerScore(t).has_value());
    t.scanned = true; // scanned, but no rule applied
    QVERIFY(!layerScore(t).has_value());
    QVERIFY(!overallScore({}).has_value());
}

void TestScoring::acceptedRisksMoveTheScore()
{
    std::map<Layer, LayerTally> t;
    t[Layer::Runtime] = {};
    t[Layer::Runtime].scanned = true;
    t[Layer::Runtime].evaluatedWeight = 60;
    std::vector<Finding> fs { finding(Layer::Runtime, Severity::High) };
    tallyFindings(t, fs);
    const int open = *layerScore(t[Layer::Runtime]);
    fs[0].status = FindingStatus::Accepted;
    tallyFindings(t, fs);
    const int accepted = *layerScore(t[Layer::Runtime]);
    LG_COMPARE(open, 90);
    LG_COMPARE(accepted, 100);
    LG_COMPARE(t[Layer::Runtime].acceptedWeight, 6L);
}

void TestScoring::overallCombinesLayers()
{
    std::map<Layer, LayerTally> t;
    t[Layer::Host].scanned = true;
    t[Layer::Host].evaluatedWeight = 50;
    t[Layer::Image].scanned = false; // not scanned: ignored
    t[Layer::Image].evaluatedWeight = 1000;
    t[Layer::Orchestrator].scanned = true;
    t[Layer::Orchestrator].evaluatedWeight = 50;
    tallyFindings(t, { finding(Layer::Host, Severity::Medium), finding(Layer::Host, Severity::Medium) });
    LG_COMPARE(overallScore(t), std::optional<int>(94));
}

void TestScoring::bands()
{
    LG_COMPARE(QString::fromLatin1(scoreBand(90)), QStringLiteral("good"));
    LG_COMPARE(QString::fromLatin1(scoreBand(89)), QStringLiteral("fair"));
    LG_COMPARE(QString::fromLatin1(scoreBand(50)), QStringLiteral("poor"));
    LG_COMPARE(QString::fromLatin1(scoreBand(49)), QStringLiteral("bad"));
}

void TestScoring::scoreRisesWithEveryFix()
{
    // 3 criticals, 10 highs and 8 lows open of E = 100: fixing them one by one, most severe first, raises the
    // score at every step (with the old caps it stayed at 59 until the last critical went).
    std::vector<Finding> open;
    for (int i = 0; i < 3; ++i)
        open.push_back(finding(Layer::Orchestrator, Severity::Critical));
    for (int i = 0; i < 10; ++i)
        open.push_back(finding(Layer::Orchestrator, Severity::High));
    for (int i = 0; i < 8; ++i)
        open.push_back(finding(Layer::Orchestrator, Severity::Low));
    std::optional<int> previous;
    while (true) {
        std::map<Layer, LayerTally> t;
        t[Layer::Orchestrator].scanned = true;
        t[Layer::Orchestrator].evaluatedWeight = 100;
        tallyFindings(t, open);
        const auto s = layerScore(t[Layer::Orchestrator]);
        QVERIFY(s);
        long failed = 0; // counted here, independently of the tally: 100 * (1 - F/E) with E = 100 is 100 - F
        for (const auto& f : open)
            failed += f.severity == Severity::Critical ? 10 : f.severity == Severity::High ? 6 : 1;
        LG_COMPARE(long(*s), 100 - failed);
        if (previous)
            QVERIFY2(*s > *previous, qPrintable(QStringLiteral("%1 after %2").arg(*s).arg(*previous)));
        previous = s;
        if (open.empty())
            break;
        open.erase(open.begin());
    }
    LG_COMPARE(previous, std::optional<int>(100));
}

void TestScoring::gateIsBesideTheScore()
{
    LayerTally t;
    t.scanned = true;
    t.evaluatedWeight = 1000;
    QVERIFY(!scoreGate(t));
    t.openBySeverity[std::size_t(Severity::High)] = 1;
    LG_COMPARE(scoreGate(t), std::optional<Severity>(Severity::High));
    t.openBySeverity[std::size_t(Severity::Critical)] = 1;
    t.failedWeight = 16;
    LG_COMPARE(scoreGate(t), std::optional<Severity>(Severity::Critical));
    LG_COMPARE(layerScore(t), std::optional<int>(98)); // the gate does not cap the score
}

QTEST_GUILESS_MAIN(TestScoring)
#include "tst_scoring.moc"
