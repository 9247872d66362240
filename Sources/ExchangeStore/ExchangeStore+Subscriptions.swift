import ExchangeModel
import Foundation
import LMDB

extension ExchangeStore {
    /// Creates or replaces the subscription `record.name`. A new subscription starts at
    /// `position` (the first sequence it will consider); an existing one keeps its position,
    /// pending deliveries and dead letters unless `resetPosition` is set.
    /// - Parameters:
    ///   - record: the definition.
    ///   - position: the start for a new subscription (or a reset one).
    ///   - resetPosition: move an existing subscription to `position` and drop its pending list.
    ///   - actor: who made the change, for the audit entry.
    /// - Returns: `true` when the subscription was created, `false` when it was replaced.
    @discardableResult
    public func putSubscription(_ record: SubscriptionRecord, position: UInt64, resetPosition: Bool, actor: String) async throws -> Bool {
        let encoded = try JSONEncoder().encode(record)
        return try await perform { context in
            let id = try context.intern(record.name, .subscription)
            let key = BigEndianKey.u64(UInt64(id))
            let wasStored = try context.txn.get(self.schema.subscriptions, key: key) != nil
            try context.txn.put(self.schema.subscriptions, key: key, value: Array(encoded))
            if !wasStored || resetPosition {
                try context.txn.put(self.schema.positions, key: key, value: BigEndianKey.u64(position))
                try self.deleteRange(self.schema.pending, prefix: id, &context.txn)
            }
            try context.appendAudit(
                AuditEvent(
                    kind: .subscriptionChanged, actor: actor,
                    fields: [
                        "subscription": .string(record.name), "change": .string(wasStored ? "replaced" : "created"),
                        "filter": .string(record.filter), "owner": .string(record.owner),
                        "position": .integer(Int64(clamping: position)),
                    ]))
            return !wasStored
        }
    }

    /// Deletes a subscription with its position, pending deliveries and dead letters.
    /// - Returns: `false` when there was no such subscription.
    @discardableResult
    public func deleteSubscription(named name: String, actor: String) async throws -> Bool {
        try await perform { context in
            guard let id = context.existingID(name, .subscription) else { return false }
            let key = BigEndianKey.u64(UInt64(id))
            guard try context.txn.delete(self.schema.subscriptions, key: key) else { return false }
            self.subscriptionRecords.forget(id)
            try context.txn.delete(self.schema.positions, key: key)
            try self.deleteRange(self.schema.pending, prefix: id, &context.txn)
            try self.deleteRange(self.schema.deadLetters, prefix: id, &context.txn)
            try context.appendAudit(
                AuditEvent(
                    kind: .subscriptionChanged, actor: actor,
                    fields: ["subscription": .string(name), "change": .string("deleted")]))
            return true
        }
    }

    /// The subscription named `name`, or `nil`.
    public func subscription(named name: String) throws -> SubscriptionRecord? {
        guard let id = names.id(of: name, kind: .subscription) else { return nil }
        let data: [UInt8]? = try read { txn in try txn.get(schema.subscriptions, key: BigEndianKey.u64(UInt64(id))) }
        return try data.map { try subscriptionRecords.record(id, bytes: $0) }
    }

    /// The subscription of id `id` as `txn` sees it, or `nil`.
    func subscription(_ id: UInt32, in txn: borrowing ReadTransaction) throws -> SubscriptionRecord? {
        let data: [UInt8]? = try txn.get(schema.subscriptions, key: BigEndianKey.u64(UInt64(id)))
        return try data.map { try subscriptionRecords.record(id, bytes: $0) }
    }

    /// Every subscription, in creation order.
    public func subscriptions() throws -> [SubscriptionRecord] {
        let encoded: [[UInt8]] = try read { txn in
            try txn.withCursor(schema.subscriptions) { cursor in
                var all: [[UInt8]] = []
                var entry = try cursor.first()
                while let current = entry {
                    all.append(Array(current.value))
                    entry = try cursor.next()
                }
                return all
            }
        }
        let decoder = JSONDecoder()
        return try encoded.map { try decoder.decode(SubscriptionRecord.self, from: Data($0)) }
    }

