import ExchangeModel
import ExchangeStore
import Foundation
import Testing

/// `subscriptionProgress()`: lag from the subscription's position and its owner's inbox head,
/// the pending count and the oldest pending event's receive time, read from positions and
/// sequences the store holds, whether the inbox entries are still in the index tail or merged.
@Suite struct SubscriptionProgressTests {
    let tax = SubscriptionRecord(name: "tax-licences", owner: "tax-bureau", filter: "licence.>")
    let portal = SubscriptionRecord(name: "portal-licences", owner: "service-portal", filter: "licence.>")

    @Test(arguments: [64, 100_000])
    func lagPendingAndOldestPendingFromPositionsAndHeads(indexMergeThreshold: Int) async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(indexMergeThreshold: indexMergeThreshold)
        defer { store.close() }
        try await store.putSubscription(tax, position: 1, actor: "tax-bureau")
        try await store.putSubscription(portal, position: 1, actor: "service-portal")
        var progress = try store.subscriptionProgress()
        #expect(progress.map(\.name) == ["tax-licences", "portal-licences"])
        #expect(progress.map(\.lag) == [0, 0])

        // 100 events: every one to tax, every tenth up to 50 also to the portal (merged into LMDB
        // by the time 64 were appended, when that is the threshold); 5 to nobody at the end.
        for index in 1...100 {
            _ = try await store.append(
                AppendRequest(envelope: sampleEvent(id: "e-\(index)"), routes: index % 10 == 0 && index <= 50 ? [taxRoute, portalRoute] : [taxRoute]))
        }
        for index in 1...5 { _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "x-\(index)"))) }
        progress = try store.subscriptionProgress()
        #expect(progress[0].inboxHead == 100 && progress[0].lag == 100)
        #expect(progress[1].inboxHead == 50 && progress[1].lag == 50, "sequences, not entries: an upper bound for the portal")
        #expect(progress.allSatisfy { $0.pending == 0 && $0.oldestPendingReceivedAt == nil })

        try await store.recordDeliveries(
            subscription: "tax-licences",
            [PendingDelivery(sequence: 7, deliveries: 1, deadline: 1), PendingDelivery(sequence: 3, deliveries: 2, deadline: 1)],
            advancingTo: 41)
        try await store.recordDeliveries(subscription: "portal-licences", [], advancingTo: 101)
        progress = try store.subscriptionProgress()
        #expect(progress[0].position == 41 && progress[0].lag == 60 && progress[0].pending == 2)
        #expect(progress[0].oldestPendingReceivedAt == (try store.event(3))?.receivedAt)
        #expect(progress[1].lag == 0, "past the head")
        #expect(try store.subscriptionProgress(limit: 1).map(\.name) == ["tax-licences"])
        // A department nothing was routed to has head 0.
        try await store.putSubscription(SubscriptionRecord(name: "idle", owner: "court", filter: ">"), position: 5, actor: "court")
        #expect(try store.subscriptionProgress().last.map { [$0.inboxHead, $0.lag] } == [0, 0])
    }
}
