#pragma once
// Which target imported reports describe: a host's or a cluster's report says (it joins that target); the others
// (kube-bench, docker-bench, Trivy, Grype, a report without a host) cannot tell, and the window asks.

#include <string>
#include <vector>

namespace lg {

/** The report files of an import, sorted by whether they tell their target. */
struct ImportTargets {
    std::vector<std::string> telling; ///< name their host or cluster: each joins that target
    std::vector<std::string> untold; ///< name neither: called after their tool unless given a target
    std::vector<std::string> told; ///< the targets the telling files name, sorted, once each
    /** A path is missing, or a file is not a whole report: the import fails and says which, nothing to ask. */
    bool unreadable = false;
};

/**
 * Reads the reports among `paths` (files, and folders searched as an import searches them, skipping files of no
 * known format) as ImportConnector would name their target without one given. Blocks: run it off the UI thread.
 */
[[nodiscard]] ImportTargets importTargets(const std::vector<std::string>& paths);

} // namespace lg
