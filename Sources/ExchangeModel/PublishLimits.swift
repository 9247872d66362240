/// How large one published event and one batch may be: `limits.max_event_size` and
/// `limits.max_batch_events` of the configuration.
///
/// One value, read from the configuration once and held by the engine
/// (`EngineConfiguration.limits`); the CloudEvents parser of every front end (HTTP, the
/// WebSocket publish stream) reads it from there and checks each limit once, where the bytes are
/// read: a larger event is refused `cloudevents.event_too_large`, a longer batch
/// `cloudevents.too_many_events`, both 413.
public struct PublishLimits: Sendable, Hashable {
    /// The largest single CloudEvent, bytes: the JSON object in structured and batch mode, the
    /// body in binary mode (`limits.max_event_size`, default 1 MiB).
    public var maxEventSize: Int
    /// The most events in one batch (`limits.max_batch_events`, default 1000).
    public var maxBatchEvents: Int

    /// Creates limits; defaults as documented on each property.
    public init(maxEventSize: Int = 1 << 20, maxBatchEvents: Int = 1000) {
        self.maxEventSize = maxEventSize
        self.maxBatchEvents = maxBatchEvents
    }
}
