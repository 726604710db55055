// Conformance with the peers' own test cases (../shared/corpora): Polaris, Trivy (KSV, KCV) and Kubescape's
// regolibrary. mapping.tsv says which Layerguard rules judge the same thing as each peer check; every case of a
// mapped check is scanned and compared. A fail case agrees when a mapped rule fires (for Kubescape: on exactly
// the objects Kubescape names), a pass case when none does. Agreement is reported strict (every difference
// counts) and explained (differences with a written reason in accepted-differences.tsv); the test fails below
// the strict threshold, on any difference without a reason, on a cited peer check the mapping leaves out, and
// on a mapped check with no case.
#include "connectors/manifests/manifestsconnector.h"
#include "scan/scanner.h"

#include <QDir>
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

std::string s(const QString& q)
{
    return q.toStdString();
}

/** One peer test case: what the peer expects of which input. */
struct Case {
    std::string corpus; ///< polaris, trivy, kubescape
    std::string check; ///< mapping key: polaris:<check>, KSV-0001, KCV-0001, kubescape:<rule dir>
    std::string input; ///< relative to the corpora root: a file, or a folder scanned as one
    bool expectFail = false;
    std::set<std::string> objects; ///< Kubescape: Kind/name of the objects it fails (empty: verdict only)
    std::vector<std::string> controls; ///< Kubescape: the controls of the rule (C-xxxx)
    nlohmann::json policy; ///< the Layerguard policy equal to the case's configuration (null: none)
};

/**
 * The Layerguard policy that configures a rule as a Kubescape case's data.json configures the peer's, for the
 * settings both have; null when Layerguard has no such setting.
 */
nlohmann::json policyFor(const std::string& rule, const QString& caseDir)
{
    QFile f(caseDir + QStringLiteral("/data.json"));
    if (!f.open(QIODevice::ReadOnly))
        return nullptr;
    const auto data = nlohmann::json::parse(f.readAll().toStdString(), nullptr, false);
    const auto inputs
        = data.is_object() ? data.value("postureControlInputs", nlohmann::json::object()) : nlohmann::json();
    if (rule == "container-image-repository" && inputs.contains("imageRepositoryAllowList"))
        return { { "allowed_registries", inputs["imageRepositoryAllowList"] } };
    return nullptr;
}

std::vector<Case> readCases(const QString& root, int* configured)
{
    std::vector<Case> out;
    QFile manifest(root + QStringLiteral("/manifest.jsonl"));
    if (manifest.open(QIODevice::ReadOnly)) {
        while (!manifest.atEnd()) {
            const auto c = nlohmann::json::parse(manifest.readLine().toStdString());
            const std::string corpus = c["corpus"];
            if (corpus != "polaris" && corpus != "trivy-checks/kubernetes")
                continue; // trivy-checks/docker judges Dockerfiles, which Layerguard does not read
            const std::string peer = c["peer_check"];
            out.push_back({ corpus == "polaris" ? "polaris" : "trivy", corpus == "polaris" ? "polaris:" + peer : peer,
                c["inputs"][0], c["expected"] == "fail", {}, {}, nullptr });
        }
    }
    // Kubescape: all files of a case's input/ are one evaluation; a case that configures the rule (data.json) is
    // compared under the same setting where Layerguard has it (policyFor), and otherwise not compared.
    readTsv(root + QStringLiteral("/kubescape-regolibrary/expectations.tsv"), [&](const QStringList& cols) {
        if (cols.size() < 8 || cols[0] == QLatin1String("rule_dir"))
            return;
        nlohmann::json policy;
        if (cols[6] == QLatin1String("True")) {
            policy = policyFor(s(cols[0]), root + QStringLiteral("/kubescape-regolibrary/") + cols[7]);
            if (policy.is_null()) {
                ++*configured;
                return;
            }
        }
        Case k { "kubescape", "kubescape:" + s(cols[0]), "kubescape-regolibrary/" + s(cols[7]) + "/input",
            cols[4].startsWith(QLatin1String("fail")), {}, {}, std::move(policy) };
        for (const auto& o : cols[5].split(QLatin1Char(','), Qt::SkipEmptyParts))
            k.objects.insert(s(o));
        for (const auto& c : cols[2].split(QLatin1Char(','), Qt::SkipEmptyParts))
            k.controls.push_back(s(c));
        out.push_back(std::move(k));
    });
    return out;
}

struct Tally {
    int agree = 0, explained = 0, total = 0;
};

std::string percent(int part, int whole)
{
    std::ostringstream o;
    o.precision(1);
    o << std::fixed << (whole ? 100.0 * part / whole : 0.0) << " %";
    return o.str();
}

/** What the files beside the test say (LG_MAPPING, LG_ACCEPTED_DIFFERENCES, LG_NOT_COMPARED). */
struct Expectations {
    std::map<std::string, std::vector<std::string>> mapping; ///< peer check -> Layerguard rules
    std::map<std::string, std::string> reasons; ///< check|input -> reason, for differences kept on purpose
    std::set<std::string> notCompared; ///< cited peer checks whose cases cannot be compared offline, with a reason
};

