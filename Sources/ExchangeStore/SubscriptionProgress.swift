/// Where a subscription stands against what its department receives: what the daemon exports
/// as `exchange_subscription_*` gauges (docs/metrics.md). Read from positions and sequences
/// the store already holds (``ExchangeStore/subscriptionProgress()``), never by scanning the log.
public struct SubscriptionProgress: Hashable, Sendable {
    /// The subscription's name.
    public var name: String
    /// The department that owns it.
    public var owner: String
    /// The next sequence it will consider.
    public var position: UInt64
    /// The last sequence routed to the owner's inbox (0 when nothing was).
    public var inboxHead: UInt64
    /// Delivered events not yet acknowledged.
    public var pending: Int
    /// When the oldest pending event (the lowest sequence) was received by the exchange, ns
    /// since the Unix epoch; `nil` when nothing is pending.
    public var oldestPendingReceivedAt: UInt64?

    /// Sequences of the owner's inbox at or after the position: `inboxHead - position + 1`, or
    /// 0 when the position is past the head. It counts log sequences, so it is exact when the
    /// department receives every event between position and head and an upper bound otherwise
    /// (sequences routed elsewhere, or outside the filter, count too until the subscription's
    /// next delivery round moves past them).
    public var lag: UInt64 { inboxHead >= position ? inboxHead - position + 1 : 0 }

    /// Creates a progress record.
    public init(name: String, owner: String, position: UInt64, inboxHead: UInt64, pending: Int, oldestPendingReceivedAt: UInt64?) {
        self.name = name
        self.owner = owner
        self.position = position
        self.inboxHead = inboxHead
        self.pending = pending
        self.oldestPendingReceivedAt = oldestPendingReceivedAt
    }
}
