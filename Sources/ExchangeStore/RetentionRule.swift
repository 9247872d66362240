public import ExchangeModel

/// What the store needs to know to remove one topic's expired events: the topic, its policy,
/// and the registry collection it feeds (whose current entries keep a copy of their event).
public struct RetentionRule: Hashable, Sendable {
    /// The topic.
    public var topic: String
    /// How long its events stay.
    public var policy: RetentionPolicy
    /// The registry collection the topic feeds, if any.
    public var registry: RegistryCollection?
    /// Whether the topic's events are archived before they are removed: then only events
    /// through ``archivedThrough`` are removed.
    public var archive: Bool
    /// For an archiving topic, the last sequence whose event the archive holds durably, or
    /// `nil` when it holds none yet (then nothing of the topic is removed).
    public var archivedThrough: UInt64?

    /// Creates a rule.
    public init(topic: String, policy: RetentionPolicy, registry: RegistryCollection? = nil, archive: Bool = false, archivedThrough: UInt64? = nil) {
        self.topic = topic
        self.policy = policy
        self.registry = registry
        self.archive = archive
        self.archivedThrough = archivedThrough
    }

    /// Whether the rule lets a step remove event `sequence`: always, unless the topic archives
    /// and the archive does not hold it yet.
    public func allowsRemoval(of sequence: UInt64) -> Bool {
        !archive || archivedThrough.map { sequence <= $0 } ?? false
    }
}

/// What one retention step did.
public struct RetentionReport: Hashable, Sendable {
    /// Events removed from the live store.
    public var removed: Int = 0
    /// Of those, events a registry entry still shows as current, whose record the registry kept.
    public var keptForRegistry: Int = 0
    /// Whether a topic has more expired events than the step's budget allowed.
    public var more: Bool = false
    /// Whether an expired event stays because memory still holds its index entries (the index
    /// tail) or its deduplication entry; a step with `flushing` set moves them to disk.
    public var waiting: Bool = false
    /// Events whose record could not be read (missing from the log, or not parsing, or holding
    /// an audit entry `audit` does not refer to it by): left in place and walked past, so one bad
    /// record does not stall retention. Reported once; a later step starts after them.
    public var unreadable: [UInt64] = []

    /// An empty report.
    public init() {}
}

/// A range of one topic's events that retention removed: every event of `topic` with a
/// sequence from `first` through `last` is gone from the live store; their audit entries stay.
public struct ExpiredRange: Hashable, Sendable {
    /// The topic.
    public var topic: String
    /// The first removed sequence of the range.
    public var first: UInt64
    /// The last removed sequence of the range.
    public var last: UInt64
    /// How many events of the topic the range removed.
    public var count: UInt64
    /// When the first of them was removed (ns since the Unix epoch).
    public var firstRemovedAt: UInt64
    /// When the last of them was removed (ns since the Unix epoch).
    public var lastRemovedAt: UInt64

    /// Creates a range.
    public init(topic: String, first: UInt64, last: UInt64, count: UInt64, firstRemovedAt: UInt64, lastRemovedAt: UInt64) {
        self.topic = topic
        self.first = first
        self.last = last
        self.count = count
        self.firstRemovedAt = firstRemovedAt
        self.lastRemovedAt = lastRemovedAt
    }
}
