import Foundation
import LMDB
import Testing

@testable import ExchangeStore

/// The deduplication horizon (`store.dedup_horizon`): a key is recognised at least the horizon
/// after it was stored, then its run is pruned whole, and merges join only runs close in time,
/// so that memory and disk follow one horizon of traffic.
@Suite struct DedupHorizonTests {
    /// Commits `count` new ids as one batch (freezing and writing them as one run when `count`
    /// reaches the harness's threshold) and returns them.
    static func run(_ index: DedupIndexHarness, _ count: Int) throws -> [String] {
        let ids = (0..<count).map { _ in UUID().uuidString }
        try index.commit(ids)
        try index.settle()
        return ids
    }

    /// `catalog` as a format 7 build wrote it (catalogue encoding version 1: runs without
    /// times); only its complete runs, as a catalogue at rest holds.
    static func versionOneBytes(_ catalog: DedupRunCatalog) -> [UInt8] {
        var bytes = BigEndianKey(capacity: 64)
        bytes.append(UInt32(1))
        bytes.append(catalog.nextID)
        bytes.append(UInt32(catalog.complete.count))
        for run in catalog.complete {
            bytes.append(run.id)
            bytes.append(UInt32(run.location.rawValue) << 8 | UInt32(run.level))
            bytes.append(run.count)
        }
        for _ in 0..<4 { bytes.append(UInt32(0)) }  // no flush, no merge output, no inputs, no obsolete runs
        return bytes.bytes
    }

