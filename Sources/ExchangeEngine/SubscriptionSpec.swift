public import ExchangeStore

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
