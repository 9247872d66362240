import ExchangeModel
import ExchangeStore
import Foundation
import Testing

@Suite struct DeliverySnapshotTests {
    let record = SubscriptionRecord(
        name: "tax-licences", owner: "tax-bureau", filter: "licence.business.>", ackWaitMilliseconds: 5000,
        backoffMilliseconds: [], maxDeliver: 3, maxInFlight: 100)

    @Test func aSnapshotShowsTheSubscriptionItsPendingListPositionAndInbox() async throws {
        try await withContractStore { store in
            try await store.putSubscription(record, position: 1, actor: "tax-bureau")
            _ = try await store.append(contentsOf: [
                AppendRequest(envelope: sampleEvent(id: "a"), routes: [taxRoute]),
                AppendRequest(envelope: sampleEvent(id: "b"), routes: [portalRoute]),
                AppendRequest(envelope: sampleEvent(id: "c"), routes: [taxRoute]),
            ])
            try await store.apply(
                SubscriptionUpdate(deliveries: [PendingDelivery(sequence: 1, deliveries: 1, deadline: 10)], position: 2),
                toSubscription: "tax-licences")
            let seen = try store.withDeliverySnapshot(subscription: "tax-licences", consumer: "tax-bureau") { snapshot in
                var inbox: [UInt64] = []
                let next = try snapshot.scanInbox(from: 1, limit: .max) { entry, _ in
                    inbox.append(entry.sequence)
                    return true
                }
                return (
                    snapshot.subscription, snapshot.position, snapshot.pending, inbox, next,
                    try snapshot.inboxEvent(1).map { [$0.entry.agreement, $0.event.envelope.id] }, try snapshot.inboxEvent(2) == nil
                )
            }
            #expect(seen.0 == record)
            #expect(seen.1 == 2)
            #expect(seen.2 == [PendingDelivery(sequence: 1, deliveries: 1, deadline: 10)])
            #expect(seen.3 == [1, 3], "only the consumer's inbox")
            #expect(seen.4 == 4)
            #expect(seen.5 == ["agr-business-licences", "a"])
            #expect(seen.6, "event 2 was routed to another consumer")
            let unknown = try store.withDeliverySnapshot(subscription: "nope", consumer: "court") { snapshot in
                (snapshot.subscription == nil, snapshot.position == nil, snapshot.pending.isEmpty, try snapshot.inboxEvent(1) == nil)
            }
            #expect(unknown == (true, true, true, true))
        }
    }

    /// Everything a delivery round reads comes from one moment: an event routed to the
    /// consumer, and a change of the pending list, committed while the round reads, are seen by
    /// no part of it.
    @Test func writesCommittedWhileASnapshotIsReadAreNotSeenByIt() async throws {
        try await withContractStore { store in
            try await store.putSubscription(record, position: 1, actor: "tax-bureau")
            _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "a"), routes: [taxRoute]))
            try await store.apply(
                SubscriptionUpdate(deliveries: [PendingDelivery(sequence: 1, deliveries: 1, deadline: 10)], position: 2),
                toSubscription: "tax-licences")
            let seen = try store.withDeliverySnapshot(subscription: "tax-licences", consumer: "tax-bureau") { snapshot in
                // Commit, and wait for, a new event for the consumer and a change of the round's state.
                let committed = DispatchSemaphore(value: 0)
                store.append(contentsOf: [AppendRequest(envelope: sampleEvent(id: "b"), routes: [taxRoute])]) { _ in committed.signal() }
                committed.wait()
                store.apply(
                    SubscriptionUpdate(deliveries: [PendingDelivery(sequence: 2, deliveries: 1, deadline: 20)], position: 3, withdrawn: [1]),
                    toSubscription: "tax-licences"
                ) { _ in committed.signal() }
                committed.wait()
                var inbox: [UInt64] = []
                try snapshot.scanInbox(from: 1, limit: .max) { entry, _ in
                    inbox.append(entry.sequence)
                    return true
                }
                return (inbox, try snapshot.inboxEvent(2) == nil, snapshot.position, snapshot.pending.map(\.sequence))
            }
            #expect(seen.0 == [1])
            #expect(seen.1, "event 2 was committed after the snapshot began")
            #expect(seen.2 == 2)
            #expect(seen.3 == [1])
            let after = try store.withDeliverySnapshot(subscription: "tax-licences", consumer: "tax-bureau") { snapshot in
                (try snapshot.inboxEvent(2) != nil, snapshot.position, snapshot.pending.map(\.sequence))
            }
            #expect(after.0)
            #expect(after.1 == 3)
            #expect(after.2 == [2])
        }
    }
}
