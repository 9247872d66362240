import Testing

@testable import ExchangeStore

/// A damaged catalogue of deduplication runs is refused when the store opens (a corrupt record),
/// instead of trapping in a filter's sizing or a deletion, or failing every commit after it.
@Suite struct DedupRunCatalogDecodingTests {
    static func valid() -> DedupRunCatalog {
        var catalog = DedupRunCatalog()
        catalog.complete = [
            catalog.allocate(.flushed, level: 0, count: 3, oldest: 10, newest: 20),
            catalog.allocate(.flushed, level: 0, count: 4, oldest: 20, newest: 30),
        ]
        catalog.merge = DedupRunCatalog.Merge(
            output: catalog.allocate(.merged, level: 1, count: 7, oldest: 10, newest: 30), inputs: catalog.complete.map(\.id))
        catalog.obsolete = [catalog.allocate(.merged, level: 1, count: 1, oldest: 1, newest: 2)]
        return catalog
    }

    static func decodes(_ catalog: DedupRunCatalog) -> Bool {
        catalog.encoded().withUnsafeBytes { DedupRunCatalog(encoded: $0) } != nil
    }

    @Test func aSoundCatalogueDecodes() {
        #expect(Self.decodes(Self.valid()))
        // A format 4 index among the complete runs, as the upgrade puts it, is sound.
        var upgraded = Self.valid()
        upgraded.complete.insert(DedupRunCatalog.Run(id: 0, location: .format4, level: DedupRunCatalog.format4Level, count: 10), at: 0)
        #expect(Self.decodes(upgraded))
    }

    /// A format 4 index anywhere but once among the complete runs, with its id and level, would
    /// be merged or deleted, which the steps cannot do.
    @Test func aFormatFourIndexOutOfPlaceIsRefused() {
        let format4 = DedupRunCatalog.Run(id: 0, location: .format4, level: DedupRunCatalog.format4Level, count: 10)
        var atLevelZero = Self.valid()
        atLevelZero.complete.append(DedupRunCatalog.Run(id: 0, location: .format4, level: 0, count: 10))
        #expect(!Self.decodes(atLevelZero))
        var twice = Self.valid()
        twice.complete += [format4, format4]
        #expect(!Self.decodes(twice))
        var asFlush = Self.valid()
        asFlush.flush = format4
        #expect(!Self.decodes(asFlush))
        var asOutput = Self.valid()
        asOutput.merge?.output = format4
        #expect(!Self.decodes(asOutput))
        var asInput = Self.valid()
        asInput.complete.insert(format4, at: 0)
        asInput.merge?.inputs.append(0)
        #expect(!Self.decodes(asInput))
    }

    @Test func aRunListedTwiceIsRefused() {
        var catalog = Self.valid()
        catalog.obsolete.append(catalog.complete[0])
        #expect(!Self.decodes(catalog))
    }

    @Test func aCountNoStoreReachesIsRefused() {
        var catalog = Self.valid()
        catalog.complete[0].count = DedupRunCatalog.maxRunEntries + 1
        #expect(!Self.decodes(catalog))
        catalog.complete[0].count = UInt64.max
        #expect(!Self.decodes(catalog))
    }

    @Test func aFormatFourIndexBeingDeletedIsRefused() {
        var catalog = Self.valid()
        catalog.obsolete.append(DedupRunCatalog.Run(id: 0, location: .format4, level: 0, count: 10))
        #expect(!Self.decodes(catalog))
    }

    @Test func anIdAtOrPastTheNextIsRefused() {
        var catalog = Self.valid()
        catalog.complete[1].id = catalog.nextID
        #expect(!Self.decodes(catalog))
        var high = Self.valid()
        high.nextID = DedupRunCatalog.maxRunID + 1
        #expect(!Self.decodes(high))
    }

    @Test func aMergeOfRunsThatAreNotCompleteIsRefused() {
        var catalog = Self.valid()
        catalog.merge?.inputs.append(catalog.obsolete[0].id)
        #expect(!Self.decodes(catalog))
    }

    @Test func aMergedThroughThatIsNoSequenceIsRefused() throws {
        #expect(try DedupCache.mergedThrough(nil) == 0)
        #expect(try DedupCache.mergedThrough([0, 0, 0, 0, 0, 0, 1, 0]) == 256)
        #expect(throws: StoreError.self) { try DedupCache.mergedThrough([1, 2, 3]) }
        #expect(throws: StoreError.self) { try DedupCache.mergedThrough([UInt8](repeating: 0xFF, count: 8)) }
    }

    @Test func aFilterForAnyCountIsSizedWithoutTrapping() {
        _ = DedupFilter(capacity: -5)
        _ = DedupFilter(capacity: 0)
        // Int.max entries would overflow the sizing: it stops at a count no store reaches.
        #expect(DedupFilter.sizingEntries(Int.max) == Int(DedupRunCatalog.maxRunEntries))
        #expect(DedupFilter.sizingEntries(1000) == 1000)
    }
}

/// The deduplication clock follows the monotonic clock from the wall time it was made at: a
/// step of the wall clock while the store is open cannot prune every run at once.
@Suite struct DedupAnchoredClockTests {
    final class FakeMonotonic: @unchecked Sendable {
        var now = ContinuousClock.now
    }

    @Test func itAdvancesByTheMonotonicClockFromItsStart() {
        let monotonic = FakeMonotonic()
        let clock = DedupCache.anchoredClock(wall: 1_000_000, monotonic: { monotonic.now })
        #expect(clock() == 1_000_000)
        monotonic.now += .seconds(90)
        #expect(clock() == 1_000_090)
        // However the wall clock moves meanwhile, it is not read again.
        monotonic.now += .milliseconds(500)
        #expect(clock() == 1_000_090)
    }
}
