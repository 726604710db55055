// Registry answers: the first line is a WWW-Authenticate header, the rest a manifest, index or config blob.
#include "connectors/registry/registryconnector.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string in = lg::fuzz::input(data, size);
    const auto nl = in.find('\n');
    (void)lg::parseWwwAuthenticate(in.substr(0, nl));
    if (nl == std::string::npos)
        return 0;
    const auto j = nlohmann::json::parse(in.begin() + std::ptrdiff_t(nl + 1), in.end(), nullptr, false);
    if (j.is_discarded())
        return 0;
    std::vector<std::string> platforms;
    (void)lg::selectIndexManifest(j, "linux/amd64", &platforms);
    lg::Resource image;
    image.kind = "DockerImage";
    image.name = "fuzz";
    image.data = lg::inspectFromConfig(j, "sha256:0");
    lg::fuzz::evaluate({ image });
    return 0;
}
