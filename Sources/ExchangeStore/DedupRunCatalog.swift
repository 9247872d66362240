/// Which sorted runs make up the on-disk deduplication index: stored in `meta` under
/// ``storageKey``, rewritten in the transaction of every step that changes it.
///
/// A run is a sorted stream of entries (publisher id, message id → sequence, route count), each
/// key prefixed by the run's id so that a run is written with `MDB_APPEND` at the end of its
/// database: `dedup_runs` for runs written from memory, `dedup_merged` for the output of merging
/// runs (one merge at a time), and the format 4 `dedup` B-tree, unprefixed, as the oldest run of
/// an upgraded store. Only ``complete`` runs answer look-ups; a run being written (``flush``, the
/// ``merge`` output) is invisible until its last entry is in, and ``obsolete`` runs (a merge's
/// inputs, or a run whose writing a crash interrupted, or a run past the deduplication horizon)
/// are removed in steps.
///
/// Each run carries bounds on when its events were published, in Unix seconds: ``Run/oldest``
/// at or before its oldest entry's, ``Run/newest`` at or after its newest entry's. A run whose
/// ``Run/newest`` is older than the horizon is pruned whole (``expired(before:)``), and with a
/// horizon merges join only runs whose bounds lie close together (``mergeCandidates(fanIn:maxSpan:)``),
/// so that no run outlives its entries' horizon by much.
struct DedupRunCatalog: Equatable {
    /// Where a run's entries are.
    enum Location: UInt8 {
        /// The format 4 `dedup` B-tree: keys without a run prefix; read, never written.
        case format4 = 0
        /// `dedup_runs`: runs written from the in-memory entries.
        case flushed = 1
        /// `dedup_merged`: runs written by merging runs.
        case merged = 2
    }

    /// One run.
    struct Run: Equatable {
        var id: UInt32
        var location: Location
        /// 0 for a run written from memory; one more than its highest input for a merge output.
        var level: UInt8
        /// The entries it holds (for a run being written, the entries it will hold).
        var count: UInt64
        /// Unix seconds at or before the publication of its oldest entry; 0 when unknown.
        var oldest: UInt64 = 0
        /// Unix seconds at or after the publication of its newest entry; ``unknownTime`` for a
        /// run catalogued before runs had times, until the store's next open sets it
        /// (``settlingUnknownTimes(now:)``).
        var newest: UInt64 = DedupRunCatalog.unknownTime
    }

    /// A merge in progress: its inputs stay complete runs until the output is.
    struct Merge: Equatable {
        var output: Run
        var inputs: [UInt32]
    }

    static let storageKey = Array("dedup_runs".utf8)
    /// Version 2 adds each run's time bounds; version 1 is read with them unknown.
    private static let encodingVersion: UInt8 = 2
    /// ``Run/newest`` of a run whose times were never recorded.
    static let unknownTime = UInt64.max
    /// The level of the format 4 tree: never chosen for a merge.
    static let format4Level = UInt8.max

    /// The runs that answer look-ups, oldest first.
    var complete: [Run] = []
    /// The run being written from the frozen in-memory entries.
    var flush: Run?
    /// The merge being written.
    var merge: Merge?
    /// Runs no look-up reads any more, being deleted.
    var obsolete: [Run] = []
    /// The id the next run gets: ids are never reused, so a new run's keys follow every key of
    /// its database.
    var nextID: UInt32 = 1

    /// Takes the next run id.
    /// - Parameters:
    ///   - oldest: Unix seconds at or before its oldest entry's publication.
    ///   - newest: Unix seconds at or after its newest entry's publication.
    mutating func allocate(_ location: Location, level: UInt8, count: UInt64, oldest: UInt64, newest: UInt64) -> Run {
        defer { nextID += 1 }
        return Run(id: nextID, location: location, level: level, count: count, oldest: oldest, newest: newest)
    }

    /// The oldest `fanIn` complete runs of the lowest level that has that many, if any, whose
    /// time bounds together span at most `maxSpan` seconds (any span when `nil`): runs of one
    /// level, oldest first, are taken in the first window of `fanIn` that fits.
    func mergeCandidates(fanIn: Int, maxSpan: UInt64? = nil) -> [Run]? {
        let levels = Set(complete.map(\.level)).subtracting([Self.format4Level]).sorted()
        for level in levels {
            let runs = complete.filter { $0.level == level }
            guard runs.count >= fanIn else { continue }
            guard let maxSpan else { return Array(runs.prefix(fanIn)) }
            for start in 0...(runs.count - fanIn) {
                let window = runs[start..<(start + fanIn)]
                let oldest = window.map(\.oldest).min() ?? 0
                let newest = window.map(\.newest).max() ?? 0
                if newest != Self.unknownTime, newest >= oldest, newest - oldest <= maxSpan { return Array(window) }
            }
        }
        return nil
    }

    /// The complete runs whose newest entry was published before `cutoff` (Unix seconds), other
    /// than the format 4 index (never deleted) and a running merge's inputs (pruned as the
    /// merge's output once it is complete).
    func expired(before cutoff: UInt64) -> [Run] {
        let merging = Set(merge?.inputs ?? [])
        return complete.filter { run in
            run.location != .format4 && !merging.contains(run.id) && run.newest != Self.unknownTime && run.newest < cutoff
        }
    }

