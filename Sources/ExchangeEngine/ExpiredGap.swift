/// Events a subscription would have been handed that retention removed first: reported once,
/// in the pull whose round moved the subscription's position past them (or, for an event
/// delivered and not acknowledged before its removal, in the round its redelivery came due
/// in, instead of the event). The problem code clients see is `event.expired`.
public struct ExpiredGap: Hashable, Sendable {
    /// The topic whose events were removed; `nil` for a pending event, which the subscription
    /// was handed before (the round no longer reads its topic).
    public var topic: String?
    /// The first sequence of the span (see `ExpiredSpan` in the store).
    public var first: UInt64
    /// The last sequence of the span.
    public var last: UInt64

    /// Creates a gap.
    public init(topic: String?, first: UInt64, last: UInt64) {
        self.topic = topic
        self.first = first
        self.last = last
    }

    /// The stable code a client sees for a gap (the WebSocket frame's `code`, the CLI's
    /// warning).
    public static let code = "event.expired"
}
