import ExchangeModel
import Foundation
import LMDB

/// The deduplication entries of events not yet merged into the on-disk `dedup` index.
///
/// A B-tree keyed by publisher and message id takes one scattered page write per new entry,
/// which dominates the cost of a durable append. Entries are therefore kept here, keyed by the
/// same bytes, and merged into the index in sorted order once `threshold` accumulate, in the
/// same transaction as a batch; `meta/dedup_merged_through` records the last sequence merged.
/// When the store opens, the entries after that sequence are rebuilt from the log, so a crash
/// loses none.
///
/// A batch inserts its entries here as it applies them (one hash look-up each); they are
/// `pending` until the batch commits, and ``rollback()`` removes them when its transaction is
/// abandoned. Only the writer thread touches this object after the store opened.
final class DedupCache: @unchecked Sendable {
    struct Entry {
        var sequence: UInt64
        var routeCount: UInt32
    }

    /// Publisher id (big-endian) and message id: the `dedup` index key, hashed once (with the
    /// process's seeded hasher, as message ids come from publishers) when it is made.
    struct Key: Hashable {
        let bytes: [UInt8]
        private let hash: Int
        /// The first eight bytes as a big-endian integer (zeros past a shorter key): orders most
        /// pairs of keys without reading their arrays.
        private let prefix: UInt64

        init(bytes: [UInt8]) {
            self.bytes = bytes
            var hasher = Hasher()
            var prefix: UInt64 = 0
            bytes.withUnsafeBytes { raw in
                hasher.combine(bytes: raw)
                for index in 0..<8 {
                    prefix = prefix << 8 | UInt64(index < raw.count ? raw[index] : 0)
                }
            }
            hash = hasher.finalize()
            self.prefix = prefix
        }

        static func == (lhs: Key, rhs: Key) -> Bool { lhs.hash == rhs.hash && lhs.bytes == rhs.bytes }

        func hash(into hasher: inout Hasher) {
            hasher.combine(hash)
        }

        /// The `dedup` index's order: bytewise, as LMDB compares keys. Differing prefixes decide
        /// as the bytes would (zero padding sorts a shorter key first unless its next bytes are
        /// zeros, and then the bytes decide).
        static func precedes(_ lhs: Key, _ rhs: Key) -> Bool {
            if lhs.prefix != rhs.prefix { return lhs.prefix < rhs.prefix }
            return lhs.bytes.withUnsafeBytes { left in
                rhs.bytes.withUnsafeBytes { right in
                    let common = min(left.count, right.count)
                    let order = common == 0 ? 0 : memcmp(left.baseAddress!, right.baseAddress!, common)
                    return order != 0 ? order < 0 : left.count < right.count
                }
            }
        }
    }

    static let mergedThroughKey = Array("dedup_merged_through".utf8)

    private(set) var recent: [Key: Entry] = [:]
    /// Keys inserted by the batch being applied, not yet committed.
    private var pending: [Key] = []
    let threshold: Int

    init(threshold: Int) {
        self.threshold = threshold
    }

    func lookup(_ key: Key) -> Entry? {
        recent[key]
    }

    /// Adds an entry of the batch being applied; it stays pending until ``didCommit(merged:)``.
    func insert(_ key: Key, _ entry: Entry) {
        recent[key] = entry
        pending.append(key)
    }

    /// Removes the pending entries: their transaction was abandoned.
    func rollback() {
        for key in pending { recent.removeValue(forKey: key) }
        pending.removeAll(keepingCapacity: true)
    }

    /// Keeps the pending entries: their batch committed. After a merge, the index holds them all.
    func didCommit(merged: Bool) {
        pending.removeAll(keepingCapacity: true)
        if merged { recent.removeAll(keepingCapacity: true) }
    }

    /// Whether the entries held (pending ones included) reach the merge threshold.
    var shouldMerge: Bool {
        recent.count >= threshold
    }

    /// Writes every held entry into the index, sorted, and records `through`.
    ///
    /// An entry whose key LMDB would refuse (a message id over the key limit, which only a
    /// store written before ids were bounded can hold) is left out: it stays recognised until
    /// the merge, and is not recognised after it, instead of failing every merge and with it
    /// every later batch.
    /// - Returns: how many entries were left out.
    @discardableResult
    func merge(through: UInt64, txn: inout WriteTransaction, schema: StoreSchema) throws -> Int {
        var skipped = 0
        for (key, entry) in recent.sorted(by: { Key.precedes($0.key, $1.key) }) {
            guard key.bytes.count <= InputBounds.maxKeyBytes else {
                skipped += 1
                continue
            }
            try txn.put(schema.dedup, key: key.bytes, value: Self.encode(entry))
        }
        try txn.put(schema.meta, key: Self.mergedThroughKey, value: BigEndianKey.u64(through))
        return skipped
    }

    /// Rebuilds the entries of events after the last merge from the log.
    func rebuild(_ txn: borrowing WriteTransaction, schema: StoreSchema, names: NameTable) throws {
        let mergedThrough = try txn.get(schema.meta, key: Self.mergedThroughKey).map { bytes in
            bytes.withUnsafeBytes { $0.bigEndianUInt64(at: 0) }
        } ?? 0
        try txn.withCursor(schema.log) { cursor in
            var entry = try cursor.seek(atOrAfter: BigEndianKey.u64(mergedThrough + 1))
            while let current = entry {
                let identity = try EventRecord.identity(current.value)
                guard let publisher = names.id(of: identity.source, kind: .department) else {
                    throw StoreError.corruptRecord("event \(current.key.bigEndianUInt64(at: 0)) names an unknown publisher")
                }
                recent[Self.key(publisher: publisher, id: identity.id)] = Entry(
                    sequence: current.key.bigEndianUInt64(at: 0), routeCount: identity.routeCount)
                entry = try cursor.next()
            }
        }
    }

    static func key(publisher: UInt32, id: String) -> Key {
        var key = BigEndianKey(capacity: 4 + id.utf8.count)
        key.append(publisher)
        key.append(id)
        return Key(bytes: key.bytes)
    }

    static func encode(_ entry: Entry) -> [UInt8] {
        var value = BigEndianKey(capacity: 12)
        value.append(entry.sequence)
        value.append(entry.routeCount)
        return value.bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) -> Entry? {
        guard bytes.count == 12 else { return nil }
        return Entry(sequence: bytes.bigEndianUInt64(at: 0), routeCount: bytes.bigEndianUInt32(at: 8))
    }
}
