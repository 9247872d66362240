public import ExchangeModel

/// One routing decision stored with an event: which consumer receives it, under which agreement.
public struct StoredRoute: Hashable, Sendable {
    /// The receiving department.
    public var consumer: String
    /// The id of the agreement that routed the event.
    public var agreement: String
    /// The version of that agreement.
    public var agreementVersion: UInt32

    /// Creates a route.
    public init(consumer: String, agreement: String, agreementVersion: UInt32) {
        self.consumer = consumer
        self.agreement = agreement
        self.agreementVersion = agreementVersion
    }
}

/// An event to append, with the routes computed for it.
public struct AppendRequest: Sendable {
    /// The event; `source` must already be the authenticated publisher.
    public var envelope: Envelope
    /// The consumers that receive it; at most one route per consumer.
    public var routes: [StoredRoute]
    /// The registry collection the event's topic feeds, if any: the entry keyed by the event's
    /// `subject` is updated in the event's transaction (not for a duplicate).
    public var registry: RegistryCollection?
    /// What the event contributes to its registry entry, when the caller already read it from
    /// the event (the engine does, to check its byte limits); otherwise the store reads it.
    public var registryInput: RegistryInput?

    /// Creates a request.
    /// - Parameters:
    ///   - envelope: the event.
    ///   - routes: its routes.
    ///   - registry: the collection its topic feeds; none by default.
    ///   - registryInput: the event's registry input for `registry`, if already computed.
    public init(envelope: Envelope, routes: [StoredRoute] = [], registry: RegistryCollection? = nil, registryInput: RegistryInput? = nil) {
        self.envelope = envelope
        self.routes = routes
        self.registry = registry
        self.registryInput = registryInput
    }
}

/// The outcome of one durable append.
public struct AppendResult: Hashable, Sendable {
    /// The event's sequence in the exchange log.
    public var sequence: UInt64
    /// `true` when the same publisher had already appended the same message id: nothing new
    /// was stored and `sequence` is the original one.
    public var isDuplicate: Bool
    /// How many consumers the event was routed to (for a duplicate: when first stored).
    public var routeCount: Int

    /// Creates a result.
    public init(sequence: UInt64, isDuplicate: Bool, routeCount: Int) {
        self.sequence = sequence
        self.isDuplicate = isDuplicate
        self.routeCount = routeCount
    }
}

/// An event as stored: its sequence, when the exchange received it, and the envelope.
public struct StoredEvent: Hashable, Sendable {
    /// The event's sequence in the exchange log, from 1.
    public var sequence: UInt64
    /// When the exchange committed it, in nanoseconds since the Unix epoch.
    public var receivedAt: UInt64
    /// How many consumers it was routed to.
    public var routeCount: Int
    /// The envelope and data.
    public var envelope: Envelope

    /// Creates a stored event.
    public init(sequence: UInt64, receivedAt: UInt64, routeCount: Int, envelope: Envelope) {
        self.sequence = sequence
        self.receivedAt = receivedAt
        self.routeCount = routeCount
        self.envelope = envelope
    }
}

/// An entry of a consumer's inbox: an event routed to it, and the agreement that routed it.
public struct InboxEntry: Hashable, Sendable {
    /// The event's sequence.
    public var sequence: UInt64
    /// The agreement that routed it.
    public var agreement: String
    /// The agreement's version at routing time.
    public var agreementVersion: UInt32

    /// Creates an inbox entry.
    public init(sequence: UInt64, agreement: String, agreementVersion: UInt32) {
        self.sequence = sequence
        self.agreement = agreement
        self.agreementVersion = agreementVersion
    }
}
