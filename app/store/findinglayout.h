#pragma once
// How a scan's findings are laid out in the cache: one per fingerprint, in the dashboard's default order, with the
// ranks its table sorts by. Pure (no SQLite), so its tests need no cache.

#include "core/findingtable.h"

#include <array>
#include <cstdint>
#include <vector>

namespace lg {

/** How writeScan lays a scan's findings out (see 003_ and 004_ in resources/db). */
struct FindingLayout {
    std::vector<std::uint32_t> order; ///< rows kept, in display order
    std::vector<std::array<std::int64_t, 4>> ranks; ///< by position in `order`: rule, resource, target, message
    std::vector<std::uint32_t> byFid; ///< rows kept, in fingerprint order
};

/**
 * One finding per fingerprint (the last given wins), in the dashboard's default order (severity, layer,
 * rule, target, namespace, name, container, kind, fingerprint), with the dense ranks the table sorts by.
 * Every pooled text is ranked once per distinct value, so the sorts compare integers; the message ranks,
 * the costliest, are computed on a second thread meanwhile.
 */
FindingLayout layOut(const FindingTable& t);

} // namespace lg
