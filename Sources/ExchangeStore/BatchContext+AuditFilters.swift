import LMDB

extension BatchContext {
    /// Writes the filter index keys (``AuditFilterKey``) of the audit entry at `index`, in the
    /// transaction that writes the entry: the two are durable together.
    mutating func writeAuditFilters(_ prefixes: [[UInt8]], index: UInt64) throws {
        guard !prefixes.isEmpty else { return }
        let suffix = BigEndianKey.u64(index)
        for prefix in prefixes {
            _ = try txn.put(schema.auditFilters, key: prefix + suffix, value: [])
        }
    }
}
