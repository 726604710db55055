#include "targets/savedtarget.h"

namespace lg {

void applyPreviousScan(const Store& store, const std::vector<std::unique_ptr<Connector>>& sources)
{
    for (const auto& src : sources)
        if (const auto* kind = sourceKind(src->kind()); kind && !kind->previousOrigins.empty())
            src->rememberPrevious(store.lastOrigins(src->target(), kind->previousOrigins));
}

std::string secretKindOf(const SavedTarget& target)
{
    const auto* kind = sourceKind(target.kind);
    return kind && kind->secretKind ? kind->secretKind(target.config) : std::string();
}

std::unique_ptr<Connector> connectorForTarget(
    const SavedTarget& target, const TargetSecret& secret, const TargetOptions& options)
{
    const auto* kind = sourceKind(target.kind);
    if (!kind || !kind->savable || !kind->create)
        throw ConnectorError("target", "saved target " + target.name + " has an unknown kind \"" + target.kind + "\"",
            "remove it and add it again");
    SourceContext ctx;
    ctx.target = target.name;
    ctx.secret = secret;
    ctx.pageSize = options.pageSize;
    ctx.notice = options.notice;
    return kind->create(target.config, ctx);
}

} // namespace lg
