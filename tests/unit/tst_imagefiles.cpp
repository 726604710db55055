// The image export reader (connectors/docker/imagefiles): setuid and setgid files as the layers leave them, from
// tar bytes built here the way `docker save` and Go's archive/tar write them (legacy and OCI layouts, GNU long
// names, pax headers, gzip layers, whiteouts), and what hostile or cut input does: never a crash, never a pass.
#include "connectors/docker/imagefiles.h"
#include "connectors/docker/tarstream.h"

#include <QFile>
#include <QRandomGenerator>
#include <QTest>

#include <zlib.h>

#include <cstdio>
#include <cstring>

#include "tarbuilder.h"
#include "testsupport.h"

using namespace lg;
using lg::test::Tar;
using nlohmann::json;

Q_DECLARE_METATYPE(std::string)
Q_DECLARE_METATYPE(nlohmann::json)
Q_DECLARE_METATYPE(lg::ImageFilesLimits)

namespace {

std::string gzip(const std::string& in)
{
    z_stream z {};
    deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, uLong(in.size())) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = uInt(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = uInt(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

/** A `docker save` export (Docker 20.10–24): `<id>/layer.tar` entries sorted by name, manifest.json after them. */
std::string legacyExport(const std::vector<std::string>& layers)
{
    Tar outer;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < layers.size(); ++i) // stacking order is not the archive's: ids sort otherwise
        names.push_back(std::string(1, char('f' - i)) + "0" + std::to_string(i) + "/layer.tar");
    for (std::size_t i = layers.size(); i-- > 0;) {
        outer.dir(names[i].substr(0, names[i].find('/')) + "/");
        outer.file(names[i], 0644, layers[i]);
    }
    outer.file("manifest.json", 0644,
        json::array({ { { "Config", "c.json" }, { "RepoTags", nullptr }, { "Layers", names } } }).dump());
    return outer.end();
}

/** An OCI layout export (Docker 25+): blobs by digest, index.json pointing at a manifest blob, no manifest.json. */
std::string ociExport(const std::vector<std::string>& layers)
{
    Tar outer;
    json manifest { { "schemaVersion", 2 }, { "layers", json::array() } };
    std::vector<std::pair<std::string, std::string>> blobs;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const std::string hex = std::string(1, char('9' - i)) + std::string(63, 'a');
        manifest["layers"].push_back({ { "digest", "sha256:" + hex }, { "size", layers[i].size() } });
        blobs.emplace_back("blobs/sha256/" + hex, layers[i]);
    }
    blobs.emplace_back("blobs/sha256/" + std::string(64, 'e'), manifest.dump());
    blobs.emplace_back("blobs/sha256/" + std::string(64, 'c'), R"({"architecture":"amd64"})");
    std::sort(blobs.begin(), blobs.end());
    outer.dir("blobs/").dir("blobs/sha256/");
    for (const auto& [name, content] : blobs)
        outer.file(name, 0644, content);
    outer.file("index.json", 0644,
        json { { "manifests", json::array({ { { "digest", "sha256:" + std::string(64, 'e') } } }) } }.dump());
    outer.file("oci-layout", 0644, R"({"imageLayoutVersion":"1.0.0"})");
    return outer.end();
}

std::string baseLayer()
{
    return Tar()
        .dir("./")
        .dir("bin/")
        .file("bin/sh", 0755)
        .dir("usr/")
        .dir("usr/bin/")
        .file("usr/bin/passwd", 04755)
        .file("usr/bin/wall", 02755)
        .file("usr/bin/chage", 06755)
        .dir("var/mail/", 02775) // a setgid folder is no setgid file
        .dir("tmp/", 01777)
        .end();
}

json listed(const ImageFiles& f)
{
    return { { "setuid", f.setuid }, { "setgid", f.setgid } };
}

} // namespace

class TestImageFiles : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void stackedLayers_data();
    void stackedLayers();
    void longNames();
    void anotherWritersArchives_data();
    void anotherWritersArchives();
    void pieceSizesDoNotMatter();
    void listIsCappedCountIsNot();
    void limits_data();
    void limits();
    void notReadWithAReason_data();
    void notReadWithAReason();
    void cutAnywhereIsNeverRead();
    void hostileBytesNeverCrash();
    void resourceShape();
};

