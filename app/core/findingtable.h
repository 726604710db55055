#pragma once

#include "core/model.h"

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lg {

/** Each distinct text once; ids are dense, in order of first use. */
class TextPool {
public:
    std::uint32_t intern(std::string_view text);
    [[nodiscard]] std::string_view text(std::uint32_t id) const { return m_texts[id]; }
    [[nodiscard]] std::size_t size() const { return m_texts.size(); }

private:
    std::deque<std::string> m_texts; // a deque: the index's views stay valid as it grows
    std::unordered_map<std::string_view, std::uint32_t> m_index;
};

/** Evidence as the cache stores it: `[{"path":..,"value":..},..]` (invalid UTF-8 replaced). */
void appendEvidenceJson(std::string& out, const std::vector<Evidence>& evidence);
/** Evidence back from that JSON; text that is not such an array gives none. */
[[nodiscard]] std::vector<Evidence> evidenceFromJson(std::string_view json);
/** An exemption as the cache stores it: {"by": ..., "reason": ...}. */
[[nodiscard]] ExemptionInfo exemptionFromJson(std::string_view json);

/**
 * The findings of a scan in compact form. Only the fingerprint and the message differ from finding to
 * finding; every other text (rule, target, kind, namespace, name, container, origin, and the evidence
 * JSON, which repeats across the pods a rule fails on) is kept once per distinct value. A 50,000-pod scan's
 * ~600,000 findings take ~80 bytes each plus their message, instead of ~1 KB as Finding objects.
 *
 * Rows are appended; a failed source's rows are taken back with truncate(). Fingerprints are at most 32
 * bytes (fingerprint() gives 32); longer ones are kept in the pool.
 */
class FindingTable {
public:
    struct Row {
        std::array<char, 32> fid {}; ///< zero-padded; when fidSize is kLongFid, the pool id of the fingerprint
        std::uint64_t messageAt = 0; ///< block << 32 | offset in m_blocks
        std::uint32_t messageSize = 0;
        std::uint32_t rule = 0, target = 0, kind = 0, ns = 0, name = 0, container = 0, evidence = 0, origin = 0;
        std::uint32_t exemption = kNoText; ///< pool id of the exemption's JSON ({"by","reason"}) when exempted
        std::uint8_t fidSize = 0;
        Layer layer = Layer::Orchestrator;
        Severity severity = Severity::Medium;
        FindingStatus status = FindingStatus::Open;
        bool scored = true; ///< false for coverage rules (Rule::coverage): shown and counted, never in a score
    };
    static constexpr std::uint8_t kLongFid = 0xff;
    static constexpr std::uint32_t kNoText = 0xffffffffu;
    /** A longer message is cut (at a character boundary) and says so: the cache binds texts as int sizes. */
    static constexpr std::size_t kMaxMessage = std::size_t(1) << 20;

    /** A rule's title and texts as its first finding gave them (imported findings carry their own). */
    struct RuleText {
        std::string title;
        std::vector<RemediationStep> remediation;
        std::vector<std::string> references;
        std::vector<std::string> frameworks;
    };

    FindingTable();
    ~FindingTable();
    FindingTable(FindingTable&&) noexcept;
    FindingTable& operator=(FindingTable&&) noexcept;

    void append(const Finding& finding);
    /** Appends every finding of `findings`, then clears it. */
    void appendAll(std::vector<Finding>& findings);
    /**
     * Appends one finding from its parts (what RuleEngine::record has at hand); `evidence` is the JSON
     * appendEvidenceJson writes. `title` is kept for the rule's first finding only.
     */
    void append(std::string_view fid, std::string_view rule, std::string_view title, Layer layer, Severity severity,
        const Subject& subject, std::string_view message, std::string_view evidence, std::string_view origin);

    [[nodiscard]] std::size_t size() const { return m_rows.size(); }
    [[nodiscard]] bool empty() const { return m_rows.empty(); }
    [[nodiscard]] const Row& row(std::size_t i) const { return m_rows[i]; }
    [[nodiscard]] std::string_view fid(std::size_t i) const;
    [[nodiscard]] std::string_view text(std::uint32_t id) const { return m_texts.text(id); }
    /** How many distinct texts the rows' pool ids range over. */
    [[nodiscard]] std::size_t poolSize() const { return m_texts.size(); }
    [[nodiscard]] std::string_view message(std::size_t i) const;
    [[nodiscard]] const RuleText& ruleText(std::uint32_t rule) const;
    void setStatus(std::size_t i, FindingStatus status) { m_rows[i].status = status; }
    /** Marks a finding exempted, with who or what exempted it and why. */
    void setExemption(std::size_t i, const ExemptionInfo& exemption);
    /** The exemption of an exempted finding (empty otherwise). */
    [[nodiscard]] ExemptionInfo exemption(std::size_t i) const;
    void setScored(std::size_t i, bool scored) { m_rows[i].scored = scored; }
    /** Adds one evidence entry to a finding. */
    void addEvidence(std::size_t i, const Evidence& evidence);

    /** The finding of row i as a Finding; remediation, references and frameworks as its rule's first finding had. */
    [[nodiscard]] Finding finding(std::size_t i) const;
    [[nodiscard]] std::vector<Finding> findings() const;

    /** Where the table ends now: truncate(mark) drops every row appended since, and their rules' texts. */
    struct Mark {
        std::size_t rows = 0;
        std::size_t blocks = 0;
        std::size_t blockUsed = 0;
        std::size_t rules = 0;
    };
    [[nodiscard]] Mark mark() const;
    void truncate(const Mark& mark);

    /** Row indices in fingerprint order (BINARY collation); rows with equal fingerprints keep their order. */
    [[nodiscard]] std::vector<std::uint32_t> fingerprintOrder() const;
    /** Keeps the first row of each fingerprint, the rest keep their order. */
    void removeDuplicates();

private:
    std::uint64_t storeMessage(std::string_view message);

    TextPool m_texts;
    /**
     * Rows in chunks of 65,536: growing never copies them, so a large scan's table never holds a second copy
     * of its rows while it grows (a vector would, ~130 MB at 600,000 findings).
     */
    class Rows {
    public:
        [[nodiscard]] std::size_t size() const { return m_size; }
        [[nodiscard]] bool empty() const { return m_size == 0; }
        Row& operator[](std::size_t i) { return m_chunks[i >> kShift][i & (kChunk - 1)]; }
        const Row& operator[](std::size_t i) const { return m_chunks[i >> kShift][i & (kChunk - 1)]; }
        Row& back() { return (*this)[m_size - 1]; }
        Row& emplace_back();
        /** Shrinks to n rows (never grows). */
        void shrink(std::size_t n);

    private:
        static constexpr std::size_t kShift = 16;
        static constexpr std::size_t kChunk = std::size_t(1) << kShift;
        std::vector<std::unique_ptr<Row[]>> m_chunks;
        std::size_t m_size = 0;
    };
    Rows m_rows;
    /** Messages, in blocks: growth never copies them, and a block is freed whole by truncate(). */
    struct Block {
        std::unique_ptr<char[]> bytes;
        std::size_t size = 0;
    };
    std::vector<Block> m_blocks;
    std::size_t m_blockUsed = 0; ///< bytes used in the last block
    std::map<std::uint32_t, RuleText> m_ruleText;
    std::vector<std::uint32_t> m_ruleOrder; ///< m_ruleText's keys in the order they came (for truncate)
};

} // namespace lg
