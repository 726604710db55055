#include "connectors/manifests/manifestsconnector.h"

#include "core/files.h"
#include "core/jsonutil.h"
#include "core/kubeshape.h"
#include "core/plural.h"
#include "core/yamlio.h"

#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <optional>

namespace lg {

namespace {

constexpr qint64 kMaxFileSize = 64 * 1024 * 1024;

/** Flattens Lists into the Kubernetes objects of one document. */
void flatten(const nlohmann::json& obj, const std::string& origin,
    std::vector<std::pair<nlohmann::json, std::string>>& out, int depth)
{
    if (!obj.is_object())
        return;
    const std::string kind = text(obj, "kind");
    if (kind.empty())
        return; // not a Kubernetes object (e.g. a values file); nothing to check
    if (kind.size() > 4 && kind.ends_with("List") && member(obj, "items").is_array()) {
        if (depth < 4) {
            for (const auto& item : member(obj, "items"))
                flatten(item, origin, out, depth + 1);
        }
        return;
    }
    out.emplace_back(obj, origin);
}

/** A Kubernetes object of the manifests, and where it was read ("file:line"). */
using Manifest = std::pair<nlohmann::json, std::string>;

/** The manifest files: the one given, or a folder's YAML and JSON files (recursive, sorted; regular files only). */
std::vector<QString> manifestFiles(const QString& root, const QFileInfo& rootInfo, const ProgressFn& progress)
{
    std::vector<QString> files;
    if (!rootInfo.isDir()) {
        files.push_back(root);
        return files;
    }
    std::size_t special = 0;
    QDirIterator it(root, { QStringLiteral("*.yaml"), QStringLiteral("*.yml"), QStringLiteral("*.json") },
        QDir::Files | QDir::System, QDirIterator::Subdirectories); // System: pipes and devices, to say so
    while (it.hasNext()) {
        const QString file = it.next();
        // A link to /dev/zero or a FIFO among the manifests would be read for ever: only regular files count.
        if (!isRegularFile(file.toStdString())) {
            ++special;
            continue;
        }
        files.push_back(file);
    }
    std::sort(files.begin(), files.end());
    if (special > 0 && progress)
        progress("skipped " + counted(special, "file that is", "files that are")
            + " not regular (devices, pipes, or links to them)");
    return files;
}

/** Every Kubernetes object of the files, Lists flattened; a file that cannot be read or parsed fails the source. */
std::vector<Manifest> readManifests(
    const std::vector<QString>& files, const std::string& target, const CancelToken& cancel, const ProgressFn& progress)
{
    std::vector<Manifest> objects;
    std::size_t done = 0;
    for (const auto& file : files) {
        if (cancel.load())
            throw Cancelled();
        const std::string name = file.toStdString();
        std::string text;
        try {
            text = readRegularFile(name, kMaxFileSize);
        } catch (const FileReadError& e) {
            throw ConnectorError(target, e.what(), "check the file (and its permissions); split a file over 64 MiB");
        }
        std::vector<YamlDocument> docs;
        try {
            docs = parseYamlDocuments(text, name);
        } catch (const YamlError& e) {
            throw ConnectorError(target, std::string("malformed YAML in ") + e.what(),
                "fix the syntax at that line (a YAML linter helps), then scan again");
        }
        for (const auto& doc : docs)
            flatten(doc.json, name + ":" + std::to_string(doc.line), objects, 0);
        ++done;
        if (progress && (done % 50 == 0 || done == files.size()))
            progress(
                Progress("read " + std::to_string(done) + " of " + std::to_string(files.size()) + " manifest files",
                    std::int64_t(done), std::int64_t(files.size())));
    }
    return objects;
}

/**
 * Hands the objects on. A Pod, ReplicaSet or Job is judged through its controller only when the manifests prove
 * it is that controller's replica (both UIDs given and equal, the same template); see OwnershipIndex.
 */
void handOn(const std::vector<Manifest>& objects, const std::string& target, const ResourceSink& sink,
    const CancelToken& cancel, const ProgressFn& progress)
{
    OwnershipIndex owners;
    std::vector<std::optional<TemplateDigest>> digests(objects.size());
    for (std::size_t i = 0; i < objects.size(); ++i) {
        const auto& obj = objects[i].first;
        const std::string kind = text(obj, "kind");
        if (const nlohmann::json* tmpl = podTemplate(obj, kind); tmpl && isWorkloadKind(kind))
            digests[i] = templateDigest(*tmpl);
        if (digests[i] && isControllerKind(kind)) {
            const auto& meta = member(obj, "metadata");
            owners.addController(kind, text(meta, "namespace"), text(meta, "name"), text(meta, "uid"), *digests[i]);
        }
    }
    std::size_t through = 0, inactive = 0;
    for (std::size_t i = 0; i < objects.size(); ++i) {
        const auto& [obj, origin] = objects[i];
        if (cancel.load())
            throw Cancelled();
        const auto owner = digests[i] ? controllingOwner(obj) : std::nullopt;
        if (owner && !owners.empty()) {
            const std::string kind = text(obj, "kind");
            const bool scaledToZero = kind == "ReplicaSet" && path(obj, "spec", "replicas") == 0
                && (path(obj, "status", "replicas").is_null() || path(obj, "status", "replicas") == 0);
            switch (
                owners.verdict(*owner, text(member(obj, "metadata"), "namespace"), kind, *digests[i], scaledToZero)) {
            case Ownership::ThroughController:
                ++through;
                continue;
            case Ownership::InactiveRevision:
                ++inactive;
                continue;
            case Ownership::Own:
                break;
            }
        }
        Resource r;
        r.layer = Layer::Orchestrator;
        r.target = target;
        r.kind = text(obj, "kind");
        const auto& meta = member(obj, "metadata");
        r.name = text(meta, "name", text(meta, "generateName"));
        r.namespace_ = text(meta, "namespace");
        r.origin = origin;
        r.data = obj;
        sink(r);
    }
    if (progress && through > 0)
        progress(counted(through, "pod, replica set or job", "pods, replica sets and jobs")
            + " judged through their controllers");
    if (progress && inactive > 0)
        progress(
            counted(inactive, "replica set", "replica sets") + " of older revisions scaled to zero: they run nothing");
}

} // namespace

ManifestsConnector::ManifestsConnector(std::string path, std::string target, std::string kubernetesVersion)
    : m_path(std::move(path))
    , m_target(std::move(target))
    , m_kubernetesVersion(std::move(kubernetesVersion))
{
    if (m_target.empty()) {
        m_target = "manifests:" + QFileInfo(QString::fromStdString(m_path)).fileName().toStdString();
        setDefaultNamed(true);
    }
}

std::string ManifestsConnector::identity() const
{
    const QFileInfo info(QString::fromStdString(m_path));
    const QString canonical = info.canonicalFilePath();
    return "manifests:" + (canonical.isEmpty() ? info.absoluteFilePath() : canonical).toStdString();
}

void ManifestsConnector::collect(const ResourceSink& sink, const CancelToken& cancel, const ProgressFn& progress)
{
    const QString root = QString::fromStdString(m_path);
    const QFileInfo rootInfo(root);
    if (!rootInfo.exists())
        throw ConnectorError(
            m_target, "manifest path " + m_path + " does not exist", "check the path given to --manifests");
    if (!m_kubernetesVersion.empty()) {
        // Offline there is no API server to ask: the Pod Security Standards are judged as the version given.
        Resource context;
        context.layer = Layer::Orchestrator;
        context.target = m_target;
        context.kind = kPolicyContextKind;
        context.name = m_kubernetesVersion;
        context.origin = "--k8s-version";
        context.data = { { "gitVersion", m_kubernetesVersion }, { "source", "given with --k8s-version" } };
        sink(context);
    }
    const std::vector<QString> files = manifestFiles(root, rootInfo, progress);
    // All objects are read before any is handed on: a Pod or ReplicaSet whose controller is part of the
    // same manifests is evaluated through that controller, as the live connector does.
    const std::vector<Manifest> objects = readManifests(files, m_target, cancel, progress);
    handOn(objects, m_target, sink, cancel, progress);
}

} // namespace lg