Expectations readExpectations()
{
    Expectations e;
    readTsv(qEnvironmentVariable("LG_MAPPING"), [&](const QStringList& cols) {
        if (cols.size() < 2)
            return;
        for (const auto& r : cols[1].split(QLatin1Char(','), Qt::SkipEmptyParts))
            e.mapping[s(cols[0])].push_back(s(r.trimmed()));
    });
    readTsv(qEnvironmentVariable("LG_ACCEPTED_DIFFERENCES"), [&](const QStringList& cols) {
        if (cols.size() >= 5 && !cols[4].trimmed().isEmpty())
            e.reasons[s(cols[1]) + "|" + s(cols[2])] = s(cols[4]);
    });
    readTsv(qEnvironmentVariable("LG_NOT_COMPARED"), [&](const QStringList& cols) {
        if (cols.size() >= 2 && !cols[1].trimmed().isEmpty())
            e.notCompared.insert(s(cols[0]));
    });
    return e;
}

/** "<rule> cites <peer check>" for every peer check a rule cites that has cases but is neither mapped nor excused. */
QStringList uncomparedCitations(const RuleCatalog& catalog, const std::vector<Case>& cases, const Expectations& e)
{
    std::set<std::string> withCases, kubescapeControlsMapped, kubescapeControlsWithCases;
    for (const auto& c : cases) {
        withCases.insert(c.check);
        for (const auto& control : c.controls) {
            kubescapeControlsWithCases.insert(control);
            if (e.mapping.count(c.check))
                kubescapeControlsMapped.insert(control);
        }
    }
    QStringList unmapped;
    for (const auto& rule : catalog.rules()) {
        for (const auto& ref : rule.references) {
            const bool kubescape = ref.starts_with("C-0");
            const bool peer
                = kubescape || ref.starts_with("polaris:") || ref.starts_with("KSV-") || ref.starts_with("KCV-");
            if (!peer || e.notCompared.count(ref))
                continue;
            const bool compared = kubescape
                ? kubescapeControlsMapped.count(ref) > 0 || !kubescapeControlsWithCases.count(ref)
                : e.mapping.count(ref) > 0 || !withCases.count(ref);
            if (!compared)
                unmapped << QString::fromStdString(rule.id + " cites " + ref);
        }
    }
    unmapped.removeDuplicates();
    return unmapped;
}

/** The mapped cases compared: tallies per check and per corpus, and the differences. */
struct Comparison {
    std::map<std::string, Tally> perCheck, perCorpus;
    std::map<std::string, int> comparedPerCheck;
    std::vector<std::string> unexplained; ///< differences without a reason, one line each
    std::set<std::string> usedReasons;
};

/** Scans a case's input as one source, under the case's policy if it has one. */
ScanOutcome scanCase(Scanner& scanner, const RuleCatalog& catalog, const QString& root, const Case& c)
{
    std::vector<std::unique_ptr<Connector>> sources;
    sources.push_back(std::make_unique<ManifestsConnector>(s(root) + "/" + c.input, "conformance"));
    CancelToken cancel { false };
    ScanSettings withPolicy;
    if (!c.policy.is_null())
        withPolicy.policy = Policy::fromJson(c.policy);
    return c.policy.is_null() ? scanner.run(sources, nullptr, cancel, {})
                              : Scanner(catalog, withPolicy).run(sources, nullptr, cancel, {});
}

/** A difference as the report lists it: the case, what the peer expects and what Layerguard did. */
std::string difference(const Case& c, const ScanOutcome& outcome, const std::set<std::string>& fired)
{
    std::string seen;
    for (const auto& o : fired)
        seen += (seen.empty() ? "" : ",") + o;
    std::string expected;
    for (const auto& o : c.objects)
        expected += (expected.empty() ? "" : ",") + o;
    return c.check + "\t" + c.input + "\tpeer " + (c.expectFail ? "fails " + expected : "passes") + "; Layerguard "
        + (outcome.anySourceFailed() ? "error: " + outcome.sources[0].error
                                     : (fired.empty() ? std::string("passes") : "fails " + seen));
}

Comparison compare(
    const RuleCatalog& catalog, const QString& root, const std::vector<Case>& cases, const Expectations& e)
{
    Comparison out;
    Scanner scanner(catalog, {});
    for (const auto& c : cases) {
        const auto it = e.mapping.find(c.check);
        if (it == e.mapping.end())
            continue;
        const auto outcome = scanCase(scanner, catalog, root, c);
        std::set<std::string> fired;
        for (const auto& f : outcome.record.findings)
            if (std::find(it->second.begin(), it->second.end(), f.rule) != it->second.end())
                fired.insert(f.subject.kind + "/" + f.subject.name);
        bool agree = !outcome.anySourceFailed() && fired.empty() != c.expectFail;
        // Kubescape names the objects it fails: the same objects, not only the same verdict.
        if (agree && c.expectFail && !c.objects.empty())
            agree = fired == c.objects;
        ++out.comparedPerCheck[c.check];
        for (auto* t : { &out.perCheck[c.corpus + " " + c.check], &out.perCorpus[c.corpus], &out.perCorpus["all"] }) {
            ++t->total;
            if (agree)
                ++t->agree;
        }
        if (agree)
            continue;
        const auto reason = e.reasons.find(c.check + "|" + c.input);
        if (reason != e.reasons.end()) {
            out.usedReasons.insert(reason->first);
            for (auto* t : { &out.perCheck[c.corpus + " " + c.check], &out.perCorpus[c.corpus], &out.perCorpus["all"] })
                ++t->explained;
            continue;
        }
        out.unexplained.push_back(difference(c, outcome, fired));
    }
    return out;
}

