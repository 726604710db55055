// docker-bench-security JSON log.
#include "connectors/common/connector.h"
#include "connectors/importers/importparse.h"
#include "core/frameworks.h"
#include "core/jsonutil.h"

#include <QDateTime>
#include <QFileInfo>
#include <QXmlStreamReader>

#include <algorithm>
#include <map>
#include <set>

namespace lg::importing {

Layer dockerBenchLayer(const std::string& section)
{
    switch (section.empty() ? '0' : section[0]) {
    case '1':
    case '3':
        return Layer::Host; // host configuration, daemon configuration files
    case '4':
        return Layer::Image; // images and build files
    case '7':
        return Layer::Orchestrator; // swarm
    default:
        return Layer::Runtime; // daemon, container runtime, security operations
    }
}

Parsed parseDockerBench(const nlohmann::json& j, const std::string& file)
{
    Parsed p;
    p.tool = "docker-bench-security";
    p.toolVersion = text(j, "dockerbenchsecurity");
    const auto& end = member(j, "end").is_number() ? member(j, "end") : member(j, "start");
    p.generated = end.is_number() ? end.get<std::int64_t>() : 0;
    p.layer = Layer::Runtime;
    if (!member(j, "tests").is_array())
        fail(file, "the docker-bench log has no tests");
    for (const auto& section : member(j, "tests")) {
        for (const auto& r : member(section, "results")) {
            Check base;
            base.control = text(r, "id");
            if (base.control.empty())
                fail(file, "a docker-bench result has no id");
            base.layer = dockerBenchLayer(base.control);
            base.rule = "DOCKER-BENCH-" + base.control;
            base.title = text(r, "desc");
            const std::string result = text(r, "result");
            base.status = result == "PASS" ? "pass" : result == "WARN" ? "fail" : result == "NOTE" ? "manual" : "info";
            base.severity = "medium";
            base.message = "docker-bench " + base.control + ": " + base.title;
            base.remediation = text(r, "remediation");
            base.references = { "CIS-DOCKER-" + base.control };
            base.sameAs = base.references;
            base.frameworks = frameworksOfReference(base.references.front());
            base.kind = "DockerHost";
            base.name = "docker";
            base.evidenceOf("details", text(r, "details"));
            base.evidenceOf("remediation-impact", text(r, "remediation-impact"));
            const auto& items = member(r, "items");
            std::vector<std::string> named;
            if (base.status == "fail" && items.is_array())
                for (const auto& item : items)
                    if (const std::string name = scalarText(item); !name.empty() && name != "(truncated)")
                        named.push_back(name);
            if (named.empty()) {
                p.checks.push_back(std::move(base));
                continue;
            }
            // One finding per container or image the check names.
            const bool containers = base.control.rfind("4.", 0) == 0 || base.control.rfind("5.", 0) == 0;
            for (std::string name : named) {
                Check k = base;
                k.message = base.message + " (" + name + ")";
                if (containers && name.size() > 2 && name.front() == '[' && name.back() == ']') {
                    k.kind = "DockerImage"; // 4.x lists images as [image:tag]
                    name = name.substr(1, name.size() - 2);
                } else if (containers) {
                    k.kind = "DockerContainer";
                    if (auto colon = name.find(":/"); colon != std::string::npos) { // 5.6: "name:/path"
                        k.container = name.substr(colon + 1);
                        name.resize(colon);
                    }
                    if (!name.empty() && name[0] == '/')
                        name.erase(0, 1);
                } else {
                    k.container = name; // a user, a file: one finding each on the host
                    name = base.name;
                }
                k.name = name;
                p.checks.push_back(std::move(k));
            }
        }
    }
    return p;
}

} // namespace lg::importing
