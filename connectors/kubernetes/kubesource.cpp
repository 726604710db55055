#include "connectors/common/sourcekind.h"
#include "connectors/kubernetes/kubeconfig.h"
#include "connectors/kubernetes/kubeconnector.h"

#include <stdexcept>

namespace lg {

namespace {

KubeContext contextOf(const nlohmann::json& c)
{
    if (c.value("inCluster", false))
        return inClusterContext();
    return Kubeconfig::load(c.value("kubeconfig", std::string())).resolve(c.value("context", std::string()));
}

/** A kubeconfig's contexts, each with what the user must know before scanning it. */
std::vector<FieldChoice> contextChoices(const SourceValues& values)
{
    const auto kc = Kubeconfig::load(absolutePath(firstValue(values, "kubeconfig")));
    std::vector<FieldChoice> out;
    for (const auto& name : kc.contextNames()) {
        FieldChoice choice { name, {} };
        try {
            const auto ctx = kc.resolve(name);
            if (ctx.cluster.insecureSkipTlsVerify)
                choice.warning = "Context " + name
                    + " turns TLS verification off (insecure-skip-tls-verify in its kubeconfig): the server is not "
                      "authenticated, and each scan reports it as a finding.";
            else if (ctx.user.exec)
                choice.warning
                    = "Context " + name + " runs a credential plugin for each scan: " + ctx.user.exec->display();
        } catch (const ConnectorError&) {
            // said when the context is tested or scanned
        }
        out.push_back(std::move(choice));
    }
    return out;
}

} // namespace

// Long by nature: a declaration, one entry per setting the source takes.
SourceKind kubernetesSource()
{
    SourceKind k;
    k.id = "kubernetes";
    k.title = "Kubernetes context";
    k.description = "A cluster through the Kubernetes API: workloads, RBAC, nodes and their kubelets (PSS, CIS "
                    "Kubernetes, NSA/CISA). Secret values are never read.";
    k.layers = { Layer::Orchestrator, Layer::Host };
    k.oneTargetEach = true;
    k.fields = {
        { .key = "kubeconfig",
            .flag = "kubeconfig",
            .valueName = "FILE",
            .help = "Scan a Kubernetes cluster with this kubeconfig (default: KUBECONFIG, ~/.kube/config).",
            .label = "Kubeconfig",
            .placeholder = "empty: KUBECONFIG, else ~/.kube/config (as kubectl)",
            .input = FieldInput::File,
            .selects = true },
        { .key = "context",
            .flag = "context",
            .valueName = "NAME",
            .help = "kubeconfig context (repeatable; default: the current one).",
            .label = "Context",
            .input = FieldInput::Choice,
            .selects = true,
            .choices = contextChoices },
        { .key = "allContexts",
            .flag = "all-contexts",
            .help = "Scan every context of the kubeconfig.",
            .input = FieldInput::Switch,
            .scanOnly = true,
            .selects = true },
        { .key = "kube",
            .flag = "kube",
            .help = "Scan the current context of the default kubeconfig.",
            .input = FieldInput::Switch,
            .scanOnly = true,
            .selects = true },
        { .key = "inCluster",
            .flag = "in-cluster",
            .help = "Scan the cluster this pod runs in (service account).",
            .input = FieldInput::Switch,
            .selects = true },
    };
    // One config per context: several contexts are several targets. The kubeconfig stays where the user keeps
    // it; only its path and the context's name are saved.
    k.configure = [](const SourceValues& values) {
        std::vector<nlohmann::json> out;
        if (firstValue(values, "inCluster") == "true") {
            out.push_back({ { "inCluster", true } });
            return out;
        }
        const std::string file = absolutePath(firstValue(values, "kubeconfig"));
        const auto kc = Kubeconfig::load(file);
        std::vector<std::string> contexts;
        if (auto it = values.find("context"); it != values.end())
            contexts = it->second;
        if (firstValue(values, "allContexts") == "true")
            contexts = kc.contextNames();
        if (contexts.empty())
            contexts.push_back({}); // the current context
        for (const auto& c : contexts)
            out.push_back({ { "kubeconfig", file }, { "context", kc.resolve(c).name } });
        return out;
    };
    k.runsCommand = [](const nlohmann::json& c) -> std::string {
        const auto ctx = contextOf(c);
        return ctx.user.exec
            ? "Context " + ctx.name + " gets its credentials by running:\n\n" + ctx.user.exec->display()
            : std::string();
    };
    k.create = [](const nlohmann::json& c, const SourceContext& ctx) -> std::unique_ptr<Connector> {
        auto connector = std::make_unique<KubernetesConnector>(contextOf(c), ctx.target, ctx.pageSize);
        if (ctx.notice) {
            if (connector->context().cluster.insecureSkipTlsVerify)
                ctx.notice("warning: context " + connector->context().name
                    + " turns TLS verification off (insecure-skip-tls-verify); the scan reports it as a finding");
            connector->setNotice(ctx.notice);
        }
        return connector;
    };
    return k;
}

} // namespace lg
