// Workload checks across resources: admission control, vulnerability reports, sandboxes, allowed registries.
#include "core/crosschecks_shared.h"
#include "core/jsonutil.h"
#include "core/kubeshape.h"
#include "core/rbacdefaults.h"

#include <QDateTime>

#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <tuple>

namespace lg::crosscheck {

namespace {

/**
 * Namespaces where nothing controls which pods are admitted: no Pod Security Admission `enforce` at baseline or
 * restricted, and no admission policy covering their pods — a validating webhook on pods whose namespaceSelector
 * matches (Kyverno, Gatekeeper and other policy engines register one), or a
 * ValidatingAdmissionPolicyBinding whose namespaceSelector matches. Kubescape C-0192 and its baseline controls judge
 * the same way; the system namespaces are left out as PSA's own exemptions usually are.
 */
class AdmissionControl final : public PolicyCheck {
public:
    using PolicyCheck::PolicyCheck;
    void observe(const Resource& r) override
    {
        if (r.layer != Layer::Orchestrator || !r.data.is_object())
            return;
        // Validating webhooks only: a mutating one (a sidecar injector) may admit anything it is shown.
        if (r.kind == "ValidatingWebhookConfiguration") {
            for (const auto& hook : member(r.data, "webhooks"))
                if (coversPods(member(hook, "rules")))
                    m_controls.push_back(
                        { r.target, r.kind + "/" + r.name, selectorOrAll(member(hook, "namespaceSelector")) });
            return;
        }
        if (r.kind == "ValidatingAdmissionPolicyBinding") {
            const auto& spec = member(r.data, "spec");
            m_controls.push_back(
                { r.target, r.kind + "/" + r.name, selectorOrAll(path(spec, "matchResources", "namespaceSelector")) });
            return;
        }
        if (r.kind != "Namespace")
            return;
        const std::string& name = r.name;
        if (name == "kube-system" || name == "kube-public" || name == "kube-node-lease")
            return;
        const auto& labels = path(r.data, "metadata", "labels");
        Namespace n { identityOf(r, m_kept), labels.is_object() ? labels : nlohmann::json::object(),
            text(labels, "pod-security.kubernetes.io/enforce") };
        n.labels["kubernetes.io/metadata.name"] = name; // set on every namespace by the API server
        m_namespaces.push_back(std::move(n));
    }
    void finish(RuleEngine& engine) override
    {
        for (const auto& n : m_namespaces) {
            const bool enforced = n.enforce == "baseline" || n.enforce == "restricted";
            std::string by;
            for (const auto& c : m_controls)
                if (c.target == n.stub.target && selects(c.namespaceSelector, n.labels))
                    by += (by.empty() ? "" : ", ") + c.name;
            const bool failed = !enforced && by.empty();
            std::string message;
            std::vector<Evidence> evidence;
            if (failed) {
                message = "Namespace " + n.stub.name + " admits any pod: "
                    + (n.enforce.empty() ? std::string("no pod-security.kubernetes.io/enforce label")
                                         : "Pod Security Admission enforces " + n.enforce)
                    + ", and no admission webhook or policy covers its pods";
                evidence.push_back({ "metadata.labels[\"pod-security.kubernetes.io/enforce\"]",
                    n.enforce.empty() ? nlohmann::json() : nlohmann::json(n.enforce) });
                evidence.push_back({ "admission webhooks and policies covering its pods", nlohmann::json::array() });
            }
            engine.record(m_rule, n.stub, { n.stub.target, n.stub.kind, n.stub.namespace_, n.stub.name, {} }, failed,
                std::move(message), std::move(evidence));
        }
    }
    void merge(CrossCheck& other) override
    {
        auto& o = static_cast<AdmissionControl&>(other);
        appendMoved(m_controls, o.m_controls);
        appendMoved(m_namespaces, o.m_namespaces);
    }

private:
    /** A webhook rule list that intercepts pod creation (core group, pods or *, CREATE or *, not cluster scope only).
     */
    static bool coversPods(const nlohmann::json& rules)
    {
        for (const auto& rule : rules) {
            const bool group = hasAll(member(rule, "apiGroups"), "") || hasAll(member(rule, "apiGroups"), "*");
            const bool pods = hasAll(member(rule, "resources"), "pods") || hasAll(member(rule, "resources"), "*");
            const bool create = hasAll(member(rule, "operations"), "CREATE") || hasAll(member(rule, "operations"), "*");
            const bool namespaced = text(rule, "scope", "*") != "Cluster"; // "Cluster" leaves namespaced pods out
            if (group && pods && create && namespaced)
                return true;
        }
        return false;
    }
    /** An absent namespaceSelector matches every namespace. */
    static nlohmann::json selectorOrAll(const nlohmann::json& selector)
    {
        return selector.is_object() ? selector : nlohmann::json::object();
    }
    struct Control {
        std::string target, name;
        nlohmann::json namespaceSelector;
    };
    struct Namespace {
        Resource stub;
        nlohmann::json labels;
        std::string enforce;
    };
    std::vector<Control> m_controls;
    std::vector<Namespace> m_namespaces;
};

/**
 * Imported vulnerability reports (VulnerabilityReport resources) matched to the images of the scan by
 * digest. Three modes, by the rule's check: "vulnerabilities" reports every vulnerability whose severity
 * is the rule's own; "vulnerability-report-missing" an image no report covers; "vulnerability-report-stale"
 * an image whose newest report is older than the image. Nothing is judged when the scan has no report
 * at all (the user did not import any).
 */
class VulnerabilityReports final : public PolicyCheck {
public:
    using PolicyCheck::PolicyCheck;
    void observe(const Resource& r) override
    {
        if (r.kind == "VulnerabilityReport") {
            Report rep;
            rep.createdAt
                = member(r.data, "createdAt").is_number() ? member(r.data, "createdAt").get<std::int64_t>() : 0;
            rep.tool = text(r.data, "tool");
            rep.file = text(r.data, "file");
            for (const auto& d : member(r.data, "digests"))
                rep.digests.insert(scalarText(d));
            // only what this rule reports is kept
            if (m_rule.check == "vulnerabilities")
                for (const auto& v : member(r.data, "vulnerabilities"))
                    if (text(v, "severity") == toString(m_rule.severity))
                        rep.vulns.push_back(v);
            m_reports.push_back(std::move(rep));
            return;
        }
        if (r.kind != "ContainerImage" && r.kind != "DockerImage")
            return;
        Image img;
        img.stub = identityOf(r, m_kept);
        img.digests.insert(text(r.data, "Id"));
        for (const auto& d : member(r.data, "RepoDigests")) {
            const std::string s = scalarText(d);
            img.digests.insert(s);
            if (auto at = s.rfind('@'); at != std::string::npos)
                img.digests.insert(s.substr(at + 1));
        }
        const QDateTime created
            = QDateTime::fromString(QString::fromStdString(text(r.data, "Created")), Qt::ISODateWithMs);
        img.created = created.isValid() ? created.toSecsSinceEpoch() : 0;
        m_images.push_back(std::move(img));
    }
    void finish(RuleEngine& engine) override
    {
        if (m_reports.empty())
            return;
        for (const auto& img : m_images) {
            const Report* newest = nullptr;
            for (const auto& rep : m_reports) {
                const bool matches = std::any_of(rep.digests.begin(), rep.digests.end(),
                    [&](const std::string& d) { return img.digests.count(d) > 0; });
                if (matches && (!newest || rep.createdAt > newest->createdAt))
                    newest = &rep;
            }
            const Subject subject { img.stub.target, img.stub.kind, img.stub.namespace_, img.stub.name, {} };
            if (m_rule.check == "vulnerability-report-missing") {
                engine.record(m_rule, img.stub, subject, !newest,
                    newest ? std::string()
                           : "No Trivy or Grype report covers image " + img.stub.name + " (matched by digest).",
                    { { "RepoDigests",
                        nlohmann::json(std::vector<std::string>(img.digests.begin(), img.digests.end())) } });
                continue;
            }
            if (!newest)
                continue;
            if (m_rule.check == "vulnerability-report-stale") {
                const bool stale = newest->createdAt > 0 && img.created > 0 && newest->createdAt < img.created;
                engine.record(m_rule, img.stub, subject, stale,
                    stale ? "The newest " + newest->tool + " report for image " + img.stub.name + " (" + newest->file
                            + ") is older than the image: it judged something else."
                          : std::string(),
                    { { "report.createdAt", newest->createdAt }, { "image.Created", img.created } });
                continue;
            }
            if (newest->vulns.empty()) {
                engine.record(m_rule, img.stub, subject, false, {}, {});
                continue;
            }
            for (const auto& v : newest->vulns) {
                Subject s = subject;
                s.container = text(v, "id") + " " + text(v, "pkg"); // one finding per vulnerability and package
                const std::string fixed = text(v, "fixed");
                engine.record(m_rule, img.stub, s, true,
                    text(v, "id") + " in " + text(v, "pkg") + " " + text(v, "installed") + " of image " + img.stub.name
                        + (fixed.empty() ? " (no fixed version yet)" : "; fixed in " + fixed) + " (" + newest->tool
                        + " report " + newest->file + ")",
                    { { "vulnerability", v } });
            }
        }
    }
    void merge(CrossCheck& other) override
    {
        auto& o = static_cast<VulnerabilityReports&>(other);
        appendMoved(m_reports, o.m_reports);
        appendMoved(m_images, o.m_images);
    }

private:
    struct Report {
        std::set<std::string> digests;
        std::int64_t createdAt = 0;
        std::string tool, file;
        std::vector<nlohmann::json> vulns;
    };
    struct Image {
        Resource stub;
        std::set<std::string> digests;
        std::int64_t created = 0;
    };
    std::vector<Report> m_reports;
    std::vector<Image> m_images;
};

/**
 * Sandboxed runtimes (informational): whether a cluster offers a RuntimeClass whose handler is a sandbox (gVisor's
 * runsc, Kata Containers, Firecracker), which gives a pod its own kernel. Judged for clusters whose nodes the scan
 * listed (a live cluster, or manifests that include the nodes): a folder of workloads says nothing about them.
 */
class SandboxRuntimes final : public CrossCheck {
public:
    explicit SandboxRuntimes(const Rule& rule)
        : m_rule(rule)
    {
    }
    static bool sandboxed(const std::string& handler)
    {
        static const std::regex kSandbox("(runsc|gvisor|kata|firecracker)", std::regex::icase);
        return std::regex_search(handler, kSandbox);
    }
    void observe(const Resource& r) override
    {
        if (r.layer != Layer::Orchestrator && r.kind != "Node")
            return;
        if (r.kind == "Node") {
            m_clusters.insert(r.target);
        } else if (r.kind == "RuntimeClass") {
            const std::string handler = text(r.data, "handler");
            if (sandboxed(handler))
                m_sandboxes[r.target].push_back(r.name + " (" + handler + ")");
        } else if (isWorkloadKind(r.kind) && r.kind != "PodTemplate") {
            if (const nlohmann::json* spec = podSpec(r.data, r.kind, nullptr);
                spec && !text(*spec, "runtimeClassName").empty())
                ++m_using[r.target];
        }
    }
    void finish(RuleEngine& engine) override
    {
        for (const auto& target : m_clusters) {
            const auto it = m_sandboxes.find(target);
            const bool failed = it == m_sandboxes.end();
            Resource stub;
            stub.target = target;
            stub.kind = "Cluster";
            stub.name = "cluster"; // one per target; named alike however the cluster was read (live or its manifests)
            stub.layer = Layer::Orchestrator;
            std::string message;
            std::vector<Evidence> evidence;
            if (failed) {
                message = "Cluster " + target
                    + " offers no sandboxed runtime (a RuntimeClass for gVisor or Kata Containers): every pod shares "
                      "its "
                      "node's kernel, so one kernel exploit reaches every pod of the node";
                evidence.push_back({ "RuntimeClasses with a sandbox handler", nlohmann::json::array() });
                evidence.push_back({ "workloads naming a runtimeClassName", m_using[target] });
            }
            engine.record(m_rule, stub, { target, "Cluster", {}, "cluster", {} }, failed, std::move(message),
                std::move(evidence));
        }
    }
    void merge(CrossCheck& other) override
    {
        auto& o = static_cast<SandboxRuntimes&>(other);
        m_clusters.merge(o.m_clusters);
        for (auto& [t, list] : o.m_sandboxes)
            appendMoved(m_sandboxes[t], list);
        for (const auto& [t, n] : o.m_using)
            m_using[t] += n;
    }

private:
    const Rule& m_rule;
    std::set<std::string> m_clusters;
    std::map<std::string, std::vector<std::string>> m_sandboxes;
    std::map<std::string, int> m_using;
};

/**
 * Images from registries the policy does not allow (KSV-0125, Kubescape C-0078). Judged only when the policy lists
 * registries: without a list the rule is not applicable. Each container of each workload is one subject.
 */
class AllowedRegistries final : public PolicyCheck {
public:
    AllowedRegistries(const Rule& rule, const lg::Policy& policy)
        : PolicyCheck(rule, policy)
        , m_allowed(policy.allowedRegistries)
    {
    }
    void observe(const Resource& r) override
    {
        if (m_allowed.empty() || r.layer != Layer::Orchestrator || !r.data.is_object() || !isWorkloadKind(r.kind))
            return;
        std::string prefix;
        const nlohmann::json* spec = podSpec(r.data, r.kind, &prefix);
        if (!spec)
            return;
        const Resource stub = identityOf(r, m_kept);
        for (const char* list : { "initContainers", "containers", "ephemeralContainers" }) {
            const auto& containers = member(*spec, list);
            if (!containers.is_array())
                continue;
            for (std::size_t i = 0; i < containers.size(); ++i) {
                const std::string image = text(containers[i], "image");
                if (image.empty())
                    continue;
                m_containers.push_back({ stub, text(containers[i], "name"), image,
                    (prefix.empty() ? prefix : prefix + ".") + "spec." + list + "[" + std::to_string(i) + "].image" });
            }
        }
    }
    void finish(RuleEngine& engine) override
    {
        std::string allowed;
        for (const auto& a : m_allowed)
            allowed += (allowed.empty() ? "" : ", ") + a;
        for (const auto& c : m_containers) {
            const bool failed = !imageFromAllowedRegistry(c.image, m_allowed);
            std::string message;
            std::vector<Evidence> evidence;
            if (failed) {
                message = "Container " + c.name + " of " + c.stub.kind + " " + c.stub.name + " runs image " + c.image
                    + ", from a registry the policy does not allow (allowed: " + allowed + ")";
                evidence.push_back({ c.path, c.image });
                evidence.push_back({ "policy.allowed_registries", m_allowed });
            }
            engine.record(m_rule, c.stub, { c.stub.target, c.stub.kind, c.stub.namespace_, c.stub.name, c.name },
                failed, std::move(message), std::move(evidence));
        }
    }
    void merge(CrossCheck& other) override
    {
        appendMoved(m_containers, static_cast<AllowedRegistries&>(other).m_containers);
    }

private:
    struct Container {
        Resource stub;
        std::string name, image, path;
    };
    std::vector<std::string> m_allowed;
    std::vector<Container> m_containers;
};

} // namespace

std::unique_ptr<CrossCheck> workloadCheck(const Rule& rule, const Policy& policy)
{
    if (rule.check == "admission-control")
        return std::make_unique<AdmissionControl>(rule, policy);
    if (rule.check == "allowed-registries")
        return std::make_unique<AllowedRegistries>(rule, policy);
    if (rule.check == "sandbox-runtimes")
        return std::make_unique<SandboxRuntimes>(rule);
    if (rule.check == "vulnerabilities" || rule.check == "vulnerability-report-missing"
        || rule.check == "vulnerability-report-stale")
        return std::make_unique<VulnerabilityReports>(rule, policy);
    return nullptr;
}

} // namespace lg::crosscheck
