import ExchangeModel
import LMDB

extension BatchContext {
    /// Writes prepared appends into the batch's transaction. Checks come before writes, so an
    /// error thrown here is an environment error that aborts the whole batch.
    mutating func apply(_ appends: [PreparedAppend], dedup: DedupCache) throws -> [AppendResult] {
        var results: [AppendResult] = []
        results.reserveCapacity(appends.count)
        // By index, borrowing each element: iterating would copy every append (its arrays and
        // strings retained and released) on the writer thread.
        for index in appends.indices {
            results.append(try apply(appends[index], dedup: dedup))
        }
        return results
    }

    private mutating func apply(_ append: PreparedAppend, dedup: DedupCache) throws -> AppendResult {
        let publisher = try intern(append.source, .department)
        let dedupKey = DedupCache.key(publisher: publisher, id: append.id)
        if let existing = try dedupLookup(dedupKey, cache: dedup) {
            return AppendResult(sequence: existing.sequence, isDuplicate: true, routeCount: Int(existing.routeCount))
        }
        let sequence = try takeSequence()
        var sequenceKey = sequence.bigEndian
        let time = self.time
        try withUnsafeBytes(of: &sequenceKey) { key in
            try txn.put(schema.log, key: key, reserving: append.record.count, flags: .append) { target in
                append.record.withUnsafeBytes { target.copyMemory(from: $0) }
                target.storeBytes(of: time.littleEndian, toByteOffset: EventRecord.receivedAtOffset, as: UInt64.self)
            }
        }

        let topic = try intern(append.topic, .topic)
        try txn.put(schema.topicIndex, key: BigEndianKey.pair(topic, sequence), value: [])
        for route in append.routes {
            let consumer = try intern(route.consumer, .department)
            let agreement = try intern(route.agreement, .agreement)
            var value = BigEndianKey(capacity: 8)
            value.append(agreement)
            value.append(route.agreementVersion)
            try txn.put(schema.inbox, key: BigEndianKey.pair(consumer, sequence), value: value.bytes)
            routedConsumers.insert(route.consumer)
        }
        dedup.insert(dedupKey, DedupCache.Entry(sequence: sequence, routeCount: UInt32(append.routes.count)))
        try appendAudit(append.audit, sequence: sequence)
        if let input = append.registry {
            try applyRegistry(input, sequence: sequence)
        }
        return AppendResult(sequence: sequence, isDuplicate: false, routeCount: append.routes.count)
    }
}
