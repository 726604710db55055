// Triage through the CLI: risks accepted and revoked from now on; findings' ages, deadlines and time to remediate.
#include "tst_cli.h"

#include <QDateTime>
#include <QFile>
#include <QTest>

#include "testsupport.h"

#include <sqlite3.h>

#include <cmath>

using nlohmann::json;

void TestCli::acceptanceTakesEffectFromNow()
{
    writeFile(QStringLiteral("a.yaml"), kPrivileged);
    const QStringList scan { QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"),
        m_db, QStringLiteral("--quiet") };
    LG_COMPARE(lg(scan).code, 0);
    LG_COMPARE(lg(scan).code, 0);
    auto history = [&] {
        return json::parse(lg({ QStringLiteral("history"), QStringLiteral("--db"), m_db, QStringLiteral("--format"),
                                  QStringLiteral("json") })
                               .out.toStdString());
    };
    const json before = history();
    auto findings = [&](const QStringList& extra = {}) {
        return json::parse(lg(QStringList { QStringLiteral("findings"), QStringLiteral("--db"), m_db,
                                  QStringLiteral("--format"), QStringLiteral("json") }
            + extra)
                               .out.toStdString());
    };
    std::string fid;
    for (const auto& f : findings())
        if (f["rule"] == "LG-PSS-PRIVILEGED")
            fid = f["id"];
    QVERIFY(!fid.empty());
    const QString id = QString::fromStdString(fid);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("USER"), QStringLiteral("dana"));
    // Refused: an unknown finding, an expiry in the past (usage: exit 2, a message, nothing recorded).
    auto r
        = lg({ QStringLiteral("accept"), QStringLiteral("0123456789abcdef0123456789abcdef"), QStringLiteral("--owner"),
                 QStringLiteral("ops"), QStringLiteral("--reason"), QStringLiteral("r"), QStringLiteral("--db"), m_db },
            env);
    LG_COMPARE(r.code, 2);
    QVERIFY2(r.err.contains("no finding"), r.err.constData());
    r = lg({ QStringLiteral("accept"), id, QStringLiteral("--owner"), QStringLiteral("ops"), QStringLiteral("--reason"),
               QStringLiteral("r"), QStringLiteral("--expires"), QStringLiteral("2001-01-01"), QStringLiteral("--db"),
               m_db },
        env);
    LG_COMPARE(r.code, 2);
    QVERIFY2(r.err.contains("in the future"), r.err.constData());
    LG_COMPARE(scalar(QStringLiteral("SELECT count(*) FROM risk_acceptances")), 0);
    // Accepted from now on: the latest scan shows it at once, with who and why; no stored score changes.
    r = lg({ QStringLiteral("accept"), id, QStringLiteral("--owner"), QStringLiteral("ops"), QStringLiteral("--reason"),
               QStringLiteral("node agent"), QStringLiteral("--db"), m_db },
        env);
    QVERIFY2(r.code == 0, r.err.constData());
    bool accepted = false;
    for (const auto& f : findings())
        if (f["id"] == fid) {
            accepted = f["status"] == "accepted";
            LG_COMPARE(f["acceptance"]["owner"], json("ops"));
            LG_COMPARE(f["acceptance"]["by"], json("dana"));
            LG_COMPARE(f["acceptance"]["reason"], json("node agent"));
        }
    QVERIFY(accepted);
    for (const auto& f : findings({ QStringLiteral("--scan"), QStringLiteral("1") })) // as it was recorded
        if (f["id"] == fid)
            LG_COMPARE(f["status"], json("open"));
    LG_COMPARE(history(), before);
    // Revoked from now on; a second revoke has nothing to revoke and says so.
    r = lg({ QStringLiteral("revoke"), id, QStringLiteral("--db"), m_db }, env);
    LG_COMPARE(r.code, 0);
    r = lg({ QStringLiteral("revoke"), id, QStringLiteral("--db"), m_db }, env);
    LG_COMPARE(r.code, 2);
    QVERIFY2(r.err.contains("nothing to revoke"), r.err.constData());
    for (const auto& f : findings())
        if (f["id"] == fid)
            LG_COMPARE(f["status"], json("open"));
    LG_COMPARE(history(), before);
    LG_COMPARE(scalar(QStringLiteral("SELECT count(*) FROM risk_acceptances WHERE revoked_by = 'dana'")), 1);
}

