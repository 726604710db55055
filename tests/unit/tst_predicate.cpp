// The closed operator set of rule predicates, one row per behaviour.
#include "core/masking.h"
#include "core/messagetemplate.h"
#include "core/predicate.h"

#include <QDateTime>
#include <QTest>

#include "testsupport.h"

using namespace lg;
using nlohmann::json;

Q_DECLARE_METATYPE(std::string)

class TestPredicate : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void operators_data();
    void operators();
    void coalescingPaths();
    void evidencePathsPointIntoTheResource();
    void notCollectsEvidenceOfTheInvertedLeaf();
    void eachBindsItems();
    void templateSegments();
    void rejectsBadPredicates_data();
    void rejectsBadPredicates();
    void rendersMessages();
    void versions_data();
    void versions();
    void ageUsesTheScanClock();
    void endOfLifeUsesTheScanClock_data();
    void endOfLifeUsesTheScanClock();
    void envValueIsMaskedByItsName();
};

void TestPredicate::versions_data()
{
    QTest::addColumn<std::string>("a");
    QTest::addColumn<std::string>("b");
    QTest::addColumn<int>("expected");
    QTest::addRow("patch numeric, not lexical") << std::string("1.1.12") << std::string("1.1.9") << 1;
    QTest::addRow("v prefix") << std::string("v1.29.3") << std::string("1.29.3") << 0;
    QTest::addRow("kernel suffix") << std::string("5.15.0-101-generic") << std::string("5.15.25") << -1;
    QTest::addRow("missing parts are zero") << std::string("5.10") << std::string("5.10.0") << 0;
    QTest::addRow("k3s build") << std::string("v1.30.2+k3s1") << std::string("1.34") << -1;
    QTest::addRow("containerd scheme") << std::string("containerd://1.7.13") << std::string("1.7.12") << 1;
}

void TestPredicate::versions()
{
    QFETCH(std::string, a);
    QFETCH(std::string, b);
    QFETCH(int, expected);
    QCOMPARE(compareVersions(a, b), expected);
}

void TestPredicate::ageUsesTheScanClock()
{
    const json d = json::parse(R"({"created": "2026-01-01T00:00:00Z"})");
    EvalContext ctx;
    ctx.bind("doc", &d, "");
    const auto p = compilePredicate(json::parse(R"({"path": "doc.created", "op": "older_than_days", "value": 30})"));
    ctx.setNow(1767225600 + 10 * 86400); // 10 days later
    QVERIFY(!p->eval(ctx, nullptr, true));
    ctx.setNow(1767225600 + 31 * 86400);
    QVERIFY(p->eval(ctx, nullptr, true));
    ctx.setNow(0); // no clock: never judged old
    QVERIFY(!p->eval(ctx, nullptr, true));
}

void TestPredicate::endOfLifeUsesTheScanClock_data()
{
    QTest::addColumn<QString>("version");
    QTest::addColumn<QString>("now");
    QTest::addColumn<bool>("pastIt");
    QTest::newRow("the day before") << "v1.33.4"
                                    << "2026-06-27T23:59:59Z" << false;
    QTest::newRow("on its date") << "v1.33.4"
                                 << "2026-06-28T00:00:00Z" << true;
    QTest::newRow("a vendor suffix") << "v1.33.4-eks-1a2b3c"
                                     << "2026-07-01T00:00:00Z" << true;
    QTest::newRow("the next line still supported") << "1.34.0+k3s1"
                                                   << "2026-07-01T00:00:00Z" << false;
    QTest::newRow("older than the table") << "v1.19.16"
                                          << "2020-01-01T00:00:00Z" << true;
    QTest::newRow("newer than the table") << "v1.40.1"
                                          << "2030-01-01T00:00:00Z" << false;
    QTest::newRow("a two-digit minor is not the line of one") << "v1.3.10"
                                                              << "2026-07-01T00:00:00Z" << true;
    // major-only lines, as Debian numbers its releases (the table below has "11" and "12")
    QTest::newRow("a major-only line past its date") << "11"
                                                     << "2026-09-01T00:00:00Z" << true;
    QTest::newRow("the next major-only line") << "12"
                                              << "2026-09-01T00:00:00Z" << false;
}

