/// The latest state of one registry key (e.g. one licence), as the store keeps it.
///
/// Entries change only through ``recording(_:sequence:to:)`` (or ``applying(_:sequence:to:)``),
/// which both the live update (in the event's own transaction) and the rebuild from the log
/// call, so the two cannot drift. The entry holds the current state and bounded summary data
/// (the distinct flags, the number of events recorded); the events themselves
/// (``RegistryHistoryItem``) are stored one by one beside it, so that recording an event costs
/// the same however long the key's history is.
public struct RegistryEntry: Hashable, Sendable {
    /// The key (the events' `subject`).
    public var key: String
    /// The stored status: `notIssued`, `valid`, `suspended` or `revoked`. `expired` is derived
    /// at query time by ``status(onDay:)``.
    public var storedStatus: RegistryStatus
    /// The department that issued it (the publisher of the event whose data is current).
    public var issuer: String?
    /// The holder identifier of the current data.
    public var holder: String?
    /// The licence type of the current data.
    public var type: String?
    /// The first day of validity of the current data (`YYYY-MM-DD`).
    public var validFrom: String?
    /// The last day of validity of the current data (`YYYY-MM-DD`).
    public var validUntil: String?
    /// The sequence of the event whose data is current; 0 when no event set data.
    public var dataSequence: UInt64
    /// The first event recorded for the key.
    public var firstSequence: UInt64
    /// The last event recorded for the key.
    public var lastSequence: UInt64
    /// The distinct flags of the history, in order of first occurrence (at most one of each
    /// ``RegistryFlag``).
    public var flags: [RegistryFlag]
    /// How many events the history holds.
    public var historyCount: UInt64

    /// Creates an entry.
    public init(
        key: String, storedStatus: RegistryStatus, issuer: String? = nil, holder: String? = nil, type: String? = nil,
        validFrom: String? = nil, validUntil: String? = nil, dataSequence: UInt64 = 0, firstSequence: UInt64,
        lastSequence: UInt64, flags: [RegistryFlag] = [], historyCount: UInt64 = 0
    ) {
        self.key = key
        self.storedStatus = storedStatus
        self.issuer = issuer
        self.holder = holder
        self.type = type
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.dataSequence = dataSequence
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.flags = flags
        self.historyCount = historyCount
    }

    /// The status on `day` (`YYYY-MM-DD`): `expired` when the entry is valid and its last day of
    /// validity is before `day`, else the stored status.
    public func status(onDay day: String) -> RegistryStatus {
        if storedStatus == .valid, let validUntil, validUntil < day { return .expired }
        return storedStatus
    }
}

/// One event in a registry entry's history.
public struct RegistryHistoryItem: Hashable, Sendable {
    /// The event's sequence in the log.
    public var sequence: UInt64
    /// What the event asked for.
    public var action: RegistryAction
    /// Why it had no effect, if it had none.
    public var flag: RegistryFlag?

    /// Creates a history item.
    public init(sequence: UInt64, action: RegistryAction, flag: RegistryFlag? = nil) {
        self.sequence = sequence
        self.action = action
        self.flag = flag
    }
}
