#include "cli/clicommon.h"
#include "core/jsonutil.h"
#include "core/scoring.h"
#include "report/exporters.h"
#include "report/pdfreport.h"
#include "report/reportwriter.h"
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

namespace lg::cli {

int cmdReport(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Write a report of the estate (the latest scan of each target), of one target, or of one scan."));
    p.addOptions({ formatOption(QStringLiteral("pdf, json, csv, sarif or junit"), QString()),
        { { QStringLiteral("o"), QStringLiteral("output") }, QStringLiteral("Output file."), QStringLiteral("FILE") },
        { QStringLiteral("scan"), QStringLiteral("Scan id (default: the estate)."), QStringLiteral("ID") },
        { QStringLiteral("target"), QStringLiteral("Only this target (its latest scan unless --scan)."),
            QStringLiteral("NAME") },
        { QStringLiteral("framework"), QStringLiteral("Only findings of these frameworks (comma list)."),
            QStringLiteral("F") },
        dbOption() });
    int code = kExitOk;
    if (!parse(p, args, &code))
        return code;
    const QString format = p.value(QStringLiteral("format"));
    if (format != QLatin1String("json") && format != QLatin1String("csv") && format != QLatin1String("sarif")
        && format != QLatin1String("pdf") && format != QLatin1String("junit"))
        return usage(p, QStringLiteral("--format takes pdf, json, csv, sarif or junit"));
    std::vector<Framework> frameworks;
    try {
        frameworks = parseFrameworks(s(p.value(QStringLiteral("framework"))));
    } catch (const std::invalid_argument& e) {
        return usage(p, QString::fromStdString(e.what()));
    }
    if (!p.isSet(QStringLiteral("output")))
        return usage(p, QStringLiteral("-o FILE is required"));
    return guarded([&] {
        auto store = openStore(p, Store::OpenMode::Existing);
        const std::string target = s(p.value(QStringLiteral("target")));
        std::optional<std::int64_t> scanId;
        if (!target.empty() && !p.isSet(QStringLiteral("scan"))) {
            scanId = store->latestScanOf(target);
            if (!scanId) {
                err("no scan of target " + target + "; `layerguard posture` lists the targets");
                return kExitFailure;
            }
        } else if (p.isSet(QStringLiteral("scan"))) {
            scanId = resolveScan(*store, p, &code);
        } else if (store->latestScanId()) {
            scanId = 0; // the estate: the latest scan of each target
        } else {
            err("the cache " + store->path() + " holds no scan yet; run `layerguard scan` first");
            return kExitFailure;
        }
        if (!scanId)
            return code;
        const std::string summary = writeReport(*store, *scanId, s(format), s(p.value(QStringLiteral("output"))),
            frameworks, p.isSet(QStringLiteral("framework")), nullptr, 0, target);
        if (format == QLatin1String("pdf"))
            std::cerr << printable(summary) << std::endl;
        return kExitOk;
    });
}

} // namespace lg::cli