    @Test func aRunIsRecognisedUntilTheHorizonThenPrunedFromMemoryAndDisk() throws {
        let index = try DedupIndexHarness(threshold: 4, stepEntries: 1_024, horizon: 1_000)
        let ids = try Self.run(index, 4)
        let run = try #require(index.cache.runs.catalog.complete.first)
        #expect(run.newest == index.clock.now)
        #expect(try index.storedEntries(index.schema.dedupRuns, run: run.id) == 4)
        #expect(index.cache.runs.filterBytes > 0)

        index.advance(seconds: 1_000)
        try index.commit([])
        for id in ids { #expect(try index.lookup(id) == index.committed[id], "still within the horizon") }

        index.advance(seconds: 1)
        let step = try index.commit([]).step
        #expect(step.pruned == 4)
        #expect(step.prunedThrough == run.newest)
        #expect(index.cache.runs.catalog.complete.isEmpty)
        #expect(index.cache.runs.filterBytes == 0)
        for id in ids { #expect(try index.lookup(id) == nil, "past the horizon") }
        try index.settle()
        #expect(try index.storedEntries(index.schema.dedupRuns, run: run.id) == 0, "its entries were deleted")
        #expect(index.cache.runs.catalog.obsolete.isEmpty)
    }

    @Test func withoutAHorizonNothingIsPruned() throws {
        let index = try DedupIndexHarness(threshold: 4, stepEntries: 1_024)
        let ids = try Self.run(index, 4)
        index.advance(seconds: 100 * 366 * 86_400)
        try index.commit([])
        try index.settle()
        #expect(index.cache.runs.catalog.complete.count == 1)
        for id in ids { #expect(try index.lookup(id) == index.committed[id]) }
    }

    @Test func mergesJoinOnlyRunsWithinAQuarterOfTheHorizon() throws {
        // Horizon 400 s: runs spanning more than 100 s together are not merged.
        let index = try DedupIndexHarness(threshold: 2, stepEntries: 1_024, horizon: 400)
        let start = index.clock.now
        var ids = try Self.run(index, 2)  // at start
        index.advance(seconds: 150)
        for _ in 0..<5 {
            ids += try Self.run(index, 2)  // at start + 150, 160, 170, 180, 190
            index.advance(seconds: 10)
        }
        let catalog = index.cache.runs.catalog
        let merged = try #require(catalog.complete.first { $0.level == 1 }, "four close runs were merged: \(catalog.complete)")
        #expect(merged.count == 8)
        #expect(merged.oldest == start + 150 && merged.newest == start + 180, "the runs of +150 to +180 s, not the first")
        #expect(catalog.complete.filter { $0.level == 0 }.map(\.newest) == [start, start + 190])
        for id in ids { #expect(try index.lookup(id) == index.committed[id]) }

        // At the horizon of the first run only that run goes; the others at their own.
        index.advance(seconds: 201)
        try index.commit([])
        #expect(index.clock.now == start + 401)
        #expect(index.cache.runs.catalog.complete.map(\.newest) == [start + 180, start + 190])
        for id in ids.prefix(2) { #expect(try index.lookup(id) == nil) }
        for id in ids.dropFirst(2) { #expect(try index.lookup(id) == index.committed[id]) }
        index.advance(seconds: 190)
        try index.commit([])
        try index.settle()
        #expect(index.cache.runs.catalog.complete.isEmpty)
        for id in ids { #expect(try index.lookup(id) == nil) }
    }

    @Test func aRunBeingMergedIsPrunedAsTheMergesOutput() throws {
        // One entry a commit and three entries a step: a merge of four runs takes several commits.
        let index = try DedupIndexHarness(threshold: 10, stepEntries: 3, horizon: 400)
        var ids: [String] = []
        while index.cache.runs.catalog.merge == nil, ids.count < 2_000 {
            ids.append(UUID().uuidString)
            try index.commit([ids.last!])
        }
        let merge = try #require(index.cache.runs.catalog.merge, "a merge is under way")
        index.advance(seconds: 401)
        try index.commit([])
        #expect(index.cache.runs.catalog.merge == merge, "its inputs were not pruned from under it")
        #expect(merge.inputs.allSatisfy { input in index.cache.runs.catalog.complete.contains { $0.id == input } })
        try index.settle()
        let remaining = index.cache.runs.catalog.complete
        #expect(!remaining.contains { $0.id == merge.output.id }, "its output was pruned once complete")
        #expect(remaining.allSatisfy { $0.newest > index.clock.now - 400 }, "what remains was frozen after the clock moved")
        // Every id is in memory, in a run frozen after the clock moved, or pruned with the merge.
        let kept = index.cache.recent.count + (index.cache.frozen?.entries.count ?? 0) + Int(remaining.reduce(0) { $0 + $1.count })
        #expect(try ids.filter { try index.lookup($0) != nil }.count == kept)
        #expect(kept < ids.count)
    }

    @Test func anAbandonedFreezeLeavesTheNextRunsBoundsAsTheyWere() throws {
        let index = try DedupIndexHarness(threshold: 2, stepEntries: 1_024, horizon: 400)
        let opened = index.clock.now
        try index.commit(["a"])
        index.advance(seconds: 50)
        try index.abandon(["b"])  // reaches the threshold and freezes, then is abandoned
        #expect(index.cache.recentSince == opened, "the abandoned freeze at +50 s did not move the bound")
        index.advance(seconds: 10)
        try index.commit(["c"])
        let run = try #require(index.cache.runs.catalog.complete.first)
        #expect(run.count == 2 && run.oldest == opened && run.newest == opened + 60)
    }

    @Test func aSetBeginsWithItsFirstEntryNotAtTheLastFreeze() throws {
        let index = try DedupIndexHarness(threshold: 2, stepEntries: 1_024, horizon: 400)
        _ = try Self.run(index, 2)
        index.advance(seconds: 300)  // quiet: longer than a quarter of the horizon
        let first = index.clock.now
        try index.commit(["a"])
        index.advance(seconds: 5)
        try index.commit(["b"])
        let run = try #require(index.cache.runs.catalog.complete.last)
        #expect(run.count == 2 && run.oldest == first && run.newest == first + 5, "\(run)")
    }

    @Test func aCatalogueWrittenBeforeRunsHadTimesIsKeptAHorizonFromTheFirstOpen() throws {
        let index = try DedupIndexHarness(threshold: 4, stepEntries: 1_024, horizon: 1_000)
        let ids = try Self.run(index, 4)
        let run = try #require(index.cache.runs.catalog.complete.first)
        // The catalogue as a previous build wrote it: version 1, runs without times.
        let old = Self.versionOneBytes(index.cache.runs.catalog)
        let decoded = try #require(old.withUnsafeBytes { DedupRunCatalog(encoded: $0) })
        #expect(decoded.complete.map(\.newest) == [DedupRunCatalog.unknownTime])
        try index.environment.write { txn in try txn.put(index.schema.meta, key: DedupRunCatalog.storageKey, value: old) }

        index.advance(seconds: 5_000)
        let reopened = index.clock.now
        try index.reopen()
        #expect(index.cache.runs.catalog.complete.map(\.newest) == [reopened], "its newest time is the open's")
        try index.commit([])
        for id in ids { #expect(try index.lookup(id) == index.committed[id], "kept a horizon from the open") }
        let stored = try index.environment.write { txn in try DedupRuns.storedCatalog(txn, schema: index.schema) }
        #expect(stored == index.cache.runs.catalog, "stored again in version 2")

        index.advance(seconds: 1_001)
        try index.commit([])
        for id in ids { #expect(try index.lookup(id) == nil) }
    }

    @Test func atALowRateRecentEntriesAreFrozenAQuarterOfTheHorizonAfterTheyBegan() throws {
        // A threshold never reached: only time freezes the entries.
        let index = try DedupIndexHarness(threshold: 1_000, stepEntries: 1_024, horizon: 400)
        let opened = index.clock.now
        let ids = (0..<3).map { _ in UUID().uuidString }
        try index.commit(ids)
        index.advance(seconds: 99)
        try index.commit([])
        #expect(index.cache.frozen == nil && index.cache.runs.catalog.complete.isEmpty, "not yet a quarter of the horizon")
        index.advance(seconds: 1)
        try index.commit([])
        try index.settle()
        let run = try #require(index.cache.runs.catalog.complete.first)
        #expect(run.count == 3 && run.oldest == opened && run.newest == opened + 100)
        index.advance(seconds: 401)
        try index.commit([])
        for id in ids { #expect(try index.lookup(id) == nil, "gone a horizon after the run's newest") }
    }

    @Test func runsPastTheHorizonWhenTheStoreOpensGetNoFilter() throws {
        let index = try DedupIndexHarness(threshold: 4, stepEntries: 1_024, horizon: 1_000)
        let ids = try Self.run(index, 4)
        index.advance(seconds: 1_001)
        try index.reopen()
        let catalog = index.cache.runs.catalog
        #expect(catalog.complete.isEmpty && catalog.obsolete.count == 1, "handed to deletion as it opened")
        #expect(index.cache.runs.filterBytes == 0, "no filter was built for it")
        for id in ids { #expect(try index.lookup(id) == nil) }
    }

    @Test func theFirstRunAfterReopeningBeginsAtTheEarliestRebuiltEntry() throws {
        let index = try DedupIndexHarness(threshold: 4, stepEntries: 1_024, horizon: 1_000)
        let committed = index.clock.now
        try index.commit([UUID().uuidString, UUID().uuidString])
        index.advance(seconds: 50)
        try index.reopen()
        #expect(index.cache.recentSince == committed, "the entries rebuilt were stored at \(committed)")
        _ = try Self.run(index, 2)
        let run = try #require(index.cache.runs.catalog.complete.first)
        #expect(run.oldest == committed && run.newest == committed + 50)
    }

    @Test func deletingRunsPastTheHorizonLeavesHalfOfEachStepToMerges() throws {
        // 4,096 entries in runs of about 16, merged four into one.
        let index = try DedupIndexHarness(threshold: 16, stepEntries: 8, horizon: 4_000)
        for _ in 0..<256 { try index.commit((0..<16).map { _ in UUID().uuidString }) }
        try index.settle()
        let old = index.cache.runs.catalog.complete
        func stored() throws -> Int {
            try old.reduce(0) { $0 + (try index.storedEntries(index.schema.database($1.location), run: $1.id)) }
        }
        #expect(try stored() == 4_096)
        index.advance(seconds: 4_001)
        // One new entry a commit (a budget of 8 + 16): new runs come and wait to be merged
        // while the old ones are deleted, at most 24 entries a step.
        var sawBoth = false
        for _ in 0..<2_000 {
            let merging = index.cache.runs.catalog.merge != nil
            let before = try stored()
            guard before > 0 else { break }
            let (step, budget) = try index.commit([UUID().uuidString])
            let deleted = before - (try stored())
            if merging { #expect(deleted <= budget / 2, "deleted \(deleted) of a budget of \(budget) while a merge ran") }
            sawBoth = sawBoth || (deleted > 0 && !step.mergeHashes.isEmpty)
        }
        #expect(try stored() == 0, "the old runs were deleted")
        #expect(sawBoth, "merges went on while they were deleted")
    }

    @Test func theCatalogueKeepsEveryRunsTimesAcrossEncoding() throws {
        var catalog = DedupRunCatalog()
        catalog.complete = [
            catalog.allocate(.flushed, level: 0, count: 3, oldest: 10, newest: 20),
            catalog.allocate(.merged, level: 1, count: 12, oldest: 5, newest: 19),
        ]
        catalog.flush = catalog.allocate(.flushed, level: 0, count: 4, oldest: 20, newest: 30)
        catalog.merge = DedupRunCatalog.Merge(
            output: catalog.allocate(.merged, level: 2, count: 15, oldest: 5, newest: 20), inputs: [catalog.complete[0].id])
        catalog.obsolete = [catalog.allocate(.merged, level: 1, count: 1, oldest: 1, newest: 2)]
        let bytes = catalog.encoded()
        #expect(bytes.withUnsafeBytes { DedupRunCatalog(encoded: $0) } == catalog)
        #expect(bytes.dropLast().withUnsafeBytes { DedupRunCatalog(encoded: $0) } == nil)
    }
}
