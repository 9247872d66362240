import LMDB

/// What one commit's deduplication step changed: written in the commit's transaction, applied
/// to memory by `DedupCache.didCommit()` only once it committed.
struct DedupStepPlan {
    /// The catalogue after the step.
    var catalog: DedupRunCatalog
    /// Frozen entries written so far, when the step wrote some.
    var flushWritten: Int?
    /// The run of frozen entries the step completed, with its filter.
    var completedFlush: (id: UInt32, filter: DedupFilter)?
    /// The filter of a merge the step began.
    var startedMergeFilter: DedupFilter?
    /// The hashes of the keys the step wrote into the merge's output.
    var mergeHashes: [Int] = []
    /// The output of a merge the step completed.
    var completedMerge: UInt32?
    /// Entries written or deleted.
    var entries = 0
    /// Runs completed: frozen entries written (a merge into the index, as operators count
    /// them), or runs merged into one.
    var completedRuns = 0
    /// Entries left out of a completed run of frozen entries (see `DedupFrozenEntries.Prepared`).
    var skipped = 0
    /// Entries of runs the step handed to deletion because they passed the horizon.
    var pruned: UInt64 = 0
    /// The newest time (Unix seconds) of the runs pruned, when the step pruned some.
    var prunedThrough: UInt64?

    init(catalog: DedupRunCatalog) {
        self.catalog = catalog
    }
}

extension DedupCache {
    /// Entries a step may write or delete per new entry of its commit, on top of
    /// ``stepEntries``. The index's work per event is one write into a run and, per level of
    /// merging (four runs into one), one write and one delete; 16 keeps merges ahead of the
    /// runs written from memory up to about seven levels (the threshold × 4⁷ entries) even for
    /// large commits, and the step of a commit stays proportional to the commit.
    static let stepEntriesPerNewEntry = 16
    /// Runs of one level merged into one of the next.
    static let mergeFanIn = 4

    /// The entries this commit's step may write or delete.
    var stepBudget: Int { stepEntries + Self.stepEntriesPerNewEntry * pending.count }

    /// The index's work in the transaction of a batch, after its operations: freezes the entries
    /// in memory when they reach ``threshold``; writes the next part of the frozen entries' run
    /// (making it complete and `dedup_merged_through` its last sequence when the last entry is
    /// in); hands runs past the ``horizon`` to deletion; deletes the next part of runs no
    /// look-up reads; begins a merge when a level holds ``mergeFanIn`` runs (within
    /// ``maxMergeSpan``) and writes its next part. At most ``stepBudget`` entries in all.
    /// - Parameter lastSequence: the last sequence of the transaction.
    @discardableResult
    func step(txn: inout WriteTransaction, schema: StoreSchema, lastSequence: UInt64) throws -> DedupStepPlan {
        var plan = DedupStepPlan(catalog: runs.catalog)
        var budget = stepBudget
        if frozen == nil, recent.count >= threshold || (freezeRequested && !recent.isEmpty) || recentIsWide {
            freezeRequested = false
            freeze(through: lastSequence)
        }
        if let frozen, let prepared = frozen.prepared ?? (frozen.entries.count <= stepEntries ? frozen.prepareNow() : nil) {
            if plan.catalog.flush == nil {
                plan.catalog.flush = plan.catalog.allocate(
                    .flushed, level: 0, count: UInt64(prepared.sorted.count), oldest: frozen.times.oldest, newest: frozen.times.newest)
            }
            let run = plan.catalog.flush!
            let end = min(prepared.sorted.count, frozen.written + budget)
            let database = schema.database(run.location)
            for index in frozen.written..<end {
                let item = prepared.sorted[index]
                try txn.put(database, key: DedupRuns.storedKey(run, item.key.bytes), value: Self.encode(item.entry), flags: .append)
            }
            budget -= end - frozen.written
            plan.entries += end - frozen.written
            plan.flushWritten = end
            if end == prepared.sorted.count {
                plan.catalog.complete.append(run)
                plan.catalog.flush = nil
                try txn.put(schema.meta, key: Self.mergedThroughKey, value: BigEndianKey.u64(frozen.through))
                plan.completedFlush = (run.id, prepared.filter)
                plan.completedRuns += 1
                plan.skipped = prepared.skipped
            }
        }
        if let horizon {
            let time = now()
            let expired = plan.catalog.expired(before: time > horizon ? time - horizon : 0)
            if !expired.isEmpty {
                let ids = Set(expired.map(\.id))
                plan.catalog.complete.removeAll { ids.contains($0.id) }
                plan.catalog.obsolete += expired
                plan.pruned = expired.reduce(0) { $0 + $1.count }
                plan.prunedThrough = expired.map(\.newest).max()
            }
        }
        // Deletion leaves half the budget to a merge that runs or waits, so that a large
        // deletion (runs past the horizon) does not hold merges back while level-0 runs pile up.
        // Deletion below changes only the obsolete runs, so the candidates stay those.
        let candidates = plan.catalog.merge == nil ? plan.catalog.mergeCandidates(fanIn: Self.mergeFanIn, maxSpan: maxMergeSpan) : nil
        var deletionBudget = plan.catalog.merge != nil || candidates != nil ? (budget + 1) / 2 : budget
        while deletionBudget > 0, let run = plan.catalog.obsolete.first {
            let (deleted, finished) = try DedupRuns.deleteStep(run, budget: deletionBudget, txn: &txn, schema: schema)
            deletionBudget -= deleted
            budget -= deleted
            plan.entries += deleted
            guard finished else { break }
            plan.catalog.obsolete.removeFirst()
        }
        if let inputs = candidates {
            let count = inputs.reduce(0) { $0 + $1.count }
            let output = plan.catalog.allocate(
                .merged, level: (inputs.map(\.level).max() ?? 0) + 1, count: count,
                oldest: inputs.map(\.oldest).min() ?? 0, newest: inputs.map(\.newest).max() ?? 0)
            plan.catalog.merge = DedupRunCatalog.Merge(output: output, inputs: inputs.map(\.id))
            plan.startedMergeFilter = runs.makeFilter(Int(clamping: count))
        }
        if budget > 0, let merge = plan.catalog.merge {
            let step = try DedupRuns.mergeStep(merge, catalog: plan.catalog, budget: budget, txn: &txn, schema: schema)
            plan.entries += step.hashes.count
            plan.mergeHashes = step.hashes
            if step.finished {
                let inputs = plan.catalog.complete.filter { merge.inputs.contains($0.id) }
                plan.catalog.complete.removeAll { merge.inputs.contains($0.id) }
                plan.catalog.complete.append(merge.output)
                plan.catalog.obsolete += inputs
                plan.catalog.merge = nil
                plan.completedMerge = merge.output.id
                plan.completedRuns += 1
            }
        }
        if plan.catalog != runs.catalog {
            try txn.put(schema.meta, key: DedupRunCatalog.storageKey, value: plan.catalog.encoded())
        }
        self.plan = plan
        return plan
    }

    /// Keeps the pending entries and applies the step: their batch committed.
    /// - Returns: the committed step, if one ran.
    @discardableResult
    func didCommit() -> DedupStepPlan? {
        pending.removeAll(keepingCapacity: true)
        frozenThisAttempt = false
        keepRecentSince()
        guard let plan else { return nil }
        self.plan = nil
        if let written = plan.flushWritten { frozen?.written = written }
        if plan.completedFlush != nil { frozen = nil }
        runs.didCommit(plan)
        if let frozen, frozen.prepared == nil { frozen.prepareInBackground() }
        return plan
    }
}
