// Secret-looking values never reach evidence, exports or logs.
#include "core/masking.h"

#include <QTest>

#include "testsupport.h"

using namespace lg;
using nlohmann::json;

Q_DECLARE_METATYPE(std::string)

class TestMasking : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void names_data();
    void names();
    void values_data();
    void values();
    void envEntries();
    void text();
    void assignments_data();
    void assignments();
    void sentSecretsAreRemovedFromAnyText();
    void urlsLoseTheirCredentials_data();
    void urlsLoseTheirCredentials();
};

void TestMasking::names_data()
{
    QTest::addColumn<std::string>("name");
    QTest::addColumn<bool>("secret");
    for (const char* n : { "DB_PASSWORD", "password", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "api_key", "STRIPE_KEY",
             "SMTP_PASS", "client-secret", "credentials.json", "token.txt", "key", "OCI_CLI_KEY_CONTENT", "ACCESSKEY" })
        QTest::addRow("%s", n) << std::string(n) << true;
    for (const char* n : { "DB_HOST", "PATH", "LOG_LEVEL", "KEYCLOAK_URL", "replicas" })
        QTest::addRow("%s", n) << std::string(n) << false;
}

void TestMasking::names()
{
    QFETCH(std::string, name);
    QFETCH(bool, secret);
    LG_COMPARE(looksLikeSecretName(name), secret);
}

void TestMasking::values_data()
{
    QTest::addColumn<std::string>("value");
    QTest::addColumn<bool>("secret");
    QTest::addRow("aws key id") << std::string("AKIAIOSFODNN7EXAMPLE") << true;
    QTest::addRow("private key") << std::string("-----BEGIN RSA PRIVATE KEY-----\nMIIE...") << true;
    QTest::addRow("jwt") << std::string("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc") << true;
    QTest::addRow("github token") << std::string("ghp_0123456789abcdefghijklmnopqrstuvwxyz") << true;
    QTest::addRow("hostname") << std::string("db.internal") << false;
    QTest::addRow("image") << std::string("nginx:1.25") << false;
}

void TestMasking::values()
{
    QFETCH(std::string, value);
    QFETCH(bool, secret);
    LG_COMPARE(looksLikeSecretValue(value), secret);
    const json masked = maskIfSecret("spec.note", value);
    LG_COMPARE(masked.get<std::string>() == kMasked, secret);
}

void TestMasking::envEntries()
{
    const json env
        = json::parse(R"([{"name": "DB_PASSWORD", "value": "hunter2"}, {"name": "DB_HOST", "value": "db"}])");
    const json masked = maskIfSecret("spec.containers[0].env", env);
    LG_COMPARE(masked[0]["value"].get<std::string>(), std::string(kMasked));
    LG_COMPARE(masked[0]["name"].get<std::string>(), std::string("DB_PASSWORD"));
    LG_COMPARE(masked[1]["value"].get<std::string>(), std::string("db"));
    QVERIFY(masked.dump().find("hunter2") == std::string::npos);
}

void TestMasking::text()
{
    const std::string t = maskText("ENV PASSWORD=hunter2 USER=app KEY=AKIAIOSFODNN7EXAMPLE");
    QVERIFY(t.find("hunter2") == std::string::npos);
    QVERIFY(t.find("AKIAIOSFODNN7EXAMPLE") == std::string::npos);
    QVERIFY(t.find("USER=app") != std::string::npos);
}

void TestMasking::assignments_data()
{
    QTest::addColumn<std::string>("text");
    QTest::addColumn<std::string>("shown");
    auto same = [](const char* t) { QTest::addRow("%s", t) << std::string(t) << std::string(t); };
    auto row = [](const char* t, const char* shown) { QTest::addRow("%s", t) << std::string(t) << std::string(shown); };
    // Secret names in any case and any form, values that are tokens.
    row("Token: abc123def", "Token: ********");
    row("db_pwd=hunter2 user=app", "db_pwd=******** user=app");
    row("x-api-key: 0123456789", "x-api-key: ********");
    row("client.secret=zzz", "client.secret=********");
    row("private_key: qqq", "private_key: ********");
    row("Passphrase = 'open sesame'", "Passphrase = '********'");
    row("header: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc", "header: ********");
    row("note: ghp_0123456789abcdefghijklmnopqrstuvwxyz here", "note: ******** here");
    row("db_credential=abc", "db_credential=********");
    // Connection strings: the password goes, the user and host stay (they say which connection it is).
    row("DATABASE_URL: postgres://admin:S3cr3t@db/app", "DATABASE_URL: postgres://admin:********@db/app");
    row("amqp://svc:p%40ss@mq:5672/vhost and more", "amqp://svc:********@mq:5672/vhost and more");
    // JSON and YAML keys, quoted or not; a nested document keeps its shape.
    row(R"({"password": "hunter2", "user": "app"})", R"({"password": "********", "user": "app"})");
    row("db:\n  host: db\n  password: nested-value\n", "db:\n  host: db\n  password: ********\n");
    // Not ASCII: taken through Qt as before, which replaces invalid UTF-8.
    QTest::addRow("invalid UTF-8") << std::string("name: caf\xe9") << std::string("name: caf\xef\xbf\xbd");
    // Nothing secret: shown as given, whether or not a secret-looking word appears somewhere.
    same("image: registry.example.com/synth-000/svc-00017:1.17.0");
    same("Container app of Pod svc-1 uses image registry.example.com/a/b:1.2 without a digest.");
    same("monkey=banana");
    same("keycloak_url: https://kc.example.com:8443/auth");
    same("ratio 3:1 and a=b");
    same("mode: 0644, path=/etc/app");
}

void TestMasking::assignments()
{
    QFETCH(std::string, text);
    QFETCH(std::string, shown);
    LG_COMPARE(maskText(text), shown);
}

// A server that quotes back the token Layerguard sent ("User \"<token>\" cannot list pods") gets nothing kept.
void TestMasking::sentSecretsAreRemovedFromAnyText()
{
    const std::string token = "opaque-bearer-7b1f93c2d8";
    const std::string echoed = "pods is forbidden: User \"" + token + "\" cannot list resource \"pods\"";
    QVERIFY(maskText(echoed).find(token) != std::string::npos); // not secret-looking by itself
    registerSentSecret(token);
    registerSentSecret("abc"); // too short to register: ordinary words stay
    const std::string masked = maskText(echoed);
    QVERIFY2(masked.find(token) == std::string::npos, masked.c_str());
    QVERIFY2(masked.find("cannot list resource") != std::string::npos, masked.c_str());
    LG_COMPARE(maskText("abc def"), std::string("abc def"));
}

void TestMasking::urlsLoseTheirCredentials_data()
{
    QTest::addColumn<std::string>("url");
    QTest::addColumn<std::string>("shown");
    QTest::addRow("user and password") << std::string("https://alice:pw@reg.example:5000/v2/")
                                       << std::string("https://reg.example:5000/v2/");
    QTest::addRow("user only") << std::string("http://alice@127.0.0.1:9/") << std::string("http://127.0.0.1:9/");
    QTest::addRow("none") << std::string("https://reg.example") << std::string("https://reg.example");
    QTest::addRow("not a url") << std::string("/var/run/docker.sock") << std::string("/var/run/docker.sock");
}

void TestMasking::urlsLoseTheirCredentials()
{
    QFETCH(std::string, url);
    QFETCH(std::string, shown);
    LG_COMPARE(withoutCredentials(url), shown);
}

QTEST_GUILESS_MAIN(TestMasking)
#include "tst_masking.moc"
