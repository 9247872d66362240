import ExchangeAudit
import ExchangeModel
import Foundation
import LMDB
import Testing

@testable import ExchangeStore

/// Retention: expired events leave the live store, everything that only they needed goes with
/// them, and the evidence (audit entries, the Merkle tree) stays byte for byte, across restarts.
@Suite struct RetentionStoreTests {
    static let topics = IndexTailTests.topics
    static let consumers = IndexTailTests.consumers

    /// Removes expired events until a step removes none; at most `steps` steps.
    static func expireAll(_ store: ExchangeStore, _ rules: [RetentionRule], now: UInt64, steps: Int = 50) async throws -> Int {
        var removed = 0
        for _ in 0..<steps {
            let report = try await store.expire(rules, now: now, budget: 7)
            removed += report.removed
            if report.removed == 0 { break }
        }
        return removed
    }

    static func sequences(_ store: ExchangeStore, topic: String) throws -> [UInt64] {
        var sequences: [UInt64] = []
        try store.scanTopic(topic, from: 1, limit: .max) { view in
            sequences.append(view.sequence)
            return true
        }
        return sequences
    }

    static func inbox(_ store: ExchangeStore, _ consumer: String) throws -> [UInt64] {
        var sequences: [UInt64] = []
        try store.scanInbox(consumer: consumer, from: 1, limit: .max) { entry, _ in
            sequences.append(entry.sequence)
            return true
        }
        return sequences
    }

    @Test func maxEventsKeepsTheNewestEventsAndEveryAuditEntry() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        try await IndexTailTests.populate(store, count: 90)
        let topic = Self.topics[0]
        let before = try Self.sequences(store, topic: topic)
        let auditBefore = try store.auditEntryRecords(from: 0, limit: .max)
        let rootBefore = try store.auditRoot(treeSize: store.auditCount)
        let inboxBefore = try Self.consumers.map { try Self.inbox(store, $0) }

        let rule = RetentionRule(topic: topic, policy: RetentionPolicy(maxEvents: 5))
        let removed = try await Self.expireAll(store, [rule], now: 0)
        let after = try Self.sequences(store, topic: topic)
        // Only merged events go (the index tail and the deduplication memory still name the
        // newest ones), so at least 5 stay; the removed ones are the oldest.
        #expect(removed > 0)
        #expect(after.count == before.count - removed)
        #expect(after.count >= 5)
        #expect(after == Array(before.suffix(after.count)))
        let gone = before.prefix(removed)
        for sequence in gone { #expect(try store.event(sequence) == nil) }
        for sequence in after { #expect(try store.event(sequence) != nil) }
        // Inboxes lose exactly the removed events; the other topics are untouched.
        for (position, consumer) in Self.consumers.enumerated() {
            #expect(try Self.inbox(store, consumer) == inboxBefore[position].filter { !gone.contains($0) })
        }
        #expect(try Self.sequences(store, topic: Self.topics[1]).count == 30)
        // The evidence stays byte for byte.
        #expect(try store.auditEntryRecords(from: 0, limit: .max) == auditBefore)
        #expect(try store.auditRoot(treeSize: store.auditCount) == rootBefore)
        #expect(try store.retainedCount(topic: topic) == UInt64(after.count))
        let range = try #require(try store.expiredRange(topic: topic, containing: gone[gone.startIndex]))
        #expect(range.first == gone.first && range.last == gone.last && range.count == UInt64(removed))
        #expect(try store.expiredRange(topic: topic, containing: after[0]) == nil)
        #expect(try store.expiredThrough()[topic] == gone.last)

        // A restart reads the same: the evidence, the gaps, the count.
        store.close()
        let reopened = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        defer { reopened.close() }
        #expect(try Self.sequences(reopened, topic: topic) == after)
        #expect(try reopened.auditEntryRecords(from: 0, limit: .max) == auditBefore)
        #expect(try reopened.auditRoot(treeSize: reopened.auditCount) == rootBefore)
        // After the graceful close merged everything, the rest of the excess goes too.
        let more = try await Self.expireAll(reopened, [rule], now: 0)
        #expect(try Self.sequences(reopened, topic: topic).count == after.count - more)
        #expect(try reopened.retainedCount(topic: topic) == UInt64(after.count - more))
        #expect(try reopened.auditEntryRecords(from: 0, limit: .max) == auditBefore)
        // A repeat of a removed event is still recognised.
        let repeated = try await reopened.append(AppendRequest(envelope: sampleEvent(id: "m-0", topic: topic)))
        #expect(repeated.isDuplicate && repeated.sequence == 1)
    }

    @Test func maxAgeRemovesWhatIsOlderAndTheTimeLookUpSkipsTheGap() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        defer { store.close() }
        try await IndexTailTests.populate(store, count: 60)
        let first = try #require(try store.event(1)).receivedAt
        let rules = Self.topics.map { RetentionRule(topic: $0, policy: RetentionPolicy(maxAge: 60)) }
        // Nothing is a minute old yet.
        #expect(try await Self.expireAll(store, rules, now: first + 1_000_000_000) == 0)
        // An hour later every merged event is.
        let removed = try await Self.expireAll(store, rules, now: first + 3_600_000_000_000)
        #expect(removed > 0)
        let remaining = try Self.topics.flatMap { try Self.sequences(store, topic: $0) }.sorted()
        #expect(remaining.count == 60 - removed)
        // The log scan and the time look-up land on the first event that stays.
        var scanned: [UInt64] = []
        try store.scanLog(from: 1, limit: .max) { view in
            scanned.append(view.sequence)
            return true
        }
        #expect(scanned == remaining)
        #expect(try store.firstSequence(receivedAtOrAfter: first) == remaining.first)
    }

