public import ExchangeAudit
public import ExchangeStore

extension Exchange {
    /// Entries in the audit log (committed).
    public var auditCount: UInt64 { store.auditCount }

    /// Up to `limit` audit entries from `index`, as stored, with their leaf hashes.
    /// - Throws: ``ExchangeError`` with the store's error.
    public func auditEntries(from index: UInt64, limit: Int) throws(ExchangeError) -> [AuditEntryRecord] {
        do {
            return try store.auditEntryRecords(from: index, limit: limit)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// The inclusion proof of entry `index` in the tree of the first `treeSize` entries.
    /// - Throws: ``ExchangeError`` with the store's error.
    public func auditInclusionProof(index: UInt64, treeSize: UInt64) throws(ExchangeError) -> [Digest] {
        do {
            return try store.auditInclusionProof(index: index, treeSize: treeSize)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// The consistency proof between the trees of the first `first` and `second` entries.
    /// - Throws: ``ExchangeError`` with the store's error.
    public func auditConsistencyProof(first: UInt64, second: UInt64) throws(ExchangeError) -> [Digest] {
        do {
            return try store.auditConsistencyProof(first: first, second: second)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// The signed checkpoint of a tree size, or the latest when `treeSize` is `nil`; `nil` when
    /// none is kept.
    /// - Throws: ``ExchangeError`` with the store's error.
    public func checkpoint(treeSize: UInt64?) throws(ExchangeError) -> StoredCheckpoint? {
        do {
            if let treeSize { return try store.checkpoint(treeSize: treeSize) }
            return try store.latestCheckpoint()
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Up to `limit` signed checkpoints from tree size `treeSize` on.
    /// - Throws: ``ExchangeError`` with the store's error.
    public func checkpoints(from treeSize: UInt64, limit: Int) throws(ExchangeError) -> [StoredCheckpoint] {
        do {
            return try store.checkpoints(from: treeSize, limit: limit)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// The stored event of `sequence`, or `nil` when the log holds none.
    /// - Throws: ``ExchangeError`` with the store's error.
    public func storedEvent(_ sequence: UInt64) throws(ExchangeError) -> StoredEvent? {
        do {
            return try store.event(sequence)
        } catch {
            throw Self.mapped(error)
        }
    }
}
