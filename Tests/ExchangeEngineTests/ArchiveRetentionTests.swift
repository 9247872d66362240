import ExchangeAudit
import ExchangeEngine
import ExchangeModel
import ExchangeRouting
import ExchangeStore
import Foundation
import Synchronization
import Testing

/// Retention of a topic with `archive: true`: an event leaves the live store only after the
/// archiver wrote it (and returned, having synced it), only once a signed checkpoint covers its
/// audit entry, never without an archiver, and never when the archiver fails.
@Suite struct ArchiveRetentionTests {
    /// Records each batch, and whether every event of it was still in the live store when the
    /// archiver was called; fails when told to.
    final class RecordingArchiver: EventArchiver {
        let store: ExchangeStore
        let failing: Bool
        let batches = Mutex<[(topic: String, sequences: [UInt64], stillLive: Bool, treeSize: UInt64)]>([])

        init(store: ExchangeStore, failing: Bool = false) {
            self.store = store
            self.failing = failing
        }

        func archivedThrough(topic: String) throws -> UInt64? {
            batches.withLock { $0.filter { $0.topic == topic }.flatMap(\.sequences).max() }
        }

        func archive(_ batch: ArchiveBatch) throws {
            if failing { throw CancellationError() }
            let live = try batch.events.allSatisfy { try store.event($0.event.sequence) != nil }
            #expect(batch.proofs.count == batch.events.count)
            #expect(batch.events.allSatisfy { ($0.auditIndex ?? .max) < batch.checkpoint.treeSize })
            batches.withLock { $0.append((batch.topic, batch.events.map(\.event.sequence), live, batch.checkpoint.treeSize)) }
        }
    }

    struct Fixture {
        let directory = NSTemporaryDirectory() + "exchange-archive-tests-" + UUID().uuidString
        let store: ExchangeStore
        let exchange: Exchange
        let signer: NoteSigner

        init() throws {
            store = try ExchangeStore(configuration: StoreConfiguration(directory: directory, initialMapSize: 16 << 20))
            var topic = TopicDefinition(name: Topic("licence.business.issued")!, owner: EngineFixture.msa, retention: RetentionPolicy(maxEvents: 2))
            topic.archive = true
            let set = try AgreementSet(
                departments: ["msa", "tax"].map(EngineFixture.department), topics: [topic],
                agreements: [EngineFixture.defaultAgreements()[0]])
            exchange = Exchange(store: store, agreements: AgreementRegistry(initial: set))
            signer = try NoteSigner(name: "exchange.test/audit", key: SigningKey.generate())
        }

        func publish(_ count: Int, after first: Int = 0) async throws {
            for index in (first + 1)...(first + count) {
                _ = try await exchange.publish([EngineFixture.licence("e\(index)", number: "L-\(index)")], from: EngineFixture.msa)
            }
        }

        func checkpoint() async throws {
            let size = store.auditCount
            let note = try Checkpoint(origin: "exchange.test/audit", treeSize: size, rootHash: store.auditRoot(treeSize: size)).signed(by: [signer]).serialized
            try await store.saveCheckpoint(StoredCheckpoint(treeSize: size, note: note))
        }

        /// Steps until one removes nothing (the first ones move the index and deduplication
        /// entries out of memory).
        func expire(_ archiver: (any EventArchiver)?) async throws -> Int {
            var removed = 0
            for _ in 0..<6 { removed += try await exchange.expire(budget: 100, flushing: true, archiver: archiver).removed }
            return removed
        }

        func remove() {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test func eventsAreRemovedOnlyAfterTheArchiverWroteThem() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try await fixture.publish(6)
        try await fixture.checkpoint()
        let archiver = RecordingArchiver(store: fixture.store)
        #expect(try await fixture.expire(archiver) == 4)
        let batches = archiver.batches.withLock { $0 }
        #expect(batches.flatMap(\.sequences) == [1, 2, 3, 4], "each event archived once, oldest first")
        #expect(batches.allSatisfy { $0.stillLive }, "the archiver is called while the events are still in the store")
        for sequence in 1...4 { #expect(try fixture.store.event(UInt64(sequence)) == nil) }
        for sequence in 5...6 { #expect(try fixture.store.event(UInt64(sequence)) != nil) }
    }

    @Test func nothingIsRemovedWithoutAnArchiverOrWhenItFails() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try await fixture.publish(6)
        try await fixture.checkpoint()
        #expect(try await fixture.expire(nil) == 0)
        await #expect(throws: (any Error).self) { try await fixture.expire(RecordingArchiver(store: fixture.store, failing: true)) }
        for sequence in 1...6 { #expect(try fixture.store.event(UInt64(sequence)) != nil) }
    }

    @Test func eventsWaitForACheckpointThatCoversTheirAuditEntries() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let archiver = RecordingArchiver(store: fixture.store)
        try await fixture.publish(3)
        try await fixture.checkpoint()
        try await fixture.publish(3, after: 3)
        // The checkpoint covers events 1-3 only: 4 (expired too) waits.
        #expect(try await fixture.expire(archiver) == 3)
        #expect(try fixture.store.event(4) != nil)
        try await fixture.checkpoint()
        #expect(try await fixture.expire(archiver) == 1)
        #expect(archiver.batches.withLock { $0.flatMap(\.sequences) } == [1, 2, 3, 4])
    }
}
