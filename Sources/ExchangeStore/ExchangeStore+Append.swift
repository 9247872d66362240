public import ExchangeModel
import LMDB

extension ExchangeStore {
    /// Appends one event durably and returns after its transaction committed with fsync.
    ///
    /// The same publisher (`envelope.source`) and message id (`envelope.id`) append once: a
    /// repeat, however late, stores nothing and returns the original sequence with
    /// `isDuplicate` set. In the same transaction the store writes the topic index, one inbox
    /// entry per route, the deduplication entry and a `published` audit entry.
    /// - Parameter request: the event and its routes.
    /// - Throws: `StoreError` (`store.full` past the maximum map size, `store.closed`,
    ///   `store.invalid_request`); nothing is written when it throws.
    public func append(_ request: AppendRequest) async throws -> AppendResult {
        try await submitAppend([request])[0]
    }

    /// Appends several events atomically: all of them are stored, or none.
    /// - Parameter requests: the events, in order; duplicates among them are stored once.
    /// - Returns: one result per request, in order.
    public func append(contentsOf requests: [AppendRequest]) async throws -> [AppendResult] {
        guard !requests.isEmpty else { return [] }
        return try await submitAppend(requests)
    }

    /// Appends audit entries that record something other than a publish (a refusal, a query),
    /// durably, and returns their indexes.
    public func appendAudit(_ events: [AuditEvent]) async throws -> [UInt64] {
        try await perform { context in
            try events.map { try context.appendAudit($0) }
        }
    }

    /// Writes `requests` into the batch's transaction. Checks come before writes, so an error
    /// thrown here is an environment error that aborts the whole batch.
    func applyAppend(_ requests: [AppendRequest], _ context: inout BatchContext) throws -> [AppendResult] {
        var results: [AppendResult] = []
        results.reserveCapacity(requests.count)
        for request in requests {
            results.append(try applyAppend(request, &context))
        }
        return results
    }

    private func applyAppend(_ request: AppendRequest, _ context: inout BatchContext) throws -> AppendResult {
        let envelope = request.envelope
        let publisher = try context.intern(envelope.source, .department)
        var dedupKey = BigEndianKey(capacity: 4 + envelope.id.utf8.count)
        dedupKey.append(publisher)
        dedupKey.append(envelope.id)
        if let existing = try dedupKey.bytes.withUnsafeBytes({ try context.txn.get(schema.dedup, key: $0) }),
            existing.count == 12
        {
            return AppendResult(
                sequence: existing.bigEndianUInt64(at: 0), isDuplicate: true,
                routeCount: Int(existing.bigEndianUInt32(at: 8)))
        }
        let sequence = try context.takeSequence()
        let sequenceKey = BigEndianKey.u64(sequence)

        context.record.reset()
        EventRecord.encode(envelope, receivedAt: context.time, into: &context.record)
        try sequenceKey.withUnsafeBytes { key in
            try context.record.bytes.withUnsafeBytes { value in
                _ = try context.txn.put(schema.log, key: key, value: value, flags: .append)
            }
        }

        let topic = try context.intern(envelope.topic, .topic)
        try context.txn.put(schema.topicIndex, key: BigEndianKey.pair(topic, sequence), value: [])

        var routeValue = BigEndianKey(capacity: 8)
        var auditRoutes: [AuditValue] = []
        auditRoutes.reserveCapacity(request.routes.count)
        for route in request.routes {
            let consumer = try context.intern(route.consumer, .department)
            let agreement = try context.intern(route.agreement, .agreement)
            routeValue = BigEndianKey(capacity: 8)
            routeValue.append(agreement)
            routeValue.append(route.agreementVersion)
            try context.txn.put(schema.inbox, key: BigEndianKey.pair(consumer, sequence), value: routeValue.bytes)
            auditRoutes.append(
                .object([
                    "consumer": .string(route.consumer), "agreement": .string(route.agreement),
                    "agreement_version": .integer(Int64(route.agreementVersion)),
                ]))
        }

        var dedupValue = BigEndianKey(capacity: 12)
        dedupValue.append(sequence)
        dedupValue.append(UInt32(request.routes.count))
        try context.txn.put(schema.dedup, key: dedupKey.bytes, value: dedupValue.bytes)

        var fields: [String: AuditValue] = [
            "sequence": .integer(Int64(sequence)),
            "topic": .string(envelope.topic),
            "message_id": .string(envelope.id),
            "type": .string(envelope.type),
            "routes": .list(auditRoutes),
        ]
        if let subject = envelope.subject { fields["subject"] = .string(subject) }
        try context.appendAudit(AuditEvent(kind: .published, actor: envelope.source, fields: fields))
        return AppendResult(sequence: sequence, isDuplicate: false, routeCount: request.routes.count)
    }
}
