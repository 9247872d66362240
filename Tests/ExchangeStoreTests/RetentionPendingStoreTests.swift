import ExchangeModel
import Foundation
import LMDB
import Testing

@testable import ExchangeStore

/// Retention and delivery state: a pending delivery outlives its event's removal, so that its
/// acknowledgement writes the receipt; a delivery snapshot tells which events were removed and
/// where, across a restart.
@Suite struct RetentionPendingStoreTests {
    @Test func aPendingDeliveryOutlivesItsEventAndItsAcknowledgementWritesTheReceipt() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let topic = IndexTailTests.topics[0]
        let consumer = IndexTailTests.consumers[0]
        var removed: [UInt64] = []
        do {
            let store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
            defer { store.close() }
            try await IndexTailTests.populate(store, count: 30)
            let record = SubscriptionRecord(name: "all", owner: consumer, filter: "licence.>")
            try await store.putSubscription(record, position: 1, actor: consumer)
            // Events 1 and 4 (both of `topic`) delivered, not acknowledged.
            var update = SubscriptionUpdate()
            update.deliveries = [PendingDelivery(sequence: 1, deliveries: 1, deadline: .max), PendingDelivery(sequence: 4, deliveries: 1, deadline: .max)]
            update.position = 5
            try await store.apply(update, toSubscription: "all")

            let rule = RetentionRule(topic: topic, policy: RetentionPolicy(maxEvents: 2))
            _ = try await RetentionStoreTests.expireAll(store, [rule], now: 0)
            removed = try store.expiredRanges(topic: topic).flatMap { Array($0.first...$0.last) }.filter { ($0 - 1) % 3 == 0 }
            #expect(removed.contains(1) && removed.contains(4))
            #expect(try store.event(1) == nil && store.event(4) == nil)

            // Still pending: acknowledged with a receipt.
            #expect(try store.pendingDeliveries(subscription: "all", limit: 10).map(\.sequence) == [1, 4])
            #expect(try await store.acknowledge([1], subscription: "all", actor: consumer) == [true])
            let receipt = try #require(try store.auditEntries(from: store.auditCount - 1, limit: 1).first)
            let entry = try JSONValue.parse(receipt)
            #expect(entry["kind"]?.stringValue == "acknowledged" && entry["subscription"]?.stringValue == "all", "\(String(decoding: receipt, as: UTF8.self))")
            guard case .number(let number)? = entry["sequence"] else {
                Issue.record("the receipt names no sequence")
                return
            }
            #expect(number.text == "1")
        }
        // After a restart, the snapshot still knows what was removed and where.
        let store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        defer { store.close() }
        let last = try #require(removed.max())
        try store.withDeliverySnapshot(subscription: "all", consumer: consumer) { snapshot throws -> Void in
            #expect(try snapshot.isRemoved(4))
            #expect(try !snapshot.isRemoved(2), "another topic's event stays")
            #expect(try !snapshot.isRemoved(last + 1000))
            // Spans clipped to the bounds asked about (no event of the topic is left inside).
            #expect(try snapshot.expiredSpans(from: 2, through: .max) == [ExpiredSpan(topic: topic, first: 2, last: last)])
            #expect(try snapshot.expiredSpans(from: 1, through: 5) == [ExpiredSpan(topic: topic, first: 1, last: 5)])
            #expect(try snapshot.expiredSpans(from: last, through: last) == [ExpiredSpan(topic: topic, first: last, last: last)])
            #expect(try snapshot.expiredSpans(from: last + 1, through: .max) == [])
            #expect(snapshot.pending.map(\.sequence) == [4])
        }
    }
}
