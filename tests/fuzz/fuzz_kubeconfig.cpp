// kubeconfig files: parsing, merging and resolving every context (exec plugins are resolved, never run).
#include "connectors/kubernetes/kubeconfig.h"
#include "fuzz.h"

#include <cstdio>
#include <fstream>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const std::string path = "/tmp/lg-fuzz-kubeconfig-" + std::to_string(getpid());
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
    }
    try {
        const auto config = lg::Kubeconfig::fromFiles({ path }, true);
        for (const auto& name : config.contextNames()) {
            try {
                (void)config.resolve(name);
            } catch (const std::exception&) {
            }
        }
        (void)config.resolve();
    } catch (const std::exception&) {
    }
    return 0;
}
