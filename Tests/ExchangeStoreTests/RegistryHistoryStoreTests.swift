import ExchangeModel
import Foundation
import LMDB
import Testing

@testable import ExchangeStore

/// Registry histories under keys of their own (`registry_history`, format 7): an append costs
/// the same whatever the key's history, histories are read a page at a time, and a store of
/// format 6, which kept them inside the entries, has them moved out when opened.
@Suite("Registry histories in the store")
struct RegistryHistoryStoreTests {
    /// The bytes of the stored value of the entry `key` of `licences`, as LMDB holds it.
    static func storedEntryBytes(_ store: ExchangeStore, key: String) throws -> Int {
        let collection = try #require(store.names.id(of: "licences", kind: .collection))
        return try store.read { txn in try txn.get(store.schema.registry, key: RegistryKeys.entry(collection, key: key))?.count ?? 0 }
    }

    /// The stored entry's bytes are the same after 10 events and after 5,000 on its key, so an
    /// append reads and writes the same amount however long the history grew (on the layout
    /// that kept the history inline, each event added 10 bytes to the value every later append
    /// read and rewrote).
    @Test func anEntryKeepsItsSizeWhileItsHistoryGrows() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        _ = try await store.append(licenceEvent(id: "i", number: "L-1", action: "issued"))
        var sent = 1
        var sizes: [Int: Int] = [:]
        for target in [10, 5_000] {
            while sent < target {
                let count = min(500, target - sent)
                _ = try await store.append(contentsOf: (0..<count).map { licenceEvent(id: "a\(sent + $0)", number: "L-1", action: "amended") })
                sent += count
            }
            sizes[target] = try Self.storedEntryBytes(store, key: "L-1")
        }
        #expect(store.lastSequence == 5_000)
        #expect(sizes[10] ?? 0 > 0)
        #expect(sizes[10] == sizes[5_000], "\(sizes)")
    }

    /// Every history item has its key, the entry its count, and an append writes one history
    /// key whatever came before.
    @Test func eachEventWritesOneHistoryKey() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        _ = try await store.append(contentsOf: (0..<300).map { licenceEvent(id: "a\($0)", number: "L-1", action: $0 == 0 ? "issued" : "amended") })
        let before = try store.read { txn in try txn.count(store.schema.registryHistory) }
        _ = try await store.append(licenceEvent(id: "next", number: "L-1", action: "suspended"))
        let after = try store.read { txn in try txn.count(store.schema.registryHistory) }
        #expect(before == 300 && after == 301)
        #expect(try store.registryEntry(collection: "licences", key: "L-1")?.entry.historyCount == 301)
    }

    /// A history is read in pages, in log order, from its own keys only: the items of a key
    /// that extends another (`L-1`, `L-10`) never mix, and the page says whether more follow.
    @Test func aHistoryIsReadInPages() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        var requests: [AppendRequest] = []
        for index in 0..<250 {
            requests.append(licenceEvent(id: "a\(index)", number: "L-1", action: index == 0 ? "issued" : "amended"))
            if index % 50 == 0 { requests.append(licenceEvent(id: "b\(index)", number: "L-10", action: index == 0 ? "issued" : "suspended")) }
        }
        let results = try await store.append(contentsOf: requests)
        let expected = zip(requests, results).filter { $0.0.envelope.subject == "L-1" }.map(\.1.sequence)
        var read: [UInt64] = []
        var range = RegistryHistoryRange(limit: 100)
        var pages = 0
        while pages < 10 {
            pages += 1
            let record = try #require(try store.registryEntry(collection: "licences", key: "L-1", history: range))
            #expect(record.history.count <= 100)
            read += record.history.map(\.sequence)
            guard record.historyContinues, let last = record.history.last else { break }
            range.after = last.sequence
        }
        #expect(pages == 3)
        #expect(read == expected)
        let other = try #require(try store.registryEntry(collection: "licences", key: "L-10", history: RegistryHistoryRange()))
        #expect(other.history.map(\.action) == [.issued, .suspended, .suspended, .suspended, .suspended])
        #expect(other.history.map(\.flag) == [nil, nil, .noEffect, .noEffect, .noEffect])
        #expect(!other.historyContinues)
        // After the last item, and after the largest sequence, nothing.
        let end = try #require(try store.registryEntry(collection: "licences", key: "L-1", history: RegistryHistoryRange(after: expected.last!)))
        #expect(end.history.isEmpty && !end.historyContinues)
        let beyond = try #require(try store.registryEntry(collection: "licences", key: "L-1", history: RegistryHistoryRange(after: .max)))
        #expect(beyond.history.isEmpty && beyond.entry.historyCount == 250)
        // Without a range, no items are read.
        #expect(try store.registryEntry(collection: "licences", key: "L-1")?.history.isEmpty == true)
    }

    /// A history item whose event retention removed is still listed, marked removed.
    @Test func anItemWhoseEventWasRemovedIsMarked() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        defer { store.close() }
        let collection = RegistryCollection(name: "licences")
        let topic = RetentionStoreTests.topics[0]
        for (index, subject) in ["A", "A", "B", "A"].enumerated() {
            _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "r-\(index)", topic: topic, subject: subject), registry: collection))
        }
        for index in 0..<60 {
            _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "f-\(index)", topic: RetentionStoreTests.topics[1])))
        }
        let rule = RetentionRule(topic: topic, policy: RetentionPolicy(maxEvents: 1), registry: collection)
        #expect(try await RetentionStoreTests.expireAll(store, [rule], now: 0) == 3)
        let entry = try #require(try store.registryEntry(collection: "licences", key: "A", history: RegistryHistoryRange()))
        #expect(entry.history.map(\.sequence) == [1, 2, 4])
        #expect(entry.removedHistory == [1, 2])
    }

    /// A key too long to be written as it is in a history key (only a store written before
    /// subjects were bounded can hold one) has its history under the key's digest.
    @Test func aLongKeysHistoryIsKeptUnderItsDigest() async throws {
        for length in [0, 1, 200, 497, 498, 507] {
            let key = String(repeating: "k", count: length)
            #expect(RegistryKeys.history(1, key: key, sequence: 9).count == RegistryKeys.historyKeyBytes(key: key))
            #expect(RegistryKeys.historyKeyBytes(key: key) <= InputBounds.maxKeyBytes)
        }
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        // 498 bytes: the status index key of `valid` is 509 bytes long.
        let long = String(repeating: "长", count: 166)
        for (sequence, action) in [(UInt64(1), RegistryAction.issued), (2, .reinstated)] {
            let input = RegistryInput(collection: "licences", key: long, action: action, issuer: "m")
            try await store.perform { context in try context.applyRegistry(input, sequence: sequence) }
        }
        let record = try #require(try store.registryEntry(collection: "licences", key: long, history: RegistryHistoryRange()))
        #expect(record.history.map(\.action) == [.issued, .reinstated])
        #expect(record.history.map(\.flag) == [nil, .noEffect])
        #expect(record.entry.storedStatus == .valid)
    }

    /// The rebuild compares the stored history items with the log's: a missing or altered item
    /// is a difference, and a rewrite restores it.
    @Test func theRebuildComparesHistories() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        do {
            let store = try directory.open()
            for (index, action) in ["issued", "amended", "suspended", "reinstated"].enumerated() {
                _ = try await store.append(licenceEvent(id: "e\(index)", number: "L-1", action: action))
            }
            _ = try await store.append(licenceEvent(id: "other", number: "L-2", action: "issued"))
            let report = try await store.rebuildRegistry(feeds: licenceFeeds)
            #expect(report.matches && report.historyItems == 5 && report.storedHistoryItems == 5, "\(report.differences)")
            store.close()
        }
        // Damage: L-1's third item says another action; L-2's only item is gone.
        do {
            let env = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
            defer { env.close() }
            let history = try env.write { txn in try txn.openDatabase("registry_history") }
            try env.write { txn in
                var keys: [[UInt8]] = []
                try txn.withCursor(history) { cursor in
                    var entry = try cursor.first()
                    while let current = entry {
                        keys.append(Array(current.key))
                        entry = try cursor.next()
                    }
                }
                #expect(keys.count == 5)
                // Key order: L-1 (length 3) sorts before L-2, then by sequence.
                try txn.put(history, key: keys[2], value: RegistryHistoryItem(sequence: 3, action: .revoked).encodedValue)
                _ = try txn.delete(history, key: keys[4])
            }
        }
        let store = try directory.open()
        defer { store.close() }
        let report = try await store.rebuildRegistry(feeds: licenceFeeds)
        #expect(!report.matches)
        #expect(report.differences.contains { $0.hasPrefix("licences/L-1: the stored history") && $0.contains("item 3") }, "\(report.differences)")
        #expect(report.differences.contains { $0.hasPrefix("licences/L-2: the log gives a history, but none is stored") }, "\(report.differences)")
        #expect(try await store.rebuildRegistry(feeds: licenceFeeds, write: true).matches)
        #expect(try store.registryEntry(collection: "licences", key: "L-1", history: RegistryHistoryRange())?.history.map(\.action)
            == [.issued, .amended, .suspended, .reinstated])
    }
}