void TestPredicate::endOfLifeUsesTheScanClock()
{
    QFETCH(QString, version);
    QFETCH(QString, now);
    QFETCH(bool, pastIt);
    const json d = { { "version", version.toStdString() } };
    EvalContext ctx;
    ctx.bind("doc", &d, "");
    const auto p = compilePredicate(json::parse(
        R"({"path": "doc.version", "op": "end_of_life", "value": {"1.32": "2026-02-28", "1.33": "2026-06-28", "1.34": "2026-10-27", "11": "2026-08-31", "12": "2028-06-30"}})"));
    ctx.setNow(QDateTime::fromString(now, Qt::ISODate).toSecsSinceEpoch());
    QCOMPARE(p->eval(ctx, nullptr, true), pastIt);
    ctx.setNow(0); // no clock: never judged
    QVERIFY(!p->eval(ctx, nullptr, true));
}

void TestPredicate::envValueIsMaskedByItsName()
{
    const json c = json::parse(R"({"env": [{"name": "DB_PASSWORD", "value": "hunter2"}]})");
    EvalContext ctx;
    ctx.bind("container", &c, "spec.containers[0]");
    std::vector<Evidence> ev;
    const auto p = compilePredicate(json::parse(
        R"({"each": {"path": "container.env", "as": "e", "where": {"path": "e.value", "op": "not_empty"}}})"));
    QVERIFY(p->eval(ctx, &ev, true));
    QCOMPARE(ev.at(0).path, std::string("spec.containers[0].env[0].value"));
    QCOMPARE(ev.at(0).value.get<std::string>(), std::string(kMasked));
}

