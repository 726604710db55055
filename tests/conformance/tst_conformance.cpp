// Conformance with peer test corpora (../shared/corpora): for every case whose peer check maps to
// Layerguard rules (mapping.tsv), a fail case must produce a finding of a mapped rule and a pass case
// none. Disagreements kept on purpose are listed with a reason in accepted-differences.tsv and count
// as agreement; everything else counts against the threshold.
#include "manifestsconnector.h"
#include "scanner.h"

#include <QFile>
#include <QFileInfo>
#include <QTest>

#include <map>
#include <set>
#include <sstream>

using namespace lg;

class TestConformance : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void corpora();
    void dockerBenchInspectChecksHaveRules();
};

namespace {
/** Calls `row` with the tab-separated columns of every non-comment line of a TSV file. */
template <typename Fn> void readTsv(const QString& path, Fn row)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return;
    while (!f.atEnd()) {
        const QString line = QString::fromUtf8(f.readLine()).trimmed();
        if (!line.isEmpty() && !line.startsWith(QLatin1Char('#')))
            row(line.split(QLatin1Char('\t')));
    }
}

std::map<std::string, std::vector<std::string>> readMapping(const QString& path)
{
    std::map<std::string, std::vector<std::string>> out;
    readTsv(path, [&](const QStringList& cols) {
        if (cols.size() < 2)
            return;
        for (const auto& r : cols[1].split(QLatin1Char(',')))
            out[cols[0].toStdString()].push_back(r.trimmed().toStdString());
    });
    return out;
}

std::set<std::string> readAccepted(const QString& path)
{
    std::set<std::string> out;
    readTsv(path, [&](const QStringList& cols) {
        if (cols.size() >= 5 && !cols[4].trimmed().isEmpty())
            out.insert(cols[2].toStdString());
    });
    return out;
}
} // namespace

void TestConformance::corpora()
{
    const QString root = qEnvironmentVariable("LG_CORPORA");
    if (root.isEmpty() || !QFileInfo::exists(root + QStringLiteral("/manifest.jsonl")))
        QSKIP("peer corpora not found (../shared/corpora); conformance not measured");
    const auto mapping = readMapping(qEnvironmentVariable("LG_MAPPING"));
    const auto accepted = readAccepted(qEnvironmentVariable("LG_ACCEPTED_DIFFERENCES"));
    QVERIFY(!mapping.empty());
    const RuleCatalog catalog = RuleCatalog::builtin();
    // A rule that cites a peer check must be compared with that peer's cases: no silent omissions.
    std::set<std::string> cited;
    for (const auto& r : catalog.rules())
        for (const auto& ref : r.references)
            cited.insert(ref);
    for (const auto& [peer, rules] : mapping)
        for (const auto& r : rules)
            QVERIFY2(catalog.find(r), ("mapping names unknown rule " + r).c_str());

    struct Tally {
        int agree = 0, accepted = 0, total = 0;
    };
    std::map<std::string, Tally> perPeer;
    std::vector<std::string> disagreements;
    QFile manifest(root + QStringLiteral("/manifest.jsonl"));
    QVERIFY(manifest.open(QIODevice::ReadOnly));
    while (!manifest.atEnd()) {
        const auto line = manifest.readLine();
        const auto c = nlohmann::json::parse(line.toStdString());
        const std::string corpus = c["corpus"];
        if (corpus != "polaris" && corpus != "trivy-checks/kubernetes")
            continue;
        const std::string peer = c["peer_check"];
        auto it = mapping.find(peer);
        if (it == mapping.end()) {
            const std::string citation = corpus == "polaris" ? "polaris:" + peer : peer;
            QVERIFY2(
                !cited.count(citation), ("a rule cites " + citation + " but mapping.tsv does not compare it").c_str());
            continue;
        }
        const std::string input = c["inputs"][0];
        const bool expectFail = c["expected"] == "fail";

        std::vector<std::unique_ptr<Connector>> sources;
        sources.push_back(std::make_unique<ManifestsConnector>(
            QString(root + QLatin1Char('/') + QString::fromStdString(input)).toStdString(), "conformance"));
        Scanner scanner(catalog, {});
        CancelToken cancel { false };
        const auto outcome = scanner.run(sources, nullptr, cancel, {});
        bool fired = false;
        for (const auto& f : outcome.record.findings)
            fired = fired || std::find(it->second.begin(), it->second.end(), f.rule) != it->second.end();
        const bool agree = !outcome.anySourceFailed() && fired == expectFail;
        auto& t = perPeer[corpus + " " + peer];
        ++t.total;
        if (agree) {
            ++t.agree;
        } else if (accepted.count(input)) {
            ++t.accepted;
        } else {
            disagreements.push_back(input + " (peer says " + (expectFail ? "fail" : "pass") + ", Layerguard "
                + (outcome.anySourceFailed() ? "error: " + outcome.sources[0].error
                                             : std::string(fired ? "fails" : "passes"))
                + ")");
        }
    }
    int agree = 0, acc = 0, total = 0;
    std::ostringstream report;
    report << "\nconformance per peer check (agree + accepted difference / cases):\n";
    for (const auto& [peer, t] : perPeer) {
        report << "  " << peer << ": " << t.agree << " + " << t.accepted << " / " << t.total << "\n";
        agree += t.agree;
        acc += t.accepted;
        total += t.total;
    }
    const double rate = total ? 100.0 * (agree + acc) / total : 0.0;
    report << "total: " << agree << " agree, " << acc << " accepted differences, " << total << " cases: " << rate
           << " %\n";
    for (const auto& d : disagreements)
        report << "  DISAGREE " << d << "\n";
    qInfo().noquote() << QString::fromStdString(report.str());
    QVERIFY(total > 0);
    const double threshold = qEnvironmentVariableIntValue("LG_CONFORMANCE_MIN") > 0
        ? qEnvironmentVariableIntValue("LG_CONFORMANCE_MIN")
        : 97.0;
    QVERIFY2(rate >= threshold, qPrintable(QStringLiteral("agreement %1 % below %2 %").arg(rate).arg(threshold)));
}

