import LMDB

/// The on-disk part of the deduplication index: sorted runs (``DedupRunCatalog``), each behind
/// an in-memory ``DedupFilter``.
///
/// A look-up asks the complete runs' filters, newest first, and reads only the runs whose filter
/// may hold the key, with an exact B-tree get: a false positive costs a read that finds nothing.
/// A key is in at most one complete run (an entry is added only when no look-up found its key,
/// and a merge's output replaces its inputs in one commit), so the first hit is the answer.
///
/// Memory: the filters, ``DedupFilter/bitsPerEntry`` bits (1.25 bytes) per entry on disk, plus
/// the filter of a merge's output while the merge is written. They are built again from the runs'
/// keys when the store opens. Only the writer thread touches this object after the store opened.
final class DedupRuns: @unchecked Sendable {
    /// The catalogue as last committed.
    private(set) var catalog = DedupRunCatalog()
    private var filters: [UInt32: DedupFilter] = [:]
    /// The filter of the merge being written, for the entries committed so far.
    private(set) var mergeFilter: DedupFilter?
    /// Complete runs with their filters, newest first: the order of look-ups.
    private var probes: [(run: DedupRunCatalog.Run, filter: DedupFilter)] = []

    /// Makes the filter of a run of so many entries.
    let makeFilter: @Sendable (Int) -> DedupFilter

    /// - Parameter makeFilter: the filter of a run of so many entries; tests pass one that
    ///   answers "may hold" for every key.
    init(makeFilter: @escaping @Sendable (Int) -> DedupFilter = { DedupFilter(capacity: $0) }) {
        self.makeFilter = makeFilter
    }

    /// The bytes the filters take: what the on-disk index costs in memory.
    var filterBytes: Int {
        filters.values.reduce(0) { $0 + $1.byteCount } + (mergeFilter?.byteCount ?? 0)
    }

    /// The entry for `key` in a complete run, if any.
    func lookup(_ key: DedupCache.Key, txn: borrowing WriteTransaction, schema: StoreSchema) throws -> DedupCache.Entry? {
        for probe in probes where probe.filter.mayContain(key.hash) {
            if let entry = try Self.read(probe.run, key: key.bytes, txn: txn, schema: schema) { return entry }
        }
        return nil
    }

