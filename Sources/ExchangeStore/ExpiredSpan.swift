/// The span in which retention removed events of one topic, clipped to the sequences asked
/// about: from the first removed event of the topic there to the last. Events of other topics
/// lie inside it, and so may events of this topic that a legal hold kept (as in a replay's
/// `exchange-expired`).
public struct ExpiredSpan: Hashable, Sendable {
    /// The topic.
    public var topic: String
    /// The first removed sequence of the topic in the span.
    public var first: UInt64
    /// The last removed sequence of the topic in the span.
    public var last: UInt64

    /// Creates a span.
    public init(topic: String, first: UInt64, last: UInt64) {
        self.topic = topic
        self.first = first
        self.last = last
    }
}