std::string report(const Comparison& result, const std::map<std::string, std::string>& reasons, int configured)
{
    std::ostringstream report;
    report << "\nconformance per peer check: strict agreement (+ explained differences) / cases\n";
    for (const auto& [check, t] : result.perCheck)
        report << "  " << check << ": " << t.agree << " (+" << t.explained << ") / " << t.total << "\n";
    report << "per corpus, strict and explained:\n";
    for (const auto& [corpus, t] : result.perCorpus)
        report << "  " << corpus << ": " << t.agree << " / " << t.total << " strict " << percent(t.agree, t.total)
               << ", explained " << percent(t.agree + t.explained, t.total) << "\n";
    report << "Kubescape cases that configure their rule (data.json), not compared: " << configured << "\n";
    for (const auto& d : result.unexplained)
        report << "  UNEXPLAINED\t" << d << "\n";
    for (const auto& [key, why] : reasons)
        if (!result.usedReasons.count(key))
            report << "  STALE REASON (the case now agrees, or is not mapped)\t" << key << "\n";
    return report.str();
}
} // namespace

void TestConformance::corpora()
{
    const QString root = qEnvironmentVariable("LG_CORPORA");
    if (root.isEmpty() || !QFileInfo::exists(root + QStringLiteral("/manifest.jsonl"))
        || !QFileInfo::exists(root + QStringLiteral("/kubescape-regolibrary/expectations.tsv"))) {
        if (qEnvironmentVariable("CI") == QLatin1String("true"))
            QFAIL("the peer corpora (../shared/corpora) are missing: conformance must be measured under CI");
        QSKIP("peer corpora not found (../shared/corpora); conformance not measured");
    }
    const Expectations expectations = readExpectations();
    const auto& mapping = expectations.mapping;
    QVERIFY(!mapping.empty());
    const RuleCatalog catalog = RuleCatalog::builtin();
    for (const auto& [peer, rules] : mapping)
        for (const auto& r : rules)
            QVERIFY2(catalog.find(r), ("mapping.tsv names unknown rule " + r + " for " + peer).c_str());

    int configured = 0;
    const std::vector<Case> cases = readCases(root, &configured);
    QVERIFY(cases.size() > 1500);

    // Every peer check a rule cites is compared on the peer's cases (or listed, with a reason, as not comparable).
    const QStringList unmapped = uncomparedCitations(catalog, cases, expectations);
    QVERIFY2(unmapped.isEmpty(),
        qPrintable(QStringLiteral("cited peer checks that mapping.tsv does not compare (map them, or say in "
                                  "not-compared.tsv why they cannot be): ")
            + unmapped.join(QStringLiteral("; "))));

    Comparison result = compare(catalog, root, cases, expectations);
    qInfo().noquote() << QString::fromStdString(report(result, expectations.reasons, configured));

    QStringList empty;
    for (const auto& [check, rules] : mapping)
        if (!result.comparedPerCheck.count(check))
            empty << QString::fromStdString(check);
    QVERIFY2(empty.isEmpty(),
        qPrintable(QStringLiteral("mapped peer checks with no case compared: ") + empty.join(QStringLiteral(", "))));
    const Tally all = result.perCorpus["all"];
    QVERIFY(all.total > 0);
    QVERIFY2(result.unexplained.empty(),
        qPrintable(QStringLiteral("%1 differences without a reason in accepted-differences.tsv")
                       .arg(result.unexplained.size())));
    const double strict = 100.0 * all.agree / all.total;
    const double threshold = qEnvironmentVariableIntValue("LG_CONFORMANCE_MIN") > 0
        ? qEnvironmentVariableIntValue("LG_CONFORMANCE_MIN")
        : 95.0;
    QVERIFY2(strict >= threshold,
        qPrintable(QStringLiteral("strict agreement %1 % below %2 %").arg(strict, 0, 'f', 1).arg(threshold)));
}

void TestConformance::dockerBenchInspectChecksHaveRules()
{
    // Every CIS Docker 1.6.0 check that docker-bench evaluates from docker inspect / info / version /
    // port data has a rule referencing it (the rules' fixtures prove the conditions), or a written reason.
    const QString root = qEnvironmentVariable("LG_CORPORA");
    QFile tsv(root + QStringLiteral("/docker-bench/cis_mapping.tsv"));
    if (root.isEmpty() || !tsv.open(QIODevice::ReadOnly)) {
        if (qEnvironmentVariable("CI") == QLatin1String("true"))
            QFAIL("the docker-bench mapping (../shared/corpora/docker-bench) is missing under CI");
        QSKIP("docker-bench mapping not found (../shared/corpora)");
    }
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