// Long by nature: a data table, one row per operator behaviour.
void TestPredicate::operators_data()
{
    QTest::addColumn<std::string>("doc");
    QTest::addColumn<std::string>("predicate");
    QTest::addColumn<bool>("expected");

    const std::string d = R"({"a": {"b": true, "n": 5, "s": "Hello", "list": ["X", "y"], "empty": [], "mode": "664",
                             "obj": {"k1": 1, "k2": 2}, "z": 0, "f": false, "pattern": "^H.l+o$",
                             "lower": "^hello$"}})";
    auto row = [&](const char* what, const char* pred, bool expected) {
        QTest::addRow("%s", what) << d << std::string(pred) << expected;
    };
    row("exists present", R"({"path": "doc.a.b", "op": "exists"})", true);
    row("exists missing", R"({"path": "doc.a.nope", "op": "exists"})", false);
    row("absent missing", R"({"path": "doc.a.nope.deeper", "op": "absent"})", true);
    row("equals bool", R"({"path": "doc.a.b", "op": "equals", "value": true})", true);
    row("equals int vs float", R"({"path": "doc.a.n", "op": "equals", "value": 5.0})", true);
    row("equals missing is false", R"({"path": "doc.a.nope", "op": "equals", "value": 1})", false);
    row("not_equals missing is true", R"({"path": "doc.a.nope", "op": "not_equals", "value": false})", true);
    row("not_equals false vs false", R"({"path": "doc.a.f", "op": "not_equals", "value": false})", false);
    row("in list", R"({"path": "doc.a.s", "op": "in", "value": ["Hello", "x"]})", true);
    row("in case sensitive", R"({"path": "doc.a.s", "op": "in", "value": ["hello"]})", false);
    row("in ignore_case", R"({"path": "doc.a.s", "op": "in", "value": ["hello"], "ignore_case": true})", true);
    row("not_in missing is false", R"({"path": "doc.a.nope", "op": "not_in", "value": ["x"]})", false);
    row("not_in other", R"({"path": "doc.a.s", "op": "not_in", "value": ["x"]})", true);
    row("true on true", R"({"path": "doc.a.b", "op": "true"})", true);
    row("true on 0 is false", R"({"path": "doc.a.z", "op": "true"})", false);
    row("not_true missing", R"({"path": "doc.a.nope", "op": "not_true"})", true);
    row("not_true false", R"({"path": "doc.a.f", "op": "not_true"})", true);
    row("matches", R"({"path": "doc.a.s", "op": "matches", "value": "^He"})", true);
    row("matches not", R"({"path": "doc.a.s", "op": "matches", "value": "^he"})", false);
    row("gt", R"({"path": "doc.a.n", "op": "gt", "value": 4})", true);
    row("gte equal", R"({"path": "doc.a.n", "op": "gte", "value": 5})", true);
    row("lt", R"({"path": "doc.a.n", "op": "lt", "value": 5})", false);
    row("lte string is false", R"({"path": "doc.a.s", "op": "lte", "value": 5})", false);
    row("contains", R"({"path": "doc.a.list", "op": "contains", "value": "X"})", true);
    row("contains ignore_case", R"({"path": "doc.a.list", "op": "contains", "value": "x", "ignore_case": true})", true);
    row("contains_any", R"({"path": "doc.a.list", "op": "contains_any", "value": ["q", "y"]})", true);
    row("contains_any none", R"({"path": "doc.a.list", "op": "contains_any", "value": ["q"]})", false);
    row("any_not_in", R"({"path": "doc.a.list", "op": "any_not_in", "value": ["X"]})", true);
    row("any_not_in all listed", R"({"path": "doc.a.list", "op": "any_not_in", "value": ["X", "y"]})", false);
    row("any_not_in empty list", R"({"path": "doc.a.empty", "op": "any_not_in", "value": ["X"]})", false);
    row("empty on []", R"({"path": "doc.a.empty", "op": "empty"})", true);
    row("empty on missing", R"({"path": "doc.a.nope", "op": "empty"})", true);
    row("not_empty list", R"({"path": "doc.a.list", "op": "not_empty"})", true);
    row("bits_outside 664 vs 644", R"({"path": "doc.a.mode", "op": "bits_outside", "value": "644"})", true);
    row("bits_outside 664 vs 664", R"({"path": "doc.a.mode", "op": "bits_outside", "value": "664"})", false);
    row("any_key_not_in", R"({"path": "doc.a.obj", "op": "any_key_not_in", "value": ["k1"]})", true);
    row("any_key_not_in all", R"({"path": "doc.a.obj", "op": "any_key_not_in", "value": ["k1", "k2"]})", false);
    row("all true", R"({"all": [{"path": "doc.a.b", "op": "true"}, {"path": "doc.a.n", "op": "gt", "value": 1}]})",
        true);
    row("all one false", R"({"all": [{"path": "doc.a.b", "op": "true"}, {"path": "doc.a.n", "op": "gt", "value": 9}]})",
        false);
    row("any one true", R"({"any": [{"path": "doc.a.f", "op": "true"}, {"path": "doc.a.n", "op": "gt", "value": 1}]})",
        true);
    row("not", R"({"not": {"path": "doc.a.b", "op": "true"}})", false);
    row("path through scalar", R"({"path": "doc.a.s.x", "op": "exists"})", false);
    row("size_gt list", R"({"path": "doc.a.list", "op": "size_gt", "value": 1})", true);
    row("size_gt not", R"({"path": "doc.a.list", "op": "size_gt", "value": 2})", false);
    row("any_key_matches", R"({"path": "doc.a.obj", "op": "any_key_matches", "value": "^k[0-9]$"})", true);
    row("any_key_matches icase",
        R"({"path": "doc.a.obj", "op": "any_key_matches", "value": "^K2$", "ignore_case": true})", true);
    row("matches icase", R"({"path": "doc.a.s", "op": "matches", "value": "^hello$", "ignore_case": true})", true);
    row("value_path equal", R"({"path": "doc.a.n", "op": "equals", "value_path": "doc.a.obj.k1"})", false);
    row("value_path missing other", R"({"path": "doc.a.n", "op": "equals", "value_path": "doc.a.nope"})", false);
    row("value_path equal numbers", R"({"path": "doc.a.obj.k2", "op": "equals", "value_path": "doc.a.obj.k2"})", true);
    row("value_path not_equals", R"({"path": "doc.a.n", "op": "not_equals", "value_path": "doc.a.obj.k1"})", true);
    row("value_path in a list", R"({"path": "doc.a.s", "op": "in", "value_path": "doc.a.list"})", false);
    row("value_path through an array is missing",
        R"({"path": "doc.a.list", "op": "contains", "value_path": "doc.a.list[\"0\"]"})", false);
    row("value_path gt", R"({"path": "doc.a.n", "op": "gt", "value_path": "doc.a.obj.k2"})", true);
    row("value_path lt", R"({"path": "doc.a.n", "op": "lt", "value_path": "doc.a.obj.k2"})", false);
    // A pattern from another field replaces the rule's own.
    row("value_path pattern",
        R"({"path": "doc.a.s", "op": "matches", "value": "^never$", "value_path": "doc.a.pattern"})", true);
    row("value_path pattern icase",
        R"({"path": "doc.a.s", "op": "matches", "value": "^never$", "value_path": "doc.a.lower", "ignore_case": true})",
        true);
    row("value_path pattern, other field missing",
        R"({"path": "doc.a.s", "op": "matches", "value": "^Hello$", "value_path": "doc.a.nope"})", false);
    row("value_path pattern no match",
        R"({"path": "doc.a.s", "op": "matches", "value": "^Hello$", "value_path": "doc.a.lower"})", false);
}

