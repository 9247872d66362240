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
///
/// Keyed by principal with a burst (``Key/principal(burst:)``, `audit.principal_refusals`), it
/// bounds every other refusal of an identified caller: the first `burst` refusals of each
/// principal in an interval are left to the caller to write one entry each, as before; the rest
/// are counted into one summary entry per principal and interval that also lists the codes and
/// the endpoints refused (see ``maxListed``).
public final class AnonymousRefusals: Sendable {
    /// What refusals are counted by.
    public enum Key: Sendable, Equatable {
        /// The peer's address: refusals of requests that named no identity.
        case source
        /// The authenticated principal's name.
        case actor
        /// The authenticated principal's name, after the first `burst` refusals of each
        /// principal per interval, which ``AnonymousRefusals/record(_:at:)`` leaves to the
        /// caller; the summary entries list the codes and endpoints refused.
        case principal(burst: Int)
    }

    /// The most distinct codes, and distinct endpoints (method and path), a summary entry
    /// lists; refusals with others are counted in `codes_unlisted` and `endpoints_unlisted`.
    public static let maxListed = 8

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
        /// Refusals left to the caller to write one by one (``Key/principal(burst:)``).
        var admitted = 0
        /// Refusals counted for the next drain.
        var count = 0
        /// The first counted refusal, its client text bounded.
        var first: RequestRefusal?
        var firstTime: UInt64 = 0
        /// Whether every counted refusal was a 401 or 403 (an `access_denied` entry).
        var denials = true
        /// Distinct codes and endpoints counted, at most ``AnonymousRefusals/maxListed`` each
        /// (only for ``Key/principal(burst:)``), and the refusals with codes or endpoints
        /// beyond them.
        var codes: [String] = []
        var endpoints: [String] = []
        var unlistedCodes = 0
        var unlistedEndpoints = 0

        /// Counts `refusal`, listing its code and endpoint when `listing`.
        mutating func add(_ refusal: RequestRefusal, at time: UInt64, listing: Bool) {
            count += 1
            if first == nil {
                var bounded = refusal
                bounded.path = AuditEvent.bounded(refusal.path)
                bounded.method = AuditEvent.bounded(refusal.method)
                bounded.code = AuditEvent.bounded(refusal.code)
                bounded.source = AuditEvent.bounded(refusal.source)
                bounded.actor = refusal.actor.map { AuditEvent.bounded($0) }
                bounded.detail = refusal.detail.map { AuditEvent.bounded($0) }
                first = bounded
                firstTime = time
            }
            if refusal.status != 401, refusal.status != 403 { denials = false }
            guard listing else { return }
            let code = AuditEvent.bounded(refusal.code)
            if !codes.contains(code) {
                if codes.count < AnonymousRefusals.maxListed { codes.append(code) } else { unlistedCodes += 1 }
            }
            let endpoint = AuditEvent.bounded(AuditEvent.bounded(refusal.method) + " " + refusal.path)
            if !endpoints.contains(endpoint) {
                if endpoints.count < AnonymousRefusals.maxListed { endpoints.append(endpoint) } else { unlistedEndpoints += 1 }
            }
        }
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
    ///
    /// - Returns: `true` when the refusal was counted, to be written at the next ``drain()``;
    ///   `false` when it is one of the first `burst` refusals of its principal in this interval
    ///   (``Key/principal(burst:)`` only), which the caller writes at once. A principal beyond
    ///   ``Configuration/maxSources`` is always counted (in the entry of all further ones).
    @discardableResult
    public func record(_ refusal: RequestRefusal, at time: UInt64) -> Bool {
        let key: String
        var burst = 0
        var listing = false
        switch self.key {
        case .source: key = refusal.source
        case .actor: key = refusal.actor ?? "anonymous"
        case .principal(let allowed):
            key = refusal.actor ?? "anonymous"
            burst = allowed
            listing = true
        }
        return state.withLock { state in
            if state.sources[key] == nil {
                guard state.order.count < configuration.maxSources else {
                    state.otherCount += 1
                    // Counted up to a bound, so that many sources cannot grow this set either.
                    if state.otherSources.count < 100_000 { state.otherSources.insert(key) }
                    return true
                }
                state.sources[key] = Tally()
                state.order.append(key)
            }
            if state.sources[key]!.admitted < burst {
                state.sources[key]!.admitted += 1
                return false
            }
            state.sources[key]!.add(refusal, at: time, listing: listing)
            return true
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
            guard let tally = taken.sources[source], tally.count > 0, let first = tally.first else { continue }
            var fields: [String: AuditValue] = [
                "source": .string(AuditEvent.bounded(first.source)), "count": .integer(Int64(tally.count)),
                "method": .string(AuditEvent.bounded(first.method)), "path": .string(AuditEvent.bounded(first.path)),
                "status": .integer(Int64(clamping: first.status)), "code": .string(AuditEvent.bounded(first.code)),
                "first_time": .string(RFC3339.format(nanoseconds: tally.firstTime)),
                "interval_seconds": .integer(Int64(configuration.intervalSeconds)),
            ]
            if let detail = first.detail { fields["reason"] = .string(AuditEvent.bounded(detail)) }
            if let role = first.role { fields["role"] = .string(role) }
            if case .principal = key {
                // A summary: what the counted refusals were, and how many of the principal's
                // refusals of the interval were written one by one before them.
                fields["codes"] = .list(tally.codes.map { .string($0) })
                fields["endpoints"] = .list(tally.endpoints.map { .string($0) })
                if tally.unlistedCodes > 0 { fields["codes_unlisted"] = .integer(Int64(tally.unlistedCodes)) }
                if tally.unlistedEndpoints > 0 { fields["endpoints_unlisted"] = .integer(Int64(tally.unlistedEndpoints)) }
                fields["audited_separately"] = .integer(Int64(tally.admitted))
            }
            // Anonymous refusals are all `access_denied`, as they always were; otherwise 401s
            // and 403s are, and a count of anything else is `rejected`.
            let kind: AuditEvent.Kind = key == .source || tally.denials ? .accessDenied : .rejected
            events.append(AuditEvent(kind: kind, actor: first.actor ?? "anonymous", fields: fields))
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
