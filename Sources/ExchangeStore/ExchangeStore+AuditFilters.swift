import ExchangeAudit
import ExchangeModel
import Foundation
import LMDB
import Logging

extension ExchangeStore {
    /// Entries read and indexed per transaction while the filter index of an upgraded store is
    /// filled: bounds the memory the fill holds (the entries of one chunk and their keys).
    static let auditFilterBackfillChunk = 4096

    /// Up to `limit` audit entries naming `key`, newest first, from below index `before` (the
    /// log's end when `nil`), read through the filter index in one read transaction: the work is
    /// proportional to the page, not to the log. Entries are those committed when the read began.
    /// A long value is indexed by its digest, so the caller checks each entry against its filter.
    /// - Returns: the entries, with their indexes and leaf hashes.
    public func auditEntryRecords(matching key: AuditFilterKey, before: UInt64?, limit: Int) throws -> [AuditEntryRecord] {
        try auditEntryRecords(matching: key, descending: true, bound: before, limit: limit)
    }

    /// Up to `limit` audit entries naming `key`, oldest first, from index `from` on, read as
    /// ``auditEntryRecords(matching:before:limit:)`` reads them.
    public func auditEntryRecords(matching key: AuditFilterKey, from: UInt64, limit: Int) throws -> [AuditEntryRecord] {
        try auditEntryRecords(matching: key, descending: false, bound: from, limit: limit)
    }

    /// Collects up to `limit` committed entries naming `key`: the index entries merged into
    /// `audit_filters` (a cursor walk from `bound`) and those the index tail's view still holds,
    /// each index once (a merge after the view was taken puts an entry in both).
    private func auditEntryRecords(matching key: AuditFilterKey, descending: Bool, bound: UInt64?, limit: Int) throws -> [AuditEntryRecord] {
        guard limit > 0 else { return [] }
        let prefix = key.prefix
        return try readIndexed { txn, tail in
            let count = tail.auditCount
            let start = descending ? min(bound ?? count, count) : (bound ?? 0)
            var indexes: [UInt64] = []
            try txn.withCursor(schema.auditFilters) { cursor in
                var entry = try cursor.seek(atOrAfter: prefix + BigEndianKey.u64(start))
                if descending { entry = try entry == nil ? cursor.last() : cursor.previous() }
                while let current = entry, indexes.count < limit, current.key.count == prefix.count + 8, current.key.starts(with: prefix) {
                    let index = current.key.bigEndianUInt64(at: prefix.count)
                    // Keys of entries committed after the view was taken are left for a later read.
                    if index < count { indexes.append(index) }
                    entry = try descending ? cursor.previous() : cursor.next()
                }
            }
            let fromTail = tail.filterIndexes(prefix).filter { descending ? $0 < start : $0 >= start }
            var merged = Array(Set(indexes).union(fromTail))
            merged.sort(by: descending ? (>) : (<))
            let nodes = StoredMerkleNodes(transaction: txn.handle, schema: schema, tail: tail)
            var records: [AuditEntryRecord] = []
            records.reserveCapacity(min(limit, merged.count))
            for index in merged.prefix(limit) {
                try visitAuditEntries(from: index, limit: 1, in: txn, tail: tail) { position, entry in
                    records.append(
                        AuditEntryRecord(
                            index: position, entry: Array(entry), leafHash: try nodes.hash(of: MerkleNodeID(level: 0, index: position))))
                }
            }
            return records
        }
    }

    /// The filter index's keys and the bytes of its B-tree's pages: what it costs on disk.
    public func auditFilterStatistics() throws -> (keys: Int, bytes: Int) {
        try read { txn in
            let figures = try txn.statistics(schema.auditFilters)
            return (figures.entries, figures.bytes)
        }
    }

    /// Whether the filter index still lacks entries written before the store's upgrade.
    public var isBackfillingAuditFilters: Bool {
        (try? read { txn in try txn.get(schema.meta, key: StoreSchema.auditFilterBackfillKey) != nil }) ?? false
    }

    /// Fills the filter index of an upgraded store from its audit entries, in chunks of
    /// ``auditFilterBackfillChunk`` entries, each read in a read transaction and written, with
    /// the position reached, by the writer: a crash resumes where the last chunk committed.
    /// Runs once, when the store is opened, before anyone else can write: the entries from the
    /// open's count on are indexed as they are written.
    /// - Returns: the entries indexed (0 when nothing was to do).
    @discardableResult
    func backfillAuditFilters() throws -> UInt64 {
        guard
            let stored = try read({ txn in try txn.get(schema.meta, key: StoredKey.backfill) }),
            stored.count == 8
        else { return 0 }
        var next = stored.withUnsafeBytes { $0.bigEndianUInt64(at: 0) }
        let end = auditCount
        let started = ContinuousClock.now
        logger.notice(
            "store: indexing the audit log for filtered reads (once, after the upgrade)",
            metadata: ["directory": "\(configuration.directory)", "from": "\(next)", "entries": "\(end)"])
        let first = next
        while true {
            var keys: [[UInt8]] = []
            let chunkEnd = min(end, next + UInt64(Self.auditFilterBackfillChunk))
            if next < chunkEnd {
                try readIndexed { txn, tail in
                    try visitAuditEntries(from: next, limit: Int(chunkEnd - next), in: txn, tail: tail) { index, entry in
                        let bytes = Array(entry)
                        for prefix in AuditFilterKey.prefixes(ofCanonical: bytes) { keys.append(prefix + BigEndianKey.u64(index)) }
                    }
                }
            }
            let done = chunkEnd >= end
            let position = chunkEnd
            let schema = self.schema
            try writeSynchronously { context in
                for key in keys { _ = try context.txn.put(schema.auditFilters, key: key, value: []) }
                if done {
                    _ = try context.txn.delete(schema.meta, key: StoredKey.backfill)
                } else {
                    _ = try context.txn.put(schema.meta, key: StoredKey.backfill, value: BigEndianKey.u64(position))
                }
            }
            next = chunkEnd
            if done { break }
        }
        logger.notice(
            "store: audit log indexed for filtered reads",
            metadata: ["directory": "\(configuration.directory)", "entries": "\(end - first)", "took": "\(ContinuousClock.now - started)"])
        return end - first
    }

    /// Queues `body` on the writer and waits for its commit, from a thread that is not the
    /// writer's (the store's opening).
    func writeSynchronously(_ body: @escaping (inout BatchContext) throws -> Void) throws {
        let done = DispatchSemaphore(value: 0)
        let failure = ResultBox<any Error>()
        submit(
            body,
            completion: { error in
                failure.value = error
                done.signal()
            })
        done.wait()
        if let error = failure.value { throw error }
    }

    private enum StoredKey {
        static let backfill = StoreSchema.auditFilterBackfillKey
    }
}
