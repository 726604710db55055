#pragma once

#include "store/store.h"

#include <QCoreApplication>
#include <QString>

#include <optional>

class QUrl;

namespace lg {

/**
 * The findings page's detail text for one finding: what and where, the evidence, when it was first seen and its
 * deadline, the references as links, an exemption, and the risk acceptance in force or the last one that ended.
 * HTML, with every text from a scan or an imported report escaped. Reads nothing: the page passes what it holds.
 */
class FindingDetail {
    Q_DECLARE_TR_FUNCTIONS(FindingDetail)
public:
    /**
     * `slaDays`: the deadline of the finding's severity in days (0: none); `acceptance`: the finding's latest
     * accepted risk, if any; `now`: unix seconds.
     */
    [[nodiscard]] static QString html(
        const Finding& f, int slaDays, const std::optional<AcceptedRisk>& acceptance, std::int64_t now);
    /** Only web links open from a finding: a reference from an imported report must not run or open anything else. */
    [[nodiscard]] static bool isWebLink(const QUrl& url);
};

} // namespace lg
