/// What a registry rebuild found: the registry recomputed from the log, compared with the
/// stored (live) registry.
public struct RegistryRebuildReport: Hashable, Sendable {
    /// Events read from the log.
    public var eventsRead: Int
    /// Events that fed a collection.
    public var eventsApplied: Int
    /// Entries recomputed, by collection.
    public var entries: [String: Int]
    /// Index keys the recomputed entries need.
    public var indexKeys: Int
    /// History items the recomputed entries hold.
    public var historyItems: Int
    /// History items found stored.
    public var storedHistoryItems: Int
    /// The differences found, described for people (at most 100).
    public var differences: [String]
    /// How many differences there are in all.
    public var differenceCount: Int
    /// Whether the stored registry was replaced by the recomputed one (`--write`).
    public var written: Bool

    /// Whether the stored registry equals the one recomputed from the log.
    public var matches: Bool { differenceCount == 0 }

    /// Creates an empty report.
    public init() {
        eventsRead = 0
        eventsApplied = 0
        entries = [:]
        indexKeys = 0
        historyItems = 0
        storedHistoryItems = 0
        differences = []
        differenceCount = 0
        written = false
    }

    mutating func difference(_ text: @autoclosure () -> String) {
        differenceCount += 1
        if differences.count < 100 { differences.append(text()) }
    }
}
