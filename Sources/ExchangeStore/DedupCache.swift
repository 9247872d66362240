import ExchangeModel
import Foundation
import LMDB

/// The deduplication index: the entries of recent events in memory, and sorted runs on disk
/// (``DedupRuns``) behind in-memory filters.
///
/// A B-tree keyed by publisher and message id takes one scattered page write per new entry,
/// which dominates the cost of a durable append. New entries are therefore kept here, keyed by
/// the same bytes, until `threshold` accumulate; then they are frozen and written to disk as one
/// sorted run, a bounded part per commit (``step(txn:schema:lastSequence:)``), while the frozen
/// entries keep answering from memory. When the run's last entry is in, the run answers instead
/// and `meta/dedup_merged_through` records the last sequence it covers; when the store opens,
/// the entries after that sequence are rebuilt from the log, so a crash loses none.
///
/// A batch inserts its entries here as it applies them (one hash look-up each); they are
/// `pending` until the batch commits, and ``rollback()`` removes them (and undoes a freeze of
/// the same attempt) when its transaction is abandoned. Only the writer thread touches this
/// object after the store opened.
final class DedupCache: @unchecked Sendable {
    struct Entry: Equatable {
        var sequence: UInt64
        var routeCount: UInt32
    }

    /// Publisher id (big-endian) and message id: the `dedup` index key, hashed once (with the
    /// process's seeded hasher, as message ids come from publishers) when it is made.
    struct Key: Hashable {
        let bytes: [UInt8]
        /// The bytes' hash with the process's seeded hasher (see ``hash(of:)``).
        let hash: Int
        /// The first eight bytes as a big-endian integer (zeros past a shorter key): orders most
        /// pairs of keys without reading their arrays.
        private let prefix: UInt64

        init(bytes: [UInt8]) {
            self.bytes = bytes
            var prefix: UInt64 = 0
            hash = bytes.withUnsafeBytes { raw in
                for index in 0..<8 {
                    prefix = prefix << 8 | UInt64(index < raw.count ? raw[index] : 0)
                }
                return Self.hash(of: raw)
            }
            self.prefix = prefix
        }

        /// The hash of a key's bytes, as ``hash`` holds it: what the runs' filters are built from,
        /// also for keys read from disk.
        static func hash(of bytes: UnsafeRawBufferPointer) -> Int {
            var hasher = Hasher()
            hasher.combine(bytes: bytes)
            return hasher.finalize()
        }

        static func == (lhs: Key, rhs: Key) -> Bool { lhs.hash == rhs.hash && lhs.bytes == rhs.bytes }

        func hash(into hasher: inout Hasher) {
            hasher.combine(hash)
        }

        /// The `dedup` index's order: bytewise, as LMDB compares keys. Differing prefixes decide
        /// as the bytes would (zero padding sorts a shorter key first unless its next bytes are
        /// zeros, and then the bytes decide).
        static func precedes(_ lhs: Key, _ rhs: Key) -> Bool {
            if lhs.prefix != rhs.prefix { return lhs.prefix < rhs.prefix }
            return lhs.bytes.withUnsafeBytes { left in
                rhs.bytes.withUnsafeBytes { right in
                    let common = min(left.count, right.count)
                    let order = common == 0 ? 0 : memcmp(left.baseAddress!, right.baseAddress!, common)
                    return order != 0 ? order < 0 : left.count < right.count
                }
            }
        }
    }

    static let mergedThroughKey = Array("dedup_merged_through".utf8)

