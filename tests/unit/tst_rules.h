#pragma once
// The rules' test, one executable in files by theme: tst_rules.cpp (the catalogue and every rule's fixtures, and
// the helpers the others share), tst_rules_policy.cpp (severity overrides, exemptions, deadlines, allowed
// registries) and tst_rules_inputs.cpp (hostile, repeated, merged or split input, sources that fail).
#include "scan/scanner.h"

#include <QObject>
#include <QString>

class TestRules : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void everyRuleHasFixtures();
    void frameworksNameRulesThatExist();
    void fixtures_data();
    void fixtures();
    void catalogueIsWellFormed();
    void sameRiskSameSeverity_data();
    void sameRiskSameSeverity();
    void userFolderOverridesAndAdds();
    void brokenUserRuleNamesTheFile();
    void policyOverridesAndExemptions();
    void hostileManifestsDoNotBreakTheScan();
    void crossChecksSpanSourcesOfOneTarget();
    void sameObjectTwiceIsOneFinding();
    void mergeKeysCannotHideRisk();
    void mandatoryAccessControlChecksApplyWhereTheHostHasIt();
    void freshClusterRbacHasNoCriticalOrHigh();
    void rbacDefaultsAreRecognisedByContentNotName();
    void compactTableKeepsWhatTheEngineFound();
    void sourceFailingAfterItsFindingsAddsNone();
    void crossCheckFindingsHonourExemptions_data();
    void crossCheckFindingsHonourExemptions();
    void allowedRegistries_data();
    void allowedRegistries();

private:
    lg::RuleCatalog m_catalog;
};

/** The fixture folder of one rule, whatever its platform. */
QString fixtureDir(const QString& ruleId);

/** Scans `file` (a host snapshot when it ends in .json, else manifests) under `policy`, on a fixed day. */
lg::ScanOutcome runOn(const lg::RuleCatalog& catalog, const QString& file, lg::Policy policy = {});
