import ExchangeModel
import Foundation
import LMDB
import Testing

@testable import ExchangeStore

/// A repeat of (publisher, message id) with other content is refused with the original's
/// sequence and stores nothing; an exact repeat is still a duplicate. Wherever the original's
/// deduplication entry lies: in a run on disk, in memory, or in the same group commit.
@Suite struct DuplicateConflictTests {
    private func request(_ envelope: Envelope) -> AppendRequest {
        AppendRequest(envelope: envelope, routes: [taxRoute])
    }

    /// The original with one attribute changed, for each attribute the check compares.
    private func variants(of original: Envelope) -> [(String, Envelope)] {
        var data = original
        data.data = Array(#"{"licence":"changed"}"#.utf8)
        var topic = original
        topic.topic = "licence.business.revoked"
        var type = original
        type.type = "licence.revoked"
        var subject = original
        subject.subject = "91310000MA1FL0002Y"
        var noSubject = original
        noSubject.subject = nil
        return [("data", data), ("topic", topic), ("type", type), ("subject", subject), ("subject", noSubject)]
    }

    /// Appends each variant, expecting a conflict naming `sequence` and the attribute, and then
    /// the exact repeat, expecting a duplicate of `sequence`; the store's log is unchanged.
    private func expectConflicts(_ store: ExchangeStore, original: Envelope, sequence: UInt64) async throws {
        let last = store.lastSequence
        for (attribute, variant) in variants(of: original) {
            await #expect(throws: AppendConflict(publisher: original.source, messageID: original.id, originalSequence: sequence, differing: [attribute])) {
                _ = try await store.append(request(variant))
            }
        }
        let repeated = try await store.append(request(original))
        #expect(repeated == AppendResult(sequence: sequence, isDuplicate: true, routeCount: 1))
        #expect(store.lastSequence == last, "nothing was stored")
        #expect(try store.event(sequence)?.envelope == original, "the original stays as it was")
        // The next event takes the next sequence: a refused repeat leaves no gap.
        let next = try await store.append(request(sampleEvent(id: "after-\(sequence)")))
        #expect(next.sequence == last + 1 && !next.isDuplicate)
    }

