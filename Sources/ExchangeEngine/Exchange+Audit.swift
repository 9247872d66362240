public import ExchangeModel
public import ExchangeStore
import Logging

extension Exchange {
    /// Appends entries to the audit log and returns once they are committed: the one way the
    /// exchange writes an audit entry of its own (refusals, reads of the log, replays, registry
    /// queries, agreement loads, token changes). Entries that belong to a change of state
    /// (`published`, deliveries, receipts) are written by the store in that change's transaction.
    /// - Parameters:
    ///   - events: the entries, in order.
    ///   - priority: ``AuditPriority/reads`` for the entries of reads and refusals, which may use
    ///     only half the store's publish reserve when it is full.
    /// - Returns: the entries' indexes in the log.
    /// - Throws: ``ExchangeError`` with the store's error when they could not be written.
    @discardableResult
    public func audit(_ events: [AuditEvent], priority: AuditPriority = .essential) async throws(ExchangeError) -> [UInt64] {
        do {
            return try await store.appendAudit(events, priority: priority)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Appends entries as ``audit(_:)`` does, logging a failure instead of throwing it: for
    /// entries whose loss must not change the answer to what caused them (a refusal is still
    /// refused, an agreement load still applied).
    /// - Parameters:
    ///   - events: the entries, in order.
    ///   - purpose: what the entries record, for the log message (`a refusal`, `an agreement load`).
    public func auditLoggingFailure(_ events: [AuditEvent], purpose: String, priority: AuditPriority = .essential) async {
        do {
            try await audit(events, priority: priority)
        } catch {
            logger.error("could not audit \(purpose)", metadata: ["error": "\(error)"])
        }
    }

    /// Audits a read of the audit log (`audit_read`: the actor, the endpoint and the query,
    /// bounded) and returns once the entry is committed, before anything is read.
    /// - Parameters:
    ///   - actor: the auditor or admin reading.
    ///   - endpoint: the path read.
    ///   - query: the request's query.
    public func auditRead(actor: String, endpoint: String, query: String) async throws(ExchangeError) {
        try await audit(
            [
                AuditEvent(
                    kind: .auditRead, actor: actor,
                    fields: ["endpoint": .string(AuditEvent.bounded(endpoint)), "query": .string(AuditEvent.bounded(query))])
            ], priority: .reads)
    }
}
