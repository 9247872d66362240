import ExchangeModel
import ExchangeStore
import Foundation
import LMDB
import Testing

@Suite struct AppendTests {
    @Test func appendedEventReadsBackByEveryIndex() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.openContract()
        defer { store.close() }
        let before = UInt64(Date().timeIntervalSince1970 * 1e9)
        let event = sampleEvent(id: "m-1")
        let result = try await store.append(AppendRequest(envelope: event, routes: [taxRoute, portalRoute]))
        #expect(result == AppendResult(sequence: 1, isDuplicate: false, routeCount: 2))
        #expect(store.lastSequence == 1)

        let stored = try #require(try store.event(1))
        #expect(stored.envelope == event)
        #expect(stored.receivedAt >= before)

        #expect(try store.events(topic: "licence.business.issued", from: 1, limit: 10).map(\.sequence) == [1])
        #expect(try store.events(topic: "licence.food.issued", from: 1, limit: 10).isEmpty)
        #expect(try store.inbox(consumer: "tax-bureau", from: 0, limit: 10) == [
            InboxEntry(sequence: 1, agreement: "agr-business-licences", agreementVersion: 3)
        ])
        #expect(try store.inbox(consumer: "service-portal", from: 0, limit: 10).map(\.agreement) == ["agr-portal-licences"])
        #expect(try store.inbox(consumer: "court", from: 0, limit: 10).isEmpty)
        #expect(try store.firstSequence(receivedAtOrAfter: before) == 1)
        #expect(try store.firstSequence(receivedAtOrAfter: stored.receivedAt + 1) == nil)
    }

    @Test func samePublisherAndMessageIDIsStoredOnce() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.openContract()
        defer { store.close() }
        let first = try await store.append(AppendRequest(envelope: sampleEvent(id: "dup-1"), routes: [taxRoute]))
        _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "other")))
        let auditBefore = store.auditCount
        // The same event with other routes (a repeat with other data is refused:
        // DuplicateConflictTests).
        let retry = sampleEvent(id: "dup-1")
        let again = try await store.append(AppendRequest(envelope: retry, routes: [taxRoute, portalRoute]))
        #expect(again == AppendResult(sequence: first.sequence, isDuplicate: true, routeCount: 1))
        #expect(store.lastSequence == 2)
        #expect(store.auditCount == auditBefore)
        #expect(try store.event(first.sequence)?.envelope.data == sampleEvent(id: "dup-1").data)
        #expect(try store.inbox(consumer: "service-portal", from: 0, limit: 10).isEmpty)

        let otherPublisher = try await store.append(AppendRequest(envelope: sampleEvent(id: "dup-1", source: "health-commission")))
        #expect(otherPublisher.isDuplicate == false)
        #expect(otherPublisher.sequence == 3)
    }

    @Test func deduplicationHasNoTimeWindowAndSurvivesReopen() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        do {
            let store = try directory.openContract()
            _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "old")))
            for index in 0..<200 {
                _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "filler-\(index)")))
            }
            store.close()
        }
        let store = try directory.openContract()
        defer { store.close() }
        let retry = try await store.append(AppendRequest(envelope: sampleEvent(id: "old")))
        #expect(retry == AppendResult(sequence: 1, isDuplicate: true, routeCount: 0))
        #expect(store.lastSequence == 201)
    }

    @Test func duplicatesAreFoundBeforeAndAfterTheirEntriesAreMergedToDisk() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        func retryAll(_ store: any ExchangeStoreContract) async throws -> [AppendResult] {
            var results: [AppendResult] = []
            for index in 0..<35 {
                results.append(try await store.append(AppendRequest(envelope: sampleEvent(id: "m-\(index)"))))
            }
            return results
        }
        do {
            let store = try directory.openContract(dedupMergeThreshold: 10)
            for index in 0..<35 {
                _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "m-\(index)"), routes: [taxRoute]))
            }
            let retried = try await retryAll(store)
            #expect(retried.allSatisfy { $0.isDuplicate })
            #expect(retried.map(\.sequence) == Array(1...35))
            #expect(retried.allSatisfy { $0.routeCount == 1 })
            store.close()
        }
        let store = try directory.openContract(dedupMergeThreshold: 10)
        defer { store.close() }
        let retried = try await retryAll(store)
        #expect(retried.map(\.sequence) == Array(1...35))
        #expect(retried.allSatisfy { $0.isDuplicate && $0.routeCount == 1 })
        #expect(store.lastSequence == 35)
    }

    @Test func batchAppendIsOrderedAndDeduplicatesWithinItself() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.openContract()
        defer { store.close() }
        let results = try await store.append(contentsOf: [
            AppendRequest(envelope: sampleEvent(id: "a")),
            AppendRequest(envelope: sampleEvent(id: "b")),
            AppendRequest(envelope: sampleEvent(id: "a")),
        ])
        #expect(results.map(\.sequence) == [1, 2, 1])
        #expect(results.map(\.isDuplicate) == [false, false, true])
        #expect(try store.events(from: 1, limit: 10).map(\.envelope.id) == ["a", "b"])
    }

    @Test func concurrentPublishersGetUniqueContiguousSequences() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.openContract()
        defer { store.close() }
        let publishers = 32
        let perPublisher = 40
        let sequences = try await withThrowingTaskGroup(of: [(UInt64, String)].self) { group in
            for publisher in 0..<publishers {
                group.addTask {
                    var acknowledged: [(UInt64, String)] = []
                    for index in 0..<perPublisher {
                        let id = "p\(publisher)-\(index)"
                        let result = try await store.append(
                            AppendRequest(envelope: sampleEvent(id: id, source: "dept-\(publisher % 4)"), routes: [taxRoute]))
                        acknowledged.append((result.sequence, id))
                    }
                    return acknowledged
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let total = publishers * perPublisher
        #expect(sequences.count == total)
        #expect(Set(sequences.map(\.0)) == Set(1...UInt64(total)))
        #expect(store.lastSequence == UInt64(total))
        for (sequence, id) in sequences {
            #expect(try store.event(sequence)?.envelope.id == id)
        }
        #expect(try store.inbox(consumer: "tax-bureau", from: 0, limit: .max).count == total)
        #expect(store.auditCount == UInt64(total))
    }

    @Test func everyPublishWritesItsAuditEntryInTheSameCommit() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.openContract()
        defer { store.close() }
        _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "m-7"), routes: [taxRoute]))
        let entries = try store.auditEntries(from: 0, limit: 10)
        #expect(entries.count == 1)
        let entry = try #require(try JSONSerialization.jsonObject(with: Data(entries[0])) as? [String: Any])
        #expect(entry["kind"] as? String == "published")
        #expect(entry["actor"] as? String == "market-regulation")
        #expect(entry["sequence"] as? Int == 1)
        #expect(entry["message_id"] as? String == "m-7")
        let routes = try #require(entry["routes"] as? [[String: Any]])
        #expect(routes.first?["consumer"] as? String == "tax-bureau")
        #expect(routes.first?["agreement_version"] as? Int == 3)
    }

    @Test func reopenAfterCleanCloseKeepsEverythingAndContinuesTheSequence() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        var written: [Envelope] = []
        do {
            let store = try directory.openContract()
            for index in 0..<50 {
                let event = sampleEvent(id: "e-\(index)", size: 100 + index)
                written.append(event)
                _ = try await store.append(AppendRequest(envelope: event, routes: [taxRoute]))
            }
            store.close()
        }
        let store = try directory.openContract()
        defer { store.close() }
        #expect(store.lastSequence == 50)
        #expect(store.auditCount == 50)
        #expect(try store.events(from: 1, limit: 100).map(\.envelope) == written)
        let next = try await store.append(AppendRequest(envelope: sampleEvent(id: "after"), routes: [taxRoute]))
        #expect(next.sequence == 51)
        #expect(try store.inbox(consumer: "tax-bureau", from: 0, limit: 100).count == 51)
    }

    @Test func writesAfterCloseAreRefused() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.openContract()
        store.close()
        await #expect(throws: StoreError.self) {
            _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "late")))
        }
    }

    /// The time index holds at most one entry per 100 ms of commits; a look-up by time still
    /// finds the exact first event at or after it, reading the log past the index entry.
    @Test func lookupsByTimeAreExactBetweenSparseIndexEntries() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        var stored: [StoredEvent] = []
        for index in 0..<12 {
            // Two groups of commits, the second more than the index interval after the first.
            if index == 6 { try await Task.sleep(for: .milliseconds(150)) }
            let result = try await store.append(AppendRequest(envelope: sampleEvent(id: "time-\(index)")))
            stored.append(try #require(try store.event(result.sequence)))
            try await Task.sleep(for: .milliseconds(2))
        }
        for (position, event) in stored.enumerated() {
            #expect(try store.firstSequence(receivedAtOrAfter: event.receivedAt) == event.sequence, "event \(position)")
            let next = position + 1 < stored.count ? stored[position + 1].sequence : nil
            #expect(try store.firstSequence(receivedAtOrAfter: event.receivedAt + 1) == next, "just after event \(position)")
        }
        #expect(try store.firstSequence(receivedAtOrAfter: 0) == stored[0].sequence)
        store.close()

        // Reopened, the store goes on from the last event's time, and look-ups stay exact.
        let reopened = try directory.open()
        let later = try await reopened.append(AppendRequest(envelope: sampleEvent(id: "time-after-reopen")))
        stored.append(try #require(try reopened.event(later.sequence)))
        #expect(stored[stored.count - 1].receivedAt >= stored[stored.count - 2].receivedAt, "receive times never decrease")
        for (position, event) in stored.enumerated() {
            #expect(try reopened.firstSequence(receivedAtOrAfter: event.receivedAt) == event.sequence, "event \(position) after reopening")
        }
        #expect(try reopened.firstSequence(receivedAtOrAfter: stored[stored.count - 1].receivedAt + 1) == nil)
        reopened.close()

        let environment = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
        defer { environment.close() }
        let entries = try environment.write { txn in try txn.count(try txn.openDatabase("time_index")) }
        // Each append was its own commit: an entry for the first, then for each commit at least
        // 100 ms after the last entry (two, unless the machine stalled a commit that long).
        var expected = 0
        var lastIndexed: UInt64?
        for event in stored where lastIndexed.map({ event.receivedAt >= $0 + 100_000_000 }) ?? true {
            expected += 1
            lastIndexed = event.receivedAt
        }
        #expect(expected >= 2)
        #expect(entries == expected, "one index entry per 100 ms of commits, not one per commit")
    }
}