    /// The next sequence the subscription will consider, or `nil` for an unknown subscription.
    public func position(ofSubscription name: String) throws -> UInt64? {
        guard let id = names.id(of: name, kind: .subscription) else { return nil }
        return try read { txn in try position(ofSubscription: id, in: txn) }
    }

    /// The position of the subscription of id `id` as `txn` sees it, or `nil`.
    func position(ofSubscription id: UInt32, in txn: borrowing ReadTransaction) throws -> UInt64? {
        try BigEndianKey.u64(UInt64(id)).withUnsafeBytes { key in
            try txn.get(schema.positions, key: key).map { $0.bigEndianUInt64(at: 0) }
        }
    }

    /// Applies one delivery round to a subscription in one transaction: deliveries become
    /// pending, the position moves, withdrawn events leave the pending list, exhausted ones move
    /// to the dead-letter list, and the audit entries are written. Bookkeeping: committed after
    /// the other writes queued beside it (see ``GroupCommitLoop``).
    /// - Throws: `store.not_found` for an unknown subscription.
    public func apply(_ update: SubscriptionUpdate, toSubscription name: String) async throws {
        guard !update.isEmpty else { return }
        try await perform(bookkeeping: true) { context in try self.write(update, toSubscription: name, &context) }
    }

    /// Queues a delivery-state change and returns at once; `completion` runs once it committed
    /// (`nil`) or failed, in commit order, where answers run (the store's answer thread, or its
    /// writer for a small batch under light load). Operations queued afterwards (an
    /// acknowledgement of what this change recorded) are applied after it.
    /// - Parameters:
    ///   - update: the change.
    ///   - name: the subscription.
    ///   - completion: must return quickly; it must not block or wait for the store.
    public func apply(_ update: SubscriptionUpdate, toSubscription name: String, completion: @escaping @Sendable ((any Error)?) -> Void) {
        guard !update.isEmpty else {
            completion(nil)
            return
        }
        submit(bookkeeping: true, { context in try self.write(update, toSubscription: name, &context) }, completion: completion)
    }

    private func write(_ update: SubscriptionUpdate, toSubscription name: String, _ context: inout BatchContext) throws {
        let id = try subscriptionID(name, context)
        for delivery in update.deliveries {
            var value = BigEndianKey(capacity: 12)
            value.append(delivery.deliveries)
            value.append(delivery.deadline)
            try context.txn.put(schema.pending, key: BigEndianKey.pair(id, delivery.sequence), value: value.bytes)
        }
        if let position = update.position {
            try context.txn.put(schema.positions, key: BigEndianKey.u64(UInt64(id)), value: BigEndianKey.u64(position))
        }
        for sequence in update.withdrawn {
            try context.txn.delete(schema.pending, key: BigEndianKey.pair(id, sequence))
        }
        for letter in update.deadLettered {
            let key = BigEndianKey.pair(id, letter.sequence)
            guard try context.txn.delete(schema.pending, key: key) else { continue }
            var value = BigEndianKey(capacity: 12)
            value.append(letter.deliveries)
            value.append(context.time)
            try context.txn.put(schema.deadLetters, key: key, value: value.bytes)
            try context.appendAudit(letter.audit)
        }
        for event in update.audit {
            try context.appendAudit(event)
        }
    }

    /// The pending delivery of `sequence`, or `nil`.
    public func pendingDelivery(subscription name: String, sequence: UInt64) throws -> PendingDelivery? {
        guard let id = names.id(of: name, kind: .subscription) else { return nil }
        return try read { txn in
            try BigEndianKey.pair(id, sequence).withUnsafeBytes { key in
                try txn.get(schema.pending, key: key).map {
                    PendingDelivery(sequence: sequence, deliveries: $0.bigEndianUInt32(at: 0), deadline: $0.bigEndianUInt64(at: 4))
                }
            }
        }
    }

