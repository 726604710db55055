// The compact findings table a scan fills: what goes in comes out, texts are pooled, a failed source's rows
// are taken back, copies of one fingerprint are merged.
#include "core/findingtable.h"

#include <QCryptographicHash>
#include <QTest>

#include "testsupport.h"

using namespace lg;
using nlohmann::json;

Q_DECLARE_METATYPE(std::string)
Q_DECLARE_METATYPE(lg::Subject)

namespace {

Finding make(std::string id, std::string rule, std::string name, std::string message,
    std::vector<Evidence> evidence = { { "spec.hostPID", true } })
{
    Finding f;
    f.id = std::move(id);
    f.rule = std::move(rule);
    f.title = "title of " + f.rule;
    f.layer = Layer::Orchestrator;
    f.severity = Severity::High;
    f.subject = { "prod", "Pod", "web", std::move(name), "app" };
    f.message = std::move(message);
    f.evidence = std::move(evidence);
    f.origin = "https://10.0.0.1:6443/api/v1/namespaces/web/pods/" + f.subject.name;
    return f;
}

std::vector<std::string> ids(const FindingTable& t)
{
    std::vector<std::string> out;
    for (std::size_t i = 0; i < t.size(); ++i)
        out.emplace_back(t.fid(i));
    return out;
}

} // namespace

class TestFindingTable : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void roundTrip_data();
    void roundTrip();
    void poolsRepeatedTexts();
    void truncateTakesBackASource();
    void duplicatesKeepTheFirst();
    void fingerprintOrderIsBinary();
    void evidenceIsAdded();
    void truncateForgetsItsRulesTexts();
    void longMessagesAreCut();
    void fingerprintsAreTheirSha256_data();
    void fingerprintsAreTheirSha256();
    void fingerprintIsPinned();
};

void TestFindingTable::roundTrip_data()
{
    QTest::addColumn<int>("which");
    QTest::addRow("plain") << 0;
    QTest::addRow("no evidence, empty container") << 1;
    QTest::addRow("unicode and quotes") << 2;
    QTest::addRow("fingerprint longer than 32 bytes") << 3;
    QTest::addRow("accepted, low, host layer, own texts") << 4;
    QTest::addRow("message of the largest size kept") << 5;
}

void TestFindingTable::roundTrip()
{
    QFETCH(int, which);
    Finding f = make("0123456789abcdef0123456789abcdef", "LG-PSS-HOST-PID", "web-1", "Pod web-1 shares the host PID");
    switch (which) {
    case 1:
        f.evidence.clear();
        f.subject.container.clear();
        break;
    case 2:
        f.message = "Pod \"wéb\" — ünïcode \\ and\ttabs";
        f.evidence = { { "metadata.annotations[\"a.b/c\"]", "ß\"x\"" }, { "n", 3 }, { "o", json { { "k", 1.5 } } } };
        break;
    case 3:
        f.id = std::string(80, 'f') + "-imported";
        break;
    case 4:
        f.status = FindingStatus::Accepted;
        f.severity = Severity::Low;
        f.layer = Layer::Host;
        f.remediation = { { "Upgrade the kernel", "apt-get install linux-image-amd64" } };
        f.references = { "CVE-2024-1086" };
        f.frameworks = { "lg-host" };
        break;
    case 5:
        f.message = std::string(FindingTable::kMaxMessage - 3, 'm') + "end";
        break;
    default:
        break;
    }
    FindingTable t;
    t.append(make("ffffffffffffffffffffffffffffffff", "OTHER", "x", "first row"));
    t.append(f);
    LG_COMPARE(t.size(), std::size_t(2));
    LG_COMPARE(toJson(t.finding(1)).dump(), toJson(f).dump());
    LG_COMPARE(t.finding(1).origin, f.origin);
    LG_COMPARE(std::string(t.fid(1)), f.id);
    LG_COMPARE(std::string(t.message(0)), std::string("first row"));
}

void TestFindingTable::poolsRepeatedTexts()
{
    FindingTable t;
    std::vector<Finding> batch;
    for (int i = 0; i < 1000; ++i)
        batch.push_back(make(fingerprint("R", { "prod", "Pod", "web", "p" + std::to_string(i), "app" }), "R",
            "p" + std::to_string(i % 10), "message " + std::to_string(i)));
    t.appendAll(batch);
    QVERIFY(batch.empty());
    LG_COMPARE(t.size(), std::size_t(1000));
    for (std::size_t i = 1; i < t.size(); ++i) {
        // one copy of what repeats: the same pool id
        LG_COMPARE(t.row(i).rule, t.row(0).rule);
        LG_COMPARE(t.row(i).evidence, t.row(0).evidence);
        LG_COMPARE(t.row(i).name, t.row(i % 10).name);
        LG_COMPARE(std::string(t.message(i)), "message " + std::to_string(i));
    }
    QVERIFY(t.row(1).name != t.row(0).name);
}

