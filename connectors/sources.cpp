#include "connectors/common/sourcekind.h"

namespace lg {

// The built-in sources, each declared in its own folder. Adding one: its folder, a line here and one in
// connectors/CMakeLists.txt (README, "Adding a source").
SourceKind manifestsSource();
SourceKind hostSource();
SourceKind dockerSource();
SourceKind kubernetesSource();
SourceKind registrySource();
SourceKind vulnReportsSource();
SourceKind importSource();
SourceKind prometheusSource();

namespace {

std::vector<SourceKind>& kinds()
{
    // The order is the scan's: a report import or Prometheus joins the target of a lone source made before it.
    static std::vector<SourceKind> all { manifestsSource(), hostSource(), dockerSource(), kubernetesSource(),
        registrySource(), vulnReportsSource(), importSource(), prometheusSource() };
    return all;
}

} // namespace

const std::vector<SourceKind>& sourceKinds()
{
    return kinds();
}

const SourceKind* sourceKind(std::string_view id)
{
    for (const auto& k : kinds())
        if (k.id == id)
            return &k;
    return nullptr;
}

void addSourceKind(SourceKind kind)
{
    for (auto& k : kinds())
        if (k.id == kind.id) {
            k = std::move(kind);
            return;
        }
    kinds().push_back(std::move(kind));
}

} // namespace lg
