#include "store/findinglayout.h"

#include <algorithm>
#include <future>
#include <string_view>

namespace lg {

namespace {

/**
 * Dense rank (1-based, BINARY collation) of one text of each of n rows, text(i) giving row i's: the texts are
 * sorted whole, by a 16-byte prefix first, so most comparisons never read them.
 */
template <class Text> std::vector<std::uint32_t> denseRanks(std::size_t n, Text text)
{
    std::vector<std::uint32_t> of(n);
    struct Key {
        std::uint64_t a, b;
        std::uint32_t i;
    };
    std::vector<Key> keys(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::string_view v = text(i);
        keys[i] = { textPrefix(v), textPrefix(v, 8), i };
    }
    const auto less = [&](const Key& x, const Key& y) {
        if (x.a != y.a)
            return x.a < y.a;
        if (x.b != y.b)
            return x.b < y.b;
        return text(x.i) < text(y.i); // whole texts; "a" and "a\0" share a prefix
    };
    std::sort(keys.begin(), keys.end(), less);
    std::uint32_t rank = 0;
    for (std::size_t k = 0; k < n; ++k) {
        if (k == 0 || less(keys[k - 1], keys[k]))
            ++rank;
        of[keys[k].i] = rank;
    }
    return of;
}

/**
 * Dense rank (1-based, BINARY collation) of the pooled texts one field of the kept rows uses, by pool id
 * (0 for a text no kept row uses in that field). A field has few distinct values (rules, names), so this
 * sorts those, not the rows.
 */
std::vector<std::uint32_t> poolRanks(
    const FindingTable& t, const std::vector<bool>& replaced, std::uint32_t FindingTable::Row::*field)
{
    std::vector<std::uint32_t> rank;
    std::vector<std::uint32_t> used;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (replaced[i])
            continue;
        const std::uint32_t id = t.row(i).*field;
        if (id >= rank.size())
            rank.resize(std::max<std::size_t>(id + 1, rank.size() * 2));
        if (rank[id] == 0) {
            rank[id] = 1;
            used.push_back(id);
        }
    }
    std::sort(used.begin(), used.end(), [&](auto a, auto b) { return t.text(a) < t.text(b); });
    for (std::size_t k = 0; k < used.size(); ++k)
        rank[used[k]] = std::uint32_t(k + 1); // pool texts are distinct: each its own rank
    return rank;
}

/** Layers sort by name in the default order. */
std::array<std::uint64_t, kAllLayers.size()> layersByName()
{
    std::array<std::uint64_t, kAllLayers.size()> layerOrder {};
    std::array<Layer, kAllLayers.size()> byName = kAllLayers;
    std::sort(byName.begin(), byName.end(), [](Layer a, Layer b) { return toString(a) < toString(b); });
    for (std::size_t i = 0; i < byName.size(); ++i)
        layerOrder[std::size_t(byName[i])] = i;
    return layerOrder;
}

/** A row's sort key and its index. */
struct Key {
    std::array<std::uint64_t, 4> k;
    std::uint32_t i;
};

/** Resource rank: dense over (kind, namespace, name, container). `keys` is scratch space of the kept rows' size. */
void rankResources(const FindingTable& t, FindingLayout& out, std::vector<Key>& keys,
    const std::vector<std::uint32_t>& kind, const std::vector<std::uint32_t>& ns,
    const std::vector<std::uint32_t>& name, const std::vector<std::uint32_t>& container)
{
    using Row = FindingTable::Row;
    for (std::size_t p = 0; p < keys.size(); ++p) {
        const Row& r = t.row(out.order[p]);
        keys[p] = { { (std::uint64_t(kind[r.kind]) << 32) | ns[r.ns],
                        (std::uint64_t(name[r.name]) << 32) | container[r.container], 0, 0 },
            std::uint32_t(p) };
    }
    std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return a.k < b.k; });
    std::int64_t rank = 0;
    for (std::size_t p = 0; p < keys.size(); ++p) {
        if (p == 0 || keys[p - 1].k != keys[p].k)
            ++rank;
        out.ranks[keys[p].i][1] = rank;
    }
}

/** Message ranks of the kept rows, dense again (`messageRank` ranks every row). */
void rankMessages(FindingLayout& out, const std::vector<std::uint32_t>& messageRank, std::size_t n)
{
    std::vector<std::uint32_t> used(n + 1);
    for (const std::uint32_t i : out.order)
        used[messageRank[i]] = 1;
    std::uint32_t dense = 0;
    for (auto& u : used)
        u = u ? ++dense : 0;
    for (std::size_t p = 0; p < out.order.size(); ++p)
        out.ranks[p][3] = used[messageRank[out.order[p]]];
}

} // namespace

FindingLayout layOut(const FindingTable& t)
{
    const std::size_t n = t.size();
    FindingLayout out;
    // std::async: its future waits for the thread however this function ends, and rethrows what it threw
    auto messages
        = std::async(std::launch::async, [&] { return denseRanks(n, [&](std::size_t i) { return t.message(i); }); });

    // Fingerprint order; of equal fingerprints only the last is kept.
    const std::vector<std::uint32_t> byFid = t.fingerprintOrder();
    std::vector<std::uint32_t> fidRank(n);
    std::vector<bool> replaced(n);
    out.byFid.reserve(n);
    for (std::size_t k = 0; k < n; ++k) {
        const std::uint32_t i = byFid[k];
        fidRank[i] = std::uint32_t(k);
        if (k + 1 < n && t.fid(byFid[k + 1]) == t.fid(i))
            replaced[i] = true;
        else
            out.byFid.push_back(i);
    }

    using Row = FindingTable::Row;
    const auto rule = poolRanks(t, replaced, &Row::rule);
    const auto target = poolRanks(t, replaced, &Row::target);
    const auto kind = poolRanks(t, replaced, &Row::kind);
    const auto ns = poolRanks(t, replaced, &Row::ns);
    const auto name = poolRanks(t, replaced, &Row::name);
    const auto container = poolRanks(t, replaced, &Row::container);
    const auto layerOrder = layersByName();
    std::vector<Key> keys;
    keys.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        if (replaced[i])
            continue;
        const Row& r = t.row(i);
        keys.push_back({ { (std::uint64_t(r.severity) << 61) | (layerOrder[std::size_t(r.layer)] << 58) | rule[r.rule],
                             (std::uint64_t(target[r.target]) << 32) | ns[r.ns],
                             (std::uint64_t(name[r.name]) << 32) | container[r.container],
                             (std::uint64_t(kind[r.kind]) << 32) | fidRank[i] },
            i });
    }
    std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return a.k < b.k; });
    out.order.resize(keys.size());
    out.ranks.resize(keys.size());
    for (std::size_t p = 0; p < keys.size(); ++p) {
        const Row& r = t.row(keys[p].i);
        out.order[p] = keys[p].i;
        out.ranks[p][0] = rule[r.rule];
        out.ranks[p][2] = target[r.target];
    }
    rankResources(t, out, keys, kind, ns, name, container);
    // Message ranks over every row (a replaced row's message may share its text): dense again over the kept.
    rankMessages(out, messages.get(), n);
    return out;
}

} // namespace lg
