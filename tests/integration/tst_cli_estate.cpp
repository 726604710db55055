// The estate through the CLI: the latest scan of each target, compared with its own previous scan, and a target
// that stays the same however it was scanned.
#include "tst_cli.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTest>

#include "testsupport.h"

#include <set>

using nlohmann::json;

// Alpha scanned, beta scanned, alpha scanned again with its pod fixed (scans 1 to 3); gamma's scan fails.
void TestCli::scanThreeTargetsOneFailing()
{
    const QString alpha = m_dir->filePath(QStringLiteral("alpha")), beta = m_dir->filePath(QStringLiteral("beta"));
    QDir().mkpath(alpha);
    QDir().mkpath(beta);
    auto write = [](const QString& file, const QByteArray& text) {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(text);
    };
    auto scanOf = [&](const QString& dir, const QString& target) {
        return lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), dir, QStringLiteral("--target"), target,
            QStringLiteral("--db"), m_db, QStringLiteral("--quiet") });
    };
    write(alpha + QStringLiteral("/pod.yaml"), kPrivileged);
    LG_COMPARE(scanOf(alpha, QStringLiteral("alpha")).code, 0); // scan 1
    write(beta + QStringLiteral("/pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: pid, namespace: shop}\n"
        "spec:\n  hostPID: true\n  containers: [{name: app, image: app:1.0}]\n");
    LG_COMPARE(scanOf(beta, QStringLiteral("beta")).code, 0); // scan 2
    write(alpha + QStringLiteral("/pod.yaml"), kRestricted); // alpha fixed its pod
    LG_COMPARE(scanOf(alpha, QStringLiteral("alpha")).code, 0); // scan 3
    const auto failed = scanOf(m_dir->filePath(QStringLiteral("missing")), QStringLiteral("gamma"));
    LG_COMPARE(failed.code, 1); // not stored
}

// The contract JSON of each target's findings, counted here, is what posture must say.
void TestCli::checkPostureAgainstFindings(const json& posture)
{
    std::map<std::string, std::map<std::string, int>> estate; // layer -> severity -> open
    for (const auto& t : posture["targets"]) {
        const auto r = lg({ QStringLiteral("findings"), QStringLiteral("--target"),
            QString::fromStdString(t["target"].get<std::string>()), QStringLiteral("--format"), QStringLiteral("json"),
            QStringLiteral("--db"), m_db });
        std::map<std::string, std::map<std::string, int>> counted;
        for (const auto& f : json::parse(r.out.toStdString()))
            if (f["status"] == "open") {
                ++counted[f["layer"].get<std::string>()][f["severity"].get<std::string>()];
                ++estate[f["layer"].get<std::string>()][f["severity"].get<std::string>()];
            }
        for (auto l = t["layers"].begin(); l != t["layers"].end(); ++l)
            for (auto n = (*l)["open"].begin(); n != (*l)["open"].end(); ++n)
                QVERIFY2(n->get<int>() == counted[l.key()][n.key()],
                    (t["target"].get<std::string>() + " " + l.key() + " " + n.key()).c_str());
    }
    for (auto l = posture["layers"].begin(); l != posture["layers"].end(); ++l)
        for (auto n = (*l)["open"].begin(); n != (*l)["open"].end(); ++n)
            QVERIFY2(n->get<int>() == estate[l.key()][n.key()], ("estate " + l.key() + " " + n.key()).c_str());
}

