// The PDF and JUnit reports, read back: pdftotext for the content, pdftoppm renders every page
// (saved to <build>/screenshots/report-*.png for a person to look at), JUnit parsed as XML.
#include "store/store.h"

#include <QDateTime>
#include <QDir>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include "testsupport.h"

#include <sqlite3.h>

#include <algorithm>

using namespace lg;

class TestReport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void pdfHoldsWhatTheCacheHolds();
    void everyPageRenders();
    void junitHasOneCasePerControl();
    void badFrameworkIsAUsageError();

private:
    int lg(const QStringList& args);
    QString run(const QString& program, const QStringList& args);
    QTemporaryDir m_dir;
    QString m_db, m_pdf;
    std::string m_acceptedOwner = "alice.security";
    int m_overall = -1;
    int m_overdue = 0;
};

int TestReport::lg(const QStringList& args)
{
    QProcess p;
    p.start(QStringLiteral(LG_BINARY), args + QStringList { QStringLiteral("--db"), m_db });
    p.waitForFinished(120000);
    return p.exitCode();
}

QString TestReport::run(const QString& program, const QStringList& args)
{
    QProcess p;
    p.start(program, args);
    p.waitForFinished(120000);
    return QString::fromUtf8(p.readAllStandardOutput());
}

void TestReport::initTestCase()
{
    m_db = m_dir.filePath(QStringLiteral("c.sqlite"));
    m_pdf = m_dir.filePath(QStringLiteral("report.pdf"));
    QCOMPARE(lg({ QStringLiteral("scan"), QStringLiteral("--demo"), QStringLiteral("--quiet") }), 0);
    Store store(m_db.toStdString());
    const auto findings = store.findings(*store.latestScanId());
    const Finding* privileged = nullptr;
    for (const auto& f : findings)
        if (f.rule == "LG-DAEMON-INSECURE-REGISTRIES")
            privileged = &f;
    QVERIFY(privileged);
    AcceptedRisk risk;
    risk.fid = privileged->id;
    risk.owner = m_acceptedOwner;
    risk.reason = "registry moves to TLS in sprint 42";
    risk.expiresAt = 1924992000;
    risk.createdAt = 1700000000;
    risk.acceptedBy = "carol";
    store.acceptRisk(risk);
    // and the workloads running as administrators, so the acceptances move the overall score by more than rounding
    int privilegedAccepted = 0;
    for (const auto& f : findings)
        if (f.rule == "LG-K8S-WORKLOAD-SA-ADMIN" && f.status == FindingStatus::Open) {
            AcceptedRisk more = risk;
            more.fid = f.id;
            more.reason = "exporter retired next quarter";
            store.acceptRisk(more);
            ++privilegedAccepted;
        }
    QVERIFY(privilegedAccepted > 0);
    store.setChecklistStep(findings.front().id, 0, true, "bob.ops", 1700000100);
    // The runtime socket findings were first seen 40 days ago: past the 7 days critical findings have.
    m_overdue = int(std::count_if(findings.begin(), findings.end(),
        [](const Finding& f) { return f.rule == "LG-K8S-DOCKER-SOCKET" && f.status == FindingStatus::Open; }));
    QVERIFY(m_overdue > 0);
    QCOMPARE(sqlite3_exec(store.handle(),
                 "UPDATE finding_first_seen SET first_seen = first_seen - 40 * 86400 WHERE fid IN "
                 "(SELECT fid FROM findings WHERE rule = 'LG-K8S-DOCKER-SOCKET')",
                 nullptr, nullptr, nullptr),
        SQLITE_OK);
    // The report of the latest scan is as of now: the acceptance above counts in its score.
    m_overall = *store.scanAt(*store.latestScanId(), QDateTime::currentSecsSinceEpoch())->overallScore;
    QVERIFY(m_overall != *store.scan(*store.latestScanId())->overallScore);
    QCOMPARE(lg({ QStringLiteral("report"), QStringLiteral("--format"), QStringLiteral("pdf"), QStringLiteral("-o"),
                 m_pdf, QStringLiteral("--framework"), QStringLiteral("cis-docker,pss,cis-k8s") }),
        0);
}