    /// The entries not yet in a frozen set, pending ones included.
    var recent: [Key: Entry] = [:]
    /// Keys inserted by the batch being applied, not yet committed.
    var pending: [Key] = []
    /// The entries being written to disk as a run; they answer from here until it is complete.
    var frozen: DedupFrozenEntries?
    /// Whether the current attempt froze ``frozen`` (undone if it does not commit).
    var frozenThisAttempt = false
    /// Set by a retention step that waits for recent entries to be in a run: the next step
    /// freezes what memory holds, however few entries (writer thread only).
    var freezeRequested = false
    /// What the current attempt's step changed, applied to memory by ``didCommit()``.
    var plan: DedupStepPlan?
    let threshold: Int
    /// Entries a step may write or delete in any commit; see ``stepBudget``.
    let stepEntries: Int
    /// The sorted runs on disk and their filters.
    let runs: DedupRuns
    /// How long, in seconds, a (publisher, message id) is recognised at least; `nil`: forever.
    /// A run whose newest entry is older is pruned whole, and merges join only runs within a
    /// quarter of it (``maxMergeSpan``), so an entry is dropped between the horizon and about
    /// 1.25 times it after its publication.
    let horizon: UInt64?
    /// Unix seconds: the wall clock read when the cache was made, advanced by the monotonic
    /// clock since (``anchoredClock(wall:monotonic:)``; tests pass their own).
    let now: @Sendable () -> UInt64
    /// Unix seconds at or before the publication of every entry in ``recent``: when its first
    /// entry came (or the last freeze, or when the store opens the earliest receive time of the
    /// events rebuilt into it).
    var recentSince: UInt64 = 0
    /// ``recentSince`` before this attempt first changed it (restored by ``rollback()``).
    private var recentSinceBeforeAttempt: UInt64?

    /// - Parameters:
    ///   - threshold: entries held in memory before they are frozen and written as a run.
    ///   - stepEntries: entries the index writes or deletes in a commit at least (see
    ///     ``stepBudget``).
    ///   - horizon: seconds a repeat is recognised at least; `nil` (the default): forever.
    ///   - now: Unix seconds; by default the wall clock as the cache is made, advanced by the
    ///     monotonic clock.
    init(
        threshold: Int, stepEntries: Int = 1_024, runs: DedupRuns = DedupRuns(), horizon: UInt64? = nil,
        now: @escaping @Sendable () -> UInt64 = DedupCache.anchoredClock()
    ) {
        self.threshold = threshold
        self.stepEntries = max(1, stepEntries)
        self.runs = runs
        self.horizon = horizon
        self.now = now
    }

    /// Unix seconds now, from the wall clock.
    @Sendable static func wallClock() -> UInt64 {
        UInt64(max(0, Date().timeIntervalSince1970))
    }

    /// A clock of Unix seconds that takes `wall` once and then advances by `monotonic`: a step
    /// of the wall clock while the store is open (a bad time source, an operator's mistake)
    /// moves neither the pruning of runs past the horizon nor their times. Pruning is for
    /// good, so one forward step would otherwise drop every run at once.
    /// - Parameters:
    ///   - wall: Unix seconds when the clock is made.
    ///   - monotonic: the monotonic clock (tests pass their own).
    static func anchoredClock(
        wall: UInt64 = wallClock(), monotonic: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) -> @Sendable () -> UInt64 {
        let start = monotonic()
        return { wall &+ UInt64(clamping: max(0, (monotonic() - start).components.seconds)) }
    }

    /// The longest time runs joined by a merge may span: a quarter of the horizon, when there is one.
    var maxMergeSpan: UInt64? { horizon.map { $0 / 4 } }

    /// Whether the recent entries, however few, began a quarter of the horizon ago: they are
    /// then frozen into a run, so that at a low rate too a run spans at most that long and goes
    /// about a horizon after its newest entry.
    var recentIsWide: Bool {
        guard let maxMergeSpan, !recent.isEmpty else { return false }
        let time = now()
        return time > recentSince && time - recentSince >= max(1, maxMergeSpan)
    }

    /// Freezes the recent entries: they become the run to write, with their time bounds.
    func freeze(through lastSequence: UInt64) {
        let time = now()
        frozen = DedupFrozenEntries(
            entries: recent, through: lastSequence, times: (recentSince, max(time, recentSince)), makeFilter: runs.makeFilter)
        recent = Dictionary(minimumCapacity: min(threshold, 1 << 20))
        frozenThisAttempt = true
        moveRecentSince(to: time)
    }

    /// Keeps this attempt's ``recentSince``: the attempt committed.
    func keepRecentSince() {
        recentSinceBeforeAttempt = nil
    }

    /// Raises ``recentSince`` to `time` (never lowers it), restorably within the attempt.
    private func moveRecentSince(to time: UInt64) {
        if recentSinceBeforeAttempt == nil { recentSinceBeforeAttempt = recentSince }
        recentSince = max(time, recentSince)
    }