// diff without ids: alpha against its own scan 1; beta has nothing to compare with, and nothing of beta's
// counts as resolved by alpha's scan.
void TestCli::checkDiffComparesEachTargetWithItsOwn()
{
    const auto r = lg(
        { QStringLiteral("diff"), QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--db"), m_db });
    QVERIFY2(r.code == 0, r.err.constData());
    const json d = json::parse(r.out.toStdString());
    LG_COMPARE(d["targets"].size(), std::size_t(1));
    LG_COMPARE(d["targets"][0]["target"], json("alpha"));
    LG_COMPARE(d["from"], json(1));
    LG_COMPARE(d["to"], json(3));
    bool privilegedResolved = false;
    for (const auto& f : d["resolved"]) {
        LG_COMPARE(f["target"], json("alpha"));
        privilegedResolved = privilegedResolved || f["rule"] == "LG-PSS-PRIVILEGED";
    }
    QVERIFY(privilegedResolved);
}

// The report of the estate: both targets' findings (as of now), a section per target in the PDF.
void TestCli::checkEstateReport()
{
    const QString estateJson = m_dir->filePath(QStringLiteral("estate.json"));
    auto r = lg({ QStringLiteral("report"), QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("-o"),
        estateJson, QStringLiteral("--db"), m_db });
    QVERIFY2(r.code == 0, r.err.constData());
    QFile reportFile(estateJson);
    QVERIFY(reportFile.open(QIODevice::ReadOnly));
    const json report = json::parse(reportFile.readAll().toStdString());
    std::set<std::string> reported, expected;
    for (const auto& f : report["findings"])
        reported.insert(f["id"].get<std::string>());
    for (const char* target : { "alpha", "beta" })
        for (const auto& f :
            json::parse(lg({ QStringLiteral("findings"), QStringLiteral("--target"), QLatin1String(target),
                               QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--db"), m_db })
                            .out.toStdString()))
            expected.insert(f["id"].get<std::string>());
    QVERIFY(!expected.empty());
    LG_COMPARE(reported, expected);
    const QString pdf = m_dir->filePath(QStringLiteral("estate.pdf"));
    r = lg({ QStringLiteral("report"), QStringLiteral("--format"), QStringLiteral("pdf"), QStringLiteral("-o"), pdf,
        QStringLiteral("--db"), m_db });
    QVERIFY2(r.code == 0, r.err.constData());
    QProcess text;
    text.start(QStringLiteral("pdftotext"), { QStringLiteral("-layout"), pdf, QStringLiteral("-") });
    QVERIFY(text.waitForFinished(60000));
    const QString pages = QString::fromUtf8(text.readAllStandardOutput());
    QVERIFY2(pages.contains(QLatin1String("Estate of 2 targets")), qPrintable(pages.left(2000)));
    QVERIFY(pages.contains(QRegularExpression(QStringLiteral("\\nTargets\\n"))));
    QVERIFY(pages.contains(QRegularExpression(QStringLiteral("\\nalpha\\n[^\\n]*scan 3, (ﬁ|fi)nished"))));
    QVERIFY(pages.contains(QRegularExpression(QStringLiteral("\\nbeta\\n[^\\n]*scan 2, (ﬁ|fi)nished"))));
    QVERIFY(pages.contains(QLatin1String("Since each target's previous scan")));
    // The running header names the estate: an estate report has no scan of its own (it once said "scan 0").
    QVERIFY(pages.contains(QStringLiteral("compliance report — estate of 2 targets")));
    QVERIFY(!pages.contains(QStringLiteral("report — scan 0")));
}

// Three targets scanned at different times, one of them failing: the estate is the latest scan of each target
// that succeeded; every number of `posture` equals an independent count over the contract JSON of `findings`;
// `diff` compares each target with its own previous scan; accepting a finding of an older scan shows at once.
void TestCli::estateIsTheLatestScanOfEachTarget()
{
    scanThreeTargetsOneFailing();
    if (QTest::currentTestFailed())
        return;

    json posture = postureJson();
    LG_COMPARE(posture["targets"].size(), std::size_t(2)); // gamma failed: never part of the estate
    LG_COMPARE(posture["targets"][0]["target"], json("alpha"));
    LG_COMPARE(posture["targets"][0]["scan"], json(3));
    LG_COMPARE(posture["targets"][0]["previous_scan"], json(1));
    LG_COMPARE(posture["targets"][1]["target"], json("beta"));
    LG_COMPARE(posture["targets"][1]["scan"], json(2)); // not replaced by alpha's later scan
    LG_COMPARE(posture["targets"][1]["layers"]["orchestrator"]["open"]["high"].get<int>() > 0, true);
    checkPostureAgainstFindings(posture);
    if (QTest::currentTestFailed())
        return;

    checkDiffComparesEachTargetWithItsOwn();
    if (QTest::currentTestFailed())
        return;

    // Accepting a finding of beta's (older) scan shows at once in the estate.
    auto r = lg(
        { QStringLiteral("findings"), QStringLiteral("--target"), QStringLiteral("beta"), QStringLiteral("--severity"),
            QStringLiteral("high"), QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--db"), m_db });
    const json high = json::parse(r.out.toStdString());
    QVERIFY(!high.empty());
    const int before = posture["targets"][1]["layers"]["orchestrator"]["open"]["high"].get<int>();
    LG_COMPARE(lg({ QStringLiteral("accept"), QString::fromStdString(high[0]["id"].get<std::string>()),
                      QStringLiteral("--owner"), QStringLiteral("ops"), QStringLiteral("--reason"),
                      QStringLiteral("known"), QStringLiteral("--db"), m_db })
                   .code,
        0);
    posture = postureJson();
    LG_COMPARE(posture["targets"][1]["layers"]["orchestrator"]["open"]["high"].get<int>(), before - 1);
    checkPostureAgainstFindings(posture);

    // history --target: that target's own scans only.
    r = lg({ QStringLiteral("history"), QStringLiteral("--target"), QStringLiteral("alpha"), QStringLiteral("--format"),
        QStringLiteral("json"), QStringLiteral("--db"), m_db });
    const json h = json::parse(r.out.toStdString());
    LG_COMPARE(h.size(), std::size_t(2));
    LG_COMPARE(h[0]["scan"], json(1));
    LG_COMPARE(h[1]["scan"], json(3));

    checkEstateReport();
}

// The folder named acme-prod once is acme-prod when scanned again without a name, from another working folder
// and by a relative path: its findings keep their ids, and nothing is "new" or "resolved".
void TestCli::aTargetIsTheSameHoweverItWasScanned()
{
    writeFile(QStringLiteral("a.yaml"), kPrivileged);
    auto r = lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--target"),
        QStringLiteral("acme-prod"), QStringLiteral("--db"), m_db, QStringLiteral("--quiet") });
    QVERIFY2(r.code == 0, r.err.constData());
    QProcess p; // unnamed, relative to its parent folder
    p.setWorkingDirectory(m_dir->path());
    p.start(QStringLiteral(LG_BINARY),
        { QStringLiteral("scan"), QStringLiteral("--manifests"), QStringLiteral("manifests/../manifests"),
            QStringLiteral("--db"), m_db, QStringLiteral("--quiet") });
    QVERIFY(p.waitForFinished(60'000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    r = lg({ QStringLiteral("posture"), QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--db"),
        m_db });
    const json posture = json::parse(r.out.toStdString());
    LG_COMPARE(posture["targets"].size(), std::size_t(1));
    LG_COMPARE(posture["targets"][0]["target"], json("acme-prod"));
    LG_COMPARE(posture["targets"][0]["scan"], json(2));
    r = lg(
        { QStringLiteral("diff"), QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--db"), m_db });
    const json d = json::parse(r.out.toStdString());
    LG_COMPARE(d["new"].size(), std::size_t(0));
    LG_COMPARE(d["resolved"].size(), std::size_t(0));
    QVERIFY(d["unchanged"].get<int>() > 0);
}

// Scans of acme (its saved connection) and of beta; acme's first finding accepted and its findings aged 40 days.
json TestCli::scanAcmeAndBeta()
{
    writeFile(QStringLiteral("a.yaml"), kPrivileged);
    auto r = lg({ QStringLiteral("target"), QStringLiteral("add"), QStringLiteral("acme"),
        QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"), m_db });
    [&] { QVERIFY2(r.code == 0, r.err.constData()); }();
    r = lg({ QStringLiteral("scan"), QStringLiteral("--target"), QStringLiteral("acme"), QStringLiteral("--db"), m_db,
        QStringLiteral("--quiet") }); // scan 1
    [&] { QVERIFY2(r.code == 0, r.err.constData()); }();
    const QString beta = m_dir->filePath(QStringLiteral("beta"));
    QDir().mkpath(beta);
    QFile pod(beta + QStringLiteral("/pod.yaml"));
    [&] { QVERIFY(pod.open(QIODevice::WriteOnly)); }();
    pod.write(kPrivileged);
    pod.close();
    r = lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), beta, QStringLiteral("--target"),
        QStringLiteral("beta"), QStringLiteral("--db"), m_db, QStringLiteral("--quiet") }); // scan 2
    [&] { QVERIFY2(r.code == 0, r.err.constData()); }();
    ageRiskyPodFortyDays();
    const json acme = findingsJson({ QStringLiteral("--target"), QStringLiteral("acme") });
    [&] { QVERIFY(acme.size() > 1); }();
    r = lg(
        { QStringLiteral("accept"), QString::fromStdString(acme[0]["id"].get<std::string>()), QStringLiteral("--owner"),
            QStringLiteral("ops"), QStringLiteral("--reason"), QStringLiteral("known"), QStringLiteral("--db"), m_db });
    [&] { QVERIFY2(r.code == 0, r.err.constData()); }();
    return findingsJson({ QStringLiteral("--target"), QStringLiteral("acme") });
}

// After the rename: acme-prod is scanned again without a name (its folder's identity goes by the new name) and by
// its saved connection, with a second pod; its history, diff, acceptance and ages carry on from acme's scan.
void TestCli::checkRenamedTargetCarriesOn(const json& before)
{
    writeFile(QStringLiteral("b.yaml"), QByteArray(kPrivileged).replace("name: risky", "name: risky-two"));
    for (const QStringList& how : { QStringList { QStringLiteral("--manifests"), m_manifests },
             QStringList { QStringLiteral("--target"), QStringLiteral("acme-prod") } }) { // scans 3 and 4
        const auto r = lg(QStringList { QStringLiteral("scan") } + how
            + QStringList { QStringLiteral("--db"), m_db, QStringLiteral("--quiet") });
        QVERIFY2(r.code == 0, r.err.constData());
    }
    const json posture = postureJson();
    LG_COMPARE(posture["targets"].size(), std::size_t(2));
    LG_COMPARE(posture["targets"][0]["target"], json("acme-prod"));
    LG_COMPARE(posture["targets"][0]["scan"], json(4));
    checkPostureAgainstFindings(posture);
    // the same rule on the same resource (the id follows the target's name)
    const auto key = [](const json& f) { return f["rule"].dump() + f["resource"].dump(); };
    std::map<std::string, json> now;
    for (const auto& f : findingsJson({ QStringLiteral("--target"), QStringLiteral("acme-prod") }))
        now[key(f)] = f;
    for (const auto& f : before) { // the renamed findings: accepted as before, as old as before
        QVERIFY2(now.count(key(f)), key(f).c_str());
        const json& same = now[key(f)];
        QVERIFY(same["id"] != f["id"]);
        LG_COMPARE(same["status"], f["status"]);
        LG_COMPARE(same["first_seen"], f["first_seen"]);
        LG_COMPARE(same["target"], json("acme-prod"));
    }
    LG_COMPARE(now.size(), before.size() * 2); // and risky-two's
    auto r = lg({ QStringLiteral("history"), QStringLiteral("--target"), QStringLiteral("acme-prod"),
        QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--db"), m_db });
    const json h = json::parse(r.out.toStdString());
    LG_COMPARE(h.size(), std::size_t(3));
    LG_COMPARE(h[0]["scan"], json(1));
    LG_COMPARE(h[1]["scan"], json(3));
    r = lg({ QStringLiteral("diff"), QStringLiteral("1"), QStringLiteral("3"), QStringLiteral("--format"),
        QStringLiteral("json"), QStringLiteral("--db"), m_db });
    const json d = json::parse(r.out.toStdString());
    LG_COMPARE(d["new"].size(), before.size()); // risky-two's only
    LG_COMPARE(d["resolved"].size(), std::size_t(0));
    LG_COMPARE(d["unchanged"], json(before.size()));
}

// `target rename`: a target's scans, findings, acceptance, ages and saved connection under the new name, nothing
// under the old; a name another target has, or no target at all, is refused (exit 2) and changes nothing.
// A renamed target's old name, given again by the user or by an imported report, joins the target under its new
// name: its history does not split again.
void TestCli::checkOldNamesJoinTheRenamedTarget()
{
    auto r = lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--target"),
        QStringLiteral("acme"), QStringLiteral("--db"), m_db, QStringLiteral("--quiet") }); // scan 5
    QVERIFY2(r.code == 0, r.err.constData());
    json posture = postureJson();
    LG_COMPARE(posture["targets"].size(), std::size_t(2));
    LG_COMPARE(posture["targets"][0]["target"], json("acme-prod"));
    LG_COMPARE(posture["targets"][0]["scan"], json(5));

    // A Lynis report names its host "host:<hostname>"; renamed to "web-01", the next report joins web-01.
    const QString report = m_dir->filePath(QStringLiteral("report.dat"));
    QFile f(report);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("# Lynis Report\nreport_version_major=1\nreport_version_minor=0\nlynis_version=3.0.8\n"
            "report_datetime_start=2026-11-01 10:00:00\nhostname=web-01\ntests_executed=AUTH-9230|LOGG-2138|\n"
            "warning[]=LOGG-2138|klogd is not running|-|-|\nreport_datetime_end=2026-11-01 10:01:00\nfinish=true\n");
    f.close();
    const QStringList import { QStringLiteral("import"), report, QStringLiteral("--db"), m_db,
        QStringLiteral("--quiet") };
    r = lg(import); // scan 6
    QVERIFY2(r.code == 0, r.err.constData());
    r = lg({ QStringLiteral("target"), QStringLiteral("rename"), QStringLiteral("host:web-01"),
        QStringLiteral("web-01"), QStringLiteral("--db"), m_db });
    QVERIFY2(r.code == 0, r.err.constData());
    r = lg(import); // scan 7
    QVERIFY2(r.code == 0, r.err.constData());
    posture = postureJson();
    std::set<std::string> names;
    for (const auto& t : posture["targets"])
        names.insert(t["target"].get<std::string>());
    QVERIFY(names.count("web-01") && !names.count("host:web-01"));
    QVERIFY(names.count("acme-prod") && !names.count("acme"));
    r = lg({ QStringLiteral("history"), QStringLiteral("--target"), QStringLiteral("web-01"),
        QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--db"), m_db });
    const json h = json::parse(r.out.toStdString());
    LG_COMPARE(h.size(), std::size_t(2));
    LG_COMPARE(h[1]["scan"], json(7));
}

void TestCli::renamedTargetKeepsItsHistory()
{
    const json before = scanAcmeAndBeta();
    if (QTest::currentTestFailed())
        return;
    const auto rename = [&](const QStringList& names) {
        return lg(QStringList { QStringLiteral("target"), QStringLiteral("rename") } + names
            + QStringList { QStringLiteral("--db"), m_db });
    };
    auto r = rename({ QStringLiteral("acme"), QStringLiteral("beta") });
    LG_COMPARE(r.code, 2);
    QVERIFY2(r.err.contains("beta already names another target"), r.err.constData());
    r = rename({ QStringLiteral("nothing"), QStringLiteral("acme-prod") });
    LG_COMPARE(r.code, 2);
    QVERIFY2(r.err.contains("no target is called nothing"), r.err.constData());
    LG_COMPARE(rename({ QStringLiteral("acme") }).code, 2);
    LG_COMPARE(findingsJson({ QStringLiteral("--target"), QStringLiteral("acme") }), before);

    r = rename({ QStringLiteral("acme"), QStringLiteral("acme-prod") });
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY2(r.out.startsWith("renamed target acme to acme-prod: 1 scan, "), r.out.constData());
    QVERIFY2(r.out.contains("its saved connection"), r.out.constData());
    r = lg({ QStringLiteral("findings"), QStringLiteral("--target"), QStringLiteral("acme"), QStringLiteral("--db"),
        m_db });
    QVERIFY(r.code != 0); // no scan of acme any more
    r = lg({ QStringLiteral("target"), QStringLiteral("list"), QStringLiteral("--format"), QStringLiteral("json"),
        QStringLiteral("--db"), m_db });
    LG_COMPARE(json::parse(r.out.toStdString())[0]["name"], json("acme-prod"));
    checkRenamedTargetCarriesOn(before);
    if (QTest::currentTestFailed())
        return;
    checkOldNamesJoinTheRenamedTarget();
}