void TestPredicate::operators()
{
    QFETCH(std::string, doc);
    QFETCH(std::string, predicate);
    QFETCH(bool, expected);
    const json d = json::parse(doc);
    EvalContext ctx;
    ctx.bind("doc", &d, "");
    const auto p = compilePredicate(json::parse(predicate));
    LG_COMPARE(p->eval(ctx, nullptr, true), expected);
}

void TestPredicate::coalescingPaths()
{
    // The container's value wins over the pod's, as Kubernetes applies securityContext.
    const json container = json::parse(R"({"securityContext": {"runAsUser": 1000}})");
    const json pod = json::parse(R"({"spec": {"securityContext": {"runAsUser": 0}}})");
    EvalContext ctx;
    ctx.bind("container", &container, "spec.containers[0]");
    ctx.bind("pod", &pod, "");
    const auto p = compilePredicate(json::parse(
        R"({"path": ["container.securityContext.runAsUser", "pod.spec.securityContext.runAsUser"], "op": "equals", "value": 0})"));
    QVERIFY(!p->eval(ctx, nullptr, true));
    const json bare = json::parse(R"({"name": "c"})");
    ctx.bind("container", &bare, "spec.containers[0]");
    std::vector<Evidence> ev;
    QVERIFY(p->eval(ctx, &ev, true));
    LG_COMPARE(ev.size(), std::size_t(1));
    LG_COMPARE(ev[0].path, std::string("spec.securityContext.runAsUser"));
    LG_COMPARE(ev[0].value, json(0));
    // Present nowhere: the evidence names the last place looked, where Kubernetes' default would apply.
    const auto absent = compilePredicate(json::parse(
        R"({"path": ["container.securityContext.runAsNonRoot", "pod.spec.securityContext.runAsNonRoot"], "op": "absent"})"));
    ev.clear();
    QVERIFY(absent->eval(ctx, &ev, true));
    LG_COMPARE(ev.size(), std::size_t(1));
    LG_COMPARE(ev[0].path, std::string("spec.securityContext.runAsNonRoot"));
    LG_COMPARE(ev[0].value, json());
    // The last place looked is missing from its first segment on: its path is still spelled whole.
    const json noSpec = json::parse(R"({"metadata": {"name": "p"}})");
    ctx.bind("pod", &noSpec, "");
    ev.clear();
    QVERIFY(absent->eval(ctx, &ev, true));
    LG_COMPARE(ev.size(), std::size_t(1));
    LG_COMPARE(ev[0].path, std::string("spec.securityContext.runAsNonRoot"));
}

void TestPredicate::evidencePathsPointIntoTheResource()
{
    const json c = json::parse(R"({"securityContext": {"privileged": true}})");
    EvalContext ctx;
    ctx.bind("container", &c, "spec.template.spec.containers[2]");
    std::vector<Evidence> ev;
    const auto p = compilePredicate(json::parse(R"({"path": "container.securityContext.privileged", "op": "true"})"));
    QVERIFY(p->eval(ctx, &ev, true));
    LG_COMPARE(ev.at(0).path, std::string("spec.template.spec.containers[2].securityContext.privileged"));
    LG_COMPARE(ev.at(0).value, json(true));
}

void TestPredicate::notCollectsEvidenceOfTheInvertedLeaf()
{
    const json c = json::parse(R"({"securityContext": {"capabilities": {"drop": ["NET_RAW"]}}})");
    EvalContext ctx;
    ctx.bind("container", &c, "");
    std::vector<Evidence> ev;
    const auto p = compilePredicate(json::parse(
        R"({"not": {"path": "container.securityContext.capabilities.drop", "op": "contains_any", "value": ["ALL"]}})"));
    QVERIFY(p->eval(ctx, &ev, true));
    LG_COMPARE(ev.size(), std::size_t(1));
    LG_COMPARE(ev[0].value, json::parse(R"(["NET_RAW"])"));
}

