public import ExchangeModel
import ExchangeRouting
public import ExchangeStore
import CoreMetrics
import Foundation

/// What to replay.
public struct ReplayQuery: Hashable, Sendable {
    /// Only events whose topic matches; `nil` for all.
    public var topic: TopicPattern?
    /// The first sequence to consider. Default 1.
    public var fromSequence: UInt64
    /// Only events received at or after this time (ns since the Unix epoch).
    public var fromTime: UInt64?
    /// Only events received at or before this time (ns since the Unix epoch).
    public var until: UInt64?
    /// The most events to return; `nil` for no limit.
    public var limit: Int?

    /// Creates a query; by default everything from the first sequence.
    public init(topic: TopicPattern? = nil, fromSequence: UInt64 = 1, fromTime: UInt64? = nil, until: UInt64? = nil, limit: Int? = nil) {
        self.topic = topic
        self.fromSequence = fromSequence
        self.fromTime = fromTime
        self.until = until
        self.limit = limit
    }
}

/// Whose view a replay takes.
public enum ReplayScope: Hashable, Sendable {
    /// What was routed to this department, re-checked and projected as on delivery.
    case department(DepartmentID)
    /// Every event, whole (auditors).
    case everything
}

extension Exchange {
    /// Streams back what `scope` is entitled to, in log order, in chunks of bounded size: the
    /// memory used does not grow with the range. Subscriptions are not touched. The replay is
    /// audited (who, what range) before the first event is sent.
    /// - Parameters:
    ///   - query: topic, sequence and time bounds.
    ///   - scope: a department's view or everything.
    ///   - actor: who asked, for the audit entry.
    ///   - emit: receives each chunk; it may suspend (backpressure) or throw to stop.
    /// - Returns: the number of events emitted.
    @discardableResult
    public func replay(
        _ query: ReplayQuery, scope: ReplayScope, actor: String, emit: ([DeliveredEvent]) async throws -> Void
    ) async throws -> Int {
        guard case .department(let department) = scope else {
            // Whole events: the record scan, each record decoded into a chunk.
            var chunk: [DeliveredEvent] = []
            return try await replayRecords(query, actor: actor) { view in
                let stored = try view.decode()
                chunk.append(
                    DeliveredEvent(
                        sequence: stored.sequence, receivedAt: stored.receivedAt, envelope: stored.envelope, agreement: "",
                        agreementVersion: 0, deliveryCount: 0))
            } flush: {
                try await emit(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        guard var position = try await beginReplay(query, scope: scope, actor: actor) else { return 0 }
        let limit = query.limit ?? .max
        let chunkSize = configuration.replayChunkSize
        var emitted = 0
        let set = agreements.current
        let now = Date()
        while emitted < limit {
            var chunk: [DeliveredEvent] = []
            var reachedEnd = false
            let entries = try store.inboxEvents(consumer: department.rawValue, from: position, limit: chunkSize)
            if entries.count < chunkSize { reachedEnd = true }
            for (entry, stored) in entries {
                position = entry.sequence + 1
                if let until = query.until, stored.receivedAt > until {
                    reachedEnd = true
                    break
                }
                if let topic = query.topic, !topic.matches(name: stored.envelope.topic) { continue }
                if case .deliver(var event) = prepare(stored, entry, for: department, set: set, at: now, count: 0) {
                    event.deliveryCount = 0
                    chunk.append(event)
                    if chunk.count + emitted >= limit { break }
                }
            }
            if !chunk.isEmpty {
                try await emit(chunk)
                emitted += chunk.count
                metrics.replayed.increment(by: chunk.count)
            }
            if reachedEnd { break }
        }
        return emitted
    }

    /// Streams every event in range, whole (the auditors' view, ``ReplayScope/everything``),
    /// without building an `Envelope` per event: `encode` gets each matching event's record view
    /// inside a short read transaction (it must not keep it), and after each chunk `flush` is
    /// awaited (it may suspend for backpressure, or throw to stop). Audited like
    /// ``replay(_:scope:actor:emit:)``, whose output this matches event for event.
    /// - Returns: the number of events encoded.
    @discardableResult
    public func replayRecords(
        _ query: ReplayQuery, actor: String, encode: (EventView) throws -> Void, flush: () async throws -> Void
    ) async throws -> Int {
        guard var position = try await beginReplay(query, scope: .everything, actor: actor) else { return 0 }
        let limit = query.limit ?? .max
        let chunkSize = configuration.replayChunkSize
        var emitted = 0
        while emitted < limit {
            var visited = 0
            var encoded = 0
            var reachedEnd = false
            position = try store.scanLog(from: position, limit: chunkSize) { view in
                visited += 1
                if let until = query.until, view.receivedAt > until {
                    reachedEnd = true
                    return false
                }
                if let topic = query.topic, !topic.matches(name: try view.topic()) { return true }
                try encode(view)
                encoded += 1
                return encoded + emitted < limit
            }
            if visited < chunkSize { reachedEnd = true }
            if encoded > 0 {
                try await flush()
                emitted += encoded
                metrics.replayed.increment(by: encoded)
            }
            if reachedEnd { break }
        }
        return emitted
    }

    /// Audits a replay and finds where it starts; `nil` when nothing is in range.
    private func beginReplay(_ query: ReplayQuery, scope: ReplayScope, actor: String) async throws -> UInt64? {
        var fields: [String: AuditValue] = ["from_sequence": .integer(Int64(query.fromSequence))]
        if let topic = query.topic { fields["topic"] = .string(topic.description) }
        if let fromTime = query.fromTime { fields["from_time"] = .string(RFC3339.format(nanoseconds: fromTime)) }
        if let until = query.until { fields["until"] = .string(RFC3339.format(nanoseconds: until)) }
        switch scope {
        case .department(let department): fields["scope"] = .string(department.rawValue)
        case .everything: fields["scope"] = "everything"
        }
        do {
            _ = try await store.appendAudit([AuditEvent(kind: .replayed, actor: actor, fields: fields)])
        } catch {
            throw Self.mapped(error)
        }

        var position = query.fromSequence
        if let fromTime = query.fromTime {
            guard let first = try store.firstSequence(receivedAtOrAfter: fromTime) else { return nil }
            position = Swift.max(position, first)
        }
        return position
    }
}
