#pragma once
// The CLI's test, one executable in files by theme: tst_cli.cpp (the contract of the commands and exit codes, and
// the helpers the others share), tst_cli_cache.cpp (a cache that survives bad input, kills and damage),
// tst_cli_triage.cpp (acceptances, ages and deadlines) and tst_cli_estate.cpp (targets).
#include <QByteArray>
#include <QObject>
#include <QProcessEnvironment>
#include <QStringList>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

/** A privileged pod "risky" in namespace shop. */
extern const QByteArray kPrivileged;
/** A Deployment "hardened" in namespace shop that meets the restricted profile. */
extern const QByteArray kRestricted;

class TestCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void scanThenFindingsJsonFollowsTheContract();
    void editScanDiffHistory();
    void malformedYamlFailsAndKeepsCache();
    void sigkillDuringScanKeepsCacheReadable();
    void exitCodes();
    void acceptanceTakesEffectFromNow();
    void damagedCacheSaysWhatToDo();
    void demoCoversThreeLayers();
    void reportsAreWritten();
    void estateIsTheLatestScanOfEachTarget();
    void aTargetIsTheSameHoweverItWasScanned();
    void renamedTargetKeepsItsHistory();
    void ageDeadlinesAndTimeToRemediate();
    void windowOpensTheCacheItIsGiven();

private:
    struct Run {
        int code = -1;
        QByteArray out, err;
    };
    Run lg(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment());
    void writeFile(const QString& name, const QByteArray& text);
    int scalar(const QString& sql);
    /** `posture --format json` of the cache. */
    nlohmann::json postureJson();

    // Steps of estateIsTheLatestScanOfEachTarget (tst_cli_estate.cpp).
    void scanThreeTargetsOneFailing();
    void checkPostureAgainstFindings(const nlohmann::json& posture);
    void checkDiffComparesEachTargetWithItsOwn();
    void checkEstateReport();

    // Steps of renamedTargetKeepsItsHistory (tst_cli_estate.cpp).
    /** acme's findings (contract JSON) once scanned beside beta, one accepted, all aged 40 days. */
    nlohmann::json scanAcmeAndBeta();
    void checkRenamedTargetCarriesOn(const nlohmann::json& before);
    void checkOldNamesJoinTheRenamedTarget();

    // Steps of ageDeadlinesAndTimeToRemediate (tst_cli_triage.cpp).
    /** What the findings' first sightings say, worked out here from `findings --format json`. */
    struct Ages {
        std::set<std::string> overdue, old, riskyIds;
        std::map<std::string, int> overdueBySeverity;
        std::map<std::string, std::int64_t> firstSeen;
    };
    int scanManifestsQuietly();
    void ageRiskyPodFortyDays();
    nlohmann::json findingsJson(QStringList extra);
    void readAges(std::int64_t now, Ages& ages);
    void checkPolicyDeadlines(const std::set<std::string>& riskyIds);
    void checkTimeToRemediateAfterTheFix(const std::map<std::string, std::int64_t>& firstSeen);

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_db;
    QString m_manifests;
};
