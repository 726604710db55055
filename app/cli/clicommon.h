#pragma once
// What every subcommand shares: exit codes, messages, option parsing, table cells, the cache.

#include "connectors/common/connector.h"
#include "connectors/common/sourcekind.h"
#include "core/ruleengine.h"
#include "core/terminal.h"
#include "store/store.h"

#include <QCommandLineParser>
#include <QString>
#include <QStringList>

#include <array>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace lg::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitFailOn = 3;

/** Set by SIGINT / SIGTERM while a scan runs. */
extern CancelToken g_cancel;
void onSignal(int);

std::string s(const QString& q);
void err(const std::string& text);
/** What a command did, for the person who ran it (stderr: stdout stays for data). */
void say(const std::string& text);

/** Says what failed and the way out, in one line; returns the failure exit code. */
template <typename E> int failWith(const E& e, const std::string& context = {})
{
    err(context + e.what() + (e.hint().empty() ? std::string() : " (what to do: " + e.hint() + ")"));
    return kExitFailure;
}

int usage(const QCommandLineParser& p, const QString& message);
QCommandLineOption dbOption();
QCommandLineOption formatOption(const QString& allowed, const QString& def);
/** `--format` when it is one of `allowed`; nullopt (and the usage exit code) otherwise. */
std::optional<QString> chosenFormat(const QCommandLineParser& p, const QStringList& allowed, int* code);
/** Parses args for a subcommand; returns false (and the exit code) on a usage error. */
bool parse(QCommandLineParser& p, const QStringList& args, int* code);
/** The cache; commands that only read it (findings, history, diff, report, accept) never create one. */
std::unique_ptr<Store> openStore(const QCommandLineParser& p, Store::OpenMode mode = Store::OpenMode::Create);

std::string resourceLabel(const Finding& f);
/** A cell of a table: shown whole (a rule id cut short is no id) and safe for the terminal; a long one pushes on. */
std::string pad(const std::string& raw, std::size_t width);
/** A number in a column: never cut; one wider than its column pushes the next one right. */
std::string padNumber(std::int64_t n, std::size_t width);

/**
 * Runs a command's work: a cache error says in one line what happened and the way out (failWith), anything else is
 * named as unexpected; both exit 1.
 */
template <class Body> int guarded(Body&& body)
{
    try {
        return body();
    } catch (const StoreError& e) {
        return failWith(e);
    } catch (const std::exception& e) {
        err(std::string("unexpected error: ") + e.what());
        return kExitFailure;
    }
}

/** The deadlines of `--policy FILE` (its sla) into `sla`, left as they are without the option; false on a usage error.
 */
bool readDeadlines(const QCommandLineParser& p, std::array<int, 5>& sla, int* code);
/** "30d" or "30" as a whole number of days (at least 0). */
std::optional<std::int64_t> parseDays(QString text);
/** How long ago, in the largest whole unit: 45m, 5h, 12d. */
std::string ageText(std::int64_t seconds);
std::string scoreText(const std::optional<int>& score);
std::string dateText(std::int64_t secs);
/** The scan --scan names, else the latest; nullopt (and the exit code) when there is none. */
std::optional<std::int64_t> resolveScan(const Store& store, const QCommandLineParser& p, int* code);
RuleCatalog loadCatalog(const QCommandLineParser& p);
void printLayerSummary(const ScanInfo& info);

/** Which command reads a source's flags: `scan` takes them all, `target add` what a saved connection keeps. */
enum class SourceUse { Scan, Save };
/** Every source kind's flags (connectors/sources.cpp), once each: a flag several kinds share is one option. */
void addSourceOptions(QCommandLineParser& p, SourceUse use);
/** The values the command line gives a kind's fields; nullopt when none of the flags that select it is set. */
std::optional<SourceValues> sourceValues(const QCommandLineParser& p, const SourceKind& kind, SourceUse use);
/** "--manifests PATH, --host, --docker URL, ..." : the flags that select each kind. */
std::string sourceFlagsText(SourceUse use);

// The subcommands, a file each.
int cmdScan(const QStringList& args);
int cmdImport(const QStringList& args);
int cmdFindings(const QStringList& args);
int cmdHistory(const QStringList& args);
int cmdDiff(const QStringList& args);
int cmdPosture(const QStringList& args);
int cmdReport(const QStringList& args);
int cmdRules(const QStringList& args);
int cmdCache(const QStringList& args);
int cmdAccept(const QStringList& args, bool revoke);
int cmdTarget(const QStringList& args);
int cmdHostSnapshot(const QStringList& args);

} // namespace lg::cli