void TestPredicate::eachBindsItems()
{
    const json pod = json::parse(R"({"spec": {"volumes": [{"name": "a", "emptyDir": {}},
                                                         {"name": "b", "hostPath": {"path": "/etc"}}]}})");
    EvalContext ctx;
    ctx.bind("pod", &pod, "spec.template");
    std::vector<Evidence> ev;
    const auto p = compilePredicate(json::parse(
        R"({"each": {"path": "pod.spec.volumes", "as": "v", "where": {"path": "v.hostPath", "op": "exists"}}})"));
    QVERIFY(p->eval(ctx, &ev, true));
    LG_COMPARE(ev.at(0).path, std::string("spec.template.spec.volumes[1].hostPath"));
    const json clean = json::parse(R"({"spec": {"volumes": [{"name": "a", "emptyDir": {}}]}})");
    ctx.bind("pod", &clean, "");
    QVERIFY(!p->eval(ctx, nullptr, true));
}

void TestPredicate::templateSegments()
{
    const json pod = json::parse(
        R"({"metadata": {"annotations": {"container.apparmor.security.beta.kubernetes.io/web": "unconfined"}}})");
    const json web = json::parse(R"({"name": "web"})");
    const json db = json::parse(R"({"name": "db"})");
    EvalContext ctx;
    ctx.bind("pod", &pod, "");
    const auto p = compilePredicate(json::parse(
        R"({"path": "pod.metadata.annotations[\"container.apparmor.security.beta.kubernetes.io/${container.name}\"]", "op": "equals", "value": "unconfined"})"));
    ctx.bind("container", &web, "");
    QVERIFY(p->eval(ctx, nullptr, true));
    ctx.bind("container", &db, "");
    QVERIFY(!p->eval(ctx, nullptr, true));
}

void TestPredicate::rejectsBadPredicates_data()
{
    QTest::addColumn<std::string>("predicate");
    QTest::addRow("unknown operator") << std::string(R"({"path": "a.b", "op": "frobnicate"})");
    QTest::addRow("missing value") << std::string(R"({"path": "a.b", "op": "equals"})");
    QTest::addRow("bad regex") << std::string(R"({"path": "a.b", "op": "matches", "value": "("})");
    QTest::addRow("empty all") << std::string(R"({"all": []})");
    QTest::addRow("not an object") << std::string(R"([1, 2])");
    QTest::addRow("unterminated key") << std::string(R"({"path": "a[\"b", "op": "exists"})");
    QTest::addRow("empty segment") << std::string(R"({"path": "a..b", "op": "exists"})");
    QTest::addRow("malformed ${path} in a key") << std::string(R"({"path": "a[\"x/${[b.c}\"]", "op": "exists"})");
    QTest::addRow("empty ${} in a key") << std::string(R"({"path": "a[\"x/${}\"]", "op": "exists"})");
    QTest::addRow("end_of_life without a table")
        << std::string(R"({"path": "a.v", "op": "end_of_life", "value": "1.33"})");
    QTest::addRow("end_of_life with a bad date")
        << std::string(R"({"path": "a.v", "op": "end_of_life", "value": {"1.33": "June 2026"}})");
    QTest::addRow("end_of_life with a bad line")
        << std::string(R"({"path": "a.v", "op": "end_of_life", "value": {"v1.x": "2026-06-28"}})");
}

void TestPredicate::rejectsBadPredicates()
{
    QFETCH(std::string, predicate);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, (void)compilePredicate(json::parse(predicate)));
}

void TestPredicate::rendersMessages()
{
    const json r = json::parse(R"({"kind": "Pod", "metadata": {"name": "web"}})");
    EvalContext ctx;
    ctx.bind("resource", &r, "");
    const std::vector<Evidence> ev { { "spec.hostPID", true } };
    LG_COMPARE(renderTemplate("{resource.kind} {resource.metadata.name}: {value} at {path}; {resource.nope}", ctx, ev),
        std::string("Pod web: true at spec.hostPID; (not set)"));
    // What is not a path stays as written; a template compiled once renders each context on its own.
    LG_COMPARE(renderTemplate("a {b[} c {value} {", ctx, {}), std::string("a {b[} c (not set) {"));
    LG_COMPARE(renderTemplate("{path}{resource.kind}{", ctx, {}), std::string("Pod{"));
    const MessageTemplate tmpl("{resource.metadata.name}/{resource.metadata.password}");
    const json other = json::parse(R"({"metadata": {"name": "db", "password": "hunter2"}})");
    EvalContext second;
    second.bind("resource", &other, "");
    LG_COMPARE(tmpl.render(ctx, ev), std::string("web/(not set)"));
    LG_COMPARE(tmpl.render(second, {}), "db/" + std::string(kMasked));
}

QTEST_GUILESS_MAIN(TestPredicate)
#include "tst_predicate.moc"
