import ExchangeModel
import ExchangeStore
import Foundation
import LMDB
import Synchronization
import Testing

/// A small deterministic generator (SplitMix64), so a failing randomised history can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let licences = RegistryCollection(
    name: "licences", holder: try! JSONPointer("/holder/credit_code"), type: try! JSONPointer("/licence_type"),
    validFrom: try! JSONPointer("/valid_from"), validUntil: try! JSONPointer("/valid_until"))

/// The feeding topics of `licences` in these tests.
let licenceFeeds: [String: RegistryCollection] = Dictionary(
    uniqueKeysWithValues: ["issued", "amended", "renewed", "suspended", "reinstated", "revoked"].map { ("licence.business.\($0)", licences) })

/// A licence event on `licence.business.ACTION` feeding `licences`.
func licenceEvent(
    id: String, number: String, action: String, holder: String = "91310000MA1FL0001X", type: String = "food", until: String = "2030-12-31",
    source: String = "market-regulation"
) -> AppendRequest {
    let data = #"{"licence_no":"\#(number)","holder":{"name":"Acme","credit_code":"\#(holder)"},"licence_type":"\#(type)","valid_from":"2026-01-01","valid_until":"\#(until)"}"#
    let envelope = Envelope(
        id: id, source: source, type: "gov.samr.licence.\(action)", topic: "licence.business.\(action)", subject: number, data: Array(data.utf8))
    return AppendRequest(envelope: envelope, routes: [taxRoute], registry: licences)
}

@Suite("Registry in the store")
struct RegistryStoreTests {
    /// Every key of a holder search, following cursors to the end.
    static func keys(_ store: any ExchangeStoreContract, _ scan: RegistryScan, pageSize: Int = 1000) throws -> [String] {
        var keys: [String] = []
        var scan = scan
        while true {
            var page = 0
            let result = try store.registryScan(scan) { record in
                keys.append(record.entry.key)
                page += 1
                return page < pageSize
            }
            guard !result.exhausted, let position = result.position else { return keys }
            scan.after = position
        }
    }

    @Test func appendUpdatesTheEntryAndIndexesInItsTransaction() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.openContract()
        defer { store.close() }
        let issued = try await store.append(licenceEvent(id: "a", number: "L-1", action: "issued"))
        let record = try #require(try store.registryEntry(collection: "licences", key: "L-1"))
        #expect(record.entry.storedStatus == .valid)
        #expect(record.entry.holder == "91310000MA1FL0001X")
        #expect(record.entry.issuer == "market-regulation")
        #expect(record.entry.firstSequence == issued.sequence && record.entry.dataSequence == issued.sequence)
        #expect(record.dataEvent?.envelope.id == "a")
        #expect(try Self.keys(store, RegistryScan(collection: "licences", index: .holder, value: "91310000MA1FL0001X")) == ["L-1"])
        #expect(try Self.keys(store, RegistryScan(collection: "licences", index: .status, value: "valid")) == ["L-1"])