void TestImageFiles::stackedLayers_data()
{
    QTest::addColumn<std::string>("archive");
    QTest::addColumn<json>("expected");
    const json base { { "setuid", { "/usr/bin/chage", "/usr/bin/passwd" } },
        { "setgid", { "/usr/bin/chage", "/usr/bin/wall" } } };
    QTest::addRow("one layer") << legacyExport({ baseLayer() }) << base;
    QTest::addRow("OCI layout") << ociExport({ baseLayer() }) << base;
    QTest::addRow("gzip layer") << ociExport({ gzip(baseLayer()) }) << base;
    QTest::addRow("gzip in two members") << ociExport(
        { gzip(baseLayer().substr(0, 1536)) + gzip(baseLayer().substr(1536)) })
                                         << base;
    const std::string whiteout = Tar().dir("usr/bin/").file("usr/bin/.wh.passwd", 0644, "").end();
    QTest::addRow("whiteout deletes") << legacyExport({ baseLayer(),
        whiteout }) << json { { "setuid", { "/usr/bin/chage" } }, { "setgid", { "/usr/bin/chage", "/usr/bin/wall" } } };
    QTest::addRow("whiteout, OCI, gzip") << ociExport({ gzip(baseLayer()), gzip(whiteout) })
                                         << json { { "setuid", { "/usr/bin/chage" } },
                                                { "setgid", { "/usr/bin/chage", "/usr/bin/wall" } } };
    QTest::addRow("whiteout of a folder above") << legacyExport({ baseLayer(), Tar().file(".wh.usr", 0644, "").end() })
                                                << json { { "setuid", json::array() }, { "setgid", json::array() } };
    QTest::addRow("opaque folder, a new file in it")
        << legacyExport({ baseLayer(),
               Tar().dir("usr/bin/").file("usr/bin/.wh..wh..opq", 0644, "").file("usr/bin/su", 04755).end() })
        << json { { "setuid", { "/usr/bin/su" } }, { "setgid", json::array() } };
    QTest::addRow("chmod a-s in a later layer (CIS's remediation)")
        << legacyExport({ baseLayer(),
               Tar().file("usr/bin/passwd", 0755).file("usr/bin/wall", 0755).file("usr/bin/chage", 0755).end() })
        << json { { "setuid", json::array() }, { "setgid", json::array() } };
    QTest::addRow("setuid added in a later layer")
        << legacyExport({ Tar().file("bin/sh", 0755).file("usr/bin/passwd", 0755).end(),
               Tar().file("usr/bin/passwd", 04755).end() })
        << json { { "setuid", { "/usr/bin/passwd" } }, { "setgid", json::array() } };
    QTest::addRow("a folder above replaced by a symlink")
        << legacyExport({ baseLayer(), Tar().link("usr/bin", '2', "/bin").end() })
        << json { { "setuid", json::array() }, { "setgid", json::array() } };
    QTest::addRow("a later layer's folder keeps what is below")
        << legacyExport({ baseLayer(), Tar().dir("usr/").dir("usr/bin/").file("usr/bin/ls", 0755).end() }) << base;
    QTest::addRow("replaced twice in one layer, the last entry wins") << legacyExport(
        { Tar().file("bin/ping", 04755).file("bin/ping", 0755).file("bin/mount", 0755).file("bin/mount", 04755).end() })
                                                                      << json { { "setuid", { "/bin/mount" } },
                                                                             { "setgid", json::array() } };
    QTest::addRow("hard link to a setuid file")
        << legacyExport({ Tar().file("bin/su", 04755).link("bin/su2", '1', "bin/su", 04755).end() })
        << json { { "setuid", { "/bin/su", "/bin/su2" } }, { "setgid", json::array() } };
    QTest::addRow("symlink with mode bits is no file")
        << legacyExport({ Tar().link("bin/su", '2', "/x", 04777).end() })
        << json { { "setuid", json::array() }, { "setgid", json::array() } };
    { // a layer saved once and linked from the other layer's folder (docker save does this for a repeated layer)
        Tar outer;
        outer.file("a0/layer.tar", 0644, Tar().file("bin/su", 04755).end());
        outer.link("b0/layer.tar", '2', "../a0/layer.tar");
        outer.file("c0/layer.tar", 0644, Tar().file("bin/su", 0755).end());
        outer.file("manifest.json", 0644, R"([{"Layers": ["a0/layer.tar", "c0/layer.tar", "b0/layer.tar"]}])");
        QTest::addRow("linked layer") << outer.end()
                                      << json { { "setuid", { "/bin/su" } }, { "setgid", json::array() } };
    }
}

