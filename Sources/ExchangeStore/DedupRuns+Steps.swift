import LMDB

extension DedupRuns {
    /// What one merge step wrote.
    struct MergeStep {
        /// The hashes of the keys written, for the output's filter.
        var hashes: [Int] = []
        /// Whether every input entry is now in the output.
        var finished = false
    }

    /// Writes the next entries of `merge`'s output, at most `budget`, in key order with
    /// `MDB_APPEND` (its id is the highest in `dedup_merged`).
    ///
    /// Where to go on is read from the output itself: its last key. From each input the entries
    /// after that key are read, a chunk each; the chunks are merged, and only entries up to the
    /// smallest last key of a chunk that did not reach its run's end are written, since a later
    /// chunk of that input may hold smaller keys than another input's rest.
    static func mergeStep(
        _ merge: DedupRunCatalog.Merge, catalog: DedupRunCatalog, budget: Int, txn: inout WriteTransaction, schema: StoreSchema
    ) throws -> MergeStep {
        let output = merge.output
        let outputDatabase = schema.database(output.location)
        let resume: [UInt8]? = try txn.withCursor(outputDatabase) { cursor in
            guard let last = try cursor.last(), last.key.count >= 4, last.key.bigEndianUInt32(at: 0) == output.id else { return nil }
            return Array(last.key[4...])
        }
        let inputs = merge.inputs.compactMap { id in catalog.complete.first { $0.id == id } }
        guard inputs.count == merge.inputs.count else {
            throw StoreError.corruptRecord("a deduplication merge names an input run that is not in the catalogue")
        }
        let chunkSize = max(16, budget / max(1, inputs.count) + budget / 4)
        var chunks: [[(key: DedupCache.Key, value: [UInt8])]] = []
        var exhausted: [Bool] = []
        for input in inputs {
            let (chunk, ended) = try readChunk(input, after: resume, limit: chunkSize, txn: txn, schema: schema)
            chunks.append(chunk)
            exhausted.append(ended)
        }
        // Entries beyond the smallest last key of an unfinished chunk wait for the next step.
        var bound: DedupCache.Key?
        for (chunk, ended) in zip(chunks, exhausted) where !ended {
            if let last = chunk.last?.key, bound.map({ DedupCache.Key.precedes(last, $0) }) ?? true { bound = last }
        }
        var step = MergeStep()
        var heads = [Int](repeating: 0, count: chunks.count)
        var previous: DedupCache.Key?
        while step.hashes.count < budget {
            var smallest: Int?
            for index in chunks.indices where heads[index] < chunks[index].count {
                if let current = smallest,
                    !DedupCache.Key.precedes(chunks[index][heads[index]].key, chunks[current][heads[current]].key)
                {
                    continue
                }
                smallest = index
            }
            guard let index = smallest else { break }
            let item = chunks[index][heads[index]]
            if let bound, DedupCache.Key.precedes(bound, item.key) { break }
            heads[index] += 1
            // A key in two inputs (never written so, but harmless) is written once.
            if let previous, previous == item.key { continue }
            try txn.put(outputDatabase, key: storedKey(output, item.key.bytes), value: item.value, flags: .append)
            step.hashes.append(item.key.hash)
            previous = item.key
        }
        step.finished = exhausted.allSatisfy { $0 } && zip(heads, chunks).allSatisfy { $0 == $1.count }
        return step
    }

    /// Up to `limit` entries of `run` after the key `after` (from its start when `nil`), and
    /// whether they reach the run's end.
    private static func readChunk(
        _ run: DedupRunCatalog.Run, after: [UInt8]?, limit: Int, txn: borrowing WriteTransaction, schema: StoreSchema
    ) throws -> (entries: [(key: DedupCache.Key, value: [UInt8])], ended: Bool) {
        let prefix = prefix(run.id)
        return try txn.withCursor(schema.database(run.location)) { cursor in
            var entries: [(key: DedupCache.Key, value: [UInt8])] = []
            entries.reserveCapacity(limit)
            var entry = try cursor.seek(atOrAfter: after.map { prefix + $0 } ?? prefix)
            while let current = entry, current.key.count >= 4, current.key.bigEndianUInt32(at: 0) == run.id {
                if entries.count == limit { return (entries, false) }
                let key = Array(current.key[4...])
                if key != after {
                    entries.append((DedupCache.Key(bytes: key), Array(current.value)))
                }
                entry = try cursor.next()
            }
            return (entries, true)
        }
    }

    /// Deletes up to `budget` entries of `run`, which no look-up reads any more.
    /// - Returns: how many were deleted, and whether the run is now gone.
    static func deleteStep(
        _ run: DedupRunCatalog.Run, budget: Int, txn: inout WriteTransaction, schema: StoreSchema
    ) throws -> (deleted: Int, finished: Bool) {
        precondition(run.location != .format4, "the format 4 index is never deleted")
        let prefix = prefix(run.id)
        return try txn.withCursor(schema.database(run.location)) { cursor in
            var deleted = 0
            var entry = try cursor.seek(atOrAfter: prefix)
            while let current = entry, current.key.count >= 4, current.key.bigEndianUInt32(at: 0) == run.id {
                if deleted == budget { return (deleted, false) }
                try cursor.deleteCurrent()
                deleted += 1
                entry = try cursor.seek(atOrAfter: prefix)
            }
            return (deleted, true)
        }
    }
}