/// A store written by the build of format 6 (`Fixtures/format-6-registry-store`): licence
/// events through `licenceEvent` on the `licence.business.*` topics, with each entry's history
/// inline. `L-1`: issued, amended, suspended, reinstated, reinstated (no effect), sequences 1
/// to 5. `L-2`: amended (not issued), issued, revoked, issued (after revocation), 6 to 9.
/// `L-3`: issued and 299 amendments, 10 to 309. A key of 250 bytes: issued, suspended, 310 and
/// 311. Then one event of another topic, 312.
@Suite("Registry histories moved out of a format 6 store")
struct RegistryHistoryUpgradeTests {
    static let longKey = String(repeating: "长", count: 83) + "X"

    /// A copy of the fixture in a fresh directory.
    static func copyOfFixture() throws -> StoreDirectory {
        let directory = StoreDirectory()
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/format-6-registry-store/data.mdb")
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.path, toPath: directory.path + "/data.mdb")
        return directory
    }

    /// The format version, the first byte (encoding version) of every entry, the number of
    /// history keys, and whether the move's position is kept.
    static func raw(_ directory: StoreDirectory) throws -> (format: [UInt8]?, entryVersions: [UInt8], historyKeys: Int, moving: Bool) {
        let env = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
        defer { env.close() }
        return try env.write { txn in
            let meta = try txn.openDatabase("meta")
            let registry = try txn.openDatabase("registry")
            let history = try txn.openDatabase("registry_history", flags: .create)
            var versions: [UInt8] = []
            try txn.withCursor(registry) { cursor in
                var entry = try cursor.first()
                while let current = entry {
                    versions.append(current.value.first ?? 0)
                    entry = try cursor.next()
                }
            }
            return (
                try txn.get(meta, key: Array("format_version".utf8)), versions, try txn.count(history),
                try txn.get(meta, key: Array("registry_history_upgrade".utf8)) != nil
            )
        }
    }

    static func history(_ store: ExchangeStore, _ key: String) throws -> [RegistryHistoryItem] {
        try #require(try store.registryEntry(collection: "licences", key: key, history: RegistryHistoryRange(limit: 10_000))).history
    }

    @Test func aFormatSixStoreWrittenByThePreviousBuildHasItsHistoriesMovedOut() async throws {
        let directory = try Self.copyOfFixture()
        defer { directory.remove() }
        let before = try Self.raw(directory)
        #expect(before.format == [0, 0, 0, 6])
        #expect(before.entryVersions == [1, 1, 1, 1] && before.historyKeys == 0 && !before.moving)

        let store = try directory.open()
        #expect(try !store.isMovingRegistryHistories)
        let l1 = try #require(try store.registryEntry(collection: "licences", key: "L-1")).entry
        #expect(l1.storedStatus == .valid && l1.historyCount == 5 && l1.flags == [.noEffect] && l1.holder == "H-1")
        #expect(try Self.history(store, "L-1").map(\.action) == [.issued, .amended, .suspended, .reinstated, .reinstated])
        #expect(try Self.history(store, "L-1").map(\.sequence) == [1, 2, 3, 4, 5])
        let l2 = try #require(try store.registryEntry(collection: "licences", key: "L-2")).entry
        #expect(l2.storedStatus == .revoked && l2.flags == [.notIssued, .afterRevocation] && l2.historyCount == 4)
        #expect(try Self.history(store, "L-2").map(\.flag) == [.notIssued, nil, nil, .afterRevocation])
        #expect(try Self.history(store, "L-3").map(\.sequence) == Array(10...309))
        #expect(try Self.history(store, Self.longKey).map(\.action) == [.issued, .suspended])
        // The data the entries show is still the log's.
        #expect(try store.registryEntry(collection: "licences", key: "L-3")?.dataEvent?.envelope.id == "c299")

        // The registry the log gives, entries and histories, is the one the move left.
        let report = try await store.rebuildRegistry(feeds: licenceFeeds)
        #expect(report.differences == [])
        #expect(report.matches && report.historyItems == 311 && report.storedHistoryItems == 311)

        // New events go on from the moved histories.
        _ = try await store.append(licenceEvent(id: "c-new", number: "L-3", action: "suspended", holder: "H-3"))
        let l3 = try #require(try store.registryEntry(collection: "licences", key: "L-3", history: RegistryHistoryRange(after: 309)))
        #expect(l3.entry.historyCount == 301 && l3.history.map(\.action) == [.suspended])
        #expect(try await store.rebuildRegistry(feeds: licenceFeeds).matches)
        store.close()

        let after = try Self.raw(directory)
        #expect(after.format == [0, 0, 0, 8])
        #expect(after.entryVersions == [2, 2, 2, 2] && after.historyKeys == 312 && !after.moving)
    }

    /// A move stopped after its first step (a crash) resumes where that step committed when the
    /// store is opened again.
    @Test func anInterruptedMoveResumesWhenTheStoreIsOpened() async throws {
        let directory = try Self.copyOfFixture()
        defer { directory.remove() }
        do {
            // What an open that crashed after the first step of two entries left.
            let env = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
            defer { env.close() }
            let moved = try env.write { txn in
                let schema = try StoreSchema(opening: &txn)
                #expect(try schema.checkFormat(&txn, directory: directory.path) == 6)
                return try ExchangeStore.moveRegistryHistoryStep(&txn, schema: schema, entryBudget: 2)
            }
            #expect(moved.entries == 2 && moved.items == 9)
        }
        let stopped = try Self.raw(directory)
        #expect(stopped.format == [0, 0, 0, 8] && stopped.moving)
        #expect(stopped.entryVersions == [2, 2, 1, 1] && stopped.historyKeys == 9)

        let store = try directory.open()
        defer { store.close() }
        #expect(try !store.isMovingRegistryHistories)
        #expect(try Self.history(store, "L-3").count == 300)
        let report = try await store.rebuildRegistry(feeds: licenceFeeds)
        #expect(report.differences == [])
        #expect(report.storedHistoryItems == 311)
    }

    /// A store of a newer format than this build's is refused, not upgraded.
    @Test func aStoreOfANewerFormatIsRefused() throws {
        let directory = try Self.copyOfFixture()
        defer { directory.remove() }
        do {
            let env = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
            defer { env.close() }
            try env.write { txn in try txn.put(try txn.openDatabase("meta"), key: Array("format_version".utf8), value: [0, 0, 0, 9]) }
        }
        do {
            let store = try directory.open()
            store.close()
            Issue.record("a store of format 9 was opened")
        } catch let error as StoreError {
            #expect(error.code == .unsupportedFormat)
        }
        #expect(try Self.raw(directory).entryVersions == [1, 1, 1, 1])
    }
}