void TestFindingTable::truncateTakesBackASource()
{
    FindingTable t;
    t.append(make("a", "R1", "keep-1", "kept one"));
    t.append(make("b", "R1", "keep-2", "kept two"));
    const auto mark = t.mark();
    // enough message text to fill several blocks, so truncate() frees blocks, not only rows
    for (int i = 0; i < 40; ++i)
        t.append(make("x" + std::to_string(i), "R2", "gone", std::string(300 * 1024, char('a' + i % 26))));
    LG_COMPARE(t.size(), std::size_t(42));
    t.truncate(mark);
    LG_COMPARE(t.size(), std::size_t(2));
    LG_COMPARE(std::string(t.message(0)), std::string("kept one"));
    LG_COMPARE(std::string(t.message(1)), std::string("kept two"));
    t.append(make("c", "R3", "after", "appended after the failed source"));
    LG_COMPARE(t.size(), std::size_t(3));
    LG_COMPARE(std::string(t.message(2)), std::string("appended after the failed source"));
    LG_COMPARE(std::string(t.message(1)), std::string("kept two"));
    LG_COMPARE(t.finding(2).subject.name, std::string("after"));
    // a mark at the end truncates nothing
    t.truncate(t.mark());
    LG_COMPARE(t.size(), std::size_t(3));

    // rows live in chunks of 65,536: a mark just past a chunk's end, rows over three chunks taken back
    FindingTable big;
    for (int i = 0; i < 65537; ++i)
        big.append("r" + std::to_string(i), "R", "t", Layer::Orchestrator, Severity::Low, { "c", "Pod", "n", "p", "" },
            "message " + std::to_string(i), "[]", "o");
    const auto chunkMark = big.mark();
    for (int i = 0; i < 140000; ++i)
        big.append("s" + std::to_string(i), "S", "t", Layer::Host, Severity::High, { "c", "Node", "", "n", "" }, "gone",
            "[]", "o");
    LG_COMPARE(big.size(), std::size_t(205537));
    LG_COMPARE(std::string(big.fid(205536)), std::string("s139999"));
    big.truncate(chunkMark);
    LG_COMPARE(big.size(), std::size_t(65537));
    LG_COMPARE(std::string(big.fid(65536)), std::string("r65536"));
    LG_COMPARE(std::string(big.message(65535)), std::string("message 65535"));
    big.append("again", "R", "t", Layer::Orchestrator, Severity::Low, { "c", "Pod", "n", "q", "" }, "back", "[]", "o");
    LG_COMPARE(std::string(big.fid(65537)), std::string("again"));
    LG_COMPARE(big.finding(65537).subject.name, std::string("q"));
    LG_COMPARE(int(big.row(65537).severity), int(Severity::Low));
}

void TestFindingTable::duplicatesKeepTheFirst()
{
    FindingTable t;
    for (const auto& [id, msg] : std::vector<std::pair<std::string, std::string>> { { "b", "b first" },
             { "a", "a first" }, { "b", "b second" }, { "c", "c" }, { "a", "a second" }, { "b", "b third" } })
        t.append(make(id, "R", "n", msg));
    t.removeDuplicates();
    LG_COMPARE(ids(t), (std::vector<std::string> { "b", "a", "c" }));
    LG_COMPARE(std::string(t.message(0)), std::string("b first"));
    LG_COMPARE(std::string(t.message(1)), std::string("a first"));
}

void TestFindingTable::fingerprintOrderIsBinary()
{
    FindingTable t;
    // equal 8-byte prefixes, a NUL, one past 32 bytes: the order is memcmp order, ties in row order
    const std::vector<std::string> given { "abcdefgh2", "abcdefgh1", std::string("abcdefgh1\0", 10), "B", "a",
        std::string(40, 'z'), "abcdefgh1", "", "\x80high", "\xff", "\xc3\xa9t\xc3\xa9" };
    for (std::size_t i = 0; i < given.size(); ++i)
        t.append(make(given[i], "R", "n", "m" + std::to_string(i)));
    std::vector<std::string> expected = given;
    std::stable_sort(expected.begin(), expected.end());
    std::vector<std::string> got;
    std::vector<std::string> messages;
    for (const auto i : t.fingerprintOrder()) {
        got.emplace_back(t.fid(i));
        messages.emplace_back(t.message(i));
    }
    LG_COMPARE(got, expected);
    // the two "abcdefgh1" rows keep their order
    const auto first = std::find(got.begin(), got.end(), "abcdefgh1") - got.begin();
    LG_COMPARE(messages[std::size_t(first)], std::string("m1"));
    LG_COMPARE(messages[std::size_t(first) + 1], std::string("m6"));
}

