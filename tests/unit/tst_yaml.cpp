// YAML as Kubernetes reads it, and errors that name the place.
#include "core/yamlio.h"

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
    void hostileScalars();
    void aliasBombIsAnError();
    void leadingCommaIsAnErrorNotAHang();
    void mergeKeys_data();
    void mergeKeys();
    void mergeKeyOfAScalarIsAnError();
};

void TestYaml::hostileScalars()
{
    const std::string digits(100000, '7');
    const auto docs = parseYamlDocuments("a: " + digits + "\nb: 0644\nc: 1e5\nd: 1.2.3\ne: -12\nf: 09\n", "t.yaml");
    LG_COMPARE(docs[0].json["a"], json(digits)); // too long for a number: kept as text, no stack overflow
    LG_COMPARE(docs[0].json["b"], json(420)); // YAML 1.1 octal, as Kubernetes reads defaultMode
    LG_COMPARE(docs[0].json["c"], json(100000.0));
    LG_COMPARE(docs[0].json["d"], json("1.2.3"));
    LG_COMPARE(docs[0].json["e"], json(-12));
    LG_COMPARE(docs[0].json["f"], json(9)); // not valid octal: decimal
}

void TestYaml::aliasBombIsAnError()
{
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char prev = 'a';
    for (char c = 'b'; c <= 'j'; ++c, ++prev)
        bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev
            + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
    QVERIFY_THROWS_EXCEPTION(YamlError, (void)parseYamlDocuments(bomb, "bomb.yaml"));
}

void TestYaml::leadingCommaIsAnErrorNotAHang()
{
    // yaml-cpp 0.7 loops without end on these (found by fuzz_yaml); a comma later on is fine.
    for (const char* text : { ",", ",{", ",{\n \"kind\": \"Pod\"\n}" }) {
        try {
            (void)parseYamlDocuments(text, "comma.yaml");
            QFAIL("accepted a document starting with ','");
        } catch (const YamlError& e) {
            QVERIFY(std::string(e.what()).find("comma.yaml:1:1") == 0);
        }
    }
    LG_COMPARE(parseYamlDocuments("a: [1, 2]\nb: ','\n", "ok.yaml").size(), std::size_t(1));
    // A JSON-like document followed by more text: refused with its place, not parsed for ever.
    try {
        (void)parseYamlDocuments("{\n \"nofile\": {\n      }\n     },\n      \"overlay2.size=10G\"", "trail.yaml");
        QFAIL("accepted text after the closing bracket");
    } catch (const YamlError& e) {
        QVERIFY2(std::string(e.what()).find("trail.yaml:4:") == 0, e.what());
    }
    // Still fine: JSON documents, with comments, separated by ---, and brackets inside strings.
    LG_COMPARE(
        parseYamlDocuments("{\"a\": \"}\", \"b\": [1]} # done\n---\n[1, \"]\"]\n", "json.yaml").size(), std::size_t(2));
}

void TestYaml::scalars()
{
    const auto docs
        = parseYamlDocuments("a: true\nb: 'true'\nc: 42\nd: 1.5\ne: ~\nf: yes\ng: \"0\"\nh: text\n", "t.yaml");
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

void TestYaml::mergeKeys_data()
{
    // Expected values follow go-yaml v2, which sigs.k8s.io/yaml (kubectl apply, the API server) decodes with.
    QTest::addColumn<QString>("yaml");
    QTest::addColumn<QString>("expected");
    QTest::addRow("anchor merged into a map")
        << "base: &sc {privileged: true, runAsUser: 0}\nsc: {<<: *sc}\n"
        << R"({"base":{"privileged":true,"runAsUser":0},"sc":{"privileged":true,"runAsUser":0}})";
    QTest::addRow("a key after the merge wins") << "a: &a {x: 1, y: 1}\nb:\n  <<: *a\n  y: 2\n"
                                                << R"({"a":{"x":1,"y":1},"b":{"x":1,"y":2}})";
    QTest::addRow("the merge overwrites a key before it") << "a: &a {x: 1}\nb:\n  x: 2\n  <<: *a\n"
                                                          << R"({"a":{"x":1},"b":{"x":1}})";
    QTest::addRow("of a sequence of maps the first wins") << "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc: {<<: [*a, *b]}\n"
                                                          << R"({"a":{"x":1},"b":{"x":2,"y":2},"c":{"x":1,"y":2}})";
    QTest::addRow("an inline map") << "c: {<<: {hostPID: true}}\n"
                                   << R"({"c":{"hostPID":true}})";
    QTest::addRow("merged into a pod spec")
        << "p: &pod {hostNetwork: true, hostPID: true}\nspec:\n  <<: *pod\n  containers: []\n"
        << R"({"p":{"hostNetwork":true,"hostPID":true},"spec":{"containers":[],"hostNetwork":true,"hostPID":true}})";
    QTest::addRow("explicit !!merge tag") << "a: &a {x: 1}\nb: {!!merge <<: *a}\n"
                                          << R"({"a":{"x":1},"b":{"x":1}})";
    QTest::addRow("a quoted << is an ordinary key") << "a: &a {x: 1}\nb: {\"<<\": *a}\n"
                                                    << R"({"a":{"x":1},"b":{"<<":{"x":1}}})";
    QTest::addRow("nested merges") << "a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b}\n"
                                   << R"({"a":{"x":1},"b":{"x":1,"y":2},"c":{"x":1,"y":2}})";
}

void TestYaml::mergeKeys()
{
    QFETCH(QString, yaml);
    QFETCH(QString, expected);
    const auto docs = parseYamlDocuments(yaml.toStdString(), "merge.yaml");
    QCOMPARE(docs.size(), std::size_t(1));
    LG_COMPARE(docs[0].json, json::parse(expected.toStdString()));
}

void TestYaml::mergeKeyOfAScalarIsAnError()
{
    for (const char* bad : { "a: &a 1\nb: {<<: *a}\n", "b: {<<: [1, 2]}\n", "b: {<<: text}\n" }) {
        try {
            (void)parseYamlDocuments(bad, "bad-merge.yaml");
            QFAIL(bad);
        } catch (const YamlError& e) {
            QVERIFY2(std::string(e.what()).find("map merge requires") != std::string::npos, e.what());
        }
    }
}

QTEST_GUILESS_MAIN(TestYaml)
#include "tst_yaml.moc"
