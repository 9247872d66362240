public import ExchangeModel

/// A registry entry as read, with the event whose data is current and, when asked for, a part
/// of its history.
public struct RegistryRecord: Hashable, Sendable {
    /// The entry.
    public var entry: RegistryEntry
    /// The event at `entry.dataSequence`; `nil` when no event set data (status `not_issued`).
    public var dataEvent: StoredEvent?
    /// The history items read (``RegistryHistoryRange``), in log order; empty when none was asked for.
    public var history: [RegistryHistoryItem]
    /// Whether the history holds items after the last of ``history``.
    public var historyContinues: Bool
    /// The sequences of ``history`` whose events retention removed from the log (their audit
    /// entries stay).
    public var removedHistory: Set<UInt64>

    /// Creates a record.
    public init(
        entry: RegistryEntry, dataEvent: StoredEvent?, history: [RegistryHistoryItem] = [], historyContinues: Bool = false,
        removedHistory: Set<UInt64> = []
    ) {
        self.entry = entry
        self.dataEvent = dataEvent
        self.history = history
        self.historyContinues = historyContinues
        self.removedHistory = removedHistory
    }
}

/// The part of a registry entry's history to read with it: up to `limit` items after the
/// sequence `after`, in log order.
public struct RegistryHistoryRange: Hashable, Sendable {
    /// Items of events after this sequence (0: from the first).
    public var after: UInt64
    /// The most items read.
    public var limit: Int

    /// The most items one read returns, whatever `limit` asks.
    public static let maximumLimit = 10_000

    /// Creates a range.
    /// - Parameters:
    ///   - after: the sequence to continue after (0: from the first item).
    ///   - limit: the most items, 1 to ``maximumLimit`` (clamped).
    public init(after: UInt64 = 0, limit: Int = 100) {
        self.after = after
        self.limit = min(max(1, limit), Self.maximumLimit)
    }
}

/// A range of one registry collection to visit in order: all entries by key, or one index.
public struct RegistryScan: Hashable, Sendable {
    /// The collection.
    public var collection: String
    /// The index to walk; `nil` walks the entries in key order.
    public var index: RegistryIndex?
    /// Only this value of the index.
    public var value: String?
    /// Without `value`: only values sorting strictly below this one (e.g. an expiry day).
    public var below: String?
    /// Continue strictly after this position (from an earlier ``RegistryScanResult``).
    public var after: [UInt8]?
    /// The most positions to visit in this scan.
    public var budget: Int

    /// Creates a scan.
    /// - Parameters:
    ///   - collection: the collection.
    ///   - index: the index, or `nil` for all entries by key.
    ///   - value: an exact value of the index.
    ///   - below: an exclusive upper bound of the index's values.
    ///   - after: the position to continue after.
    ///   - budget: the most positions visited (default 10,000).
    public init(collection: String, index: RegistryIndex? = nil, value: String? = nil, below: String? = nil, after: [UInt8]? = nil, budget: Int = 10_000) {
        self.collection = collection
        self.index = index
        self.value = value
        self.below = below
        self.after = after
        self.budget = max(1, budget)
    }
}

/// Where a registry scan stopped.
public struct RegistryScanResult: Hashable, Sendable {
    /// The last position visited: continue after it. `nil` when nothing was visited.
    public var position: [UInt8]?
    /// Whether the range has no positions after `position`.
    public var exhausted: Bool
}
