#pragma once
// The registry test, one executable in files by theme: tst_registry.cpp (the testbed, the rules through each
// auth mode, and the helpers the others share), tst_registry_auth.cpp (credentials and tokens),
// tst_registry_cli.cpp (scans through the CLI: vulnerability reports, re-pushed tags, the secret) and
// tst_registry_hostile.cpp (hostile and hosted registries).
#include "connectors/registry/registryconnector.h"
#include "scan/scanner.h"

#include <QJsonObject>
#include <QObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStringList>
#include <QTemporaryDir>

#include <map>
#include <memory>
#include <vector>

/** The testbed's scripts (tests/testbed). */
inline const QString kTestbed = QStringLiteral(LG_SOURCE_DIR "/tests/testbed");

class TestRegistry : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void rulesThroughEachAuthMode_data();
    void rulesThroughEachAuthMode();
    void credentialHelper();
    void wrongPasswordExpiredTokenWrongCa_data();
    void wrongPasswordExpiredTokenWrongCa();
    void tokensForManyRepositoriesAndInsufficientScope();
    void faultyTagsAreReportedNotFatal();
    void vulnerabilityReports();
    void repushedTagIsReported();
    void secretNeverLeavesMemory();
    void hostileListingsFailWithTheReason_data();
    void hostileListingsFailWithTheReason();
    void passwordNeverGoesInClearToAnotherHost();
    void onlySignaturesCountAsSigned();
    void unverifiedTlsIsAnExplicitChoiceAndReported();
    void hostedRegistryThroughTheFront_data();
    void hostedRegistryThroughTheFront();
    void rateLimitIsNamedWithItsHeaders();
    void wwwAuthenticateParsing();
    void credentialSources();
    void tagsResolvedWithHeadOneGetPerImage(); // last: it adds a tag to the token registry

private:
    lg::ScanOutcome scan(lg::RegistryOptions o);
    QString env(const char* name) const { return m_env.at(QLatin1String(name)); }
    int cli(const QStringList& args, QByteArray* out = nullptr, QByteArray* err = nullptr,
        const QProcessEnvironment& extra = {});

    /** tests/testbed/registry-hostile.py in one mode: its URL, and the file it logs its requests to. */
    struct Hostile {
        std::unique_ptr<QProcess> process;
        QString url;
        QString log;
    };
    Hostile startHostile(const QString& mode);
    static std::vector<QJsonObject> requests(const QString& log);

    QTemporaryDir m_tmp;
    std::map<QString, QString> m_env;
    lg::RuleCatalog m_catalog = lg::RuleCatalog::builtin();
};
