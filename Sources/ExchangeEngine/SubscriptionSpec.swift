public import ExchangeStore
import ExchangeModel

/// Where a new durable subscription starts.
public enum StartPosition: Hashable, Sendable {
    /// Every event ever routed to the owner.
    case all
    /// Only events published after the subscription was created.
    case new
    /// Events from this sequence on.
    case sequence(UInt64)
    /// Events received at or after this time (ns since the Unix epoch).
    case time(UInt64)
}

/// What a department asks for when it creates or changes a durable subscription.
public struct SubscriptionSpec: Hashable, Sendable {
    /// The topic pattern to follow (`*` one token, `>` the rest).
    public var filter: String
    /// Where to start. Default `.new`.
    public var start: StartPosition
    /// Milliseconds a delivery may stay unacknowledged before redelivery. Default 30,000.
    public var ackWaitMilliseconds: UInt64
    /// Delays before redeliveries in milliseconds, the last repeating. Default none (ack wait).
    public var backoffMilliseconds: [UInt64]
    /// Deliveries before an event moves to the dead-letter list. Default 5.
    public var maxDeliver: UInt32
    /// Unacknowledged deliveries at once at most. Default 1,000.
    public var maxInFlight: UInt32

    /// Creates a specification; defaults as documented on each property.
    public init(
        filter: String, start: StartPosition = .new, ackWaitMilliseconds: UInt64 = 30_000,
        backoffMilliseconds: [UInt64] = [], maxDeliver: UInt32 = 5, maxInFlight: UInt32 = 1000
    ) {
        self.filter = filter
        self.start = start
        self.ackWaitMilliseconds = ackWaitMilliseconds
        self.backoffMilliseconds = backoffMilliseconds
        self.maxDeliver = maxDeliver
        self.maxInFlight = maxInFlight
    }
}

extension SubscriptionSpec {
    /// Why the specification is outside ``InputBounds``, or `nil` when it is within them: the
    /// ack wait (1 ms to 7 days), each backoff step (0 to 7 days, at most 32 steps),
    /// `max_deliver`, `max_in_flight`, and a start sequence that JSON carries exactly.
    public var boundsViolation: String? {
        let maxDuration = InputBounds.maxDurationMilliseconds
        if !(1...maxDuration).contains(ackWaitMilliseconds) {
            return "ack_wait_ms must be from 1 to \(maxDuration) (7 days); it is \(ackWaitMilliseconds)"
        }
        if backoffMilliseconds.count > InputBounds.maxBackoffSteps {
            return "backoff_ms holds at most \(InputBounds.maxBackoffSteps) steps; it holds \(backoffMilliseconds.count)"
        }
        if let step = backoffMilliseconds.first(where: { $0 > maxDuration }) {
            return "each backoff_ms step must be from 0 to \(maxDuration) (7 days); one is \(step)"
        }
        if !InputBounds.maxDeliver.contains(maxDeliver) {
            return "max_deliver must be from \(InputBounds.maxDeliver.lowerBound) to \(InputBounds.maxDeliver.upperBound); it is \(maxDeliver)"
        }
        if !InputBounds.maxInFlight.contains(maxInFlight) {
            return "max_in_flight must be from \(InputBounds.maxInFlight.lowerBound) to \(InputBounds.maxInFlight.upperBound); it is \(maxInFlight)"
        }
        if case .sequence(let sequence) = start, sequence > InputBounds.sequence.upperBound {
            return "start.sequence must be at most \(InputBounds.sequence.upperBound); it is \(sequence)"
        }
        if case .time(let time) = start, time > RFC3339.latestNanoseconds {
            return "start.time must lie within \(RFC3339.rangeDescription)"
        }
        return nil
    }
}

/// A subscription's definition and its progress.
public struct SubscriptionInfo: Hashable, Sendable {
    /// The stored definition.
    public var record: SubscriptionRecord
    /// The next sequence it will consider.
    public var position: UInt64
    /// Delivered events awaiting acknowledgement.
    public var pending: Int
    /// Events on its dead-letter list.
    public var deadLetters: Int
}
