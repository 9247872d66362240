import ExchangeAudit
import LMDB
import Synchronization

extension IndexTail {
    /// The value `audit` holds for an entry kept in its event's record: a zero byte (an entry
    /// itself begins with `{`), then the event's big-endian sequence.
    static func auditReferenceValue(_ sequence: UInt64) -> [UInt8] {
        var value: [UInt8] = [0]
        withUnsafeBytes(of: sequence.bigEndian) { value.append(contentsOf: $0) }
        return value
    }

    /// The sequence an `audit` value refers to, or `nil` when the value is the entry itself.
    static func auditReference(in value: UnsafeRawBufferPointer) -> UInt64? {
        guard value.count == 9, value[0] == 0 else { return nil }
        return value.bigEndianUInt64(at: 1)
    }

    /// Writes the current generation's entries and `batch`'s into LMDB inside `txn`, each
    /// database's keys in order, and records `mark` as how far the indexes now reach.
    /// - Returns: the events and audit entries merged.
    func merge(_ batch: Batch, through mark: IndexMark, txn: inout WriteTransaction, schema: StoreSchema) throws -> Int {
        var entries = current.entries.withLock { $0 }
        entries.add(batch)
        // One key buffer, rewritten in place for every put: a merge is tens of thousands of them.
        var key = [UInt8](repeating: 0, count: 12)
        var value = [UInt8](repeating: 0, count: 9)
        func put(_ database: Database, keyCount: Int, valueCount: Int, flags: PutFlags = []) throws {
            try key.withUnsafeBytes { keyBytes in
                try value.withUnsafeBytes { valueBytes in
                    _ = try txn.put(
                        database, key: UnsafeRawBufferPointer(rebasing: keyBytes[..<keyCount]),
                        value: UnsafeRawBufferPointer(rebasing: valueBytes[..<valueCount]), flags: flags)
                }
            }
        }
        func store(_ integer: UInt64, at offset: Int, in buffer: inout [UInt8]) {
            buffer.withUnsafeMutableBytes { $0.storeBytes(of: integer.bigEndian, toByteOffset: offset, as: UInt64.self) }
        }
        func store(_ integer: UInt32, at offset: Int, in buffer: inout [UInt8]) {
            buffer.withUnsafeMutableBytes { $0.storeBytes(of: integer.bigEndian, toByteOffset: offset, as: UInt32.self) }
        }
        for topic in entries.topics.keys.sorted() {
            store(topic, at: 0, in: &key)
            for sequence in entries.topics[topic]! {
                store(sequence, at: 4, in: &key)
                try put(schema.topicIndex, keyCount: 12, valueCount: 0)
            }
            try TopicCounts.add([topic: UInt64(entries.topics[topic]!.count)], txn: &txn, meta: schema.meta)
        }
        for consumer in entries.inbox.keys.sorted() {
            store(consumer, at: 0, in: &key)
            for item in entries.inbox[consumer]! {
                store(item.sequence, at: 4, in: &key)
                store(item.agreement, at: 0, in: &value)
                store(item.agreementVersion, at: 4, in: &value)
                try put(schema.inbox, keyCount: 12, valueCount: 8)
            }
        }
        value[0] = 0
        for index in entries.auditReferences.keys.sorted() {
            store(index, at: 0, in: &key)
            store(entries.auditReferences[index]!, at: 1, in: &value)
            try put(schema.audit, keyCount: 8, valueCount: 9)
        }
        // Every node of the tail ends after every merged one: appended at the end, in key order
        // (``MerkleNodeID/appendOrderKey``: last leaf, then level).
        let nodes = entries.nodes.sorted { ($0.key.lastLeaf, $0.key.level) < ($1.key.lastLeaf, $1.key.level) }
        for (node, hash) in nodes {
            store(node.lastLeaf, at: 0, in: &key)
            key[8] = UInt8(node.level)
            try hash.withUnsafeBytes { hash in
                try key.withUnsafeBytes { keyBytes in
                    _ = try txn.put(schema.auditTree, key: UnsafeRawBufferPointer(rebasing: keyBytes[..<9]), value: hash, flags: .append)
                }
            }
        }
        let filterKeys = entries.filterKeys
        try value.withUnsafeBytes { buffer in
            let empty = UnsafeRawBufferPointer(rebasing: buffer[..<0])
            for position in filterKeys.lmdbOrder() {
                try filterKeys.withKey(position) { key in _ = try txn.put(schema.auditFilters, key: key, value: empty) }
            }
        }
        try AgreementRouteCounts.add(AgreementRouteCounts.tally(entries.inbox), txn: &txn, meta: schema.meta)
        try txn.put(schema.meta, key: IndexMark.key, value: mark.bytes)
        return entries.events + entries.auditEntries
    }
}
