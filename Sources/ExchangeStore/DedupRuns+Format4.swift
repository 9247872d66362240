import LMDB

extension DedupRuns {
    /// The deduplication part of the upgrade from format 4 (and 2 and 3, which share its
    /// layout) to format 5: the `dedup` B-tree those formats wrote, keyed by publisher id and
    /// message id without a run prefix, becomes the oldest run of the catalogue
    /// (``DedupRunCatalog/Location/format4``). It is read as it is, never merged and never
    /// written; `dedup_merged_through` keeps its meaning (the last sequence the on-disk index
    /// covers), so the entries after it are rebuilt from the log as before. An empty tree adds
    /// no run. Safe to run twice: a catalogue that already holds the tree is left as it is.
    ///
    /// Run it in the transaction that changes `format_version`, before ``load(_:schema:)``.
    static func upgradeFormat4Index(_ txn: inout WriteTransaction, schema: StoreSchema) throws {
        var catalog = try storedCatalog(txn, schema: schema)
        let count = try txn.count(schema.dedup)
        guard count > 0, !catalog.complete.contains(where: { $0.location == .format4 }) else { return }
        catalog.complete.insert(
            DedupRunCatalog.Run(id: 0, location: .format4, level: DedupRunCatalog.format4Level, count: UInt64(count)), at: 0)
        try txn.put(schema.meta, key: DedupRunCatalog.storageKey, value: catalog.encoded())
    }
}