    /// Up to `limit` pending deliveries of the subscription in sequence order.
    public func pendingDeliveries(subscription name: String, limit: Int) throws -> [PendingDelivery] {
        guard let id = names.id(of: name, kind: .subscription) else { return [] }
        return try read { txn in try pendingDeliveries(ofSubscription: id, limit: limit, in: txn) }
    }

    /// Up to `limit` pending deliveries of the subscription of id `id`, as `txn` sees them.
    func pendingDeliveries(ofSubscription id: UInt32, limit: Int = .max, in txn: borrowing ReadTransaction) throws -> [PendingDelivery] {
        try txn.withCursor(schema.pending) { cursor in
            var result: [PendingDelivery] = []
            var entry = try cursor.seek(atOrAfter: BigEndianKey.pair(id, 0))
            while result.count < limit, let current = entry, current.key.bigEndianUInt32(at: 0) == id {
                result.append(
                    PendingDelivery(
                        sequence: current.key.bigEndianUInt64(at: 4), deliveries: current.value.bigEndianUInt32(at: 0),
                        deadline: current.value.bigEndianUInt64(at: 4)))
                entry = try cursor.next()
            }
            return result
        }
    }

    /// Acknowledges delivered events: each pending one is removed and a receipt
    /// (`acknowledged`) is written to the audit log in the same transaction. Bookkeeping:
    /// committed after the other writes queued beside it (see ``GroupCommitLoop``), in order
    /// with the delivery records queued before it.
    /// - Parameters:
    ///   - sequences: the events acknowledged.
    ///   - name: the subscription.
    ///   - actor: the acknowledging department.
    /// - Returns: for each sequence, whether it was pending (an ack of anything else is a no-op).
    public func acknowledge(_ sequences: [UInt64], subscription name: String, actor: String) async throws -> [Bool] {
        try await perform(bookkeeping: true) { context in
            let id = try self.subscriptionID(name, context)
            return try sequences.map { sequence in
                guard try context.txn.delete(self.schema.pending, key: BigEndianKey.pair(id, sequence)) else { return false }
                try context.appendAudit(
                    AuditEvent(
                        kind: .acknowledged, actor: actor,
                        fields: ["subscription": .string(name), "sequence": .integer(Int64(clamping: sequence))]))
                return true
            }
        }
    }

    /// Moves a pending event to the subscription's dead-letter list, with an audit entry.
    /// - Returns: `false` when the event was not pending.
    @discardableResult
    public func deadLetter(_ sequence: UInt64, subscription name: String, deliveries: UInt32) async throws -> Bool {
        try await perform { context in
            let id = try self.subscriptionID(name, context)
            let key = BigEndianKey.pair(id, sequence)
            guard try context.txn.delete(self.schema.pending, key: key) else { return false }
            var value = BigEndianKey(capacity: 12)
            value.append(deliveries)
            value.append(context.time)
            try context.txn.put(self.schema.deadLetters, key: key, value: value.bytes)
            try context.appendAudit(
                AuditEvent(
                    kind: .deadLettered, actor: "exchange",
                    fields: [
                        "subscription": .string(name), "sequence": .integer(Int64(clamping: sequence)),
                        "deliveries": .integer(Int64(clamping: deliveries)),
                    ]))
            return true
        }
    }

    /// Up to `limit` of the subscription's dead letters after sequence `after` (exclusive), in
    /// sequence order.
    public func deadLetters(subscription name: String, after: UInt64 = 0, limit: Int = .max) throws -> [DeadLetter] {
        var result: [DeadLetter] = []
        guard limit > 0 else { return result }
        try visitDeadLetters(of: name, after: after) { key, value in
            result.append(DeadLetter(sequence: key.bigEndianUInt64(at: 4), deliveries: value.bigEndianUInt32(at: 0), time: value.bigEndianUInt64(at: 4)))
            return result.count < limit
        }
        return result
    }