void TestFindingTable::evidenceIsAdded()
{
    FindingTable t;
    t.append(make("a", "R", "n", "m", {}));
    t.append(make("b", "R", "n", "m", { { "spec.x", json::array({ 1, 2 }) } }));
    t.addEvidence(0, { "also reported by", "kube-bench 5.2.1 (r.json)" });
    t.addEvidence(1, { "also reported by", "kubescape C-0017 (k.json)" });
    const Finding a = t.finding(0);
    LG_COMPARE(a.evidence.size(), std::size_t(1));
    LG_COMPARE(a.evidence[0].path, std::string("also reported by"));
    LG_COMPARE(a.evidence[0].value, json("kube-bench 5.2.1 (r.json)"));
    const Finding b = t.finding(1);
    LG_COMPARE(b.evidence.size(), std::size_t(2));
    LG_COMPARE(b.evidence[0].value, json::array({ 1, 2 }));
    LG_COMPARE(b.evidence[1].value, json("kubescape C-0017 (k.json)"));
}

void TestFindingTable::truncateForgetsItsRulesTexts()
{
    // The texts of a rule come from its first finding: when a failed source's rows are taken back, the next
    // finding of that rule gives them.
    FindingTable t;
    Finding gone = make("a", "IMPORTED-1", "n", "m");
    gone.title = "from the failed source";
    gone.references = { "gone" };
    const auto mark = t.mark();
    t.append(gone);
    t.truncate(mark);
    Finding kept = make("b", "IMPORTED-1", "n", "m");
    kept.title = "from the source that worked";
    kept.references = { "kept" };
    t.append(kept);
    LG_COMPARE(t.finding(0).title, kept.title);
    LG_COMPARE(t.finding(0).references, kept.references);
}

void TestFindingTable::longMessagesAreCut()
{
    FindingTable t;
    // 2 MiB of a two-byte character: the cut falls inside one and moves back to its start
    std::string message;
    for (int i = 0; i < (1 << 20); ++i)
        message += "\xc3\xa9";
    message.insert(0, "x"); // odd offset: byte 1 MiB is the second byte of a character
    t.append(make("a", "R", "n", message));
    const std::string stored(t.message(0));
    const std::string marker = " [message cut at 1 MiB]";
    QVERIFY(stored.size() <= FindingTable::kMaxMessage + marker.size());
    QVERIFY(stored.size() >= FindingTable::kMaxMessage - 1 + marker.size());
    LG_COMPARE(stored.substr(stored.size() - marker.size()), marker);
    const std::string kept = stored.substr(0, stored.size() - marker.size());
    LG_COMPARE(kept, message.substr(0, kept.size()));
    LG_COMPARE(int(static_cast<unsigned char>(kept.back())), 0xa9); // ends after a whole character
    t.append(make("b", "R", "n", "short"));
    LG_COMPARE(std::string(t.message(1)), std::string("short"));
}

void TestFindingTable::fingerprintsAreTheirSha256_data()
{
    QTest::addColumn<std::string>("rule");
    QTest::addColumn<Subject>("subject");
    QTest::newRow("pod container") << std::string("LG-PSS-PRIVILEGED")
                                   << Subject { "kube:prod", "Pod", "shop", "web-1", "app" };
    QTest::newRow("empty parts") << std::string("R") << Subject { "", "", "", "", "" };
    QTest::newRow("unicode") << std::string("LG-K8S-PSA-LABEL") << Subject { "t", "Namespace", "", "b\xc3\xbcro", "" };
    QTest::newRow("long name") << std::string("CIS-DI-0001")
                               << Subject { "docker:local", "Image", "", std::string(300, 'x'), "" };
}

void TestFindingTable::fingerprintsAreTheirSha256()
{
    // A fingerprint is the first 16 bytes of the SHA-256 of rule and subject, in hex: caches written before
    // and after any change of hashing code must name a finding the same.
    QFETCH(std::string, rule);
    QFETCH(Subject, subject);
    std::string key;
    for (const std::string& part :
        { rule, subject.target, subject.kind, subject.namespace_, subject.name, subject.container })
        key += part + '\x1f';
    const QByteArray expected = QCryptographicHash::hash(QByteArray::fromStdString(key), QCryptographicHash::Sha256);
    LG_COMPARE(fingerprint(rule, subject), expected.left(16).toHex().toStdString());
}

void TestFindingTable::fingerprintIsPinned()
{
    // Computed outside the project (Python's hashlib): the digest does not depend on either implementation.
    LG_COMPARE(fingerprint("LG-PSS-PRIVILEGED", { "kube:prod", "Pod", "shop", "web-1", "app" }),
        std::string("2289b6aaaedd09b819efb71a923be5f5"));
}

QTEST_GUILESS_MAIN(TestFindingTable)
#include "tst_findingtable.moc"
