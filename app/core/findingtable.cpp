#include "core/findingtable.h"

#include "core/jsonutil.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace lg {

namespace {

constexpr std::size_t kBlockSize = std::size_t(4) << 20;

} // namespace

std::uint32_t TextPool::intern(std::string_view text)
{
    if (const auto it = m_index.find(text); it != m_index.end())
        return it->second;
    if (m_texts.size() >= std::numeric_limits<std::uint32_t>::max())
        throw std::length_error("more distinct texts than one scan can hold");
    const auto id = std::uint32_t(m_texts.size());
    const std::string& kept = m_texts.emplace_back(text);
    try {
        m_index.emplace(std::string_view(kept), id);
    } catch (...) {
        m_texts.pop_back(); // a text is in the pool only with its index entry: ids stay one per text
        throw;
    }
    return id;
}

void appendEvidenceJson(std::string& out, const std::vector<Evidence>& evidence)
{
    out += '[';
    bool first = true;
    for (const auto& e : evidence) {
        out += first ? "{\"path\":" : ",{\"path\":";
        first = false;
        out += dumpJson(e.path);
        out += ",\"value\":";
        out += dumpJson(e.value);
        out += '}';
    }
    out += ']';
}

FindingTable::Row& FindingTable::Rows::emplace_back()
{
    if (m_size == m_chunks.size() * kChunk)
        m_chunks.push_back(std::make_unique<Row[]>(kChunk));
    Row& r = (*this)[m_size++];
    r = Row();
    return r;
}

void FindingTable::Rows::shrink(std::size_t n)
{
    if (n >= m_size)
        return;
    m_size = n;
    m_chunks.resize((n + kChunk - 1) / kChunk);
}

std::vector<Evidence> evidenceFromJson(std::string_view json)
{
    std::vector<Evidence> out;
    const auto parsed = nlohmann::json::parse(json, nullptr, false);
    if (parsed.is_array())
        for (const auto& e : parsed)
            if (e.is_object())
                out.push_back({ e.value("path", std::string()), e.value("value", nlohmann::json()) });
    return out;
}

FindingTable::FindingTable() = default;
FindingTable::~FindingTable() = default;
FindingTable::FindingTable(FindingTable&&) noexcept = default;
FindingTable& FindingTable::operator=(FindingTable&&) noexcept = default;

std::uint64_t FindingTable::storeMessage(std::string_view message)
{
    if (m_blocks.empty() || m_blockUsed + message.size() > m_blocks.back().size) {
        const std::size_t size = std::max(kBlockSize, message.size());
        m_blocks.push_back({ std::make_unique<char[]>(size), size });
        m_blockUsed = 0;
    }
    std::memcpy(m_blocks.back().bytes.get() + m_blockUsed, message.data(), message.size());
    const std::uint64_t at = (std::uint64_t(m_blocks.size() - 1) << 32) | m_blockUsed;
    m_blockUsed += message.size();
    return at;
}

void FindingTable::append(std::string_view fid, std::string_view rule, std::string_view title, Layer layer,
    Severity severity, const Subject& subject, std::string_view message, std::string_view evidence,
    std::string_view origin)
{
    if (m_rows.size() >= std::numeric_limits<std::uint32_t>::max())
        throw std::length_error("more findings than one scan can hold");
    // Everything that can throw comes before the row: a failed append leaves no half row behind.
    Row r;
    if (fid.size() <= r.fid.size()) {
        std::memcpy(r.fid.data(), fid.data(), fid.size());
        r.fidSize = std::uint8_t(fid.size());
    } else {
        const std::uint32_t id = m_texts.intern(fid);
        std::memcpy(r.fid.data(), &id, sizeof id);
        r.fidSize = kLongFid;
    }
    r.rule = m_texts.intern(rule);
    r.target = m_texts.intern(subject.target);
    r.kind = m_texts.intern(subject.kind);
    r.ns = m_texts.intern(subject.namespace_);
    r.name = m_texts.intern(subject.name);
    r.container = m_texts.intern(subject.container);
    r.evidence = m_texts.intern(evidence);
    r.origin = m_texts.intern(origin);
    r.layer = layer;
    r.severity = severity;
    if (!m_ruleText.count(r.rule)) {
        m_ruleOrder.reserve(m_ruleOrder.size() + 1);
        m_ruleText[r.rule].title = title;
        m_ruleOrder.push_back(r.rule);
    }
    if (message.size() > kMaxMessage) {
        std::size_t cut = kMaxMessage;
        while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xc0) == 0x80)
            --cut; // not inside a UTF-8 sequence
        std::string shortened(message.substr(0, cut));
        shortened += " [message cut at 1 MiB]";
        r.messageAt = storeMessage(shortened);
        r.messageSize = std::uint32_t(shortened.size());
    } else {
        r.messageAt = storeMessage(message);
        r.messageSize = std::uint32_t(message.size());
    }
    m_rows.emplace_back() = r;
}

void FindingTable::append(const Finding& f)
{
    std::string evidence;
    appendEvidenceJson(evidence, f.evidence);
    const bool firstOfRule = !m_ruleText.count(m_texts.intern(f.rule));
    append(f.id, f.rule, f.title, f.layer, f.severity, f.subject, f.message, evidence, f.origin);
    if (f.status == FindingStatus::Exempted)
        setExemption(m_rows.size() - 1, f.exemption);
    m_rows.back().status = f.status;
    m_rows.back().scored = f.scored;
    if (firstOfRule) {
        RuleText& t = m_ruleText[m_rows.back().rule];
        t.remediation = f.remediation;
        t.references = f.references;
        t.frameworks = f.frameworks;
    }
}

