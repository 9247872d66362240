import ExchangeAudit
import Synchronization

/// The index entries of committed events that are not yet in LMDB's index databases: topic
/// and inbox entries, references from audit indexes to the records that hold `published`
/// entries, and the audit Merkle tree's new nodes.
///
/// A commit that appends one event would otherwise rewrite a root-to-leaf path in six B-trees
/// (log, topic index, inbox, audit, Merkle nodes, and the main database naming them); with
/// the entries derived from the record (which holds its routes and its audit entry, see
/// ``EventRecord``), it rewrites one. The writer adds each commit's entries here after the
/// commit and moves them into LMDB in sorted bulk once `threshold` events or audit entries
/// accumulate (``IndexTail+Merge.swift``), in the transaction of a batch, together with the new
/// ``IndexMark``. A crash loses nothing: on open the entries after the mark are rebuilt from the
/// log and the audit log (``IndexTail+Recovery.swift``).
///
/// Readers see the tail through a ``View`` taken *before* their read transaction begins, and
/// read LMDB first, then the view for what lies beyond: the view's generation holds every entry
/// committed after its mark, and a merge starts a new generation instead of emptying the old one,
/// so a reader never misses an entry a merge moved while it read. The view's counts cap what it
/// hands out at what was committed when it was taken, which the read transaction sees too.
final class IndexTail: Sendable {
    /// One inbox entry: an event routed to a consumer by an agreement in a version.
    struct InboxItem: Equatable, Sendable {
        var sequence: UInt64
        var agreement: UInt32
        var agreementVersion: UInt32
    }

    /// What one batch adds, kept in its ``BatchContext`` until it commits (and dropped with the
    /// transaction when it does not).
    struct Batch {
        var topics: [(topic: UInt32, sequence: UInt64)] = []
        var inbox: [(consumer: UInt32, item: InboxItem)] = []
        var auditReferences: [(index: UInt64, sequence: UInt64)] = []
        var nodes: [MerkleNodeWrite] = []
        /// Full `audit_filters` keys (``AuditFilterKey``: prefix, then the entry's index).
        var filterKeys = FilterKeyList()
        var events = 0
        var auditEntries = 0

        var isEmpty: Bool { events == 0 && auditEntries == 0 }
    }

    /// The entries committed since one merge, until the next.
    final class Generation: Sendable {
        /// What LMDB held when this generation began.
        let mark: IndexMark
        let entries: Mutex<Entries>

        init(mark: IndexMark) {
            self.mark = mark
            entries = Mutex(Entries(lastSequence: mark.sequence, auditCount: mark.auditCount))
        }
    }

    struct Entries: Sendable {
        var topics: [UInt32: [UInt64]] = [:]
        var inbox: [UInt32: [InboxItem]] = [:]
        var auditReferences: [UInt64: UInt64] = [:]
        var nodes: [MerkleNodeID: Digest] = [:]
        var filterKeys = FilterKeyList()
        /// The last committed sequence and audit count these entries reach.
        var lastSequence: UInt64
        var auditCount: UInt64
        var events = 0
        var auditEntries = 0

        mutating func add(_ batch: Batch) {
            for entry in batch.topics { topics[entry.topic, default: []].append(entry.sequence) }
            for entry in batch.inbox { inbox[entry.consumer, default: []].append(entry.item) }
            for entry in batch.auditReferences { auditReferences[entry.index] = entry.sequence }
            for write in batch.nodes { nodes[write.node] = write.hash }
            filterKeys.append(contentsOf: batch.filterKeys)
            events += batch.events
            auditEntries += batch.auditEntries
        }
    }

    /// The tail as a reader takes it: a generation and what was committed when it was taken.
    struct View {
        let generation: Generation
        /// The last sequence committed when the view was taken; entries past it are not handed out.
        let lastSequence: UInt64
        /// The audit entries committed when the view was taken.
        let auditCount: UInt64

        /// Up to `limit` inbox entries of `consumer` after sequence `after` (exclusive), in order.
        func inbox(_ consumer: UInt32, after: UInt64, limit: Int) -> [InboxItem] {
            guard limit > 0 else { return [] }
            return generation.entries.withLock { entries in
                guard let items = entries.inbox[consumer] else { return [] }
                var low = 0
                var high = items.count
                while low < high {
                    let middle = (low + high) / 2
                    if items[middle].sequence <= after { low = middle + 1 } else { high = middle }
                }
                var result: [InboxItem] = []
                var index = low
                while index < items.count, result.count < limit, items[index].sequence <= lastSequence {
                    result.append(items[index])
                    index += 1
                }
                return result
            }
        }

        /// The last sequence of `consumer`'s inbox entries the view hands out, if the tail holds any.
        func lastInbox(_ consumer: UInt32) -> UInt64? {
            generation.entries.withLock { entries in
                entries.inbox[consumer]?.last { $0.sequence <= lastSequence }?.sequence
            }
        }

