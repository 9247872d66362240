import ExchangeModel
import Foundation
import LMDB
import Testing

@testable import ExchangeStore

/// A full store refuses publishes with `store.full` below its maximum, keeping a reserve in
/// which acknowledgements, delivery records and audit entries still commit, and takes
/// publishes again once its limit is raised.
@Suite struct StoreFullTests {
    let record = SubscriptionRecord(
        name: "tax-licences", owner: "tax-bureau", filter: "licence.business.>", ackWaitMilliseconds: 5000,
        backoffMilliseconds: [], maxDeliver: 3, maxInFlight: 100_000)

    /// Publishes 2 KB events until the store refuses one; returns how many were stored.
    private func fill(_ store: ExchangeStore, prefix: String) async throws -> Int {
        var stored = 0
        for index in 0..<20_000 {
            do {
                _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "\(prefix)-\(index)", size: 2048), routes: [taxRoute]))
                stored += 1
            } catch let error as StoreError where error.code == .storeFull {
                return stored
            }
        }
        Issue.record("20,000 events of 2 KB fitted in a 4 MiB store")
        return stored
    }

    @Test func publishesAreRefusedAtTheLimitAndBookkeepingStillCommits() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try ExchangeStore(
            configuration: StoreConfiguration(directory: directory.path, initialMapSize: 1 << 20, maxMapSize: 4 << 20, publishReserve: 1 << 20))
        defer { store.close() }
        try await store.putSubscription(record, position: 1, actor: "tax-bureau")
        let stored = try await fill(store, prefix: "a")
        #expect(stored > 100)
        #expect(store.lastSequence == UInt64(stored), "nothing of a refused publish is stored")
        #expect(store.isRefusingPublishes)
        let statistics = store.statistics()
        #expect(statistics.isRefusingPublishes && statistics.publishLimit == 3 << 20)
        #expect(statistics.usedBytes < 4 << 20, "refused before the map's maximum")

        // Deliveries, acknowledgements with their receipts, and audit entries go on.
        let sequences = (1...UInt64(stored)).map { $0 }
        try await store.recordDeliveries(
            subscription: "tax-licences", sequences.map { PendingDelivery(sequence: $0, deliveries: 1, deadline: 1) },
            advancingTo: UInt64(stored) + 1)
        for chunk in stride(from: 0, to: sequences.count, by: 50) {
            let acked = try await store.acknowledge(Array(sequences[chunk..<min(chunk + 50, sequences.count)]), subscription: "tax-licences", actor: "tax-bureau")
            #expect(acked.allSatisfy { $0 })
        }
        _ = try await store.appendAudit([AuditEvent(kind: .rejected, actor: "market-regulation", fields: ["reason": "store.full"])])
        await #expect(throws: StoreError.self) {
            _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "still-full"), routes: [taxRoute]))
        }

        // A larger maximum (a configuration reload) takes publishes again.
        store.setMapLimits(StoreMapLimits(maxMapSize: 16 << 20, publishReserve: 1 << 20))
        let after = try await store.append(AppendRequest(envelope: sampleEvent(id: "after-reload", size: 2048), routes: [taxRoute]))
        #expect(after.sequence == UInt64(stored) + 1 && !after.isDuplicate)
        #expect(!store.isRefusingPublishes)
        #expect(try await fill(store, prefix: "b") > stored, "the map grew to the new maximum")
    }

    /// Reads and refusals, which anyone may cause, cannot use up the reserve: their audit
    /// entries stop half-way into it, while acknowledgements and essential entries go on.
    @Test func auditEntriesOfReadsStopHalfWayIntoTheReserve() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try ExchangeStore(
            configuration: StoreConfiguration(directory: directory.path, initialMapSize: 4 << 20, maxMapSize: 4 << 20, publishReserve: 1 << 20))
        defer { store.close() }
        try await store.putSubscription(record, position: 1, actor: "tax-bureau")
        let stored = try await fill(store, prefix: "a")
        #expect(store.isRefusingPublishes)
        // A department reading at will: each read writes a `queried` entry of about 1 KB.
        var reads = 0
        var refusal: StoreError?
        for index in 0..<5_000 {
            do {
                _ = try await store.appendAudit(
                    [AuditEvent(kind: .queried, actor: "tax-bureau", fields: ["key": .string(String(repeating: "k", count: 900) + "\(index)")])],
                    priority: .reads)
                reads += 1
            } catch let error as StoreError {
                refusal = error
                break
            }
        }
        #expect(refusal?.code == .storeFull, "reads' entries are refused before the map's maximum")
        #expect(reads > 10, "reads go on at first, into half the reserve")
        let statistics = store.statistics()
        #expect(statistics.usedBytes < (4 << 20) - (1 << 19) + (64 << 10), "about half the reserve is left: \(statistics.usedBytes)")
        // What keeps the exchange working still commits.
        try await store.recordDeliveries(
            subscription: "tax-licences", [PendingDelivery(sequence: 1, deliveries: 1, deadline: 1)], advancingTo: 2)
        #expect(try await store.acknowledge([1], subscription: "tax-licences", actor: "tax-bureau") == [true])
        _ = try await store.appendAudit([AuditEvent(kind: .tokenChanged, actor: "tokens-file", fields: ["token": "t"])], priority: .essential)
        #expect(store.lastSequence == UInt64(stored))
    }

    @Test func publishesAreTakenAgainOncePagesAreFreed() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try ExchangeStore(
            configuration: StoreConfiguration(directory: directory.path, initialMapSize: 4 << 20, maxMapSize: 4 << 20, publishReserve: 1 << 20))
        defer { store.close() }
        // Some 600 KB that can be deleted later (what a retention service would free).
        let keys = (0..<300).map { Array("scratch-\($0)".utf8) }
        try store.environment.write { txn in
            for key in keys { _ = try txn.put(store.schema.meta, key: key, value: [UInt8](repeating: 7, count: 2_000)) }
        }
        let stored = try await fill(store, prefix: "a")
        #expect(store.isRefusingPublishes)
        try store.environment.write { txn in
            for key in keys { _ = try txn.delete(store.schema.meta, key: key) }
        }
        // Two commits later the pages are on the free list; the count is at most 250 ms old.
        _ = try await store.appendAudit([AuditEvent(kind: .rejected, actor: "market-regulation", fields: ["reason": "store.full"])])
        try await Task.sleep(for: .milliseconds(300))
        // The state (and the metric read from it) clears without waiting for a publish attempt.
        #expect(!store.isRefusingPublishes && !store.statistics().isRefusingPublishes, "still refusing after the pages were freed")
        let after = try await store.append(AppendRequest(envelope: sampleEvent(id: "after-free", size: 2048), routes: [taxRoute]))
        #expect(after.sequence == UInt64(stored) + 1)
        #expect(!store.isRefusingPublishes)
        #expect(store.statistics().mapSize <= 4 << 20)
    }

    @Test func atTheMaximumOnlyTheWriteThatDoesNotFitFails() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try ExchangeStore(
            configuration: StoreConfiguration(directory: directory.path, initialMapSize: 2 << 20, maxMapSize: 2 << 20, publishReserve: 512 << 10))
        defer { store.close() }
        _ = try await fill(store, prefix: "a")
        // Two audit entries in one batch: one larger than the room left, one small.
        let hold = BookkeepingOrderTests.WriterHold()
        try await hold.hold(store)
        async let huge = store.appendAudit([AuditEvent(kind: .rejected, actor: "x", fields: ["detail": .string(String(repeating: "d", count: 1 << 20))])])
        try await BookkeepingOrderTests.waitForBacklog(store, 2)
        async let small = store.appendAudit([AuditEvent(kind: .rejected, actor: "x", fields: ["reason": "store.full"])])
        try await BookkeepingOrderTests.waitForBacklog(store, 3)
        hold.release()
        let hugeResult: Result<[UInt64], any Error>
        do { hugeResult = .success(try await huge) } catch { hugeResult = .failure(error) }
        let smallResult: Result<[UInt64], any Error>
        do { smallResult = .success(try await small) } catch { smallResult = .failure(error) }
        #expect((try? smallResult.get()) != nil, "the small entry fits and commits: \(smallResult)")
        guard case .failure(let error as StoreError) = hugeResult else {
            Issue.record("a 1 MiB entry fitted in the room left: \(hugeResult)")
            return
        }
        #expect(error.code == .storeFull)
    }

    @Test func freedPagesAreCountedOnTheFreeList() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        let environment = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 4))
        defer { environment.close() }
        #expect(try environment.freePages() == 0)
        try environment.write { txn in
            let scratch = try txn.openDatabase("scratch", flags: .create)
            for index in 0..<2_000 { _ = try txn.put(scratch, key: Array("k\(index)".utf8), value: [UInt8](repeating: 1, count: 512)) }
        }
        let high = environment.info().usedBytes
        try environment.write { txn in try txn.drop(try txn.openDatabase("scratch")) }
        // What one commit frees is on the free list from the next.
        try environment.write { txn in _ = try txn.put(try txn.openDatabase("scratch"), key: [1], value: [1]) }
        let free = try environment.freePages()
        #expect(free > 200, "2,000 entries of 512 bytes took more than 200 pages")
        #expect(environment.info().usedBytes >= high, "the high-water mark does not shrink")
    }

    @Test func theReserveDefaultsToAnEighthOfTheMaximumAtMostOneGiB() {
        #expect(StoreMapLimits(maxMapSize: 64 << 30).publishReserve == 1 << 30)
        #expect(StoreMapLimits(maxMapSize: 16 << 20).publishReserve == 2 << 20)
        #expect(StoreMapLimits(maxMapSize: 16 << 20, publishReserve: 12 << 20).publishReserve == 8 << 20, "at most half")
        #expect(StoreMapLimits(maxMapSize: 16 << 20, publishReserve: 1 << 20).publishLimit == 15 << 20)
    }
}