    @Test func aRepeatOfAnEventInAMergedRunIsCheckedAgainstItsRecord() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let original = sampleEvent(id: "long-ago")
        do {
            let store = try directory.open(dedupMergeThreshold: 8, dedupStepEntries: 4)
            _ = try await store.append(request(original))
            for index in 0..<200 { _ = try await store.append(request(sampleEvent(id: "filler-\(index)"))) }
            store.close()
        }
        let store = try directory.open(dedupMergeThreshold: 8, dedupStepEntries: 4)
        defer { store.close() }
        let publisher = try #require(store.names.id(of: original.source, kind: .department))
        #expect(store.dedupCache.lookup(DedupCache.key(publisher: publisher, id: original.id)) == nil, "the entry is only in a run on disk")
        #expect(store.dedupCache.runs.catalog.complete.contains { $0.level >= 1 }, "runs were merged")
        try await expectConflicts(store, original: original, sequence: 1)
    }

    @Test func aRepeatOfARecentEventIsCheckedAgainstItsRecord() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        _ = try await store.append(request(sampleEvent(id: "before")))
        let original = sampleEvent(id: "recent")
        let first = try await store.append(request(original))
        #expect(first.sequence == 2)
        let publisher = try #require(store.names.id(of: original.source, kind: .department))
        #expect(store.dedupCache.lookup(DedupCache.key(publisher: publisher, id: original.id))?.sequence == 2, "the entry is in memory")
        try await expectConflicts(store, original: original, sequence: 2)
    }

    @Test func theSecondOfTwoConflictingPublishesInOneGroupCommitIsRefusedAlone() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        _ = try await store.append(request(sampleEvent(id: "before")))
        let original = sampleEvent(id: "same-batch")
        var conflicting = original
        conflicting.data = Array(#"{"licence":"other"}"#.utf8)

        let hold = BookkeepingOrderTests.WriterHold()
        try await hold.hold(store)
        let commitsBefore = store.writer.statistics.commits
        async let first = store.append(request(original))
        try await BookkeepingOrderTests.waitForBacklog(store, 2)
        async let second = store.append(request(conflicting))
        try await BookkeepingOrderTests.waitForBacklog(store, 3)
        async let neighbour = store.append(request(sampleEvent(id: "neighbour")))
        try await BookkeepingOrderTests.waitForBacklog(store, 4)
        async let exact = store.append(request(original))
        try await BookkeepingOrderTests.waitForBacklog(store, 5)
        hold.release()

        #expect(try await first == AppendResult(sequence: 2, isDuplicate: false, routeCount: 1))
        let secondResult: Result<AppendResult, any Error>
        do { secondResult = .success(try await second) } catch { secondResult = .failure(error) }
        #expect(throws: AppendConflict(publisher: original.source, messageID: original.id, originalSequence: 2, differing: ["data"])) {
            _ = try secondResult.get()
        }
        #expect(try await neighbour == AppendResult(sequence: 3, isDuplicate: false, routeCount: 1))
        #expect(try await exact == AppendResult(sequence: 2, isDuplicate: true, routeCount: 1))
        // The hold's batch, then one batch for the four (applied again without the refused one).
        #expect(store.writer.statistics.commits - commitsBefore <= 2)
        #expect(store.lastSequence == 3)
        #expect(try store.event(2)?.envelope == original)
        #expect(try store.event(3)?.envelope.id == "neighbour")
    }

    @Test func anAtomicBatchRepeatingAnIdWithOtherContentStoresNothing() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        let original = sampleEvent(id: "in-batch")
        var conflicting = original
        conflicting.type = "licence.revoked"
        // The original is in the refused batch too: the conflict names its position, not the
        // sequence it took in the aborted transaction (which the next event is given).
        await #expect(throws: AppendConflict(publisher: original.source, messageID: original.id, originalPosition: 0, position: 2, differing: ["type"])) {
            _ = try await store.append(contentsOf: [request(original), request(sampleEvent(id: "other")), request(conflicting)])
        }
        #expect(store.lastSequence == 0, "no event of the batch is stored")
        // An exact repeat inside a batch is stored once, as before.
        let results = try await store.append(contentsOf: [request(original), request(original)])
        #expect(results.map(\.sequence) == [1, 1] && results.map(\.isDuplicate) == [false, true])
    }

    /// The finding's steps: a batch repeating an id with another subject is refused naming no
    /// sequence; the sequence its first event took goes to the next event; the id is then new.
    @Test func aConflictInsideARefusedBatchNamesNoSequenceThatIsGivenToAnotherEvent() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        _ = try await store.append(request(sampleEvent(id: "before")))
        let first = sampleEvent(id: "dupC")
        var second = first
        second.subject = "91310000MA1FL0002Y"
        do {
            _ = try await store.append(contentsOf: [request(first), request(second)])
            Issue.record("a batch repeating an id with other content was stored")
        } catch let conflict as AppendConflict {
            #expect(conflict.originalSequence == nil, "sequence \(conflict.originalSequence ?? 0) was never stored")
            #expect(conflict.originalPosition == 0 && conflict.position == 1 && conflict.differing == ["subject"])
        }
        #expect(store.lastSequence == 1)
        let other = try await store.append(contentsOf: [request(sampleEvent(id: "other1"))])
        #expect(other.map(\.sequence) == [2])
        let again = try await store.append(contentsOf: [request(first)])
        #expect(again == [AppendResult(sequence: 3, isDuplicate: false, routeCount: 1)])
        // A conflict with an event committed before still names it.
        await #expect(throws: AppendConflict(publisher: first.source, messageID: first.id, originalSequence: 3, differing: ["subject"])) {
            _ = try await store.append(contentsOf: [request(sampleEvent(id: "fresh")), request(second)])
        }
    }

    /// Once retention removed the original's record, a repeat is compared with what retention
    /// kept: the `published` audit entry (topic, type, subject, `data_digest`).
    @Test func aRepeatOfAnEventRetentionRemovedIsCheckedAgainstItsPublishedEntry() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let original = sampleEvent(id: "removed-later")
        let store = try directory.open(dedupMergeThreshold: 8, dedupStepEntries: 4)
        defer { store.close() }
        _ = try await store.append(request(original))
        for index in 0..<40 { _ = try await store.append(request(sampleEvent(id: "filler-\(index)"))) }
        let rule = RetentionRule(topic: original.topic, policy: RetentionPolicy(maxEvents: 10))
        for _ in 0..<20 {
            if try store.event(1) == nil { break }
            _ = try await store.expire([rule], now: 0, budget: 100, flushing: true)
        }
        #expect(try store.event(1) == nil, "retention removed the original")
        let last = store.lastSequence
        for (attribute, variant) in variants(of: original) {
            await #expect(throws: AppendConflict(publisher: original.source, messageID: original.id, originalSequence: 1, differing: [attribute])) {
                _ = try await store.append(request(variant))
            }
        }
        #expect(try await store.append(request(original)) == AppendResult(sequence: 1, isDuplicate: true, routeCount: 1))
        #expect(store.lastSequence == last, "nothing was stored")
    }

    /// A record gone without what retention leaves (its audit entry still refers to it): there
    /// is nothing to compare with, so a repeat is a duplicate, unchecked.
    @Test func aRepeatWhoseOriginalRecordIsGoneIsADuplicateWithoutACheck() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let original = sampleEvent(id: "deleted-later")
        do {
            let store = try directory.open(dedupMergeThreshold: 8, dedupStepEntries: 4)
            _ = try await store.append(request(original))
            for index in 0..<40 { _ = try await store.append(request(sampleEvent(id: "filler-\(index)"))) }
            store.close()
        }
        // The record leaves the log (not as retention removes it), its dedup entry stays.
        do {
            let environment = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
            defer { environment.close() }
            let deleted = try environment.write { txn in
                try txn.delete(try txn.openDatabase("log"), key: BigEndianKey.u64(1))
            }
            #expect(deleted)
        }
        let store = try directory.open(dedupMergeThreshold: 8, dedupStepEntries: 4)
        defer { store.close() }
        var changed = original
        changed.data = Array(#"{"licence":"changed"}"#.utf8)
        #expect(try await store.append(request(changed)) == AppendResult(sequence: 1, isDuplicate: true, routeCount: 1))
        #expect(try store.event(1) == nil)
    }
}
