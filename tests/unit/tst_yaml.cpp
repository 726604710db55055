// YAML as Kubernetes reads it, and errors that name the place.
#include "yamlio.h"

#include <QTest>

#include "testsupport.h"

using namespace lg;
using nlohmann::json;

class TestYaml : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void scalars();
    void multiDocument();
    void errorNamesFileAndLine();
    void deepNestingIsAnError();
};

void TestYaml::scalars()
{
    const auto docs = parseYamlDocuments("a: true\nb: 'true'\nc: 42\nd: 1.5\ne: ~\nf: yes\ng: \"0\"\nh: text\n", "t.yaml");
    LG_COMPARE(docs.size(), std::size_t(1));
    const json& j = docs[0].json;
    LG_COMPARE(j["a"], json(true));
    LG_COMPARE(j["b"], json("true"));
    LG_COMPARE(j["c"], json(42));
    LG_COMPARE(j["d"], json(1.5));
    QVERIFY(j["e"].is_null());
    LG_COMPARE(j["f"], json(true));
    LG_COMPARE(j["g"], json("0"));
    LG_COMPARE(j["h"], json("text"));
}

void TestYaml::multiDocument()
{
    const auto docs = parseYamlDocuments("# Source: chart/a.yaml\nkind: A\n---\n---\nkind: B\nx: 1\n", "t.yaml");
    LG_COMPARE(docs.size(), std::size_t(2));
    LG_COMPARE(docs[1].json["kind"], json("B"));
    LG_COMPARE(docs[1].line, 5);
}

void TestYaml::errorNamesFileAndLine()
{
    try {
        (void)parseYamlDocuments("kind: Pod\nmetadata:\n  name: [unclosed\n", "bad.yaml");
        QFAIL("no error");
    } catch (const YamlError& e) {
        LG_COMPARE(e.file(), std::string("bad.yaml"));
        QVERIFY2(e.line() >= 3, e.what());
        QVERIFY(std::string(e.what()).starts_with("bad.yaml:"));
    }
}

void TestYaml::deepNestingIsAnError()
{
    std::string deep;
    for (int i = 0; i < 300; ++i)
        deep += "[";
    for (int i = 0; i < 300; ++i)
        deep += "]";
    QVERIFY_THROWS_EXCEPTION(YamlError, (void)parseYamlDocuments(deep, "deep.yaml"));
}

QTEST_GUILESS_MAIN(TestYaml)
#include "tst_yaml.moc"