    @Test func aRegistryEntrysCurrentEventKeepsAnsweringAfterItsRecordIsRemoved() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        defer { store.close() }
        let collection = RegistryCollection(name: "licences")
        let topic = Self.topics[0]
        // Licence A changes three times early on; licence B once; then filler events.
        for (index, subject) in ["A", "A", "B", "A"].enumerated() {
            _ = try await store.append(
                AppendRequest(envelope: sampleEvent(id: "r-\(index)", topic: topic, subject: subject), registry: collection))
        }
        for index in 0..<60 {
            _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "f-\(index)", topic: Self.topics[1])))
        }
        let entryA = try #require(try store.registryEntry(collection: "licences", key: "A"))
        let entryB = try #require(try store.registryEntry(collection: "licences", key: "B"))
        let rule = RetentionRule(topic: topic, policy: RetentionPolicy(maxEvents: 1), registry: collection)
        let removed = try await Self.expireAll(store, [rule], now: 0)
        #expect(removed == 3)
        #expect(try store.event(4) != nil)
        // The answers are the same, data included, though events 1 to 3 left the log.
        #expect(try store.registryEntry(collection: "licences", key: "A") == entryA)
        #expect(try store.registryEntry(collection: "licences", key: "B") == entryB)
        #expect(try store.event(3) == nil)
        // B's copy goes once B's entry takes new data.
        var amendment = sampleEvent(id: "r-9", topic: topic, subject: "B")
        amendment.type = "licence.amended"
        _ = try await store.append(AppendRequest(envelope: amendment, registry: collection))
        #expect(try store.registryEntry(collection: "licences", key: "B")?.entry.dataSequence == 65)
        let copies = try store.read { txn in try txn.get(store.schema.registryData, key: BigEndianKey.u64(3)) }
        #expect(copies == nil)
    }

    @Test func aQuietStoreMovesWhatWaitsInMemoryWhenAskedToFlush() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        // The default thresholds: nothing leaves memory for thousands of events.
        let store = try directory.open()
        defer { store.close() }
        let topic = Self.topics[0]
        for index in 0..<10 {
            _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "q-\(index)", topic: topic), routes: [taxRoute]))
        }
        let rule = RetentionRule(topic: topic, policy: RetentionPolicy(maxEvents: 2))
        let waiting = try await store.expire([rule], now: 0, budget: 100)
        #expect(waiting.removed == 0 && waiting.waiting)
        // The flushing step merges the tail and writes the deduplication run; the next removes.
        _ = try await store.expire([rule], now: 0, budget: 100, flushing: true)
        let report = try await store.expire([rule], now: 0, budget: 100)
        #expect(report.removed == 8 && !report.waiting)
        #expect(try Self.sequences(store, topic: topic) == [9, 10])
        #expect(try Self.inbox(store, "tax-bureau") == [9, 10])
        let repeated = try await store.append(AppendRequest(envelope: sampleEvent(id: "q-0", topic: topic), routes: [taxRoute]))
        #expect(repeated.isDuplicate && repeated.sequence == 1)
    }
}
