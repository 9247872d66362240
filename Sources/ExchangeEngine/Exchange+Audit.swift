import CoreMetrics
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
    /// - Throws: ``ExchangeError/Code/readsLimited`` when `actor` reads faster than
    ///   `audit.read_limit` allows (nothing is written), or the store's error.
    public func auditRead(actor: String, endpoint: String, query: String) async throws(ExchangeError) {
        try await auditAnsweredRead(
            AuditEvent(
                kind: .auditRead, actor: actor,
                fields: ["endpoint": .string(AuditEvent.bounded(endpoint)), "query": .string(AuditEvent.bounded(query))]))
    }

    /// Writes the entry of an answered read (a read of the log, a console sign-in) once its
    /// actor's read budget admits it (``admitRead(actor:)``), and returns once it is committed.
    /// - Parameter event: the entry; its `actor` is the principal reading.
    /// - Throws: ``ExchangeError/Code/readsLimited`` (nothing is written), or the store's error.
    public func auditAnsweredRead(_ event: AuditEvent) async throws(ExchangeError) {
        try admitRead(actor: event.actor)
        try await audit([event], priority: .reads)
    }

    /// Takes one read of `actor`'s budget (`audit.read_limit`, ``ReadRateLimit``): the one check
    /// every audited read passes before it reads or writes anything, so that no principal grows
    /// the audit log at its request rate by reading.
    /// - Parameter actor: the principal reading.
    /// - Throws: ``ExchangeError/Code/readsLimited``, with ``ExchangeError/retryAfter``, counted
    ///   in `exchange_reads_limited_total`.
    public func admitRead(actor: String) throws(ExchangeError) {
        guard let wait = readLimit.take(actor) else { return }
        metrics.readsLimited.increment()
        let limit = readLimit.configuration
        var error = ExchangeError(
            .readsLimited,
            "\(actor) reads faster than the exchange audits reads for one principal (audit.read_limit: \(JSONNumber(limit.perSecond).text) a second, "
                + "bursts of \(limit.burst)); nothing was read; try again after Retry-After")
        error.retryAfter = wait
        throw error
    }
}
