import ExchangeAudit
import ExchangeModel
import Foundation
import Testing

@testable import ExchangeStore

/// Retention of an archiving topic in the store: the events an archive must write are read
/// without the writer, with their audit entries; a step removes only what the archive holds.
@Suite struct RetentionArchiveStoreTests {
    @Test func expiringEventsAreTheOldestExpiredOnesWithTheirAuditEntries() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        try await IndexTailTests.populate(store, count: 90)
        let topic = RetentionStoreTests.topics[0]
        let live = try RetentionStoreTests.sequences(store, topic: topic)
        let rule = RetentionRule(topic: topic, policy: RetentionPolicy(maxEvents: 5), archive: true)
        let expiring = try store.expiringEvents(rule, now: 0, limit: 100_000)
        #expect(!expiring.isEmpty && expiring.count <= live.count - 5)
        #expect(expiring.map(\.event.sequence) == Array(live.prefix(expiring.count)))
        #expect(try store.expiringEvents(rule, now: 0, limit: 3).map(\.event.sequence) == Array(live.prefix(3)))
        let entries = try store.auditEntryRecords(from: 0, limit: .max)
        for event in expiring {
            let index = try #require(event.auditIndex)
            #expect(entries[Int(index)].entry == event.auditEntry)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(event.auditEntry)) as? [String: Any])
            #expect(object["sequence"] as? Int == Int(event.event.sequence))
            #expect(object["data_digest"] as? String == (try HashAlgorithm.sha256.digest(event.event.envelope.data)).hex)
        }
        // A topic within its policy has none.
        #expect(try store.expiringEvents(RetentionRule(topic: topic, policy: RetentionPolicy(maxEvents: 1_000)), now: 0, limit: 10).isEmpty)
    }

    @Test func anArchivingTopicLosesOnlyWhatTheArchiveHolds() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        try await IndexTailTests.populate(store, count: 90)
        let topic = RetentionStoreTests.topics[0]
        let live = try RetentionStoreTests.sequences(store, topic: topic)
        var rule = RetentionRule(topic: topic, policy: RetentionPolicy(maxEvents: 5), archive: true)
        // Nothing archived yet: nothing goes.
        #expect(try await RetentionStoreTests.expireAll(store, [rule], now: 0) == 0)
        #expect(try RetentionStoreTests.sequences(store, topic: topic) == live)
        // The archive holds the first three: exactly those go.
        rule.archivedThrough = live[2]
        #expect(try await RetentionStoreTests.expireAll(store, [rule], now: 0) == 3)
        #expect(try RetentionStoreTests.sequences(store, topic: topic) == Array(live.dropFirst(3)))
        #expect(try store.expiredThrough()[topic] == live[2])
    }
}
