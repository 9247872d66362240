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
        for topic in entries.topics.keys.sorted() {
            for sequence in entries.topics[topic]! {
                try txn.put(schema.topicIndex, key: BigEndianKey.pair(topic, sequence), value: [])
            }
        }
        for consumer in entries.inbox.keys.sorted() {
            for item in entries.inbox[consumer]! {
                var value = BigEndianKey(capacity: 8)
                value.append(item.agreement)
                value.append(item.agreementVersion)
                try txn.put(schema.inbox, key: BigEndianKey.pair(consumer, item.sequence), value: value.bytes)
            }
        }
        for index in entries.auditReferences.keys.sorted() {
            try txn.put(schema.audit, key: BigEndianKey.u64(index), value: Self.auditReferenceValue(entries.auditReferences[index]!))
        }
        // Every node of the tail ends after every merged one: appended at the end, in key order.
        let nodes = entries.nodes.map { (key: $0.key.appendOrderKey, hash: $0.value) }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        for node in nodes {
            try node.hash.withUnsafeBytes { hash in
                try node.key.withUnsafeBytes { key in
                    _ = try txn.put(schema.auditTree, key: key, value: hash, flags: .append)
                }
            }
        }
        try txn.put(schema.meta, key: IndexMark.key, value: mark.bytes)
        return entries.events + entries.auditEntries
    }
}