namespace {
/** The ids of a `findings --format json` list. */
std::set<std::string> ids(const json& findings)
{
    std::set<std::string> out;
    for (const auto& f : findings)
        out.insert(f["id"].get<std::string>());
    return out;
}

/** A pod on the host's PID namespace, "pid" in namespace shop, after a document separator. */
const QByteArray kHostPid = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: pid, namespace: shop}\n"
                            "spec:\n  hostPID: true\n  containers: [{name: app, image: app:1.0}]\n";
} // namespace

int TestCli::scanManifestsQuietly()
{
    return lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"), m_db,
                  QStringLiteral("--quiet") })
        .code;
}

// The risky pod's findings first seen 40 days before they were.
void TestCli::ageRiskyPodFortyDays()
{
    sqlite3* db = nullptr;
    QCOMPARE(sqlite3_open(m_db.toLocal8Bit().constData(), &db), SQLITE_OK);
    QCOMPARE(sqlite3_exec(db,
                 "UPDATE finding_first_seen SET first_seen = first_seen - 40 * 86400 WHERE fid IN "
                 "(SELECT fid FROM findings WHERE name = 'risky')",
                 nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(db);
}

json TestCli::findingsJson(QStringList extra)
{
    extra << QStringLiteral("--format") << QStringLiteral("json") << QStringLiteral("--db") << m_db;
    const auto r = lg(QStringList { QStringLiteral("findings") } + extra);
    [&] { QVERIFY2(r.code == 0, r.err.constData()); }();
    return json::parse(r.out.toStdString());
}

// Overdue by the default deadlines (critical 7 days, high 30, medium 90, low 180) and older than 30 days, as of `now`.
void TestCli::readAges(std::int64_t now, Ages& ages)
{
    auto& [overdue, old, riskyIds, overdueBySeverity, firstSeen] = ages;
    const std::map<std::string, int> sla { { "critical", 7 }, { "high", 30 }, { "medium", 90 }, { "low", 180 } };
    for (const auto& f : findingsJson({})) {
        const std::string id = f["id"], severity = f["severity"];
        const std::int64_t seen
            = QDateTime::fromString(QString::fromStdString(f["first_seen"].get<std::string>()), Qt::ISODate)
                  .toSecsSinceEpoch();
        QVERIFY(seen > 0 && seen <= now);
        firstSeen[id] = seen;
        if (f["resource"]["name"] == "risky")
            riskyIds.insert(id);
        const auto deadline = sla.find(severity);
        if (f["status"] == "open" && deadline != sla.end() && now - seen > deadline->second * 86400) {
            overdue.insert(id);
            ++overdueBySeverity[severity];
        }
        if (seen < now - 30 * 86400)
            old.insert(id);
    }
}

// A policy's own deadlines: critical 60 days, high none.
void TestCli::checkPolicyDeadlines(const std::set<std::string>& riskyIds)
{
    const QString policy = m_dir->filePath(QStringLiteral("policy.yaml"));
    {
        QFile f(policy);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("sla: {critical: 60, high: 0, medium: 30}\n");
    }
    std::set<std::string> mediumOnly;
    for (const auto& f : findingsJson({}))
        if (f["severity"] == "medium" && riskyIds.count(f["id"].get<std::string>()))
            mediumOnly.insert(f["id"].get<std::string>());
    LG_COMPARE(ids(findingsJson({ QStringLiteral("--overdue"), QStringLiteral("--policy"), policy })), mediumOnly);
    LG_COMPARE(lg({ QStringLiteral("findings"), QStringLiteral("--older-than"), QStringLiteral("soon"),
                      QStringLiteral("--db"), m_db })
                   .code,
        2);
}

// The risky pod is fixed: its findings were open 40 days, the hostPID pod's stay.
void TestCli::checkTimeToRemediateAfterTheFix(const std::map<std::string, std::int64_t>& firstSeen)
{
    writeFile(QStringLiteral("pods.yaml"), kRestricted + kHostPid);
    LG_COMPARE(scanManifestsQuietly(), 0);
    const std::int64_t fixedAt = QDateTime::currentSecsSinceEpoch();
    std::map<std::string, std::pair<int, double>> expected; // severity -> fixed, sum of days
    const auto remaining = ids(findingsJson({}));
    for (const auto& f :
        json::parse(lg({ QStringLiteral("findings"), QStringLiteral("--scan"), QStringLiteral("1"),
                           QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--db"), m_db })
                        .out.toStdString()))
        if (!remaining.count(f["id"].get<std::string>())) {
            auto& e = expected[f["severity"].get<std::string>()];
            ++e.first;
            e.second += double(fixedAt - firstSeen.at(f["id"].get<std::string>())) / 86400.0;
        }
    QVERIFY(!expected.empty());
    const json p = postureJson();
    for (const char* severity : { "critical", "high", "medium", "low", "info" }) {
        const auto& got = p["lifecycle"]["time_to_remediate"]["by_severity"][severity];
        const auto e = expected.find(severity);
        LG_COMPARE(got["fixed"].get<int>(), e == expected.end() ? 0 : e->second.first);
        if (e != expected.end())
            QVERIFY2(std::abs(got["mean_days"].get<double>() - e->second.second / e->second.first) < 0.01, severity);
    }
    const auto text = lg({ QStringLiteral("posture"), QStringLiteral("--db"), m_db }).out;
    QVERIFY2(text.contains("Mean time to remediate, last 90 days: critical 40.0 days"), text.constData());
}

// The risky pod's findings were first seen 40 days ago (the cache is aged here), the rest today: what
// --overdue, --older-than and posture say is worked out again from each finding's first_seen.
void TestCli::ageDeadlinesAndTimeToRemediate()
{
    writeFile(QStringLiteral("pods.yaml"), kPrivileged + "---\n" + kRestricted + kHostPid);
    LG_COMPARE(scanManifestsQuietly(), 0);
    ageRiskyPodFortyDays();
    if (QTest::currentTestFailed())
        return;
    const std::int64_t now = QDateTime::currentSecsSinceEpoch();
    Ages ages;
    readAges(now, ages);
    if (QTest::currentTestFailed())
        return;
    const auto& [overdue, old, riskyIds, overdueBySeverity, firstSeen] = ages;
    QVERIFY(!overdue.empty() && overdue.size() < riskyIds.size()); // criticals and highs, not the medium ones
    LG_COMPARE(old, riskyIds);
    LG_COMPARE(ids(findingsJson({ QStringLiteral("--overdue") })), overdue);
    LG_COMPARE(ids(findingsJson({ QStringLiteral("--older-than"), QStringLiteral("30d") })), old);
    LG_COMPARE(ids(findingsJson({ QStringLiteral("--older-than"), QStringLiteral("41") })), std::set<std::string>());
    checkPolicyDeadlines(riskyIds);
    if (QTest::currentTestFailed())
        return;
    // the table marks an overdue finding's age
    const auto table = lg({ QStringLiteral("findings"), QStringLiteral("--overdue"), QStringLiteral("--db"), m_db });
    QVERIFY2(table.out.contains(" 40d! ")
            && table.out.contains(QByteArray(QByteArray::number(int(overdue.size())) + " overdue)")),
        table.out.constData());
    const json p = postureJson();
    for (const auto& [severity, n] : overdueBySeverity)
        LG_COMPARE(p["lifecycle"]["overdue"][severity].get<int>(), n);
    LG_COMPARE(p["lifecycle"]["time_to_remediate"]["by_severity"]["critical"]["fixed"].get<int>(), 0);

    checkTimeToRemediateAfterTheFix(firstSeen);
}