void TestReport::pdfHoldsWhatTheCacheHolds()
{
    const QString text = run(QStringLiteral("pdftotext"), { QStringLiteral("-layout"), m_pdf, QStringLiteral("-") });
    QVERIFY(text.size() > 1000);
    for (const char* needle :
        { "CIS Docker Benchmark 1.6.0", "Pod Security Standards", "CIS Kubernetes Benchmark", "CIS-DOCKER-3.16",
            "CIS-DOCKER-2.5", "PSS-baseline:privileged-containers", "PSS-restricted:running-as-non-root",
            "CIS-K8S-5.1.1", "Executive summary", "Accepted risks", "Remediation progress",
            "registry moves to TLS in sprint 42", "bob.ops", "nightly-export", "Appendix", "Contents" })
        QVERIFY2(text.contains(QLatin1String(needle)), needle);
    QVERIFY(text.contains(QString::fromStdString(m_acceptedOwner)));
    // The cover's overall posture is this scan's, as of now: the number right above its label.
    QVERIFY2(text.contains(QRegularExpression(QStringLiteral("\\n\\s*%1\\s*\\n\\s*Overall posture").arg(m_overall))),
        qPrintable(QString::number(m_overall)));
    // The demo's log shipper is exempted by its annotation: listed with who exempts it and why.
    QVERIFY(text.contains(QLatin1String("Exemptions")));
    QVERIFY(text.contains(QLatin1String("PLAT-412")));
    QVERIFY(text.contains(QLatin1String("1 failure is exempted")));
    QVERIFY(text.contains(QLatin1String("ignore on the resource")));
    QVERIFY(!text.contains(QLatin1String("s3cr3t-demo-password")));
    // Overdue findings: the aged ones alone, 33 days late
    // (pdftotext gives "fi" as its ligature)
    QVERIFY(text.contains(QRegularExpression(QStringLiteral("\\nOverdue (ﬁ|fi)ndings\\n"))));
    QVERIFY2(text.contains(QRegularExpression(QStringLiteral("%1 open (ﬁ|fi)ndings? (is|are) past it").arg(m_overdue))),
        qPrintable(QString::number(m_overdue)));
    QCOMPARE(int(text.count(QRegularExpression(QStringLiteral("LG-K8S-DOCKER-SOCKET on .*33 days")))), m_overdue);
    // Every control is judged: pass, fail, not applicable or not observed.
    QVERIFY(text.contains(QLatin1String("not observed")) && text.contains(QLatin1String("fail")));
    // Page numbers and the page count agree with pdfinfo.
    const QString info = run(QStringLiteral("pdfinfo"), { m_pdf });
    const auto pages = QRegularExpression(QStringLiteral("Pages:\\s+(\\d+)")).match(info).captured(1).toInt();
    QVERIFY(pages > 3);
    QVERIFY(text.contains(QStringLiteral("Page %1 of %1").arg(pages)));
    const QString fonts = run(QStringLiteral("pdffonts"), { m_pdf });
    for (const auto& line : fonts.split(QLatin1Char('\n')).mid(2))
        if (!line.trimmed().isEmpty())
            QVERIFY2(line.contains(QLatin1String(" yes ")), qPrintable(QStringLiteral("font not embedded: ") + line));
}

void TestReport::everyPageRenders()
{
    const QString out = QStringLiteral(LG_SCREENSHOTS_DIR);
    QDir().mkpath(out);
    for (const auto& old : QDir(out).entryList({ QStringLiteral("report-*.png") }))
        QFile::remove(out + QLatin1Char('/') + old);
    QProcess p;
    p.start(QStringLiteral("pdftoppm"),
        { QStringLiteral("-png"), QStringLiteral("-r"), QStringLiteral("60"), m_pdf, out + QStringLiteral("/report") });
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 0);
    const QString info = run(QStringLiteral("pdfinfo"), { m_pdf });
    const auto pages = QRegularExpression(QStringLiteral("Pages:\\s+(\\d+)")).match(info).captured(1).toInt();
    QCOMPARE(int(QDir(out).entryList({ QStringLiteral("report-*.png") }).size()), pages);
}

void TestReport::junitHasOneCasePerControl()
{
    const QString xmlPath = m_dir.filePath(QStringLiteral("report.xml"));
    QCOMPARE(lg({ QStringLiteral("report"), QStringLiteral("--format"), QStringLiteral("junit"), QStringLiteral("-o"),
                 xmlPath, QStringLiteral("--framework"), QStringLiteral("cis-docker") }),
        0);
    QFile f(xmlPath);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QXmlStreamReader xml(&f);
    int suites = 0, cases = 0, failures = 0, declaredTests = 0, declaredFailures = 0;
    while (!xml.atEnd()) {
        if (xml.readNext() != QXmlStreamReader::StartElement)
            continue;
        if (xml.name() == QLatin1String("testsuite")) {
            ++suites;
            declaredTests += xml.attributes().value(QLatin1String("tests")).toInt();
            declaredFailures += xml.attributes().value(QLatin1String("failures")).toInt();
        } else if (xml.name() == QLatin1String("testcase")) {
            ++cases;
        } else if (xml.name() == QLatin1String("failure")) {
            ++failures;
        }
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QCOMPARE(suites, 1);
    QCOMPARE(cases, declaredTests);
    QCOMPARE(failures, declaredFailures);
    QVERIFY(failures > 0 && cases > 40);
}

void TestReport::badFrameworkIsAUsageError()
{
    QCOMPARE(lg({ QStringLiteral("report"), QStringLiteral("--format"), QStringLiteral("pdf"), QStringLiteral("-o"),
                 m_dir.filePath(QStringLiteral("x.pdf")), QStringLiteral("--framework"), QStringLiteral("iso27001") }),
        2);
}

QTEST_GUILESS_MAIN(TestReport)
#include "tst_report.moc"