        // A holder change moves the entry between index values; a suspension changes the status index.
        _ = try await store.append(licenceEvent(id: "b", number: "L-1", action: "amended", holder: "NEW"))
        _ = try await store.append(licenceEvent(id: "c", number: "L-1", action: "suspended", holder: "IGNORED"))
        #expect(try Self.keys(store, RegistryScan(collection: "licences", index: .holder, value: "91310000MA1FL0001X")).isEmpty)
        #expect(try Self.keys(store, RegistryScan(collection: "licences", index: .holder, value: "NEW")) == ["L-1"])
        #expect(try Self.keys(store, RegistryScan(collection: "licences", index: .holder, value: "IGNORED")).isEmpty)
        #expect(try Self.keys(store, RegistryScan(collection: "licences", index: .status, value: "valid")).isEmpty)
        #expect(try Self.keys(store, RegistryScan(collection: "licences", index: .status, value: "suspended")) == ["L-1"])
        #expect(try store.registryEntry(collection: "licences", key: "L-1", history: RegistryHistoryRange())?.history.map(\.action) == [.issued, .amended, .suspended])
        // Events without a registry or without a subject leave the registry alone.
        _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "plain", subject: "L-2")))
        var noSubject = licenceEvent(id: "d", number: "L-3", action: "issued")
        noSubject.envelope.subject = nil
        _ = try await store.append(noSubject)
        #expect(try Self.keys(store, RegistryScan(collection: "licences")) == ["L-1"])
    }

    @Test func duplicatesDoNotTouchTheEntry() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.openContract()
        defer { store.close() }
        _ = try await store.append(licenceEvent(id: "a", number: "L-1", action: "issued"))
        _ = try await store.append(licenceEvent(id: "b", number: "L-1", action: "suspended"))
        let before = try #require(try store.registryEntry(collection: "licences", key: "L-1"))
        // The same message ids again, alone and in a batch with a new event.
        let again = try await store.append(licenceEvent(id: "a", number: "L-1", action: "issued"))
        #expect(again.isDuplicate)
        let batch = try await store.append(contentsOf: [
            licenceEvent(id: "b", number: "L-1", action: "suspended"), licenceEvent(id: "c", number: "L-2", action: "issued"),
            licenceEvent(id: "c", number: "L-2", action: "issued"),
        ])
        #expect(batch.map(\.isDuplicate) == [true, false, true])
        #expect(try store.registryEntry(collection: "licences", key: "L-1") == before)
        #expect(try store.registryEntry(collection: "licences", key: "L-2", history: RegistryHistoryRange())?.history.count == 1)
        #expect(try store.registryEntry(collection: "licences", key: "L-2")?.entry.historyCount == 1)
    }

    @Test func outOfOrderEventsAreStoredAndFlagged() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.openContract()
        defer { store.close() }
        let amended = try await store.append(licenceEvent(id: "a", number: "L-1", action: "amended"))
        #expect(try store.event(amended.sequence) != nil)
        let early = try #require(try store.registryEntry(collection: "licences", key: "L-1"))
        #expect(early.entry.storedStatus == .notIssued && early.dataEvent == nil && early.entry.flags == [.notIssued])
        _ = try await store.append(licenceEvent(id: "b", number: "L-1", action: "issued"))
        _ = try await store.append(licenceEvent(id: "c", number: "L-1", action: "revoked"))
        _ = try await store.append(licenceEvent(id: "d", number: "L-1", action: "reinstated"))
        let entry = try #require(try store.registryEntry(collection: "licences", key: "L-1")).entry
        #expect(entry.storedStatus == .revoked)
        #expect(entry.flags == [.notIssued, .afterRevocation])
        #expect(try Self.keys(store, RegistryScan(collection: "licences", index: .status, value: "revoked")) == ["L-1"])
        #expect(try Self.keys(store, RegistryScan(collection: "licences", index: .status, value: "not_issued")).isEmpty)
    }

    @Test func expiryIndexIsBoundedAndCursorsAreChecked() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.openContract()
        defer { store.close() }
        for (number, until) in [("L-1", "2027-01-01"), ("L-2", "2026-06-30"), ("L-3", "2028-01-01"), ("L-4", "2027-01-02")] {
            _ = try await store.append(licenceEvent(id: number, number: number, action: "issued", until: until))
        }
        #expect(try Self.keys(store, RegistryScan(collection: "licences", index: .expiry, below: "2027-01-02")) == ["L-2", "L-1"])
        #expect(try Self.keys(store, RegistryScan(collection: "licences", index: .expiry, below: "2099-01-01"), pageSize: 1) == ["L-2", "L-1", "L-4", "L-3"])
        // A position of another range is refused.
        let other = try store.registryScan(RegistryScan(collection: "licences", index: .holder, value: "91310000MA1FL0001X")) { _ in false }
        #expect(throws: StoreError.self) {
            try store.registryScan(RegistryScan(collection: "licences", index: .type, value: "food", after: other.position)) { _ in true }
        }
        #expect(throws: StoreError.self) {
            try store.registryScan(RegistryScan(collection: "licences", index: .holder, value: "9131", after: other.position)) { _ in true }
        }
    }

    /// Paging by cursor while events arrive: no entry is returned twice, and every entry that was
    /// there from the start and kept its holder is returned.
    @Test func pagingIsStableWhileEventsArrive() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.openContract()
        defer { store.close() }
        let holder = "91310000MA1FL0001X"
        _ = try await store.append(contentsOf: (0..<300).map { licenceEvent(id: "i\($0)", number: String(format: "L-%04d", $0 * 2), action: "issued", holder: holder) })
        let original = Set((0..<300).map { String(format: "L-%04d", $0 * 2) })
        var seen: [String] = []
        var scan = RegistryScan(collection: "licences", index: .holder, value: holder)
        var round = 0
        while round < 100 {
            round += 1
            var page = 0
            let result = try store.registryScan(scan) { record in
                seen.append(record.entry.key)
                page += 1
                return page < 25
            }
            // Between pages: new licences of the holder before and after the position, amendments
            // and suspensions of licences already listed and not yet listed, other holders.
            _ = try await store.append(contentsOf: [
                licenceEvent(id: "n\(round)", number: String(format: "L-%04d", round * 6 + 1), action: "issued", holder: holder),
                licenceEvent(id: "m\(round)", number: String(format: "L-%04d", (round * 14) % 600), action: "amended", holder: holder),
                licenceEvent(id: "s\(round)", number: String(format: "L-%04d", (round * 22) % 600), action: "suspended"),
                licenceEvent(id: "o\(round)", number: "O-\(round)", action: "issued", holder: "OTHER"),
            ])
            guard !result.exhausted, let position = result.position else { break }
            scan.after = position
        }
        #expect(round < 100)
        #expect(Set(seen).count == seen.count, "an entry was returned twice")
        #expect(original.isSubset(of: Set(seen)))
        #expect(seen == seen.sorted())
        #expect(!seen.contains { $0.hasPrefix("O-") })
    }

    /// A randomised (seeded) history of issues, amendments, suspensions, reinstatements,
    /// renewals, revocations, unknown types, duplicates and out-of-order events: the registry
    /// recomputed from the log equals the live one, entries and index keys.
    @Test(arguments: [1, 2, 3] as [UInt64]) func rebuildFromTheLogEqualsTheLiveRegistry(seed: UInt64) async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        var random = SplitMix64(state: seed)
        let actions = ["issued", "issued", "amended", "renewed", "suspended", "reinstated", "revoked", "withdrawn"]
        var sent: [AppendRequest] = []
        var batch: [AppendRequest] = []
        for index in 0..<1500 {
            let number = "L-\(Int.random(in: 0..<120, using: &random))"
            let action = actions.randomElement(using: &random)!
            var request = licenceEvent(
                id: "e\(index)", number: number, action: action, holder: "H\(Int.random(in: 0..<8, using: &random))",
                type: ["food", "drug", "retail"].randomElement(using: &random)!, until: "20\(Int.random(in: 26...32, using: &random))-06-30")
            if action == "withdrawn" { request.envelope.topic = "licence.business.amended" }  // unknown type, feeding topic
            if !sent.isEmpty, Int.random(in: 0..<10, using: &random) == 0 { request = sent.randomElement(using: &random)! }  // duplicate
            sent.append(request)
            batch.append(request)
            if batch.count >= Int.random(in: 1...20, using: &random) {
                _ = try await store.append(contentsOf: batch)
                batch = []
            }
        }
        if !batch.isEmpty { _ = try await store.append(contentsOf: batch) }
        let report = try await store.rebuildRegistry(feeds: licenceFeeds)
        #expect(report.differences == [])
        #expect(report.matches)
        #expect(report.entries["licences"] == 120)
        #expect(report.eventsApplied == Int(store.lastSequence))

        // The comparison can fail: without the revocation topic the log gives other entries.
        var fewer = licenceFeeds
        fewer["licence.business.revoked"] = nil
        let differing = try await store.rebuildRegistry(feeds: fewer)
        #expect(!differing.matches)
        // Writing replaces the stored registry by the recomputed one, which then matches.
        let written = try await store.rebuildRegistry(feeds: fewer, write: true)
        #expect(written.written && written.matches)
        let back = try await store.rebuildRegistry(feeds: licenceFeeds, write: true)
        #expect(back.matches)
    }

    /// A rewrite interrupted after it cleared the registry leaves a marker that survives a
    /// restart, shows as a difference, and goes only when a rewrite completes.
    @Test func anInterruptedRewriteIsKnownUntilARewriteCompletes() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        var store = try directory.open()
        for index in 0..<30 {
            _ = try await store.append(licenceEvent(id: "e\(index)", number: "L-\(index % 7)", action: "issued", holder: "H", type: "food", until: "2030-06-30"))
        }
        #expect(try !store.isRegistryRebuildPending)
        // The rewrite's commits: the marker is there from the first (the clearing) to the last
        // chunk's, and gone after the last.
        let seen = Mutex<[Bool]>([])
        let observer = store.addCommitObserver { [store] _ in
            let pending = (try? store.isRegistryRebuildPending) ?? false
            seen.withLock { $0.append(pending) }
        }
        #expect(try await store.rebuildRegistry(feeds: licenceFeeds, write: true).matches)
        store.removeCommitObserver(observer)
        let marks = seen.withLock { $0 }
        #expect(marks.count >= 3 && marks.first == true && marks.last == false, "\(marks)")
        #expect(marks.dropLast().allSatisfy { $0 }, "\(marks)")
        #expect(try !store.isRegistryRebuildPending, "a completed rewrite leaves no marker")
        // As a rewrite stopped after its first transaction leaves the store: cleared and marked.
        store.close()
        let env = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
        let (meta, registry) = try env.write { txn in (try txn.openDatabase("meta"), try txn.openDatabase("registry")) }
        try env.write { txn in
            try txn.withCursor(registry) { cursor in
                while try cursor.first() != nil { try cursor.deleteCurrent() }
            }
            try txn.put(meta, key: Array("registry_rebuild_pending".utf8), value: [1])
        }
        env.close()
        store = try directory.open()
        defer { store.close() }
        #expect(try store.isRegistryRebuildPending, "the marker survives a restart")
        let compared = try await store.rebuildRegistry(feeds: licenceFeeds)
        #expect(!compared.matches)
        #expect(compared.differences.contains { $0.contains("interrupted") })
        let rewritten = try await store.rebuildRegistry(feeds: licenceFeeds, write: true)
        #expect(rewritten.matches)
        #expect(try !store.isRegistryRebuildPending)
    }

    @Test func formatTwoStoreIsUpgraded() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        try directory.open().close()
        let env = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 16))
        let meta = try env.write { txn in try txn.openDatabase("meta") }
        try env.write { txn in try txn.put(meta, key: Array("format_version".utf8), value: [0, 0, 0, 2]) }
        env.close()
        let store = try directory.open()
        #expect(try store.isRegistryRebuildPending, "an upgraded store's registry awaits a rewrite")
        _ = try await store.append(licenceEvent(id: "a", number: "L-1", action: "issued"))
        #expect(try store.registryEntry(collection: "licences", key: "L-1")?.entry.storedStatus == .valid)
        #expect(try await store.rebuildRegistry(feeds: licenceFeeds, write: true).matches)
        #expect(try !store.isRegistryRebuildPending)
        store.close()
        let check = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 16))
        defer { check.close() }
        let version = try check.write { txn in
            let meta = try txn.openDatabase("meta")
            return try txn.get(meta, key: Array("format_version".utf8))
        }
        #expect(version == [0, 0, 0, 8])
    }
}