        /// The inbox entry of `consumer` for `sequence`, if the tail holds it.
        func inboxItem(_ consumer: UInt32, sequence: UInt64) -> InboxItem? {
            guard sequence <= lastSequence else { return nil }
            return inbox(consumer, after: sequence &- 1, limit: 1).first.flatMap { $0.sequence == sequence ? $0 : nil }
        }

        /// Up to `limit` sequences of `topic` after `after` (exclusive), in order.
        func topic(_ topic: UInt32, after: UInt64, limit: Int) -> [UInt64] {
            guard limit > 0 else { return [] }
            return generation.entries.withLock { entries in
                guard let sequences = entries.topics[topic] else { return [] }
                var low = 0
                var high = sequences.count
                while low < high {
                    let middle = (low + high) / 2
                    if sequences[middle] <= after { low = middle + 1 } else { high = middle }
                }
                var result: [UInt64] = []
                var index = low
                while index < sequences.count, result.count < limit, sequences[index] <= lastSequence {
                    result.append(sequences[index])
                    index += 1
                }
                return result
            }
        }

        /// The sequence of the record holding audit entry `index`, if the tail refers to one.
        func auditReference(_ index: UInt64) -> UInt64? {
            guard index < auditCount else { return nil }
            return generation.entries.withLock { $0.auditReferences[index] }
        }

        /// The indexes of the audit entries the tail's filter keys give for `prefix`
        /// (``AuditFilterKey/prefix``), committed when the view was taken, ascending.
        func filterIndexes(_ prefix: [UInt8]) -> [UInt64] {
            let indexes = generation.entries.withLock { entries in
                let keys = entries.filterKeys
                return (0..<keys.count).compactMap { position -> UInt64? in
                    keys.withKey(position) { key in
                        guard key.count == prefix.count + 8, key.starts(with: prefix) else { return nil }
                        let index = key.bigEndianUInt64(at: prefix.count)
                        return index < auditCount ? index : nil
                    }
                }
            }
            return indexes.sorted()
        }

        /// The hash of a Merkle node the tail holds.
        func node(_ node: MerkleNodeID) -> Digest? {
            generation.entries.withLock { $0.nodes[node] }
        }
    }

    /// Events or audit entries in a generation that start a merge.
    let threshold: Int
    private let generation: Mutex<Generation>

    /// - Parameters:
    ///   - mark: what LMDB holds.
    ///   - threshold: events or audit entries held before a merge.
    init(mark: IndexMark, threshold: Int) {
        self.threshold = max(1, threshold)
        generation = Mutex(Generation(mark: mark))
    }

    /// The tail as of now, for a reader about to begin its read transaction.
    var view: View {
        let current = generation.withLock { $0 }
        return current.entries.withLock { entries in
            View(generation: current, lastSequence: entries.lastSequence, auditCount: entries.auditCount)
        }
    }

    /// The current generation, for the writer.
    var current: Generation { generation.withLock { $0 } }

    /// Whether the current generation with `batch` reaches the threshold.
    func shouldMerge(with batch: Batch) -> Bool {
        let counts = current.entries.withLock { ($0.events, $0.auditEntries) }
        return counts.0 + batch.events >= threshold || counts.1 + batch.auditEntries >= threshold
    }

    /// Whether neither the current generation nor `batch` holds an entry.
    func isEmpty(with batch: Batch) -> Bool {
        batch.isEmpty && current.entries.withLock { $0.events == 0 && $0.auditEntries == 0 }
    }

    /// Records a committed batch: into the current generation, or, when the batch's transaction
    /// merged everything up to `merged`, as a new, empty generation from that mark.
    /// Called by the writer after the commit and before it publishes the commit's counters.
    func didCommit(_ batch: Batch, lastSequence: UInt64, auditCount: UInt64, merged: IndexMark?) {
        if let merged {
            let next = Generation(mark: merged)
            next.entries.withLock {
                $0.lastSequence = lastSequence
                $0.auditCount = auditCount
            }
            generation.withLock { $0 = next }
            return
        }
        current.entries.withLock { entries in
            entries.add(batch)
            entries.lastSequence = lastSequence
            entries.auditCount = auditCount
        }
    }
}

/// How far LMDB's index databases reach: the topic and inbox entries of every event up to
/// `sequence`, and the references and Merkle nodes of every audit entry below `auditCount`.
/// Kept in `meta` (`indexes_merged_through`), written by each merge.
struct IndexMark: Equatable, Sendable {
    var sequence: UInt64
    var auditCount: UInt64

    static let key = Array("indexes_merged_through".utf8)

    var bytes: [UInt8] {
        var key = BigEndianKey(capacity: 16)
        key.append(sequence)
        key.append(auditCount)
        return key.bytes
    }

    init(sequence: UInt64, auditCount: UInt64) {
        self.sequence = sequence
        self.auditCount = auditCount
    }

    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 16 else { return nil }
        sequence = bytes.bigEndianUInt64(at: 0)
        auditCount = bytes.bigEndianUInt64(at: 8)
    }
}
