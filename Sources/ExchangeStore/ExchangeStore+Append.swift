public import ExchangeModel
import LMDB

extension ExchangeStore {
    /// Appends one event durably and returns after its transaction committed with fsync.
    ///
    /// The same publisher (`envelope.source`) and message id (`envelope.id`) append once: a
    /// repeat, however late, stores nothing and returns the original sequence with
    /// `isDuplicate` set. In the same transaction the store writes the topic index, one inbox
    /// entry per route, the deduplication entry, a `published` audit entry (with the digest of the
    /// event's data under the audit log's hash function) and, when the topic feeds a registry
    /// collection, the registry entry and its indexes.
    /// - Parameter request: the event and its routes.
    /// - Throws: `StoreError` (`store.full` past the maximum map size, `store.closed`);
    ///   nothing is written when it throws.
    public func append(_ request: AppendRequest) async throws -> AppendResult {
        try await submitAppend([PreparedAppend(request, hash: configuration.auditHash)])[0]
    }

    /// Submits events to append atomically (all or none) and returns at once; `completion` gets
    /// one result per request, in order, after the transaction that holds them committed with
    /// fsync, or the error that kept them all out of the store.
    ///
    /// For pipelined publishers that must not spend a suspended task per write in flight.
    /// `completion` runs in commit order on the store's answer thread (or, for a small batch
    /// while that thread is idle, on the writer thread): it must return quickly and must not
    /// block or wait for the store.
    /// - Parameters:
    ///   - requests: the events and their routes, at least one.
    ///   - completion: receives the results, or the error.
    public func append(contentsOf requests: [AppendRequest], completion: @escaping @Sendable (Result<[AppendResult], any Error>) -> Void) {
        guard !requests.isEmpty else {
            completion(.success([]))
            return
        }
        let hash = configuration.auditHash
        let prepared: [PreparedAppend]
        do {
            prepared = try requests.map { try PreparedAppend($0, hash: hash) }
        } catch {
            completion(.failure(error))
            return
        }
        submitAppend(prepared, .callback(completion))
    }

    /// Appends several events atomically: all of them are stored, or none.
    /// - Parameter requests: the events, in order; duplicates among them are stored once.
    /// - Returns: one result per request, in order.
    public func append(contentsOf requests: [AppendRequest]) async throws -> [AppendResult] {
        guard !requests.isEmpty else { return [] }
        let hash = configuration.auditHash
        return try await submitAppend(requests.map { try PreparedAppend($0, hash: hash) })
    }

    /// Appends audit entries that record something other than a publish (a refusal, a query),
    /// durably, and returns their indexes.
    public func appendAudit(_ events: [AuditEvent]) async throws -> [UInt64] {
        try await perform { context in
            try events.map { try context.appendAudit($0) }
        }
    }

    /// Writes prepared appends into the batch's transaction. Checks come before writes, so an
    /// error thrown here is an environment error that aborts the whole batch.
    func applyAppend(_ appends: [PreparedAppend], _ context: inout BatchContext) throws -> [AppendResult] {
        var results: [AppendResult] = []
        results.reserveCapacity(appends.count)
        // By index, borrowing each element: iterating would copy every append (its arrays and
        // strings retained and released) on the writer thread.
        for index in appends.indices {
            results.append(try applyAppend(appends[index], &context))
        }
        return results
    }

    private func applyAppend(_ append: PreparedAppend, _ context: inout BatchContext) throws -> AppendResult {
        let publisher = try context.intern(append.source, .department)
        let dedupKey = DedupCache.key(publisher: publisher, id: append.id)
        if let existing = try context.dedupLookup(dedupKey, cache: dedupCache) {
            return AppendResult(sequence: existing.sequence, isDuplicate: true, routeCount: Int(existing.routeCount))
        }
        let sequence = try context.takeSequence()
        var sequenceKey = sequence.bigEndian
        let time = context.time
        try withUnsafeBytes(of: &sequenceKey) { key in
            try context.txn.put(schema.log, key: key, reserving: append.record.count, flags: .append) { target in
                append.record.withUnsafeBytes { target.copyMemory(from: $0) }
                target.storeBytes(of: time.littleEndian, toByteOffset: EventRecord.receivedAtOffset, as: UInt64.self)
            }
        }

        let topic = try context.intern(append.topic, .topic)
        try context.txn.put(schema.topicIndex, key: BigEndianKey.pair(topic, sequence), value: [])
        for route in append.routes {
            let consumer = try context.intern(route.consumer, .department)
            let agreement = try context.intern(route.agreement, .agreement)
            var value = BigEndianKey(capacity: 8)
            value.append(agreement)
            value.append(route.agreementVersion)
            try context.txn.put(schema.inbox, key: BigEndianKey.pair(consumer, sequence), value: value.bytes)
            context.routedConsumers.insert(route.consumer)
        }
        dedupCache.insert(dedupKey, DedupCache.Entry(sequence: sequence, routeCount: UInt32(append.routes.count)))
        try context.appendAudit(append.audit, sequence: sequence)
        if let input = append.registry {
            try context.applyRegistry(input, sequence: sequence)
        }
        return AppendResult(sequence: sequence, isDuplicate: false, routeCount: append.routes.count)
    }
}
