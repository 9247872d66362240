/// What one pull of a subscription hands out: its events, and the removals by retention its
/// position passed since the last pull (``ExpiredGap``), oldest first.
public struct PulledEvents: Sendable {
    /// The events delivered, each now pending until acknowledged.
    public var events: [DeliveredEvent]
    /// The gaps to report, each once.
    public var expired: [ExpiredGap]
    /// Set when the pull's round took everything the subscription could take (it reached the
    /// end of its inbox and is below its `max_in_flight`): pass it to the subscription's next
    /// pull, which then waits at once, without a round that would find nothing, unless a
    /// commit or a settlement came in between.
    public var resume: PullResume?

    /// Creates a pull's answer.
    public init(events: [DeliveredEvent], expired: [ExpiredGap] = [], resume: PullResume? = nil) {
        self.events = events
        self.expired = expired
        self.resume = resume
    }
}

/// What a pull that took everything saw: the generations of the signals its next pull waits on,
/// taken before its round read the store, and the earliest redelivery deadline it left. A
/// subscription stream, which pulls again after every round, uses it to skip the empty round
/// after each delivery.
public struct PullResume: Sendable, Equatable {
    /// The department's new-events generation before the round.
    let newEvents: UInt64
    /// The subscription's settlements generation before the round.
    let settlements: UInt64
    /// Which settlements signal that generation is of (``CommitSignal/identity``): the
    /// subscription's gate, and with it the signal, is dropped and made anew when no pull or
    /// settlement uses it, and a new signal counts its generations from 0 again.
    let settlementsSignal: UInt64
    /// The earliest redelivery deadline of the subscription after the round (wall-clock
    /// nanoseconds), if any.
    let nextDue: UInt64?
}
