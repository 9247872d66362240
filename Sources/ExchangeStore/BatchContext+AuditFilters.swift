extension BatchContext {
    /// Adds the filter index keys (``AuditFilterKey``) of the audit entry at `index` to the
    /// index tail with this batch: like the entry's Merkle nodes, they join the tail after the
    /// commit and reach `audit_filters` with the next merge; a crash before it rebuilds them
    /// from the entry (``IndexTail/recover(_:schema:names:tree:threshold:)``). Written in the
    /// commit instead, they cost a one-event commit about 43 KB more (docs/benchmarks.md).
    mutating func writeAuditFilters(_ prefixes: [[UInt8]], index: UInt64) throws {
        guard !prefixes.isEmpty else { return }
        for prefix in prefixes {
            tailBatch.filterKeys.append(prefix: prefix, index: index)
        }
    }
}
