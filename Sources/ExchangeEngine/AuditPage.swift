public import ExchangeStore

/// One page of filtered audit entries, newest first, read through the filter index.
public struct AuditPage: Sendable {
    /// The entries that pass the filter, newest first.
    public var records: [AuditEntryRecord]
    /// Where the next (older) page starts: pass it as `before`; `nil` when no older entry names
    /// the filter's indexed value.
    public var nextBefore: UInt64?
    /// Index entries read for this page.
    public var read: Int

    /// Creates a page.
    public init(records: [AuditEntryRecord], nextBefore: UInt64?, read: Int) {
        self.records = records
        self.nextBefore = nextBefore
        self.read = read
    }
}
