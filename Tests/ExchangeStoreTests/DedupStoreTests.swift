import ExchangeModel
import Foundation
import LMDB
import Testing

@testable import ExchangeStore

/// Deduplication through the store: a repeat is recognised across reopenings in the middle of
/// the index's work, and a format 4 store's `dedup` B-tree keeps answering after the upgrade.
@Suite struct DedupStoreTests {
    private func retry(_ store: ExchangeStore, _ ids: [String]) async throws -> [AppendResult] {
        var results: [AppendResult] = []
        for id in ids {
            results.append(try await store.append(AppendRequest(envelope: sampleEvent(id: id), routes: [taxRoute])))
        }
        return results
    }

    @Test func aRepeatIsRecognisedAfterReopeningInTheMiddleOfAMerge() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        var ids: [String] = []
        do {
            let store = try directory.open(dedupMergeThreshold: 8, dedupStepEntries: 1)
            while store.dedupCache.runs.catalog.merge == nil, ids.count < 2_000 {
                let id = UUID().uuidString
                ids.append(id)
                _ = try await store.append(AppendRequest(envelope: sampleEvent(id: id), routes: [taxRoute]))
            }
            #expect(store.dedupCache.runs.catalog.merge != nil, "closed while a merge is written")
            store.close()
        }
        let store = try directory.open(dedupMergeThreshold: 8, dedupStepEntries: 1)
        defer { store.close() }
        #expect(store.dedupCache.runs.catalog.merge == nil && !store.dedupCache.runs.catalog.obsolete.isEmpty)
        let retried = try await retry(store, ids)
        #expect(retried.map(\.sequence) == Array(1...UInt64(ids.count)))
        #expect(retried.allSatisfy { $0.isDuplicate && $0.routeCount == 1 })
        #expect(store.lastSequence == UInt64(ids.count))
    }

    @Test func aRepeatWithinTheHorizonIsADuplicateOnceItsRunIsOnDisk() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(dedupMergeThreshold: 4, dedupHorizon: .seconds(86_400))
        defer { store.close() }
        let ids = (0..<4).map { _ in UUID().uuidString }
        _ = try await retry(store, ids)
        #expect(store.dedupCache.runs.catalog.complete.count == 1, "the four entries are one run on disk")
        let repeated = try await retry(store, ids)
        #expect(repeated.map(\.sequence) == [1, 2, 3, 4] && repeated.allSatisfy(\.isDuplicate))
    }

    @Test func aRepeatPastTheHorizonIsStoredAsANewEvent() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let ids = (0..<4).map { _ in UUID().uuidString }
        do {
            let store = try directory.open(dedupMergeThreshold: 4, dedupHorizon: .seconds(1))
            defer { store.close() }
            let first = try await retry(store, ids)
            #expect(first.map(\.sequence) == [1, 2, 3, 4] && first.allSatisfy { !$0.isDuplicate })
            let appended = DedupCache.wallClock()

            // Each new event's commit takes a step; steps after the horizon prune the runs
            // that may hold the four (a run whose oldest entry came after them cannot).
            func holdsNoneOfThem() -> Bool {
                let cache = store.dedupCache
                return cache.runs.catalog.complete.allSatisfy { $0.oldest > appended } && (cache.frozen?.times.oldest ?? .max) > appended
                    && cache.recentSince > appended
            }
            var others = 0
            let deadline = ContinuousClock.now + .seconds(20)
            while !holdsNoneOfThem(), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                _ = try await retry(store, [UUID().uuidString])
                others += 1
            }
            #expect(holdsNoneOfThem(), "the runs holding them were pruned")
            let late = try await retry(store, [ids[0]])
            #expect(late.first?.isDuplicate == false && late.first?.sequence == UInt64(5 + others), "past the horizon: a new event")
        }
        let store = try directory.open(dedupMergeThreshold: 4, dedupHorizon: .seconds(1))
        defer { store.close() }
        let afterReopening = try await retry(store, [ids[1]])
        #expect(afterReopening.first?.isDuplicate == false, "still pruned after reopening")
    }

    @Test func afterReopeningTheRecentEntriesBeginAtTheirEventsReceiveTime() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let before = DedupCache.wallClock()
        do {
            let store = try directory.open(dedupMergeThreshold: 4, dedupHorizon: .seconds(86_400))
            _ = try await retry(store, [UUID().uuidString, UUID().uuidString])
            store.close()
        }
        let after = DedupCache.wallClock()
        let store = try directory.open(dedupMergeThreshold: 4, dedupHorizon: .seconds(86_400))
        defer { store.close() }
        #expect(store.dedupCache.recent.count == 2, "rebuilt from the log")
        #expect(store.dedupCache.recentSince >= before && store.dedupCache.recentSince <= after, "\(store.dedupCache.recentSince)")
    }

    @Test func aFormatSevenStoreIsUpgradedAndItsRunsAreKeptAHorizonFromTheUpgrade() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let ids = (0..<8).map { _ in UUID().uuidString }
        do {
            let store = try directory.open(dedupMergeThreshold: 4)
            _ = try await retry(store, ids)
            #expect(store.dedupCache.runs.catalog.complete.count == 2)
            let catalog = store.dedupCache.runs.catalog
            store.close()
            // What a format 7 build wrote: the version, and the catalogue without the runs' times.
            let env = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
            defer { env.close() }
            try env.write { txn in
                let meta = try txn.openDatabase("meta")
                try txn.put(meta, key: Array("format_version".utf8), value: [0, 0, 0, 7])
                try txn.put(meta, key: DedupRunCatalog.storageKey, value: DedupHorizonTests.versionOneBytes(catalog))
            }
        }
        let upgradedAt = DedupCache.wallClock()
        do {
            let store = try directory.open(dedupMergeThreshold: 4, dedupHorizon: .seconds(86_400))
            defer { store.close() }
            let runs = store.dedupCache.runs.catalog.complete
            #expect(runs.count == 2 && runs.allSatisfy { $0.newest >= upgradedAt && $0.newest <= DedupCache.wallClock() })
            let retried = try await retry(store, ids)
            #expect(retried.map(\.sequence) == Array(1...8) && retried.allSatisfy(\.isDuplicate))
        }
        let env = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
        defer { env.close() }
        let (version, catalogVersion) = try env.write { txn in
            let meta = try txn.openDatabase("meta")
            return (try txn.get(meta, key: Array("format_version".utf8)), try txn.get(meta, key: DedupRunCatalog.storageKey)?.prefix(4))
        }
        #expect(version == [0, 0, 0, 8])
        #expect(catalogVersion.map(Array.init) == [0, 0, 0, 2], "the catalogue was written again with the runs' times")
    }

    /// A run whose count is more than its database holds (a damaged catalogue) is refused as a
    /// corrupt record when the store opens, before a filter is sized for that count.
    @Test func aRunCountingMoreThanItsDatabaseHoldsIsRefusedAtOpen() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        do {
            let store = try directory.open(dedupMergeThreshold: 4)
            _ = try await retry(store, (0..<4).map { _ in UUID().uuidString })
            var catalog = store.dedupCache.runs.catalog
            #expect(catalog.complete.count == 1)
            store.close()
            catalog.complete[0].count = 1 << 32
            let env = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
            defer { env.close() }
            try env.write { txn in
                try txn.put(try txn.openDatabase("meta"), key: DedupRunCatalog.storageKey, value: catalog.encoded())
            }
        }
        #expect {
            try directory.open(dedupMergeThreshold: 4).close()
        } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.code == .corruptRecord && error.message.contains("more than its database holds")
        }
    }

    @Test func aHorizonUnderASecondIsRefusedWhenTheStoreOpens() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        for horizon in [Duration.milliseconds(500), .zero, .seconds(-5)] {
            #expect(throws: StoreError.self) { try directory.open(dedupHorizon: horizon).close() }
        }
    }

    /// Writes the format 4 layout by hand: the entries of the first `merged` events in the
    /// `dedup` B-tree (publisher id, message id → sequence, route count), `dedup_merged_through`,
    /// no runs, `format_version` 4.
    private func rewriteAsFormatFour(_ path: String, publisher: UInt32, ids: [String], merged: Int) throws {
        let environment = try Environment(path: path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
        defer { environment.close() }
        try environment.write { txn in
            let meta = try txn.openDatabase("meta")
            let dedup = try txn.openDatabase("dedup")
            #expect(try txn.count(dedup) == 0)
            for (offset, id) in ids.prefix(merged).enumerated() {
                let key = withUnsafeBytes(of: publisher.bigEndian, Array.init) + Array(id.utf8)
                let value = withUnsafeBytes(of: UInt64(offset + 1).bigEndian, Array.init) + withUnsafeBytes(of: UInt32(1).bigEndian, Array.init)
                _ = try txn.put(dedup, key: key, value: value)
            }
            _ = try txn.put(meta, key: Array("dedup_merged_through".utf8), value: withUnsafeBytes(of: UInt64(merged).bigEndian, Array.init))
            _ = try txn.delete(meta, key: Array("dedup_runs".utf8))
            try txn.drop(try txn.openDatabase("dedup_runs"), delete: true)
            try txn.drop(try txn.openDatabase("dedup_merged"), delete: true)
            _ = try txn.put(meta, key: Array("format_version".utf8), value: [0, 0, 0, 4])
        }
    }

    @Test func aFormatFourIndexAnswersAsTheOldestRunAfterTheUpgrade() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let ids = (0..<30).map { "old-\($0)" }
        let publisher: UInt32
        do {
            let store = try directory.open()
            _ = try await retry(store, ids)
            publisher = try #require(store.names.id(of: "market-regulation", kind: .department))
            store.close()
        }
        try rewriteAsFormatFour(directory.path, publisher: publisher, ids: ids, merged: 20)

        var later: [String] = []
        do {
            let store = try directory.open(dedupMergeThreshold: 8, dedupStepEntries: 2)
            let catalog = store.dedupCache.runs.catalog
            let oldest = try #require(catalog.complete.first)
            #expect(oldest.id == 0 && oldest.location == .format4 && oldest.level == DedupRunCatalog.format4Level && oldest.count == 20)
            let retried = try await retry(store, ids)
            #expect(retried.map(\.sequence) == Array(1...30), "events 1-20 from the format 4 tree, 21-30 rebuilt from the log")
            #expect(retried.allSatisfy { $0.isDuplicate && $0.routeCount == 1 })
            // Runs are written and merged beside it; it is never merged or written.
            for index in 0..<80 {
                later.append("new-\(index)")
                _ = try await store.append(AppendRequest(envelope: sampleEvent(id: later.last!), routes: [taxRoute]))
            }
            #expect(store.dedupCache.runs.catalog.complete.contains { $0.level >= 1 && $0.level != DedupRunCatalog.format4Level })
            #expect(store.dedupCache.runs.catalog.complete.first?.location == .format4)
            store.close()
        }
        let store = try directory.open(dedupMergeThreshold: 8, dedupStepEntries: 2)
        let retried = try await retry(store, ids + later)
        #expect(retried.map(\.sequence) == Array(1...110))
        #expect(retried.allSatisfy { $0.isDuplicate && $0.routeCount == 1 })
        store.close()

        let environment = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
        defer { environment.close() }
        let (version, legacy) = try environment.write { txn in
            (try txn.get(try txn.openDatabase("meta"), key: Array("format_version".utf8)), try txn.count(try txn.openDatabase("dedup")))
        }
        #expect(version == [0, 0, 0, 8])
        #expect(legacy == 20, "the format 4 tree is read, never written")
    }

    @Test func adoptingTheFormatFourIndexTwiceAddsItOnce() throws {
        let index = try DedupIndexHarness(threshold: 4, stepEntries: 8)
        try index.environment.write { txn in
            _ = try txn.put(index.schema.dedup, key: Array("\u{0}\u{0}\u{0}\u{7}legacy".utf8), value: [UInt8](repeating: 0, count: 11) + [1])
            try DedupRuns.upgradeFormat4Index(&txn, schema: index.schema)
            try DedupRuns.upgradeFormat4Index(&txn, schema: index.schema)
        }
        try index.reopen()
        #expect(index.cache.runs.catalog.complete.map(\.location) == [.format4])
        #expect(try index.lookup("legacy") == DedupCache.Entry(sequence: 0, routeCount: 1))
        #expect(try index.lookup("other") == nil)
    }
}
