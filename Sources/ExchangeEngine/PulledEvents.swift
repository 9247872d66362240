/// What one pull of a subscription hands out: its events, and the removals by retention its
/// position passed since the last pull (``ExpiredGap``), oldest first.
public struct PulledEvents: Sendable {
    /// The events delivered, each now pending until acknowledged.
    public var events: [DeliveredEvent]
    /// The gaps to report, each once.
    public var expired: [ExpiredGap]

    /// Creates a pull's answer.
    public init(events: [DeliveredEvent], expired: [ExpiredGap] = []) {
        self.events = events
        self.expired = expired
    }
}
