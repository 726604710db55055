#include "connectors/kubernetes/kubelisting.h"

#include "core/jsonutil.h"
#include "core/plural.h"

#include <QUrl>

namespace lg {

namespace {

constexpr int kMaxRestarts = 3;
constexpr std::size_t kMaxPages = 20000; ///< 10 million objects of a kind at 500 a page
constexpr std::size_t kMaxKubeletConfigs = 1000;

} // namespace

std::string kubeUrlEncode(const std::string& s)
{
    return QUrl::toPercentEncoding(QString::fromStdString(s)).toStdString();
}

std::string kubeGroupVersion(const KubeKind& k)
{
    return std::string(k.group).empty() ? std::string(k.version) : std::string(k.group) + "/" + k.version;
}

std::string kubeApiPrefix(const KubeKind& k)
{
    return std::string(k.group).empty() ? "/api/v1" : "/apis/" + kubeGroupVersion(k);
}

std::string kubeResourceName(const KubeKind& k)
{
    return std::string(k.group).empty() ? std::string(k.plural) : std::string(k.plural) + "." + k.group;
}

/** One listing of one kind: what it has handed on, and what keeps a wrongly paging server from going on for ever. */
struct KubeKindLister::Listing {
    Listing(const KubeKind& kind, std::string path)
        : k(kind)
        , base(std::move(path))
    {
    }
    const KubeKind& k;
    std::string base; ///< the list's path with its limit
    std::unordered_set<std::string> seen; ///< uids handed on, so a restarted list does not repeat them
    /**
     * A server that hands out the same continue token again, or new ones for ever, is never followed to the end
     * of time: repeated tokens fail the source, and so do more pages than the list can have.
     */
    std::unordered_set<std::string> tokens;
    std::optional<std::size_t> pageBudget;
    std::size_t items = 0;
    std::size_t pages = 0;

