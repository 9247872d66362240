import Foundation
import LMDB
import Synchronization

@testable import ExchangeStore

/// A deduplication index on a bare LMDB environment, driven as the writer drives it: a batch
/// inserts its entries, the index takes its step in the batch's transaction, and the commit (or
/// the abandoned attempt) is reported back.
final class DedupIndexHarness {
    let directory = StoreDirectory()
    let environment: Environment
    let schema: StoreSchema
    private(set) var cache: DedupCache
    private let threshold: Int
    private let stepEntries: Int
    private let makeFilter: @Sendable (Int) -> DedupFilter
    private let horizon: UInt64?
    /// The index's wall clock: tests move it with ``advance(seconds:)``.
    let clock = Clock()

    /// A wall clock in Unix seconds that moves only when told.
    final class Clock: Sendable {
        let seconds = Mutex<UInt64>(1_800_000_000)
        var now: UInt64 { seconds.withLock { $0 } }
    }
    /// Every committed entry, by message id.
    private(set) var committed: [String: DedupCache.Entry] = [:]
    /// When each committed entry was committed, by the index's clock.
    private(set) var committedAt: [String: UInt64] = [:]
    private(set) var lastSequence: UInt64 = 0

    struct Abandoned: Error {}

    init(
        threshold: Int, stepEntries: Int, horizon: UInt64? = nil,
        makeFilter: @escaping @Sendable (Int) -> DedupFilter = { DedupFilter(capacity: $0) }
    ) throws {
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        environment = try Environment(path: directory.path, configuration: .init(mapSize: 256 << 20, maxDatabases: 32))
        schema = try environment.write { txn in try StoreSchema(opening: &txn) }
        self.threshold = threshold
        self.stepEntries = stepEntries
        self.makeFilter = makeFilter
        self.horizon = horizon
        cache = Self.makeCache(threshold: threshold, stepEntries: stepEntries, makeFilter: makeFilter, horizon: horizon, clock: clock)
        try environment.write { txn in try cache.loadRuns(&txn, schema: schema) }
        cache.finishRebuild(earliest: nil)
    }

    private static func makeCache(
        threshold: Int, stepEntries: Int, makeFilter: @escaping @Sendable (Int) -> DedupFilter, horizon: UInt64?, clock: Clock
    ) -> DedupCache {
        DedupCache(
            threshold: threshold, stepEntries: stepEntries, runs: DedupRuns(makeFilter: makeFilter), horizon: horizon,
            now: { clock.now })
    }

    /// Moves the index's clock on.
    func advance(seconds: UInt64) {
        clock.seconds.withLock { $0 += seconds }
    }

    deinit {
        environment.close()
        directory.remove()
    }

    static func key(_ id: String) -> DedupCache.Key { DedupCache.key(publisher: 7, id: id) }

    /// One batch of new entries, committed. Returns its step and the budget it had.
    @discardableResult
    func commit(_ ids: [String]) throws -> (step: DedupStepPlan, budget: Int) {
        cache.rollback()
        var added: [String: DedupCache.Entry] = [:]
        for id in ids {
            lastSequence += 1
            let entry = DedupCache.Entry(sequence: lastSequence, routeCount: UInt32(lastSequence % 5))
            cache.insert(Self.key(id), entry)
            added[id] = entry
        }
        let budget = cache.stepBudget
        let step = try environment.write { txn in try cache.step(txn: &txn, schema: schema, lastSequence: lastSequence) }
        cache.didCommit()
        committed.merge(added) { _, new in new }
        for id in added.keys { committedAt[id] = clock.now }
        return (step, budget)
    }

    /// One batch whose transaction is abandoned after the index's step.
    func abandon(_ ids: [String]) throws {
        cache.rollback()
        var sequence = lastSequence
        for id in ids {
            sequence += 1
            cache.insert(Self.key(id), DedupCache.Entry(sequence: sequence, routeCount: 0))
        }
        do {
            try environment.write { txn in
                try cache.step(txn: &txn, schema: schema, lastSequence: sequence)
                throw Abandoned()
            }
        } catch is Abandoned {}
        cache.rollback()
    }

    /// The index's answer for `id`, as a batch looks it up.
    func lookup(_ id: String) throws -> DedupCache.Entry? {
        let key = Self.key(id)
        if let entry = cache.lookup(key) { return entry }
        return try environment.write { txn in try cache.runs.lookup(key, txn: txn, schema: schema) }
    }

    /// Opens the index again over the same environment, as the store does after a restart or a
    /// crash (where the store would rebuild the entries after `dedup_merged_through` from the
    /// log, the harness puts back those it committed).
    func reopen() throws {
        cache = Self.makeCache(threshold: threshold, stepEntries: stepEntries, makeFilter: makeFilter, horizon: horizon, clock: clock)
        let mergedThrough = try environment.write { txn in
            try cache.loadRuns(&txn, schema: schema)
            return try txn.get(schema.meta, key: DedupCache.mergedThroughKey).map { $0.withUnsafeBytes { $0.bigEndianUInt64(at: 0) } } ?? 0
        }
        var earliest: UInt64?
        for (id, entry) in committed where entry.sequence > mergedThrough {
            cache.insert(Self.key(id), entry)
            earliest = min(earliest ?? .max, committedAt[id] ?? 0)
        }
        cache.finishRebuild(earliest: earliest)
        cache.didCommit()
    }

    /// Entries in `database` under run `id`.
    func storedEntries(_ database: Database, run id: UInt32) throws -> Int {
        try environment.write { txn in
            try txn.withCursor(database) { cursor in
                var count = 0
                var entry = try cursor.seek(atOrAfter: DedupRuns.prefix(id))
                while let current = entry, current.key.count >= 4, current.key.bigEndianUInt32(at: 0) == id {
                    count += 1
                    entry = try cursor.next()
                }
                return count
            }
        }
    }

    /// Commits empty batches until the index has nothing left to do (or `limit` of them).
    func settle(limit: Int = 100_000) throws {
        for _ in 0..<limit {
            let catalog = cache.runs.catalog
            if cache.frozen == nil, cache.recent.count < cache.threshold, catalog.merge == nil, catalog.obsolete.isEmpty,
                catalog.mergeCandidates(fanIn: DedupCache.mergeFanIn, maxSpan: cache.maxMergeSpan) == nil
            {
                return
            }
            if let frozen = cache.frozen, frozen.prepared == nil { Thread.sleep(forTimeInterval: 0.001) }
            try commit([])
        }
    }
}
