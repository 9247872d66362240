public import ExchangeModel

/// The stored definition of a durable subscription (JetStream-consumer style).
public struct SubscriptionRecord: Codable, Hashable, Sendable {
    /// The subscription's unique name.
    public var name: String
    /// The department that owns it and receives its events.
    public var owner: String
    /// The topic pattern it follows (`*` one token, `>` the rest).
    public var filter: String
    /// How long a delivered event may stay unacknowledged before it is delivered again, in
    /// milliseconds. Default 30,000.
    public var ackWaitMilliseconds: UInt64
    /// Delays before the 1st, 2nd, ... redelivery in milliseconds; the last repeats. Empty means
    /// `ackWaitMilliseconds` each time.
    public var backoffMilliseconds: [UInt64]
    /// Deliveries after which an unacknowledged event moves to the dead-letter list. Default 5.
    public var maxDeliver: UInt32
    /// Delivered but unacknowledged events allowed at once (backpressure). Default 1,000.
    public var maxInFlight: UInt32
    /// When the subscription was created, ns since the Unix epoch.
    public var createdAt: UInt64

    /// Creates a subscription definition; defaults as documented on each property.
    public init(
        name: String, owner: String, filter: String, ackWaitMilliseconds: UInt64 = 30_000,
        backoffMilliseconds: [UInt64] = [], maxDeliver: UInt32 = 5, maxInFlight: UInt32 = 1000, createdAt: UInt64 = 0
    ) {
        self.name = name
        self.owner = owner
        self.filter = filter
        self.ackWaitMilliseconds = ackWaitMilliseconds
        self.backoffMilliseconds = backoffMilliseconds
        self.maxDeliver = maxDeliver
        self.maxInFlight = maxInFlight
        self.createdAt = createdAt
    }
}

/// A delivered, not yet acknowledged event of a subscription.
public struct PendingDelivery: Hashable, Sendable {
    /// The event's sequence.
    public var sequence: UInt64
    /// How many times it was delivered.
    public var deliveries: UInt32
    /// When it is due for redelivery, ns since the Unix epoch.
    public var deadline: UInt64

    /// Creates a pending delivery.
    public init(sequence: UInt64, deliveries: UInt32, deadline: UInt64) {
        self.sequence = sequence
        self.deliveries = deliveries
        self.deadline = deadline
    }
}

/// An event that exhausted its deliveries.
public struct DeadLetter: Hashable, Sendable {
    /// The event's sequence.
    public var sequence: UInt64
    /// How many times it was delivered.
    public var deliveries: UInt32
    /// When it moved to the dead-letter list, ns since the Unix epoch.
    public var time: UInt64

    /// Creates a dead letter.
    public init(sequence: UInt64, deliveries: UInt32, time: UInt64) {
        self.sequence = sequence
        self.deliveries = deliveries
        self.time = time
    }
}

/// Everything one delivery round changes in a subscription, committed in one transaction.
public struct SubscriptionUpdate: Sendable {
    /// Events delivered (or re-delivered) now, with their new counts and deadlines.
    public var deliveries: [PendingDelivery]
    /// The subscription's next position, if it moved.
    public var position: UInt64?
    /// Pending events to drop without a receipt (withheld at redelivery).
    public var withdrawn: [UInt64]
    /// Pending events to move to the dead-letter list, with their delivery counts and the
    /// `dead_lettered` audit entry of each move, written only when the event is still pending as
    /// the update commits (an acknowledgement or a repeat may have settled it since).
    public var deadLettered: [(sequence: UInt64, deliveries: UInt32, audit: AuditEvent)]
    /// Audit entries written in the same transaction (withheld, dead lettered, ...).
    public var audit: [AuditEvent]

    /// Creates an update; every part defaults to nothing.
    public init(
        deliveries: [PendingDelivery] = [], position: UInt64? = nil, withdrawn: [UInt64] = [],
        deadLettered: [(sequence: UInt64, deliveries: UInt32, audit: AuditEvent)] = [], audit: [AuditEvent] = []
    ) {
        self.deliveries = deliveries
        self.position = position
        self.withdrawn = withdrawn
        self.deadLettered = deadLettered
        self.audit = audit
    }

    /// Whether the update changes nothing.
    public var isEmpty: Bool {
        deliveries.isEmpty && position == nil && withdrawn.isEmpty && deadLettered.isEmpty && audit.isEmpty
    }
}
