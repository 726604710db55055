// JSON, CSV and SARIF exporters: shape, quoting, masking.
#include "report/exporters.h"

#include <QTest>

#include "testsupport.h"

using namespace lg;
using nlohmann::json;

class TestExporters : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void csvQuotesPerRfc4180();
    void jsonReportIsVersioned();
    void sarifHasOneRulePerIdAndFingerprints();
    void secretsAreMaskedEverywhere();

private:
    ReportInput m_in;
    RuleCatalog m_catalog;
};

void TestExporters::initTestCase()
{
    m_catalog = RuleCatalog::builtin();
    m_in.catalog = &m_catalog;
    m_in.scan.id = 7;
    m_in.scan.startedAt = 1700000000;
    m_in.scan.finishedAt = 1700000005;
    m_in.scan.layers.push_back({ Layer::Orchestrator, 80, {} });
    for (const char* name : { "web", "api, \"v2\"" }) {
        Finding f;
        f.rule = "LG-PSS-PRIVILEGED";
        f.title = "Privileged container";
        f.severity = Severity::High;
        f.subject = { "t", "Pod", "shop", name, "c" };
        f.id = fingerprint(f.rule, f.subject);
        f.message = std::string("Container c of Pod ") + name + " runs privileged";
        f.origin = "/srv/k8s/pod.yaml:3";
        f.evidence.push_back({ "spec.containers[0].securityContext.privileged", true });
        f.references = { "KSV-0017", "KSV017" };
        f.remediation = { { "Set privileged: false", "privileged: false" } };
        m_in.findings.push_back(f);
    }
    Finding secret;
    secret.rule = "LG-PSS-RUN-AS-NON-ROOT";
    secret.title = "x";
    secret.subject = { "t", "Pod", "shop", "db", "c" };
    secret.id = fingerprint(secret.rule, secret.subject);
    secret.message = "PASSWORD=hunter2 found";
    m_in.findings.push_back(secret);
}

void TestExporters::csvQuotesPerRfc4180()
{
    LG_COMPARE(csvField("plain"), std::string("plain"));
    LG_COMPARE(csvField("a,b"), std::string("\"a,b\""));
    LG_COMPARE(csvField("say \"hi\""), std::string("\"say \"\"hi\"\"\""));
    LG_COMPARE(csvField("two\nlines"), std::string("\"two\nlines\""));
    const std::string csv = exportCsv(m_in.findings);
    QVERIFY(csv.starts_with("id,rule,severity,"));
    QVERIFY(csv.find("\"api, \"\"v2\"\"\"") != std::string::npos);
    // CRLF line ends; header + 3 rows
    LG_COMPARE(std::count(csv.begin(), csv.end(), '\n'), 4L);
    QVERIFY(csv.find("\r\n") != std::string::npos);
}

void TestExporters::jsonReportIsVersioned()
{
    const json doc = json::parse(exportJson(m_in));
    LG_COMPARE(doc["schema_version"], json(1));
    LG_COMPARE(doc["scan"]["id"], json(7));
    LG_COMPARE(doc["scan"]["layers"]["orchestrator"]["score"], json(80));
    LG_COMPARE(doc["scan"]["layers"]["host"]["scanned"], json(false));
    QVERIFY(doc["scan"]["layers"]["host"]["score"].is_null());
    LG_COMPARE(doc["findings"].size(), std::size_t(3));
    const Finding back = findingFromJson(doc["findings"][0]);
    LG_COMPARE(back.id, m_in.findings[0].id);
    LG_COMPARE(back.references, m_in.findings[0].references);
}

void TestExporters::sarifHasOneRulePerIdAndFingerprints()
{
    const json doc = json::parse(exportSarif(m_in));
    LG_COMPARE(doc["version"], json("2.1.0"));
    const auto& run = doc["runs"][0];
    LG_COMPARE(run["tool"]["driver"]["rules"].size(), std::size_t(2));
    LG_COMPARE(run["results"].size(), std::size_t(3));
    for (const auto& r : run["results"]) {
        const auto& rule = run["tool"]["driver"]["rules"][r["ruleIndex"].get<std::size_t>()];
        LG_COMPARE(rule["id"], r["ruleId"]);
        QVERIFY(r["message"]["text"].is_string());
        QVERIFY(r["partialFingerprints"].contains("layerguardFindingId/v1"));
    }
    LG_COMPARE(run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"], json(3));
}

void TestExporters::secretsAreMaskedEverywhere()
{
    for (const std::string& text : { exportSarif(m_in), exportJson(m_in), exportCsv(m_in.findings) })
        QVERIFY(text.find("hunter2") == std::string::npos);
}

QTEST_GUILESS_MAIN(TestExporters)
#include "tst_exporters.moc"