void TestImageFiles::stackedLayers()
{
    QFETCH(std::string, archive);
    QFETCH(json, expected);
    const ImageFiles f = readImageFiles(archive);
    QVERIFY2(f.read, f.error.c_str());
    LG_COMPARE(listed(f), expected);
    LG_COMPARE(f.setuidCount, expected["setuid"].size());
    LG_COMPARE(f.setgidCount, expected["setgid"].size());
    LG_COMPARE(f.bytes, std::uint64_t(archive.size()));
}

void TestImageFiles::longNames()
{
    const std::string deep = "opt/" + std::string(120, 'd') + "/bin/helper"; // ustar prefix + name
    const std::string gnu = "opt/" + std::string(180, 'g') + "/tool"; // GNU 'L' entry
    const std::string paxName = "opt/" + std::string(300, 'p') + "/ünïcode tool"; // pax path record
    Tar layer;
    layer.file(deep, 04755).gnuLong(gnu, 02755).pax(paxName, 04750);
    layer.pax("", 04755, "30 GNU.sparse.name=opt/sparse\n16 path=ignored\n").file("after", 0644); // sparse's real name
    const ImageFiles f = readImageFiles(legacyExport({ layer.end() }));
    QVERIFY2(f.read, f.error.c_str());
    LG_COMPARE(json(f.setuid), json({ "/" + deep, "/" + paxName, "/opt/sparse" }));
    LG_COMPARE(json(f.setgid), json({ "/" + gnu }));
}

void TestImageFiles::anotherWritersArchives_data()
{
    // Written by Python's tarfile (tests/data/imagefiles/make.py): GNU and pax headers from another writer.
    QTest::addColumn<QString>("file");
    QTest::addColumn<json>("expected");
    QTest::addRow("legacy, GNU, whiteout and chmod above")
        << QStringLiteral("legacy.tar")
        << json { { "setuid", { "/opt/" + std::string(150, 'g') + "/tool" } }, { "setgid", json::array() } };
    QTest::addRow("OCI, pax, gzip") << QStringLiteral("oci-gzip.tar")
                                    << json { { "setuid", { "/bin/mount", "/opt/" + std::string(300, 'p') + "/ünï" } },
                                           { "setgid", { "/bin/mount" } } };
}

