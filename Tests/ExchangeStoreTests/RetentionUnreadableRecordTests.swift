import ExchangeModel
import Foundation
import LMDB
import Testing

@testable import ExchangeStore

/// One bad record does not stall retention: a record that does not parse, or that the log lacks
/// though the topic index names it, is left in place and reported, and the events after it are
/// removed as usual.
@Suite struct RetentionUnreadableRecordTests {
    @Test func aBadRecordIsReportedAndWalkedPast() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        var store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        let sequences = try await LegalHoldStoreTests.populate(store, count: 20)
        let now = try LegalHoldStoreTests.hourLater(store)
        store.close()
        // Damage two records: one cut short, one gone from the log.
        let environment = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
        try environment.write { txn in
            let log = try txn.openDatabase("log")
            try txn.put(log, key: BigEndianKey.u64(sequences[2]), value: [2, 0, 0, 1])
            _ = try txn.delete(log, key: BigEndianKey.u64(sequences[4]))
        }
        environment.close()
        store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        defer { store.close() }
        var removed = 0
        var unreadable: [UInt64] = []
        for _ in 0..<50 {
            let report = try await store.expire([LegalHoldStoreTests.rule()], now: now, budget: 7, flushing: true)
            removed += report.removed
            unreadable += report.unreadable
            if report.removed == 0, !report.more, !report.waiting { break }
        }
        #expect(removed == 18)
        // Reported once each: the next steps start after them.
        #expect(unreadable == [sequences[2], sequences[4]])
        #expect(try store.retainedCount(topic: LegalHoldStoreTests.topic) == 2)
        for (position, sequence) in sequences.enumerated() where position != 2 && position != 4 {
            #expect(try store.event(sequence) == nil, "\(sequence)")
            #expect(try store.expiredRange(topic: LegalHoldStoreTests.topic, containing: sequence) != nil, "\(sequence)")
        }
        #expect(try store.expiredRange(topic: LegalHoldStoreTests.topic, containing: sequences[2]) == nil)
    }
}

