public import ExchangeModel

/// A registry entry as a viewer may see it.
public struct RegistryItem: Hashable, Sendable {
    /// The collection.
    public var collection: String
    /// The entry, its indexed fields (`holder`, `type`, `validFrom`, `validUntil`) cleared where
    /// the viewer's projection does not keep them.
    public var entry: RegistryEntry
    /// The status on the day of the query (`expired` derived from the last day of validity).
    public var status: RegistryStatus
    /// The current data the viewer may see (JSON bytes), `nil` when there is none.
    public var data: [UInt8]?
    /// The agreement the viewer sees the entry through; `nil` for the whole view.
    public var agreement: String?
    /// Whether `data` is projected to the agreement's fields.
    public var isProjected: Bool
    /// Whether the answer should include the entry's history.
    public var includesHistory: Bool
    /// One page of the entry's history, in log order; filled only when ``includesHistory``.
    public var history: [RegistryHistoryItem] = []
    /// The sequences of ``history`` whose events retention removed from the live store (their
    /// audit entries stay); filled only when ``includesHistory``.
    public var removedHistory: Set<UInt64> = []
    /// Where the history's next page starts (the sequence of the last item of ``history``, to
    /// pass as `history_cursor`); `nil` when ``history`` ends the history.
    public var historyNextCursor: UInt64?

    /// Creates an item.
    public init(
        collection: String, entry: RegistryEntry, status: RegistryStatus, data: [UInt8]?, agreement: String?, isProjected: Bool,
        includesHistory: Bool
    ) {
        self.collection = collection
        self.entry = entry
        self.status = status
        self.data = data
        self.agreement = agreement
        self.isProjected = isProjected
        self.includesHistory = includesHistory
    }
}

/// One page of a registry search.
public struct RegistryPage: Hashable, Sendable {
    /// The entries, in the order of the index searched.
    public var items: [RegistryItem]
    /// Where the next page starts (opaque); `nil` when there is no more.
    public var nextCursor: String?

    /// Creates a page.
    public init(items: [RegistryItem], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}
