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

extension DeliveredEvent {
    /// About how many bytes the event takes in an answer (a pull's batch, a stream's frame)
    /// and in memory until it is written: its data and every attribute, plus a fixed allowance
    /// for the delivery attributes and the encoding's punctuation. The delivery round counts
    /// these against `delivery.max_batch_bytes`. Data that is not JSON is sent in base64, a
    /// third more than counted here; the cap is a bound on memory, not an exact answer size.
    public var estimatedSize: Int {
        var size = 256 + envelope.data.count + envelope.id.utf8.count + envelope.source.utf8.count + envelope.type.utf8.count
        size += envelope.topic.utf8.count + (envelope.subject?.utf8.count ?? 0) + (envelope.time?.utf8.count ?? 0)
        size += (envelope.dataContentType?.utf8.count ?? 0) + (envelope.dataSchema?.utf8.count ?? 0) + agreement.utf8.count
        for (name, value) in envelope.extensions { size += name.utf8.count + value.utf8.count + 8 }
        return size
    }
}