void TestImageFiles::anotherWritersArchives()
{
    QFETCH(QString, file);
    QFETCH(json, expected);
    QFile f(QStringLiteral(LG_TEST_DATA "/imagefiles/") + file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const ImageFiles read = readImageFiles(f.readAll().toStdString());
    QVERIFY2(read.read, read.error.c_str());
    LG_COMPARE(listed(read), expected);
}

void TestImageFiles::pieceSizesDoNotMatter()
{
    const std::string archive
        = ociExport({ gzip(baseLayer()), Tar().gnuLong("usr/" + std::string(200, 'l'), 04755).end() });
    json whole = readImageFiles(archive).toJson();
    whole.erase("bytes"); // reading stops at the end marker: the pieces after it are not counted
    LG_COMPARE(whole["read"], json(true));
    for (std::size_t piece : { 1, 7, 511, 513, 4096 }) {
        ImageFilesReader reader;
        for (std::size_t at = 0; at < archive.size(); at += piece)
            if (!reader.feed(std::string_view(archive).substr(at, piece)))
                break;
        json pieces = reader.finish().toJson();
        pieces.erase("bytes");
        LG_COMPARE(pieces, whole);
    }
}

void TestImageFiles::listIsCappedCountIsNot()
{
    Tar layer;
    for (int i = 0; i < 60; ++i)
        layer.file("bin/s" + std::to_string(100 + i), 04755);
    ImageFilesLimits limits;
    limits.maxListed = 50;
    const ImageFiles f = readImageFiles(legacyExport({ layer.end() }), limits);
    QVERIFY(f.read);
    LG_COMPARE(f.setuid.size(), std::size_t(50));
    LG_COMPARE(f.setuidCount, std::size_t(60));
    LG_COMPARE(f.toJson()["count"], json(60));
}

void TestImageFiles::limits_data()
{
    QTest::addColumn<std::string>("archive");
    QTest::addColumn<ImageFilesLimits>("limits");
    QTest::addColumn<std::string>("reason");
    ImageFilesLimits bytes;
    bytes.maxBytes = 4096;
    QTest::addRow("bytes of the export") << legacyExport({ baseLayer() }) << bytes << std::string("larger than");
    ImageFilesLimits inflated;
    inflated.maxInflated = 1 << 20;
    const std::string zeros(4 << 20, '\0'); // a gzip bomb: 4 MiB of zeros in a few KiB
    QTest::addRow("inflated bytes") << ociExport({ gzip(Tar().file("big", 0644, zeros).end()) }) << inflated
                                    << std::string("inflate to more than");
    ImageFilesLimits entries;
    entries.maxEntries = 5;
    QTest::addRow("paths") << legacyExport({ baseLayer() }) << entries << std::string("more than 5 files");
    ImageFilesLimits found;
    found.maxFound = 2;
    QTest::addRow("setuid files") << legacyExport({ baseLayer() }) << found << std::string("more than 2 setuid");
    ImageFilesLimits header;
    header.maxHeader = 256;
    QTest::addRow("a long name") << legacyExport({ Tar().gnuLong(std::string(400, 'n'), 04755).end() }) << header
                                 << std::string("header longer than 256");
}

void TestImageFiles::limits()
{
    QFETCH(std::string, archive);
    QFETCH(ImageFilesLimits, limits);
    QFETCH(std::string, reason);
    QVERIFY(readImageFiles(archive).read); // within the default limits it is read
    const ImageFiles f = readImageFiles(archive, limits);
    QVERIFY(!f.read);
    QVERIFY2(f.error.find(reason) != std::string::npos, f.error.c_str());
    LG_COMPARE(f.toJson(), (json { { "read", false }, { "error", f.error } }));
}

void TestImageFiles::notReadWithAReason_data()
{
    QTest::addColumn<std::string>("archive");
    QTest::addColumn<std::string>("reason");
    QTest::addRow("empty") << std::string() << std::string("cut short");
    QTest::addRow("not a tar") << std::string(2048, 'A') << std::string("not a tar archive");
    {
        Tar outer;
        outer.file("a0/layer.tar", 0644, baseLayer());
        QTest::addRow("no manifest") << outer.end() << std::string("names no layers");
    }
    {
        Tar outer;
        outer.file("manifest.json", 0644, R"([{"Layers": ["a0/layer.tar"]}])");
        QTest::addRow("a layer missing") << outer.end() << std::string("lacks its layer a0/layer.tar");
    }
    QTest::addRow("a layer cut short") << legacyExport({ baseLayer().substr(0, 1000) }) << std::string("cut short");
    QTest::addRow("corrupt gzip") << ociExport({ gzip(baseLayer()).substr(0, 20) + std::string(200, 'z') })
                                  << std::string("gzip data is corrupt");
    QTest::addRow("zstd layer") << ociExport({ std::string("\x28\xb5\x2f\xfd", 4) + std::string(100, '\0') })
                                << std::string("zstd");
    QTest::addRow("a symlink loop") << [] {
        Tar outer;
        outer.link("a0/layer.tar", '2', "../b0/layer.tar").link("b0/layer.tar", '2', "../a0/layer.tar");
        outer.file("manifest.json", 0644, R"([{"Layers": ["a0/layer.tar"]}])");
        return outer.end();
    }() << std::string("lacks its layer");
    QTest::addRow("bad pax record") << legacyExport({ Tar().pax("", 0, "99 path=x\n").end() })
                                    << std::string("malformed pax");
}

void TestImageFiles::notReadWithAReason()
{
    QFETCH(std::string, archive);
    QFETCH(std::string, reason);
    const ImageFiles f = readImageFiles(archive);
    QVERIFY(!f.read);
    QVERIFY2(f.error.find(reason) != std::string::npos, f.error.c_str());
    QVERIFY(f.setuid.empty() && f.setgid.empty());
}

void TestImageFiles::cutAnywhereIsNeverRead()
{
    // Cut at every byte before the end marker (one zero block ends a tar archive, as for tar itself): never read,
    // never a crash.
    for (const std::string& archive :
        { legacyExport({ baseLayer(), gzip(baseLayer()) }), ociExport({ baseLayer() }) }) {
        for (std::size_t cut = 0; cut < archive.size() - 512; ++cut) {
            const ImageFiles f = readImageFiles(std::string_view(archive).substr(0, cut));
            if (f.read)
                QFAIL(qPrintable(QStringLiteral("read when cut at %1 of %2").arg(cut).arg(archive.size())));
        }
    }
}

void TestImageFiles::hostileBytesNeverCrash()
{
    // Flipped bytes anywhere in a valid export, and random bytes: read or not, but bounded and without a crash.
    const std::string valid = ociExport({ gzip(baseLayer()), Tar().gnuLong(std::string(150, 'q'), 04755).end() });
    QRandomGenerator rng(29);
    int read = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string bytes = valid;
        for (int flips = 1 + int(rng.bounded(4)); flips > 0; --flips)
            bytes[rng.bounded(quint32(bytes.size()))] = char(rng.bounded(256));
        read += readImageFiles(bytes).read ? 1 : 0;
    }
    QVERIFY(read < 3000); // most flips land in data, some in headers
    for (int round = 0; round < 200; ++round) {
        std::string bytes(rng.bounded(1, 20000), '\0');
        for (auto& c : bytes)
            c = char(rng.bounded(256));
        QVERIFY(!readImageFiles(bytes).read);
    }
    // Headers whose checksums hold but whose numbers do not: a negative and a huge base-256 size, a mode in words.
    auto patched = [](std::size_t offset, std::string_view field) {
        Tar t;
        t.header("odd", '0', 04755, 0);
        std::string block = t.bytes();
        block.replace(offset, field.size(), field);
        std::memset(block.data() + 148, ' ', 8);
        unsigned sum = 0;
        for (unsigned char c : block)
            sum += c;
        std::snprintf(block.data() + 148, 8, "%06o", sum);
        return legacyExport({ block + std::string(1024, '\0') });
    };
    QVERIFY(!readImageFiles(patched(124, std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12))).read);
    const ImageFiles huge = readImageFiles(patched(124, std::string("\x80\0\0\0\0\0\0\x01\0\0\0\0", 12)));
    QVERIFY(!huge.read);
    QVERIFY2(huge.error.find("cut short") != std::string::npos, huge.error.c_str());
    QVERIFY(!readImageFiles(patched(100, "seven\0\0")).read);
    QVERIFY(readImageFiles(patched(124, std::string("\x80\0\0\0\0\0\0\0\0\0\0\0", 12))).read); // base-256 zero
}

void TestImageFiles::resourceShape()
{
    const ImageFiles f = readImageFiles(legacyExport({ baseLayer() }));
    const json j = f.toJson();
    LG_COMPARE(j["read"], json(true));
    LG_COMPARE(j["count"], json(4));
    LG_COMPARE(j["layers"], json(1));
    LG_COMPARE(j["setuid"], json({ "/usr/bin/chage", "/usr/bin/passwd" }));
}

QTEST_GUILESS_MAIN(TestImageFiles)
#include "tst_imagefiles.moc"