    /// The entry for `key` in memory: recent (this batch's included) or frozen.
    func lookup(_ key: Key) -> Entry? {
        recent[key] ?? frozen?.entries[key]
    }

    /// Adds an entry of the batch being applied; it stays pending until ``didCommit()``.
    func insert(_ key: Key, _ entry: Entry) {
        // The first entry after a quiet spell begins the set now, not at the last freeze: a
        // run's span is then the time its entries came in.
        if recent.isEmpty, horizon != nil { moveRecentSince(to: now()) }
        recent[key] = entry
        pending.append(key)
    }

    /// Removes the pending entries and forgets the step: their transaction was abandoned.
    func rollback() {
        if frozenThisAttempt, let frozen {
            recent.merge(frozen.entries) { current, _ in current }
            self.frozen = nil
        }
        if let before = recentSinceBeforeAttempt { recentSince = before }
        recentSinceBeforeAttempt = nil
        frozenThisAttempt = false
        plan = nil
        for key in pending { recent.removeValue(forKey: key) }
        pending.removeAll(keepingCapacity: true)
    }

    /// Reads the runs' catalogue and builds the filters of the runs within the horizon when the
    /// store opens (``DedupRuns/load(_:schema:now:horizon:)``).
    /// - Returns: the entries handed to deletion for the horizon and their newest time, if any.
    @discardableResult
    func loadRuns(_ txn: inout WriteTransaction, schema: StoreSchema) throws -> (entries: UInt64, newest: UInt64)? {
        try runs.load(&txn, schema: schema, now: now(), horizon: horizon)
    }

    /// `dedup_merged_through` from its stored value: the last sequence a complete run covers,
    /// 0 before the first (no value).
    /// - Throws: ``StoreError/corruptRecord(_:)`` when the value is not a sequence.
    static func mergedThrough(_ stored: [UInt8]?) throws -> UInt64 {
        guard let bytes = stored else { return 0 }
        guard bytes.count == 8, let value = bytes.withUnsafeBytes({ $0.bigEndianUInt64(at: 0) }) as UInt64?, value < UInt64.max else {
            throw StoreError.corruptRecord("meta/dedup_merged_through is not a sequence")
        }
        return value
    }

    /// Rebuilds the entries of events after `dedup_merged_through` (the last sequence a complete
    /// run covers) from the log.
    func rebuild(_ txn: borrowing WriteTransaction, schema: StoreSchema, names: NameTable) throws {
        let mergedThrough = try Self.mergedThrough(txn.get(schema.meta, key: Self.mergedThroughKey))
        var earliest: UInt64?
        try txn.withCursor(schema.log) { cursor in
            var entry = try cursor.seek(atOrAfter: BigEndianKey.u64(mergedThrough + 1))
            while let current = entry {
                let identity = try EventRecord.identity(current.value)
                let receivedAt = EventView(sequence: 0, record: current.value).receivedAt / 1_000_000_000
                earliest = min(earliest ?? receivedAt, receivedAt)
                guard let publisher = names.id(of: identity.source, kind: .department) else {
                    throw StoreError.corruptRecord("event \(current.key.bigEndianUInt64(at: 0)) names an unknown publisher")
                }
                recent[Self.key(publisher: publisher, id: identity.id)] = Entry(
                    sequence: current.key.bigEndianUInt64(at: 0), routeCount: identity.routeCount)
                entry = try cursor.next()
            }
        }
        finishRebuild(earliest: earliest)
    }

    /// Sets ``recentSince`` once the entries after `dedup_merged_through` are back: the
    /// earliest receive time of their events (Unix seconds), or now when there are none.
    func finishRebuild(earliest: UInt64?) {
        recentSince = earliest ?? now()
    }

    static func key(publisher: UInt32, id: String) -> Key {
        var key = BigEndianKey(capacity: 4 + id.utf8.count)
        key.append(publisher)
        key.append(id)
        return Key(bytes: key.bytes)
    }

    static func encode(_ entry: Entry) -> [UInt8] {
        var value = BigEndianKey(capacity: 12)
        value.append(entry.sequence)
        value.append(entry.routeCount)
        return value.bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) -> Entry? {
        guard bytes.count == 12 else { return nil }
        return Entry(sequence: bytes.bigEndianUInt64(at: 0), routeCount: bytes.bigEndianUInt32(at: 8))
    }
}
