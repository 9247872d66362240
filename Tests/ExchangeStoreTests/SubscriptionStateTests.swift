import ExchangeModel
import ExchangeStore
import Foundation
import Testing

@Suite struct SubscriptionStateTests {
    let record = SubscriptionRecord(
        name: "tax-licences", owner: "tax-bureau", filter: "licence.business.>", ackWaitMilliseconds: 5000,
        backoffMilliseconds: [1000, 5000], maxDeliver: 3, maxInFlight: 100)

    @Test func subscriptionStateSurvivesReopen() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        do {
            let store = try directory.openContract()
            #expect(try await store.putSubscription(record, position: 1, actor: "tax-bureau"))
            try await store.recordDeliveries(
                subscription: "tax-licences",
                [PendingDelivery(sequence: 1, deliveries: 1, deadline: 10), PendingDelivery(sequence: 2, deliveries: 2, deadline: 20)],
                advancingTo: 3)
            #expect(try await store.acknowledge([1, 7], subscription: "tax-licences", actor: "tax-bureau") == [true, false])
            store.close()
        }
        let store = try directory.openContract()
        defer { store.close() }
        #expect(try store.subscription(named: "tax-licences") == record)
        #expect(try store.subscriptions() == [record])
        #expect(try store.position(ofSubscription: "tax-licences") == 3)
        #expect(try store.pendingDeliveries(subscription: "tax-licences") == [PendingDelivery(sequence: 2, deliveries: 2, deadline: 20)])
    }

    @Test func acknowledgementWritesAReceipt() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.openContract()
        defer { store.close() }
        try await store.putSubscription(record, position: 1, actor: "tax-bureau")
        try await store.recordDeliveries(
            subscription: "tax-licences", [PendingDelivery(sequence: 4, deliveries: 1, deadline: 1)], advancingTo: 5)
        let before = store.auditCount
        _ = try await store.acknowledge([4], subscription: "tax-licences", actor: "tax-bureau")
        #expect(store.auditCount == before + 1)
        let receipt = try #require(try store.auditEntries(from: before, limit: 1).first)
        let text = String(decoding: receipt, as: UTF8.self)
        #expect(text.contains(#""kind":"acknowledged""#))
        #expect(text.contains(#""sequence":4"#))
        #expect(text.contains(#""subscription":"tax-licences""#))
        _ = try await store.acknowledge([4], subscription: "tax-licences", actor: "tax-bureau")
        #expect(store.auditCount == before + 1)
    }

    @Test func deadLettersCanBeReadAndRedriven() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        try await store.putSubscription(record, position: 1, actor: "tax-bureau")
        try await store.recordDeliveries(
            subscription: "tax-licences", [PendingDelivery(sequence: 9, deliveries: 3, deadline: 1)], advancingTo: 10)
        #expect(try await store.deadLetter(9, subscription: "tax-licences", deliveries: 3))
        #expect(try store.pendingDeliveries(subscription: "tax-licences").isEmpty)
        #expect(try store.deadLetters(subscription: "tax-licences").map(\.sequence) == [9])
        #expect(try await store.redrive([9, 10], subscription: "tax-licences", actor: "tax-bureau") == [9])
        #expect(try store.deadLetters(subscription: "tax-licences").isEmpty)
        #expect(try store.pendingDeliveries(subscription: "tax-licences").map(\.deliveries) == [0])
    }

    @Test func unknownSubscriptionIsRefusedAndTheRestOfTheBatchCommits() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.openContract()
        defer { store.close() }
        let refused = Task {
            try await store.recordDeliveries(
                subscription: "nope", [PendingDelivery(sequence: 1, deliveries: 1, deadline: 1)], advancingTo: 2)
        }
        let appended = Task { try await store.append(AppendRequest(envelope: sampleEvent(id: "x"))) }
        await #expect(throws: StoreError.self) { try await refused.value }
        #expect(try await appended.value.sequence == 1)
        #expect(try store.event(1) != nil)
    }

    @Test func replacingKeepsPositionUnlessReset() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.openContract()
        defer { store.close() }
        try await store.putSubscription(record, position: 1, actor: "tax-bureau")
        try await store.recordDeliveries(
            subscription: "tax-licences", [PendingDelivery(sequence: 1, deliveries: 1, deadline: 1)], advancingTo: 8)
        var changed = record
        changed.maxInFlight = 10
        #expect(try await store.putSubscription(changed, position: 1, actor: "tax-bureau") == false)
        #expect(try store.position(ofSubscription: "tax-licences") == 8)
        #expect(try store.pendingDeliveries(subscription: "tax-licences").count == 1)
        try await store.putSubscription(changed, position: 5, resetPosition: true, actor: "tax-bureau")
        #expect(try store.position(ofSubscription: "tax-licences") == 5)
        #expect(try store.pendingDeliveries(subscription: "tax-licences").isEmpty)
        #expect(try await store.deleteSubscription(named: "tax-licences", actor: "tax-bureau"))
        #expect(try store.subscription(named: "tax-licences") == nil)
        #expect(try await store.deleteSubscription(named: "tax-licences", actor: "tax-bureau") == false)
    }
}