void TestConformance::dockerBenchInspectChecksHaveRules()
{
    // Every CIS Docker 1.6.0 check that docker-bench evaluates from docker inspect / info / version /
    // port data has a rule referencing it (the rules' fixtures prove the conditions), or a written reason.
    const QString root = qEnvironmentVariable("LG_CORPORA");
    QFile tsv(root + QStringLiteral("/docker-bench/cis_mapping.tsv"));
    if (root.isEmpty() || !tsv.open(QIODevice::ReadOnly))
        QSKIP("docker-bench mapping not found (../shared/corpora)");
    std::set<std::string> referenced;
    const RuleCatalog catalog = RuleCatalog::builtin();
    for (const auto& r : catalog.rules())
        for (const auto& ref : r.references)
            referenced.insert(ref);
    std::set<std::string> excused;
    readTsv(
        QStringLiteral(LG_SOURCE_DIR "/tests/conformance/docker-bench-not-covered.tsv"), [&](const QStringList& cols) {
            if (cols.size() >= 2 && cols[0] != QLatin1String("cis_id") && !cols[1].trimmed().isEmpty())
                excused.insert(cols[0].toStdString());
        });
    QVERIFY(!excused.empty());
    QStringList missing;
    int checks = 0, covered = 0;
    tsv.readLine(); // header
    while (!tsv.atEnd()) {
        const auto cols = QString::fromUtf8(tsv.readLine()).split(QLatin1Char('\t'));
        if (cols.size() < 10)
            continue;
        const QString id = cols[0];
        if (id.isEmpty() || !id[0].isDigit())
            continue; // C.* are docker-bench's community checks, not CIS Docker Benchmark 1.6.0
        const QString inspect = cols[6];
        const QString other = cols[8];
        const QString failing = cols[9];
        if (failing.contains(QLatin1String("manual")) || failing.contains(QLatin1String("note only"))
            || failing.contains(QLatin1String("section header")))
            continue;
        const bool readsDocker = !inspect.trimmed().isEmpty() || other.contains(QLatin1String("docker info"))
            || other.contains(QLatin1String("docker version")) || other.contains(QLatin1String("docker port"))
            || other.contains(QLatin1String("docker network"));
        if (!readsDocker)
            continue;
        ++checks;
        if (referenced.count("CIS-DOCKER-" + id.toStdString())) {
            ++covered;
        } else if (!excused.count(id.toStdString())) {
            missing << id;
        }
    }
    qInfo("docker-bench checks reading docker inspect/info/version/port: %d, with rules: %d, excused: %d", checks,
        covered, checks - covered - int(missing.size()));
    QVERIFY2(missing.isEmpty(),
        qPrintable(QStringLiteral("CIS Docker checks without a rule: ") + missing.join(QStringLiteral(", "))));
}

QTEST_GUILESS_MAIN(TestConformance)
#include "tst_conformance.moc"
