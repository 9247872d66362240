import LMDB

extension ExchangeStore {
    /// The progress of at most `limit` subscriptions, in creation order, from one read
    /// transaction: per subscription its position, the last sequence in its owner's inbox (one
    /// B-tree seek and the index tail's last entry), its pending count and the receive time of
    /// its oldest pending event (one record read). The pending entries are walked, at most
    /// `max_in_flight` of them (plus any redriven); the log and the inboxes are not scanned.
    /// - Parameter limit: the most subscriptions to report.
    public func subscriptionProgress(limit: Int = .max) throws -> [SubscriptionProgress] {
        try readIndexed { txn, tail in
            let subscriptions: [(id: UInt32, record: SubscriptionRecord)] = try txn.withCursor(schema.subscriptions) { cursor in
                var all: [(UInt32, SubscriptionRecord)] = []
                var entry = try cursor.first()
                while let current = entry, all.count < limit {
                    let id = UInt32(truncatingIfNeeded: current.key.bigEndianUInt64(at: 0))
                    all.append((id, try subscriptionRecords.record(id, bytes: Array(current.value))))
                    entry = try cursor.next()
                }
                return all
            }
            var heads: [String: UInt64] = [:]
            var result: [SubscriptionProgress] = []
            result.reserveCapacity(subscriptions.count)
            for (id, record) in subscriptions {
                let head: UInt64
                if let known = heads[record.owner] {
                    head = known
                } else {
                    head = try inboxHead(record.owner, in: txn, tail: tail)
                    heads[record.owner] = head
                }
                let (pending, oldest) = try txn.withCursor(schema.pending) { cursor -> (Int, UInt64?) in
                    var count = 0
                    var oldest: UInt64?
                    var entry = try cursor.seek(atOrAfter: BigEndianKey.pair(id, 0))
                    while let current = entry, current.key.bigEndianUInt32(at: 0) == id {
                        if oldest == nil { oldest = current.key.bigEndianUInt64(at: 4) }
                        count += 1
                        entry = try cursor.next()
                    }
                    return (count, oldest)
                }
                var receivedAt: UInt64?
                if let oldest {
                    receivedAt = try BigEndianKey.u64(oldest).withUnsafeBytes { key in
                        try txn.get(schema.log, key: key).map { EventView(sequence: oldest, record: $0).receivedAt }
                    }
                }
                result.append(
                    SubscriptionProgress(
                        name: record.name, owner: record.owner, position: try position(ofSubscription: id, in: txn) ?? 1,
                        inboxHead: head, pending: pending, oldestPendingReceivedAt: receivedAt))
            }
            return result
        }
    }

    /// The last sequence in `department`'s inbox: the later of the index tail's last entry and
    /// the inbox database's last key for the department; 0 when it has none.
    func inboxHead(_ department: String, in txn: borrowing ReadTransaction, tail: IndexTail.View) throws -> UInt64 {
        guard let consumerID = names.id(of: department, kind: .department) else { return 0 }
        if let last = tail.lastInbox(consumerID) { return last }
        return try txn.withCursor(schema.inbox) { cursor in
            let after = consumerID == .max ? nil : try cursor.seek(atOrAfter: BigEndianKey.pair(consumerID + 1, 0))
            let candidate = after == nil ? try cursor.last() : try cursor.previous()
            guard let entry = candidate, entry.key.bigEndianUInt32(at: 0) == consumerID else { return 0 }
            return entry.key.bigEndianUInt64(at: 4)
        }
    }
}
