/// Everything a delivery round reads, as of one moment: a subscription, its position and pending
/// list, and its owner's inbox with the events it names, all from one read transaction (one
/// snapshot). A write committed while the round runs is not seen by any part of it, so the
/// pending list, the position and the inbox always agree with one another.
///
/// Handed to the closure of ``ExchangeStoreContract/withDeliverySnapshot(subscription:consumer:_:)``
/// and valid only inside it: keep neither the snapshot nor an `EventView` it handed out.
public protocol DeliverySnapshot {
    /// The subscription, or `nil` when none is named so.
    var subscription: SubscriptionRecord? { get }
    /// The next sequence the subscription will consider, or `nil` for an unknown subscription.
    var position: UInt64? { get }
    /// The subscription's pending deliveries in sequence order.
    var pending: [PendingDelivery] { get }

    /// The consumer's inbox entry for event `sequence` with the event, or `nil` when either is
    /// missing.
    func inboxEvent(_ sequence: UInt64) throws -> (entry: InboxEntry, event: StoredEvent)?

    /// Visits up to `limit` inbox entries of the consumer from sequence `from`, each with its
    /// event's record, without copying the records. `body` returns `false` to stop early.
    /// - Returns: the sequence after the last entry visited (where to continue).
    @discardableResult
    func scanInbox(from sequence: UInt64, limit: Int, _ body: (InboxEntry, EventView) throws -> Bool) throws -> UInt64

    /// For each topic of which retention removed events from `from` through `through`, the span
    /// they lie in, clipped to those bounds. Costs nothing (no read) when no removal reached
    /// `from`: a subscription ahead of retention pays nothing for it.
    func expiredSpans(from: UInt64, through: UInt64) throws -> [ExpiredSpan]

    /// Whether retention removed event `sequence` (its record is gone from the log). Costs
    /// nothing when no removal reached `sequence`.
    func isRemoved(_ sequence: UInt64) throws -> Bool
}
