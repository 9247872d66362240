/// The extension attributes the exchange adds to an event when it delivers it.
public struct DeliveryAttributes: Sendable, Hashable {
    /// The exchange's sequence number of the event (`sequence`, written as a decimal string
    /// because CloudEvents integers are 32-bit).
    public var sequence: UInt64
    /// The topic the event was published to (`topic`).
    public var topic: String
    /// The agreement under which the consumer receives it (`agreement`), if any.
    public var agreement: String?
    /// When the exchange stored it (`receivedat`), RFC 3339.
    public var receivedAt: String?

    /// Creates delivery attributes.
    /// - Parameters:
    ///   - sequence: the exchange sequence number.
    ///   - topic: the topic.
    ///   - agreement: the agreement id.
    ///   - receivedAt: the RFC 3339 time the exchange stored the event.
    public init(sequence: UInt64, topic: String, agreement: String? = nil, receivedAt: String? = nil) {
        self.sequence = sequence
        self.topic = topic
        self.agreement = agreement
        self.receivedAt = receivedAt
    }
}
