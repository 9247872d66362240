import ExchangeModel
import LMDB

extension BatchContext {
    /// Writes prepared appends into the batch's transaction. An ``AppendConflict`` (a repeat of a
    /// message id with other content) refuses the whole operation: the loop applies the batch
    /// again without it. Any other error thrown here is an environment error that aborts the
    /// whole batch.
    ///
    /// A conflict with an earlier event of the same operation names no sequence: that event
    /// is refused with the operation, so the sequence it took in this attempt is never stored
    /// (the next attempt gives it to another event). It names both positions instead.
    mutating func apply(_ appends: [PreparedAppend], dedup: DedupCache) throws -> [AppendResult] {
        var results: [AppendResult] = []
        results.reserveCapacity(appends.count)
        let operationStart = state.nextSequence
        // By index, borrowing each element: iterating would copy every append (its arrays and
        // strings retained and released) on the writer thread.
        for index in appends.indices {
            do {
                results.append(try apply(appends[index], dedup: dedup))
            } catch let conflict as AppendConflict {
                guard let original = conflict.originalSequence, original >= operationStart,
                    let position = appends[..<index].firstIndex(where: { $0.source == conflict.publisher && $0.id == conflict.messageID })
                else { throw conflict }
                throw AppendConflict(
                    publisher: conflict.publisher, messageID: conflict.messageID, originalPosition: position - appends.startIndex,
                    position: index - appends.startIndex, differing: conflict.differing)
            }
        }
        return results
    }

    private mutating func apply(_ append: PreparedAppend, dedup: DedupCache) throws -> AppendResult {
        let publisher = try intern(append.source, .department)
        let dedupKey = DedupCache.key(publisher: publisher, id: append.id)
        if let existing = try dedupLookup(dedupKey, cache: dedup) {
            let differing = try differences(from: existing.sequence, append)
            guard differing.isEmpty else {
                throw AppendConflict(publisher: append.source, messageID: append.id, originalSequence: existing.sequence, differing: differing)
            }
            return AppendResult(sequence: existing.sequence, isDuplicate: true, routeCount: Int(existing.routeCount))
        }
        let sequence = try takeSequence()
        let topic = try intern(append.topic, .topic)
        var routeIDs: [(consumer: UInt32, agreement: UInt32)] = []
        routeIDs.reserveCapacity(append.routes.count)
        for route in append.routes {
            let consumer = try intern(route.consumer, .department)
            let agreement = try intern(route.agreement, .agreement)
            routeIDs.append((consumer, agreement))
            tailBatch.inbox.append(
                (consumer, IndexTail.InboxItem(sequence: sequence, agreement: agreement, agreementVersion: route.agreementVersion)))
            routedConsumers.insert(route.consumer)
        }
        tailBatch.topics.append((topic, sequence))
        tailBatch.events += 1
        let auditIndex = try stagePublishedAudit(append.audit, sequence: sequence)
        // The record, then its audit entry: the one B-tree this event writes in its commit.
        let entry = publishedEntry
        var sequenceKey = sequence.bigEndian
        let time = self.time
        try withUnsafeBytes(of: &sequenceKey) { key in
            try txn.put(schema.log, key: key, reserving: append.record.count + entry.count, flags: .append) { target in
                append.record.withUnsafeBytes { target.copyMemory(from: $0) }
                target.storeBytes(of: time.littleEndian, toByteOffset: EventRecord.receivedAtOffset, as: UInt64.self)
                target.storeBytes(of: auditIndex.littleEndian, toByteOffset: EventRecord.auditIndexOffset, as: UInt64.self)
                target.storeBytes(of: UInt32(entry.count).littleEndian, toByteOffset: EventRecord.auditLengthOffset, as: UInt32.self)
                for (position, ids) in routeIDs.enumerated() {
                    let offset = EventRecord.routesOffset + position * EventRecord.routeSize
                    target.storeBytes(of: ids.consumer.littleEndian, toByteOffset: offset, as: UInt32.self)
                    target.storeBytes(of: ids.agreement.littleEndian, toByteOffset: offset + 4, as: UInt32.self)
                }
                entry.withUnsafeBytes {
                    UnsafeMutableRawBufferPointer(rebasing: target[append.record.count...]).copyMemory(from: $0)
                }
            }
        }
        dedup.insert(dedupKey, DedupCache.Entry(sequence: sequence, routeCount: UInt32(append.routes.count)))
        if let input = append.registry {
            try applyRegistry(input, sequence: sequence)
        }
        return AppendResult(sequence: sequence, isDuplicate: false, routeCount: append.routes.count)
    }
}
