import Synchronization

/// Bounds how fast one principal's answered reads write audit entries (`audit.read_limit.*`).
///
/// Every answered read is audited one entry each (`audit_read`, `replayed`, `queried`,
/// `console_session`), so a principal that reads at will grows the log at will: an empty replay
/// costs the caller a round trip and the log an entry. Each principal (its actor) gets a token
/// bucket of ``Configuration/burst`` reads refilled at ``Configuration/perSecond``; a read past
/// it is refused before anything is read or written (`reads.rate_limited`, 429, with
/// `Retry-After`), and such refusals are audited aggregated per principal and interval, not one
/// entry each. Writes (publishes, acknowledgements, subscription changes) are not counted: they
/// are the exchange's work, bounded by their own limits.
///
/// Memory: one bucket per principal that read lately (a string and 16 bytes). Buckets that
/// have refilled are dropped once more than ``maximumPrincipals`` are held; principals are
/// authenticated identities, so their number is bounded by the configuration.
public final class ReadRateLimit: Sendable {
    /// The rate and burst of every principal.
    public struct Configuration: Sendable, Equatable {
        /// Reads per second one principal may sustain (`audit.read_limit.per_second`, a
        /// number: `0.5` is one read every two seconds, at least 0.001); `0` sets no limit.
        /// Default 100.
        public var perSecond: Double
        /// Reads one principal may make at once after a quiet spell
        /// (`audit.read_limit.burst`). Default 500.
        public var burst: Int

        /// Creates a configuration; defaults as documented on each property.
        public init(perSecond: Double = 100, burst: Int = 500) {
            self.perSecond = perSecond
            self.burst = burst
        }
    }

    private struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    /// Principals held before refilled buckets are dropped.
    public static let maximumPrincipals = 10_000

    /// The rate and burst.
    public let configuration: Configuration
    private let buckets = Mutex<[String: Bucket]>([:])
    private let origin = ContinuousClock.now

    /// Creates the buckets, all full.
    /// - Parameter configuration: the rate and burst.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Takes one read of `actor`'s bucket now; see ``take(_:now:)``.
    public func take(_ actor: String) -> Duration? {
        let (seconds, attoseconds) = (ContinuousClock.now - origin).components
        return take(actor, now: UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000))
    }

    /// Takes one read of `actor`'s bucket.
    /// - Parameters:
    ///   - actor: the principal reading.
    ///   - now: monotonic nanoseconds (a clock that never goes back).
    /// - Returns: `nil` when the read may go ahead; otherwise how long until the bucket holds
    ///   one read again (the read is not counted).
    public func take(_ actor: String, now: UInt64) -> Duration? {
        guard configuration.perSecond > 0 else { return nil }
        let rate = configuration.perSecond
        let burst = Double(max(1, configuration.burst))
        return buckets.withLock { buckets -> Duration? in
            if buckets[actor] == nil, buckets.count >= Self.maximumPrincipals {
                buckets = buckets.filter { Self.refilled($0.value, now: now, rate: rate) < burst }
            }
            var bucket = buckets[actor] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, Self.refilled(bucket, now: now, rate: rate))
            bucket.updated = max(now, bucket.updated)
            defer { buckets[actor] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            // At most a day: a rate the configuration refuses could not make it trap.
            let wait = ((1 - bucket.tokens) / rate * 1e9).rounded(.up)
            return .nanoseconds(wait.isFinite && wait < 86_400e9 ? Int64(wait) : 86_400_000_000_000)
        }
    }

    /// Principals with a bucket held.
    public var principalCount: Int { buckets.withLock { $0.count } }

    private static func refilled(_ bucket: Bucket, now: UInt64, rate: Double) -> Double {
        let elapsed = now > bucket.updated ? Double(now - bucket.updated) / 1e9 : 0
        return bucket.tokens + elapsed * rate
    }
}