    /// Reads `key`'s entry in `run` with an exact get.
    static func read(
        _ run: DedupRunCatalog.Run, key: [UInt8], txn: borrowing WriteTransaction, schema: StoreSchema
    ) throws -> DedupCache.Entry? {
        let database = schema.database(run.location)
        if run.location == .format4 {
            return try key.withUnsafeBytes { try txn.get(database, key: $0).flatMap(DedupCache.decode) }
        }
        return try withUnsafeTemporaryAllocation(byteCount: 4 + key.count, alignment: 1) { buffer in
            buffer.storeBytes(of: run.id.bigEndian, as: UInt32.self)
            key.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[4...]).copyMemory(from: $0) }
            return try txn.get(database, key: UnsafeRawBufferPointer(buffer)).flatMap(DedupCache.decode)
        }
    }

    /// The key of `key` in `run`'s database: the run's id (big-endian), then the key.
    static func storedKey(_ run: DedupRunCatalog.Run, _ key: [UInt8]) -> [UInt8] {
        run.location == .format4 ? key : prefix(run.id) + key
    }

    /// The first four bytes of every key of run `id`.
    static func prefix(_ id: UInt32) -> [UInt8] {
        var prefix = BigEndianKey(capacity: 4)
        prefix.append(id)
        return prefix.bytes
    }

    // MARK: Opening

    /// Reads the catalogue when the store opens, hands runs whose writing a crash interrupted
    /// and runs past the horizon to deletion, gives runs catalogued before runs had times `now`
    /// as their newest time, and builds every other complete run's filter from its keys.
    /// - Parameters:
    ///   - now: the wall clock, Unix seconds.
    ///   - horizon: the deduplication horizon in seconds, if any.
    /// - Returns: the entries of the runs handed to deletion for the horizon and the newest
    ///   time among them, when there were some.
    @discardableResult
    func load(_ txn: inout WriteTransaction, schema: StoreSchema, now: UInt64, horizon: UInt64? = nil) throws -> (entries: UInt64, newest: UInt64)? {
        let stored = try Self.storedCatalog(txn, schema: schema)
        var catalog = stored.settlingUnknownTimes(now: now)
        if let flush = catalog.flush {
            catalog.obsolete.append(flush)
            catalog.flush = nil
        }
        if let merge = catalog.merge {
            catalog.obsolete.append(merge.output)
            catalog.merge = nil
        }
        var pruned: (entries: UInt64, newest: UInt64)?
        if let horizon {
            let expired = catalog.expired(before: now > horizon ? now - horizon : 0)
            let ids = Set(expired.map(\.id))
            catalog.complete.removeAll { ids.contains($0.id) }
            catalog.obsolete += expired
            if let newest = expired.map(\.newest).max() { pruned = (expired.reduce(0) { $0 + $1.count }, newest) }
        }
        if catalog != stored {
            try txn.put(schema.meta, key: DedupRunCatalog.storageKey, value: catalog.encoded())
        }
        // A run cannot hold more entries than its database: a damaged count is refused here,
        // before a filter is sized for it. A merge's count is the sum of its inputs' and may
        // overstate what it wrote by repeats it skipped, so the bound leaves room (twice the
        // database, and a million) and refuses only what no store writes.
        var entries: [DedupRunCatalog.Location: Int] = [:]
        for run in catalog.complete {
            let held = try entries[run.location] ?? txn.count(schema.database(run.location))
            entries[run.location] = held
            // Saturating: `held` comes from the file, which may be damaged too.
            let stat = UInt64(clamping: held)
            let bound = stat > (UInt64.max - 1_000_000) / 2 ? UInt64.max : 2 * stat + 1_000_000
            guard run.count <= bound else {
                throw StoreError.corruptRecord(
                    "meta/dedup_runs counts \(run.count) entries in run \(run.id), far more than its database holds (\(held))")
            }
        }
        var filters: [UInt32: DedupFilter] = [:]
        for run in catalog.complete {
            filters[run.id] = try buildFilter(run, txn: txn, schema: schema)
        }
        self.filters = filters
        mergeFilter = nil
        apply(catalog)
        return pruned
    }

    /// The stored catalogue; an empty one when there is none.
    static func storedCatalog(_ txn: borrowing WriteTransaction, schema: StoreSchema) throws -> DedupRunCatalog {
        guard let bytes = try txn.get(schema.meta, key: DedupRunCatalog.storageKey) else { return DedupRunCatalog() }
        guard let catalog = bytes.withUnsafeBytes({ DedupRunCatalog(encoded: $0) }) else {
            throw StoreError.corruptRecord("meta/dedup_runs, the deduplication index's catalogue, cannot be decoded")
        }
        return catalog
    }

    /// A filter holding every key of `run`, read from disk.
    func buildFilter(_ run: DedupRunCatalog.Run, txn: borrowing WriteTransaction, schema: StoreSchema) throws -> DedupFilter {
        var filter = makeFilter(Int(clamping: run.count))
        try txn.withCursor(schema.database(run.location)) { cursor in
            if run.location == .format4 {
                var entry = try cursor.first()
                while let current = entry {
                    filter.insert(DedupCache.Key.hash(of: current.key))
                    entry = try cursor.next()
                }
                return
            }
            var entry = try cursor.seek(atOrAfter: DedupRuns.prefix(run.id))
            while let current = entry, current.key.count >= 4, current.key.bigEndianUInt32(at: 0) == run.id {
                filter.insert(DedupCache.Key.hash(of: UnsafeRawBufferPointer(rebasing: current.key[4...])))
                entry = try cursor.next()
            }
        }
        return filter
    }

    // MARK: Committed changes

    /// Makes a committed step's changes the index's: the catalogue, the new runs' filters, the
    /// merge output's filter so far; drops the filters of runs no look-up reads any more.
    func didCommit(_ plan: DedupStepPlan) {
        if let started = plan.startedMergeFilter { mergeFilter = started }
        for hash in plan.mergeHashes { mergeFilter?.insert(hash) }
        if let flushed = plan.completedFlush { filters[flushed.id] = flushed.filter }
        if let output = plan.completedMerge {
            filters[output] = mergeFilter
            mergeFilter = nil
        }
        apply(plan.catalog)
    }

    private func apply(_ catalog: DedupRunCatalog) {
        self.catalog = catalog
        let visible = Set(catalog.complete.map(\.id))
        filters = filters.filter { visible.contains($0.key) }
        probes = catalog.complete.reversed().compactMap { run in filters[run.id].map { (run, $0) } }
    }
}

extension StoreSchema {
    /// The database holding runs at `location`.
    func database(_ location: DedupRunCatalog.Location) -> Database {
        switch location {
        case .format4: dedup
        case .flushed: dedupRuns
        case .merged: dedupMerged
        }
    }
}