void FindingTable::appendAll(std::vector<Finding>& findings)
{
    for (const auto& f : findings)
        append(f);
    findings.clear();
}

std::string_view FindingTable::fid(std::size_t i) const
{
    const Row& r = m_rows[i];
    if (r.fidSize == kLongFid) {
        std::uint32_t id = 0;
        std::memcpy(&id, r.fid.data(), sizeof id);
        return m_texts.text(id);
    }
    return { r.fid.data(), r.fidSize };
}

std::string_view FindingTable::message(std::size_t i) const
{
    const Row& r = m_rows[i];
    return { m_blocks[r.messageAt >> 32].bytes.get() + (r.messageAt & 0xffffffffu), r.messageSize };
}

const FindingTable::RuleText& FindingTable::ruleText(std::uint32_t rule) const
{
    static const RuleText none;
    const auto it = m_ruleText.find(rule);
    return it == m_ruleText.end() ? none : it->second;
}

void FindingTable::addEvidence(std::size_t i, const Evidence& evidence)
{
    std::string text(m_texts.text(m_rows[i].evidence));
    if (text.size() < 2 || text.front() != '[' || text.back() != ']')
        text = "[]"; // not evidence JSON (a caller's own text): the entry alone
    std::string entry;
    appendEvidenceJson(entry, { evidence });
    // "[...]" + "[{...}]" -> "[..., {...}]"
    text.pop_back();
    if (text.size() > 1)
        text += ',';
    text.append(entry, 1, std::string::npos);
    m_rows[i].evidence = m_texts.intern(text);
}

void FindingTable::setExemption(std::size_t i, const ExemptionInfo& exemption)
{
    const std::uint32_t id
        = m_texts.intern(dumpJson(nlohmann::json { { "by", exemption.by }, { "reason", exemption.reason } }));
    m_rows[i].exemption = id;
    m_rows[i].status = FindingStatus::Exempted;
}

ExemptionInfo exemptionFromJson(std::string_view json)
{
    const auto j = nlohmann::json::parse(json, nullptr, false);
    return { text(j, "by"), text(j, "reason") };
}

ExemptionInfo FindingTable::exemption(std::size_t i) const
{
    const Row& r = m_rows[i];
    return r.exemption == kNoText ? ExemptionInfo {} : exemptionFromJson(m_texts.text(r.exemption));
}

Finding FindingTable::finding(std::size_t i) const
{
    const Row& r = m_rows[i];
    Finding f;
    f.id = fid(i);
    f.rule = text(r.rule);
    const RuleText& t = ruleText(r.rule);
    f.title = t.title;
    f.layer = r.layer;
    f.severity = r.severity;
    f.status = r.status;
    f.subject = { std::string(text(r.target)), std::string(text(r.kind)), std::string(text(r.ns)),
        std::string(text(r.name)), std::string(text(r.container)) };
    f.message = message(i);
    f.evidence = evidenceFromJson(text(r.evidence));
    f.remediation = t.remediation;
    f.references = t.references;
    f.frameworks = t.frameworks;
    f.origin = text(r.origin);
    f.exemption = exemption(i);
    f.scored = r.scored;
    return f;
}

std::vector<Finding> FindingTable::findings() const
{
    std::vector<Finding> out;
    out.reserve(m_rows.size());
    for (std::size_t i = 0; i < m_rows.size(); ++i)
        out.push_back(finding(i));
    return out;
}

FindingTable::Mark FindingTable::mark() const
{
    return { m_rows.size(), m_blocks.size(), m_blockUsed, m_ruleOrder.size() };
}

void FindingTable::truncate(const Mark& mark)
{
    if (mark.rows >= m_rows.size())
        return;
    m_rows.shrink(mark.rows);
    m_blocks.resize(mark.blocks);
    m_blockUsed = mark.blockUsed;
    for (std::size_t k = mark.rules; k < m_ruleOrder.size(); ++k)
        m_ruleText.erase(m_ruleOrder[k]); // their first finding is gone: the next one gives the texts
    m_ruleOrder.resize(std::min(mark.rules, m_ruleOrder.size()));
    // The pool keeps the texts of dropped rows: the store ranks only the values rows use.
}

std::vector<std::uint32_t> FindingTable::fingerprintOrder() const
{
    const std::size_t n = m_rows.size();
    std::vector<std::pair<std::uint64_t, std::uint32_t>> keys(n);
    for (std::uint32_t i = 0; i < n; ++i)
        keys[i] = { textPrefix(fid(i)), i };
    // Integers first: a fingerprint's first 8 bytes almost always differ.
    std::sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
        if (a.first != b.first)
            return a.first < b.first;
        const int c = fid(a.second).compare(fid(b.second));
        return c != 0 ? c < 0 : a.second < b.second;
    });
    std::vector<std::uint32_t> out(n);
    for (std::size_t k = 0; k < n; ++k)
        out[k] = keys[k].second;
    return out;
}

void FindingTable::removeDuplicates()
{
    const std::vector<std::uint32_t> byFid = fingerprintOrder();
    std::vector<bool> copy(m_rows.size());
    for (std::size_t k = 1; k < byFid.size(); ++k)
        copy[byFid[k]] = fid(byFid[k]) == fid(byFid[k - 1]);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < m_rows.size(); ++i)
        if (!copy[i])
            m_rows[kept++] = m_rows[i];
    m_rows.shrink(kept);
}

} // namespace lg
