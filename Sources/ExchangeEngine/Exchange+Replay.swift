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

/// One event of a replay, as ``Exchange/replayRecords(_:scope:actor:encode:flush:)`` hands it out.
public enum ReplayItem {
    /// An event that goes out whole, straight from its stored record, under `agreement` (empty,
    /// version 0, in an auditor's replay). The view is valid only during the call.
    case record(EventView, agreement: String, agreementVersion: Int)
    /// An event whose agreement inspects or limits its data: decoded, rechecked and projected.
    case delivered(DeliveredEvent)
}

/// A replay whose `replayed` audit entry is committed: where its scan starts. Made only by
/// ``Exchange/beginReplay(_:scope:actor:)``, so no replay streams unaudited.
public struct ReplayStart: Sendable {
    /// The first sequence to scan; `nil` when nothing is in range.
    let position: UInt64?
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
        var chunk: [DeliveredEvent] = []
        return try await replayRecords(query, scope: scope, actor: actor) { item in
            switch item {
            case .record(let view, let agreement, let agreementVersion):
                let stored = try view.decode()
                chunk.append(
                    DeliveredEvent(
                        sequence: stored.sequence, receivedAt: stored.receivedAt, envelope: stored.envelope, agreement: agreement,
                        agreementVersion: agreementVersion, deliveryCount: 0))
            case .delivered(let event):
                chunk.append(event)
            }
        } flush: {
            guard !chunk.isEmpty else { return }
            try await emit(chunk)
            chunk.removeAll(keepingCapacity: true)
        }
    }

    /// Streams what `scope` is entitled to, in log order, without building an `Envelope` for
    /// events that go out whole: `encode` gets each event inside a short read transaction (it
    /// must not keep a record view), and after each chunk `flush` is awaited (it may suspend for
    /// backpressure, or throw to stop). A department's events are those routed to it, each
    /// rechecked against the agreement in force as on delivery; events withheld now are left
    /// out. Audited like ``replay(_:scope:actor:emit:)``, whose output this matches event for
    /// event.
    /// - Returns: the number of events encoded.
    @discardableResult
    public func replayRecords(
        _ query: ReplayQuery, scope: ReplayScope, actor: String, encode: (ReplayItem) throws -> Void,
        flush: () async throws -> Void
    ) async throws -> Int {
        let start = try await beginReplay(query, scope: scope, actor: actor)
        return try await replayRecords(query, scope: scope, from: start, encode: encode, flush: flush)
    }

    /// Streams a replay that ``beginReplay(_:scope:actor:)`` audited, as
    /// ``replayRecords(_:scope:actor:encode:flush:)`` does. For callers that must know the
    /// replay's audit entry committed before they answer (the HTTP replay sends its status line
    /// only after: a full store is answered 507, not a 200 cut short).
    /// - Returns: the number of events encoded.
    @discardableResult
    public func replayRecords(
        _ query: ReplayQuery, scope: ReplayScope, from start: ReplayStart, encode: (ReplayItem) throws -> Void,
        flush: () async throws -> Void
    ) async throws -> Int {
        guard var position = start.position else { return 0 }
        let limit = query.limit ?? .max
        let chunkSize = configuration.replayChunkSize
        let set = agreements.current
        let now = Date()
        // A department's events mostly share publisher, topic and agreement: the last check is
        // reused while they do, without reading the two names into strings.
        var lastCheck: (agreement: String, version: UInt32, source: [UInt8], topic: [UInt8], result: Result<Route?, WithholdReason>)?
        var emitted = 0
        while emitted < limit {
            var visited = 0
            var encoded = 0
            var reachedEnd = false
            /// Whether to go on after `view`: false past `until` or once `limit` events are out.
            func visit(_ view: EventView, _ entry: InboxEntry?) throws -> Bool {
                visited += 1
                if let until = query.until, view.receivedAt > until {
                    reachedEnd = true
                    return false
                }
                guard let entry, case .department(let department) = scope else {
                    if let topic = query.topic, !topic.matches(name: try view.topic()) { return true }
                    try encode(.record(view, agreement: "", agreementVersion: 0))
                    encoded += 1
                    return encoded + emitted < limit
                }
                let runs = try view.publisherAndTopicRuns()
                if let pattern = query.topic, !pattern.matches(name: String(decoding: runs.topic, as: UTF8.self)) { return true }
                let result: Result<Route?, WithholdReason>
                if let last = lastCheck, last.version == entry.agreementVersion, last.agreement == entry.agreement,
                    runs.source.elementsEqual(last.source), runs.topic.elementsEqual(last.topic)
                {
                    result = last.result
                } else {
                    let route = Route(consumer: department, agreementID: entry.agreement, agreementVersion: Int(entry.agreementVersion))
                    result = set.recheckWithoutData(
                        route, source: String(decoding: runs.source, as: UTF8.self), topic: String(decoding: runs.topic, as: UTF8.self), at: now)
                    lastCheck = (entry.agreement, entry.agreementVersion, Array(runs.source), Array(runs.topic), result)
                }
                switch result {
                case .failure:
                    return true
                case .success(let current?):
                    try encode(.record(view, agreement: current.agreementID, agreementVersion: current.agreementVersion))
                case .success(nil):
                    guard case .deliver(let event) = prepare(try view.decode(), entry, for: department, set: set, at: now, count: 0) else {
                        return true
                    }
                    try encode(.delivered(event))
                }
                encoded += 1
                return encoded + emitted < limit
            }
            switch scope {
            case .everything:
                position = try store.scanLog(from: position, limit: chunkSize) { view in try visit(view, nil) }
            case .department(let department):
                position = try store.scanInbox(consumer: department.rawValue, from: position, limit: chunkSize) { entry, view in
                    try visit(view, entry)
                }
            }
            if visited < chunkSize { reachedEnd = true }
            // After every chunk, also one that matched nothing: `flush` is where a bulk read
            // yields to live work, and a scan that matches nothing must yield too.
            try await flush()
            if encoded > 0 {
                emitted += encoded
                metrics.replayed.increment(by: encoded)
            }
            if reachedEnd { break }
        }
        return emitted
    }

    /// Audits a replay (its `replayed` entry committed before this returns) and finds where it
    /// starts.
    /// - Throws: `ExchangeError` with the store's error (such as `store.full`) when the entry
    ///   cannot be written, or `reads.rate_limited` when `actor` reads faster than
    ///   `audit.read_limit` allows: nothing may then be replayed.
    public func beginReplay(_ query: ReplayQuery, scope: ReplayScope, actor: String) async throws -> ReplayStart {
        ReplayStart(position: try await auditReplay(query, scope: scope, actor: actor))
    }

    /// Audits a replay and finds where it starts; `nil` when nothing is in range.
    private func auditReplay(_ query: ReplayQuery, scope: ReplayScope, actor: String) async throws -> UInt64? {
        var fields: [String: AuditValue] = ["from_sequence": .integer(Int64(clamping: query.fromSequence))]
        if let topic = query.topic { fields["topic"] = .string(topic.description) }
        if let fromTime = query.fromTime { fields["from_time"] = .string(RFC3339.format(nanoseconds: fromTime)) }
        if let until = query.until { fields["until"] = .string(RFC3339.format(nanoseconds: until)) }
        switch scope {
        case .department(let department): fields["scope"] = .string(department.rawValue)
        case .everything: fields["scope"] = "everything"
        }
        try await auditAnsweredRead(AuditEvent(kind: .replayed, actor: actor, fields: fields))

        var position = query.fromSequence
        if let fromTime = query.fromTime {
            guard let first = try store.firstSequence(receivedAtOrAfter: fromTime) else { return nil }
            position = Swift.max(position, first)
        }
        return position
    }
}
