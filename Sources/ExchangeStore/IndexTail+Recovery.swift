import ExchangeAudit
import LMDB

extension IndexTail {
    /// What opening the store recovers: the tail, and the writer's counters and Merkle frontier.
    struct Recovered {
        var tail: IndexTail
        var lastSequence: UInt64
        var auditCount: UInt64
        var frontier: MerkleFrontier
    }

    /// Rebuilds the entries committed after the stored ``IndexMark`` from the log (the topic,
    /// routes and audit entry each record holds) and the audit log (the entries written beside
    /// events), recomputing the Merkle nodes of every audit entry after the mark from its bytes.
    /// - Throws: `StoreError.corruptRecord` when the mark is missing, or a record or an entry
    ///   after it is.
    static func recover(
        _ txn: borrowing WriteTransaction, schema: StoreSchema, names: NameTable, tree: MerkleTree, threshold: Int
    ) throws -> Recovered {
        guard let mark = try txn.get(schema.meta, key: IndexMark.key).flatMap({ bytes in bytes.withUnsafeBytes { IndexMark($0) } }) else {
            throw StoreError.corruptRecord("the store has no \(String(decoding: IndexMark.key, as: UTF8.self)) mark")
        }
        var batch = Batch()
        var lastSequence = mark.sequence
        var auditCount = mark.auditCount
        try txn.withCursor(schema.log) { cursor in
            var entry = try cursor.seek(atOrAfter: BigEndianKey.u64(mark.sequence + 1))
            while let current = entry {
                let sequence = current.key.bigEndianUInt64(at: 0)
                let view = EventView(sequence: sequence, record: current.value)
                var reader = RecordReader(current.value)
                let header = try reader.readHeader()
                guard let auditIndex = header.auditIndex else {
                    throw StoreError.corruptRecord("event \(sequence), after the indexes' mark, has a record without its audit entry")
                }
                // Audit indexes rise with sequences, from the mark on.
                guard auditIndex >= auditCount, auditIndex < UInt64.max else {
                    throw StoreError.corruptRecord("event \(sequence) names audit entry \(auditIndex), out of order after \(auditCount)")
                }
                let topic = try view.topic()
                guard let topicID = names.id(of: topic, kind: .topic) else {
                    throw StoreError.corruptRecord("event \(sequence) names topic \(topic), which the store never interned")
                }
                batch.topics.append((topicID, sequence))
                for position in 0..<Int(header.routeCount) {
                    let route = header.route(position)
                    batch.inbox.append((route.consumer, InboxItem(sequence: sequence, agreement: route.agreement, agreementVersion: route.version)))
                }
                batch.auditReferences.append((auditIndex, sequence))
                batch.events += 1
                lastSequence = sequence
                auditCount = max(auditCount, auditIndex + 1)
                entry = try cursor.next()
            }
        }
        let lastWritten = try txn.withCursor(schema.audit) { cursor in
            try cursor.last().map { $0.key.bigEndianUInt64(at: 0) + 1 } ?? 0
        }
        auditCount = max(auditCount, lastWritten)

        let references = Dictionary(batch.auditReferences.map { ($0.index, $0.sequence) }, uniquingKeysWith: { first, _ in first })
        var frontier = try MerkleFrontier.load(
            treeSize: mark.auditCount, nodes: StoredMerkleNodes(transaction: txn.handle, schema: schema, tail: nil))
        for index in mark.auditCount..<auditCount {
            let leafHash: Digest
            let entryBytes: [UInt8]
            if let sequence = references[index] {
                entryBytes = try BigEndianKey.u64(sequence).withUnsafeBytes { key in
                    guard let record = try txn.get(schema.log, key: key),
                        let embedded = try EventView(sequence: sequence, record: record).embeddedAudit()
                    else { throw StoreError.corruptRecord("audit entry \(index) refers to event \(sequence), which holds no entry") }
                    return Array(embedded.entry)
                }
            } else {
                entryBytes = try BigEndianKey.u64(index).withUnsafeBytes { key in
                    guard let value = try txn.get(schema.audit, key: key), auditReference(in: value) == nil else {
                        throw StoreError.corruptRecord("audit entry \(index) is missing")
                    }
                    return Array(value)
                }
            }
            leafHash = try tree.leafHash(entryBytes)
            // The entry's filter keys, as the writer derived them.
            for prefix in AuditFilterKey.prefixes(ofCanonical: entryBytes) { batch.filterKeys.append(prefix: prefix, index: index) }
            let writes = try tree.appendWrites(leafHash: leafHash, treeSize: index, nodes: frontier)
            batch.nodes.append(contentsOf: writes)
            frontier.record(writes)
            batch.auditEntries += 1
        }
        let tail = IndexTail(mark: mark, threshold: threshold)
        tail.didCommit(batch, lastSequence: lastSequence, auditCount: auditCount, merged: nil)
        return Recovered(tail: tail, lastSequence: lastSequence, auditCount: auditCount, frontier: frontier)
    }
}
