/// The fanout mode's deliveries over all subscribers: every subscriber should receive every
/// published event once.
struct FanoutTally {
    /// Events the daemon accepted.
    let published: Int
    /// published × subscribers.
    let expected: Int
    /// Events received, over all subscribers (a redelivery counts again).
    let delivered: Int
    /// Deliveries that had not arrived at the end: per subscriber, what it lacks of
    /// `published`, added up (a redelivery does not make up for another subscriber's loss).
    let missing: Int
    /// Every measured delivery latency (the warm-up's left out), nanoseconds.
    let measuredLatencies: [UInt64]
    let errors: Int
    let firstError: String?

    init(published: Int, subscribers: [SubscriptionStreamReader.Result]) {
        self.published = published
        expected = published * subscribers.count
        delivered = subscribers.reduce(0) { $0 + $1.received }
        missing = subscribers.reduce(0) { $0 + max(0, published - $1.received) }
        measuredLatencies = subscribers.flatMap(\.latencies)
        errors = subscribers.reduce(0) { $0 + $1.errors }
        firstError = subscribers.lazy.compactMap(\.firstError).first
    }
}
