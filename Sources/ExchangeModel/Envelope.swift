/// One event as the exchange carries it: the CloudEvents 1.0 context attributes and the raw data.
///
/// `data` holds the bytes exactly as the publisher sent them; the exchange parses them only when a
/// content pattern, a projection or a schema needs to look inside. `source` is always the
/// authenticated publishing department, never a value taken from the client.
///
/// ```swift
/// let event = Envelope(
///     id: "9f1c-001", source: "market-regulation", type: "licence.issued",
///     topic: "licence.business.issued", subject: "91310000MA1FL0001X",
///     data: Array(#"{"holder":"Acme Ltd"}"#.utf8))
/// ```
public struct Envelope: Hashable, Sendable {
    /// The publisher's message id (`id`); with `source` it identifies the event for deduplication.
    public var id: String
    /// The publishing department (`source`), set by the exchange from the authenticated identity.
    public var source: String
    /// The event type (`type`), e.g. `licence.issued`.
    public var type: String
    /// The topic the event was published to (extension attribute `topic`).
    public var topic: String
    /// The entity key (`subject`), e.g. a licence number.
    public var subject: String?
    /// The publisher's timestamp (`time`), RFC 3339 text as received.
    public var time: String?
    /// The media type of `data` (`datacontenttype`), e.g. `application/json`.
    public var dataContentType: String?
    /// The schema `data` adheres to (`dataschema`), a URI.
    public var dataSchema: String?
    /// Further extension attributes, by name, as strings.
    public var extensions: [String: String]
    /// The event payload, byte for byte as received.
    public var data: [UInt8]

    /// Creates an envelope.
    /// - Parameters:
    ///   - id: the publisher's message id.
    ///   - source: the publishing department.
    ///   - type: the event type.
    ///   - topic: the topic it is published to.
    ///   - subject: the entity key, if any.
    ///   - time: the publisher's RFC 3339 timestamp, if any.
    ///   - dataContentType: the media type of `data`, if any.
    ///   - dataSchema: the schema URI of `data`, if any.
    ///   - extensions: further extension attributes.
    ///   - data: the payload bytes.
    public init(
        id: String,
        source: String,
        type: String,
        topic: String,
        subject: String? = nil,
        time: String? = nil,
        dataContentType: String? = "application/json",
        dataSchema: String? = nil,
        extensions: [String: String] = [:],
        data: [UInt8] = []
    ) {
        self.id = id
        self.source = source
        self.type = type
        self.topic = topic
        self.subject = subject
        self.time = time
        self.dataContentType = dataContentType
        self.dataSchema = dataSchema
        self.extensions = extensions
        self.data = data
    }
}
