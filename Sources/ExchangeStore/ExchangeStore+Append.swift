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
    /// - Throws: `StoreError` (`store.full` past the publish limit below the maximum map size,
    ///   `store.closed`), or ``AppendConflict`` for a repeat of the message id with other
    ///   content; nothing is written when it throws.
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
    /// - Parameters:
    ///   - events: the entries, in order.
    ///   - priority: how far into the publish reserve they may go when the store is full:
    ///     ``AuditPriority/essential`` to the maximum size, ``AuditPriority/reads``
    ///     to half the reserve (``StoreMapLimits/readsLimit``).
    /// - Throws: `store.full` when the store is past the limit of `priority`.
    public func appendAudit(_ events: [AuditEvent], priority: AuditPriority) async throws -> [UInt64] {
        try await perform(readsAudit: priority == .reads) { context in
            try events.map { try context.appendAudit($0) }
        }
    }
}
