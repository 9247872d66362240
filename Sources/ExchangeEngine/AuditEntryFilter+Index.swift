public import ExchangeStore

extension AuditEntryFilter {
    /// The filter index value that answers this filter (``AuditFilterKey``), or `nil` when the
    /// filter names none (only a topic or times, or nothing): the subject, else the agreement,
    /// the department, the kind, the most selective first. The other parts of the filter are
    /// checked on each entry the index gives.
    public var indexKey: AuditFilterKey? {
        if let subject { return .subject(subject) }
        if let agreement { return .agreement(agreement) }
        if let department { return .department(department) }
        if let kind { return .kind(kind) }
        return nil
    }
}
