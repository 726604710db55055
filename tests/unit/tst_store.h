#pragma once
// The SQLite cache's test, one executable in files by theme: tst_store.cpp (opening, writing, damage, limits, and
// the helpers the others share), tst_store_migrations.cpp, tst_store_findings.cpp (lists and diffs),
// tst_store_triage.cpp (risks, checklists), tst_store_estate.cpp (targets, ages, time to remediate) and
// tst_store_rename.cpp (a target renamed with its history).
#include "store/store.h"

#include <QObject>
#include <QTemporaryDir>

#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

class TestStore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void migratesAndUsesWal();
    void writesAndReadsAScan();
    void revisionOneCacheKeepsItsFindings();
    void failedWriteLeavesCacheUnchanged();
    void notADatabaseIsReported();
    void damagedPagesAreReported();
    void newerSchemaIsRefused();
    void diffBetweenScans();
    void resolvedOnlyWhereTheNewerScanLooked();
    void findingListsAreSortedAndFilteredInSql_data();
    void findingListsAreSortedAndFilteredInSql();
    void revisionTwoCacheIsLaidOutForTheTable();
    void acceptedRisksAndExpiry();
    void revisionFiveAcceptancesAreKept();
    void revisionSixScansJoinTheEstate();
    void estateIsTheLatestOfEachTarget();
    void renameKeepsTheWholeHistory();
    void renameRefusesATakenName();
    void checklistSurvivesRescans();
    void retentionKeepsNewest();
    void ageDeadlinesAndTimeToRemediate();
    void evidenceAndOriginAreStoredOnce();
    void fullDiskKeepsPreviousState();
    void secondInstanceWaitsForTheLock();

private:
    lg::ScanRecord record(const std::vector<std::string>& names);
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
};

/** The value `PRAGMA name` answers on `db`. */
QByteArray pragma(sqlite3* db, const char* name);

/**
 * Findings in a scrambled order, with ties on every key. With `distinct`, names and messages are nearly all
 * different and share long prefixes (as a real scan's do), and some messages differ only by a trailing NUL.
 */
lg::ScanRecord scrambled(int n, bool distinct = false);

/** The default order, computed here independently of the Store. */
bool defaultLess(const lg::Finding& a, const lg::Finding& b);