    /** Counts an item once (a 410 restart lists it again; false then). */
    bool listed(const std::string& uid)
    {
        if (!uid.empty() && !seen.insert(uid).second)
            return false;
        ++items;
        return true;
    }
};

KubeKindLister::KubeKindLister(KubeSession& session, const ResourceSink& sink, const CancelToken& cancel,
    std::function<void(const std::string&)> say, std::string target, std::string location, int pageSize)
    : m_session(session)
    , m_sink(sink)
    , m_cancel(cancel)
    , m_say(std::move(say))
    , m_target(std::move(target))
    , m_location(std::move(location))
    , m_pageSize(pageSize)
{
}

HttpResponse KubeKindLister::list(const KubeKind& k, const std::string& ns, std::size_t& total)
{
    Listing l(k,
        kubeApiPrefix(k) + (ns.empty() ? "" : "/namespaces/" + kubeUrlEncode(ns)) + "/" + k.plural
            + "?limit=" + std::to_string(m_pageSize));
    std::string cont;
    int restarts = 0;
    int stalled = 0;
    auto pending = fetch(l.base, std::string());
    while (true) {
        HttpResponse page = pending.get();
        if (page.status == 410 && !cont.empty()) {
            if (++restarts > kMaxRestarts)
                m_session.fail("GET " + l.base + " (continue)", page);
            m_say(kubeResourceName(k) + ": the continue token expired (410 Gone); listing again from the start");
            cont.clear();
            l.tokens.clear();
            l.pageBudget.reset();
            pending = fetch(l.base, std::string());
            continue;
        }
        if (page.status != 200) {
            if (l.items == 0 && (page.status == 403 || page.status == 404))
                return page;
            m_session.fail("GET " + l.base, page);
        }
        const std::size_t itemsBefore = l.items;
        std::string nextToken = readPage(l, page, pending);
        ++l.pages;
        if (nextToken.empty())
            break;
        // Pages that bring nothing new (every item seen before) while the list claims to go on: a loop.
        stalled = l.items == itemsBefore ? stalled + 1 : 0;
        if (stalled >= 3)
            throw ConnectorError(m_target,
                "listing " + kubeResourceName(k) + ": " + std::to_string(stalled)
                    + " pages in a row brought nothing new while the server said the list goes on",
                "the API server (or a proxy in front of it) pages wrongly; scan again, and report it if it stays");
        cont = std::move(nextToken);
        if (l.pages % 10 == 0)
            m_say(kubeResourceName(k) + ": " + std::to_string(l.items) + " read");
    }
    m_say(kubeResourceName(k) + ": " + std::to_string(l.items) + " read in " + counted(l.pages, "page", "pages"));
    total += l.items;
    HttpResponse ok;
    ok.status = 200;
    return ok;
}

std::future<HttpResponse> KubeKindLister::fetch(const std::string& base, std::string cont)
{
    return std::async(std::launch::async, [this, base, cont = std::move(cont)] {
        return m_session.get(cont.empty() ? base : base + "&continue=" + kubeUrlEncode(cont));
    });
}

/** Reads one page and hands its items on; returns its continue token (empty on the last page). */
std::string KubeKindLister::readPage(Listing& l, HttpResponse& page, std::future<HttpResponse>& pending)
{
    std::string nextToken;
    try {
        readKubeListPage(
            m_parser, page.body,
            [&](const KubeListPage& info) {
                nextToken = info.next;
                page.body.clear();
                page.body.shrink_to_fit();
                checkPage(l, info);
                if (!nextToken.empty()) // fetch the next page while this one is evaluated
                    pending = fetch(l.base, nextToken);
            },
            [&](nlohmann::json&& item) { handOn(l, std::move(item)); },
            [&](simdjson::dom::element item) { return judgedThroughController(l, item); });
    } catch (const KubeListError& e) {
        throw ConnectorError(m_target, "the answer to GET " + l.base + " " + e.what(),
            "the answer was cut or the server is not a Kubernetes API server; try again");
    }
    return nextToken;
}

void KubeKindLister::checkPage(Listing& l, const KubeListPage& info) const
{
    auto stop = [&](const std::string& why) {
        throw ConnectorError(m_target, "listing " + kubeResourceName(l.k) + ": " + why,
            "the API server (or a proxy in front of it) pages wrongly; scan again, and report it if it stays");
    };
    const std::size_t done = l.pages;
    if (info.items > std::max<std::size_t>(10000, std::size_t(m_pageSize) * 20))
        stop("the server ignored limit=" + std::to_string(m_pageSize) + " and sent " + std::to_string(info.items)
            + " items in one page");
    if (!info.next.empty() && !l.tokens.insert(info.next).second)
        stop("the server handed out the same continue token twice (the list would never end)");
    if (info.remaining && !l.pageBudget) // pages the rest can fill, with room for a list that grows meanwhile
        l.pageBudget = done + 1 + std::size_t(*info.remaining) / std::size_t(m_pageSize) * 2 + 10;
    if (done + 1 > l.pageBudget.value_or(kMaxPages))
        stop("more than " + std::to_string(l.pageBudget.value_or(kMaxPages)) + " pages (the list would never end)");
}

/**
 * Most pods (and replica sets) of a cluster are replicas of a controller listed before them: those are recognised
 * on the parsed page (UIDs and template digest, see OwnershipIndex), counted without building their JSON tree, and
 * never handed on. Anything else goes to handOn().
 */
bool KubeKindLister::judgedThroughController(Listing& l, simdjson::dom::element item)
{
    if (m_cancel.load())
        throw Cancelled();
    const KubeKind& k = l.k;
    simdjson::dom::element meta;
    simdjson::dom::array ownerRefs;
    if (!isWorkloadKind(k.kind) || item["metadata"].get(meta) || meta["ownerReferences"].get(ownerRefs))
        return false;
    auto str = [](simdjson::dom::element e, const char* key) {
        std::string_view v;
        return e.is_object() && !e[key].get(v) ? std::string(v) : std::string();
    };
    std::optional<ControllingOwner> owner;
    for (simdjson::dom::element o : ownerRefs) {
        bool controller = false;
        if (o.is_object() && !o["controller"].get(controller) && controller) {
            // the first controlling owner decides, as controllingOwner() reads the tree
            owner = ControllingOwner { str(o, "kind"), str(o, "name"), str(o, "uid") };
            break;
        }
    }
    if (!owner || m_owners.empty())
        return false;
    const auto digest = simdTemplateDigest(item, k.kind);
    if (!digest)
        return false;
    const std::string itemNs = str(meta, "namespace");
    std::int64_t replicas = -1, running = 0;
    if (std::string_view(k.kind) == "ReplicaSet") {
        if (item["spec"]["replicas"].get(replicas))
            replicas = -1;
        if (item["status"]["replicas"].get(running))
            running = 0;
    }
    const Ownership verdict = m_owners.verdict(*owner, itemNs, k.kind, *digest, replicas == 0 && running == 0);
    if (verdict == Ownership::Own)
        return false;
    const std::string uid = str(meta, "uid");
    if (l.listed(uid)) {
        m_owners.addController(k.kind, itemNs, str(meta, "name"), uid, *digest);
        ++(verdict == Ownership::ThroughController ? m_viaController : m_inactiveRevisions);
    }
    return true;
}

/** An item that is not a proven replica of a listed controller (judgedThroughController() took those): a Resource. */
void KubeKindLister::handOn(Listing& l, nlohmann::json&& item)
{
    if (m_cancel.load())
        throw Cancelled();
    const KubeKind& k = l.k;
    Resource r;
    r.data = std::move(item);
    const auto& meta = member(r.data, "metadata");
    r.name = text(meta, "name");
    r.namespace_ = text(meta, "namespace");
    if (!l.listed(text(meta, "uid")))
        return;
    if (isControllerKind(k.kind))
        if (const nlohmann::json* tmpl = podTemplate(r.data, k.kind))
            m_owners.addController(k.kind, r.namespace_, r.name, text(meta, "uid"), templateDigest(*tmpl));
    r.data["kind"] = k.kind;
    r.data["apiVersion"] = kubeGroupVersion(k);
    r.kind = k.kind;
    r.layer = r.kind == "Node" ? Layer::Host : Layer::Orchestrator;
    if (r.kind == "Node" && m_nodeNames.size() < kMaxKubeletConfigs)
        m_nodeNames.push_back(r.name);
    r.target = m_target;
    r.origin = m_location + kubeApiPrefix(k) + (r.namespace_.empty() ? "" : "/namespaces/" + r.namespace_) + "/"
        + k.plural + "/" + r.name;
    m_sink(r);
}

} // namespace lg
