public import ExchangeModel

/// An event as a consumer receives it: its data projected to the fields the agreement allows.
public struct DeliveredEvent: Hashable, Sendable {
    /// The event's sequence in the exchange log; acknowledge with it.
    public var sequence: UInt64
    /// When the exchange committed it, ns since the Unix epoch.
    public var receivedAt: UInt64
    /// The envelope, `data` projected.
    public var envelope: Envelope
    /// The agreement the consumer receives it under (`agreement` extension).
    public var agreement: String
    /// That agreement's version now.
    public var agreementVersion: Int
    /// How many times it has been delivered to this subscription, this time included (1 for a
    /// first delivery; 0 for replay).
    public var deliveryCount: UInt32

    /// Creates a delivered event.
    public init(sequence: UInt64, receivedAt: UInt64, envelope: Envelope, agreement: String, agreementVersion: Int, deliveryCount: UInt32) {
        self.sequence = sequence
        self.receivedAt = receivedAt
        self.envelope = envelope
        self.agreement = agreement
        self.agreementVersion = agreementVersion
        self.deliveryCount = deliveryCount
    }
}