    /// The catalogue with `now` as the newest time of every run whose times are unknown (one
    /// catalogued before runs had times): an upper bound, since they were all written before.
    func settlingUnknownTimes(now: UInt64) -> DedupRunCatalog {
        var catalog = self
        func settle(_ run: inout Run) {
            if run.newest == Self.unknownTime { run.newest = now }
        }
        for index in catalog.complete.indices { settle(&catalog.complete[index]) }
        for index in catalog.obsolete.indices { settle(&catalog.obsolete[index]) }
        if var flush = catalog.flush {
            settle(&flush)
            catalog.flush = flush
        }
        if var merge = catalog.merge {
            settle(&merge.output)
            catalog.merge = merge
        }
        return catalog
    }

    // MARK: Encoding

    func encoded() -> [UInt8] {
        var bytes = BigEndianKey(capacity: 64 + 32 * (complete.count + obsolete.count + 2))
        bytes.append(UInt32(Self.encodingVersion))
        bytes.append(nextID)
        Self.append(complete, to: &bytes)
        Self.append(flush.map { [$0] } ?? [], to: &bytes)
        Self.append(merge.map { [$0.output] } ?? [], to: &bytes)
        bytes.append(UInt32(merge?.inputs.count ?? 0))
        for input in merge?.inputs ?? [] { bytes.append(input) }
        Self.append(obsolete, to: &bytes)
        return bytes.bytes
    }

    /// Decodes a stored catalogue; `nil` when the bytes are not one.
    init?(encoded bytes: UnsafeRawBufferPointer) {
        var reader = Reader(bytes: bytes)
        guard let version = reader.u32(), version == 1 || version == UInt32(Self.encodingVersion) else { return nil }
        reader.timed = version >= 2
        guard let nextID = reader.u32(),
            let complete = reader.runs(), let flush = reader.runs(), flush.count <= 1,
            let output = reader.runs(), output.count <= 1, let inputCount = reader.u32()
        else { return nil }
        var inputs: [UInt32] = []
        for _ in 0..<inputCount {
            guard let input = reader.u32() else { return nil }
            inputs.append(input)
        }
        guard let obsolete = reader.runs(), reader.offset == bytes.count else { return nil }
        // What every later step relies on, so that a damaged catalogue is refused at open
        // instead of trapping or failing every commit: unique ids below the next one (which has
        // room to grow), counts no store reaches, at most one format 4 index, among the
        // complete runs as the upgrade put it (id 0, its own level), a flush into `dedup_runs`
        // and a merge into `dedup_merged`, whose inputs are complete runs other than the format
        // 4 index.
        let runs = complete + flush + output + obsolete
        let format4 = complete.filter { $0.location == .format4 }
        guard nextID <= Self.maxRunID, runs.allSatisfy({ $0.id < nextID && $0.count <= Self.maxRunEntries }),
            Set(runs.map(\.id)).count == runs.count,
            format4.count <= 1, format4.allSatisfy({ $0.id == 0 && $0.level == Self.format4Level }),
            complete.allSatisfy({ ($0.location == .format4) == ($0.level == Self.format4Level) }),
            (flush + obsolete).allSatisfy({ $0.location != .format4 }), flush.allSatisfy({ $0.location == .flushed }),
            output.allSatisfy({ $0.location == .merged }),
            Set(inputs).isSubset(of: complete.filter { $0.location != .format4 }.map(\.id))
        else { return nil }
        self.nextID = nextID
        self.complete = complete
        self.flush = flush.first
        self.merge = output.first.map { Merge(output: $0, inputs: inputs) }
        self.obsolete = obsolete
    }

    init() {}

    /// The most entries a run may count: far beyond any store (a trillion events).
    static let maxRunEntries: UInt64 = 1 << 40
    /// The highest next run id a catalogue may hold: half the id space, so that allocation
    /// never wraps.
    static let maxRunID = UInt32.max / 2

    private static func append(_ runs: [Run], to bytes: inout BigEndianKey) {
        bytes.append(UInt32(runs.count))
        for run in runs {
            bytes.append(run.id)
            bytes.append(UInt32(run.location.rawValue) << 8 | UInt32(run.level))
            bytes.append(run.count)
            bytes.append(run.oldest)
            bytes.append(run.newest)
        }
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0
        /// Whether runs carry their time bounds (version 2).
        var timed = false

        mutating func u32() -> UInt32? {
            guard offset + 4 <= bytes.count else { return nil }
            defer { offset += 4 }
            return bytes.bigEndianUInt32(at: offset)
        }

        mutating func u64() -> UInt64? {
            guard offset + 8 <= bytes.count else { return nil }
            defer { offset += 8 }
            return bytes.bigEndianUInt64(at: offset)
        }

        mutating func runs() -> [Run]? {
            guard let count = u32(), Int(count) <= bytes.count else { return nil }
            var runs: [Run] = []
            for _ in 0..<count {
                guard let id = u32(), let kind = u32(), let location = Location(rawValue: UInt8(truncatingIfNeeded: kind >> 8)),
                    let entries = u64()
                else { return nil }
                var run = Run(id: id, location: location, level: UInt8(truncatingIfNeeded: kind), count: entries)
                if timed {
                    guard let oldest = u64(), let newest = u64() else { return nil }
                    run.oldest = oldest
                    run.newest = newest
                }
                runs.append(run)
            }
            return runs
        }
    }
}
