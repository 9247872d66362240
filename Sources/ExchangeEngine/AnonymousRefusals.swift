public import ExchangeModel
import Synchronization

/// Refusals of requests that named no identity, counted per source address and written as one
/// audit entry per source and interval.
///
/// Anyone who can open a connection can be refused, so an entry per refusal would let an
/// anonymous client grow the permanent, tamper-evident log at will. Instead each interval
/// (``Configuration/interval``) yields at most ``Configuration/maxSources`` entries, one per
/// source in the order sources were first seen, each with the count and the first refusal's
/// method, path (cut to ``AuditEvent/maxClientTextBytes``), status and code, and at most one more
/// entry that counts the refusals of every further source together. The log therefore grows by
/// at most `maxSources + 1` entries per interval, whatever anonymous clients do.
///
/// The same aggregate, keyed by actor (``Key/actor``), holds refusals that a principal can
/// cause as often as it likes without doing anything wrong: bulk reads refused with 503
/// `replay.busy`. Its entries name the actor and are `rejected` entries.
public final class AnonymousRefusals: Sendable {
    /// What refusals are counted by.
    public enum Key: Sendable {
        /// The peer's address: refusals of requests that named no identity.
        case source
        /// The authenticated principal's name.
        case actor
    }

    /// How refusals are aggregated. Every field has a documented default.
    public struct Configuration: Sendable, Equatable {
        /// The length of one aggregation interval, in seconds. Default 60.
        public var intervalSeconds: Int
        /// Sources with their own entry per interval. Default 32.
        public var maxSources: Int

        /// Creates a configuration; defaults as documented on each property.
        public init(intervalSeconds: Int = 60, maxSources: Int = 32) {
            self.intervalSeconds = intervalSeconds
            self.maxSources = maxSources
        }
    }

    /// One source's refusals in the current interval.
    struct Tally {
        var count: Int
        let first: RequestRefusal
        let firstTime: UInt64
    }

    struct State {
        var sources: [String: Tally] = [:]
        var order: [String] = []
        var otherCount = 0
        var otherSources: Set<String> = []
    }

    /// The configuration in force.
    public let configuration: Configuration
    /// What refusals are counted by.
    public let key: Key
    private let state = Mutex(State())

    /// Creates an empty aggregate.
    /// - Parameters:
    ///   - configuration: the interval and the most keys with an entry of their own.
    ///   - key: what refusals are counted by; the peer's address unless told.
    public init(configuration: Configuration = .init(), key: Key = .source) {
        self.configuration = configuration
        self.key = key
    }

    /// Counts one refusal of its source (or actor, see ``key``) at `time` (ns since the Unix epoch).
    public func record(_ refusal: RequestRefusal, at time: UInt64) {
        let key =
            switch self.key {
            case .source: refusal.source
            case .actor: refusal.actor ?? "anonymous"
            }
        state.withLock { state in
            if state.sources[key] != nil {
                state.sources[key]!.count += 1
            } else if state.order.count < configuration.maxSources {
                state.sources[key] = Tally(count: 1, first: refusal, firstTime: time)
                state.order.append(key)
            } else {
                state.otherCount += 1
                // Counted up to a bound, so that many sources cannot grow this set either.
                if state.otherSources.count < 100_000 { state.otherSources.insert(key) }
            }
        }
    }

    /// Refusals counted and not yet drained.
    public var pendingCount: Int {
        state.withLock { state in state.sources.values.reduce(state.otherCount) { $0 + $1.count } }
    }

    /// The audit entries of the refusals counted since the last drain (oldest source first), and
    /// an empty aggregate for the next interval.
    public func drain() -> [AuditEvent] {
        let taken = state.withLock { state in
            let taken = state
            state = State()
            return taken
        }
        var events: [AuditEvent] = []
        events.reserveCapacity(taken.order.count + 1)
        for source in taken.order {
            guard let tally = taken.sources[source] else { continue }
            var fields: [String: AuditValue] = [
                "source": .string(AuditEvent.bounded(tally.first.source)), "count": .integer(Int64(tally.count)),
                "method": .string(AuditEvent.bounded(tally.first.method)), "path": .string(AuditEvent.bounded(tally.first.path)),
                "status": .integer(Int64(clamping: tally.first.status)), "code": .string(AuditEvent.bounded(tally.first.code)),
                "first_time": .string(RFC3339.format(nanoseconds: tally.firstTime)),
                "interval_seconds": .integer(Int64(configuration.intervalSeconds)),
            ]
            if let detail = tally.first.detail { fields["reason"] = .string(AuditEvent.bounded(detail)) }
            if let role = tally.first.role { fields["role"] = .string(role) }
            // Anonymous refusals are all `access_denied`, as they always were.
            let kind: AuditEvent.Kind = key == .source || tally.first.status == 401 || tally.first.status == 403 ? .accessDenied : .rejected
            events.append(AuditEvent(kind: kind, actor: tally.first.actor.map { AuditEvent.bounded($0) } ?? "anonymous", fields: fields))
        }
        if taken.otherCount > 0 {
            events.append(
                AuditEvent(
                    kind: key == .source ? .accessDenied : .rejected, actor: key == .source ? "anonymous" : "other",
                    fields: [
                        "source": "other", "count": .integer(Int64(taken.otherCount)),
                        key == .source ? "sources" : "actors": .integer(Int64(taken.otherSources.count)),
                        "interval_seconds": .integer(Int64(configuration.intervalSeconds)),
                    ]))
        }
        return events
    }
}
