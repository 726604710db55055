#pragma once

#include "connectors/common/connector.h"
#include "core/rule.h"
#include "store/store.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lg {

/** What one scan run produced. `scanId` is set only when the scan was written to the cache. */
struct ScanOutcome {
    std::optional<std::int64_t> scanId;
    std::vector<SourceStatus> sources;
    bool cancelled = false;
    /**
     * Nothing was judged on data and nothing was found: no source saw anything a rule could judge (an empty
     * folder, a registry without images). Such a scan is never stored: it is no posture, least of all a clean one.
     */
    bool nothingObserved = false;
    /** Scanned layers where no check had data (their sources answered, but with nothing to judge): no score. */
    [[nodiscard]] std::vector<Layer> unobservedLayers() const
    {
        std::vector<Layer> out;
        for (const auto& [layer, t] : record.tallies)
            if (t.scanned && t.evaluated == 0)
                out.push_back(layer);
        return out;
    }
    [[nodiscard]] bool anySourceFailed() const
    {
        for (const auto& s : sources)
            if (!s.ok)
                return true;
        return false;
    }
    ScanRecord record; ///< findings, tallies and outcomes (also when not written)
};

struct ScanSettings {
    Policy policy;
    /** Write the scan even when a source failed (its layers then have no score). Default: don't. */
    bool allowPartial = false;
    std::string runBy;
    std::function<std::int64_t()> clock; ///< unix seconds; injectable for tests
    /**
     * Also give the findings as objects in ScanOutcome::record.findings (after the write). Off, they stay in
     * record.table only: ~80 bytes each plus the message instead of ~1 KB, for scans of large clusters.
     * Findings as objects carry the title, remediation, references and frameworks of their rule's first
     * finding, as the cache keeps them (once per rule); evidence comes back through JSON, as from the cache.
     */
    bool keepFindings = true;
};

/**
 * Runs connectors one after another, evaluates their resources as they stream in, applies accepted
 * risks and writes the scan in one transaction. Blocking; call from a worker thread. A failing source
 * does not stop the others; unless allowPartial, a scan with a failed source is not written, so the
 * cache never shows a partial result as the new state.
 */
class Scanner {
public:
    Scanner(const RuleCatalog& catalog, ScanSettings settings);
    ScanOutcome run(const std::vector<std::unique_ptr<Connector>>& sources, Store* store, const CancelToken& cancel,
        const ProgressFn& progress);

private:
    const RuleCatalog& m_catalog;
    ScanSettings m_settings;
};

/** The version string written into scans and reports. */
[[nodiscard]] std::string toolVersion();

} // namespace lg
