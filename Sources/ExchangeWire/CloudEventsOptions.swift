public import ExchangeModel

/// What the CloudEvents parser needs beyond the bytes: limits and the values the exchange sets.
public struct CloudEventsOptions: Sendable {
    /// The largest single event, bytes: the JSON object in structured and batch mode, the body in
    /// binary mode.
    public var maxEventSize: Int
    /// The most events one batch may hold.
    public var maxBatchEvents: Int
    /// The `source` of every parsed event: the authenticated publishing department. A `source`
    /// sent by the client is read for syntax and otherwise ignored.
    public var source: String
    /// The topic of the route (e.g. from the URL), or `nil` to take each event's `topic`
    /// extension attribute. When both are present they must agree.
    public var topic: String?

    /// Creates options.
    /// - Parameters:
    ///   - limits: the publish limits (the engine's `EngineConfiguration.limits`).
    ///   - source: the publishing department.
    ///   - topic: the route's topic, if it names one.
    public init(limits: PublishLimits = .init(), source: String, topic: String? = nil) {
        self.maxEventSize = limits.maxEventSize
        self.maxBatchEvents = limits.maxBatchEvents
        self.source = source
        self.topic = topic
    }
}
