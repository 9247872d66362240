extension RegistryEntry {
    /// The entry after one event: the registry's state machine.
    ///
    /// | action | allowed from | effect |
    /// | --- | --- | --- |
    /// | `issued` | no entry, `not_issued` | status `valid`, data and issuer set |
    /// | `amended`, `renewed` | `valid`, `suspended` | data set, status unchanged |
    /// | `suspended` | `valid` | status `suspended` |
    /// | `reinstated` | `suspended` | status `valid` |
    /// | `revoked` | `valid`, `suspended` | status `revoked` |
    ///
    /// Any other combination changes nothing but the history, where the event is recorded with a
    /// flag: `not_issued` (the key was never issued), `already_issued`, `after_revocation`,
    /// `no_effect` (suspending a suspended licence, reinstating one not suspended),
    /// `unknown_type`. An event for a new key that is not an issue creates an entry with status
    /// `not_issued` to hold the flag. Every event, flagged or not, moves `lastSequence`, counts
    /// in `historyCount` and is recorded as a history item (returned, for the store to keep
    /// under a key of its own); a new flag joins `flags`.
    /// - Parameters:
    ///   - input: what the event contributes.
    ///   - sequence: the event's sequence in the log.
    ///   - entry: the entry before the event, `nil` for a new key.
    /// - Returns: the entry after the event, and the event's history item.
    public static func recording(
        _ input: RegistryInput, sequence: UInt64, to entry: RegistryEntry?
    ) -> (entry: RegistryEntry, item: RegistryHistoryItem) {
        var next = entry ?? RegistryEntry(key: input.key, storedStatus: .notIssued, firstSequence: sequence, lastSequence: sequence)
        next.lastSequence = sequence
        next.historyCount = next.historyCount == .max ? .max : next.historyCount + 1
        let flag = flag(for: input.action, from: next.storedStatus)
        let item = RegistryHistoryItem(sequence: sequence, action: input.action, flag: flag)
        if let flag {
            if !next.flags.contains(flag) { next.flags.append(flag) }
            return (next, item)
        }
        switch input.action {
        case .issued:
            next.storedStatus = .valid
            next.setData(input, sequence: sequence)
        case .amended, .renewed:
            next.setData(input, sequence: sequence)
        case .suspended:
            next.storedStatus = .suspended
        case .reinstated:
            next.storedStatus = .valid
        case .revoked:
            next.storedStatus = .revoked
        case .unknown:
            break
        }
        return (next, item)
    }

    /// The entry after one event, as ``recording(_:sequence:to:)`` makes it, without the
    /// event's history item.
    public static func applying(_ input: RegistryInput, sequence: UInt64, to entry: RegistryEntry?) -> RegistryEntry {
        recording(input, sequence: sequence, to: entry).entry
    }

    /// Why `action` has no effect on an entry in `status`, or `nil` when it applies.
    static func flag(for action: RegistryAction, from status: RegistryStatus) -> RegistryFlag? {
        if action == .unknown { return .unknownType }
        switch (status, action) {
        case (.revoked, _): return .afterRevocation
        case (.notIssued, .issued): return nil
        case (.notIssued, _): return .notIssued
        case (_, .issued): return .alreadyIssued
        case (.valid, .suspended), (.suspended, .reinstated): return nil
        case (_, .suspended), (_, .reinstated): return .noEffect
        default: return nil
        }
    }

    private mutating func setData(_ input: RegistryInput, sequence: UInt64) {
        issuer = input.issuer
        holder = input.holder
        type = input.type
        validFrom = input.validFrom
        validUntil = input.validUntil
        dataSequence = sequence
    }
}