    /// How many dead letters the subscription holds, counted in one read without copying them.
    public func deadLetterCount(subscription name: String) throws -> Int {
        var count = 0
        try visitDeadLetters(of: name, after: 0) { _, _ in
            count += 1
            return true
        }
        return count
    }

    /// Visits the subscription's `dead_letters` entries after sequence `after` in one read, in
    /// sequence order, until `body` returns `false`.
    private func visitDeadLetters(
        of name: String, after: UInt64, _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        guard after < UInt64.max, let id = names.id(of: name, kind: .subscription) else { return }
        try read { txn in
            try txn.withCursor(schema.deadLetters) { cursor in
                var entry = try cursor.seek(atOrAfter: BigEndianKey.pair(id, after + 1))
                while let current = entry, current.key.bigEndianUInt32(at: 0) == id, try body(current.key, current.value) {
                    entry = try cursor.next()
                }
            }
        }
    }

    /// Moves dead letters back to pending, due at once with a fresh delivery count.
    /// - Returns: the sequences that were moved.
    public func redrive(_ sequences: [UInt64], subscription name: String, actor: String) async throws -> [UInt64] {
        try await perform { context in
            let id = try self.subscriptionID(name, context)
            var moved: [UInt64] = []
            for sequence in sequences {
                let key = BigEndianKey.pair(id, sequence)
                guard try context.txn.delete(self.schema.deadLetters, key: key) else { continue }
                var value = BigEndianKey(capacity: 12)
                value.append(UInt32(0))
                value.append(context.time)
                try context.txn.put(self.schema.pending, key: key, value: value.bytes)
                moved.append(sequence)
            }
            if !moved.isEmpty {
                try context.appendAudit(
                    AuditEvent(
                        kind: .subscriptionChanged, actor: actor,
                        fields: [
                            "subscription": .string(name), "change": .string("redriven"),
                            "sequences": .list(moved.map { .integer(Int64(clamping: $0)) }),
                        ]))
            }
            return moved
        }
    }

    /// Deletes dead letters for good: they are not delivered again. Audited as
    /// `subscription_changed` with `change: discarded` and the sequences deleted.
    /// - Returns: the sequences that were dead letters and are now gone.
    public func discardDeadLetters(_ sequences: [UInt64], subscription name: String, actor: String) async throws -> [UInt64] {
        try await perform { context in
            let id = try self.subscriptionID(name, context)
            var discarded: [UInt64] = []
            for sequence in sequences where try context.txn.delete(self.schema.deadLetters, key: BigEndianKey.pair(id, sequence)) {
                discarded.append(sequence)
            }
            if !discarded.isEmpty {
                try context.appendAudit(
                    AuditEvent(
                        kind: .subscriptionChanged, actor: actor,
                        fields: [
                            "subscription": .string(name), "change": .string("discarded"),
                            "sequences": .list(discarded.map { .integer(Int64(clamping: $0)) }),
                        ]))
            }
            return discarded
        }
    }

    private func subscriptionID(_ name: String, _ context: borrowing BatchContext) throws -> UInt32 {
        guard let id = context.existingID(name, .subscription),
            try context.txn.get(schema.subscriptions, key: BigEndianKey.u64(UInt64(id))) != nil
        else {
            throw StoreError(code: .notFound, message: "there is no subscription named \(name)")
        }
        return id
    }

    func deleteRange(_ database: Database, prefix: UInt32, _ txn: inout WriteTransaction) throws {
        try txn.withCursor(database) { cursor in
            var entry = try cursor.seek(atOrAfter: BigEndianKey.pair(prefix, 0))
            while let current = entry, current.key.bigEndianUInt32(at: 0) == prefix {
                try cursor.deleteCurrent()
                entry = try cursor.seek(atOrAfter: BigEndianKey.pair(prefix, 0))
            }
        }
    }
}
