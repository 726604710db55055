#include "targets/importtarget.h"

#include "connectors/common/inputfiles.h"
#include "connectors/importers/importers.h"

#include <algorithm>
#include <set>

namespace lg {

ImportTargets importTargets(const std::vector<std::string>& paths)
{
    ImportTargets out;
    std::set<std::string> told;
    try {
        for (const auto& [file, inFolder] : listInputFiles(paths, "import", {}, {}, {})) {
            const std::string body = readInputFile(file, "import", {});
            if (inFolder && detectReportFormat(body) == ReportFormat::Unknown)
                continue; // the import skips it too
            // Without a target given, a report that names its host or cluster joins it (ImportConnector::parse).
            const auto resources = ImportConnector::parse(body, file.toStdString(), {}, 0);
            const auto report = std::find_if(
                resources.begin(), resources.end(), [](const Resource& r) { return r.kind == kImportedReportKind; });
            if (report != resources.end() && !report->data.value("host", std::string()).empty()) {
                out.telling.push_back(file.toStdString());
                told.insert(report->target);
            } else {
                out.untold.push_back(file.toStdString());
            }
        }
    } catch (const std::exception&) { // a ConnectorError, a malformed report, a value of the wrong type
        out.unreadable = true;
    }
    out.told.assign(told.begin(), told.end());
    return out;
}

} // namespace lg
