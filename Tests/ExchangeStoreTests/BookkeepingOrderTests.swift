import ExchangeModel
import Foundation
import Synchronization
import Testing

@testable import ExchangeStore

/// The writer commits publishes ahead of the subscriptions' bookkeeping queued beside them when
/// there is more of it than rides along (`GroupCommitLoop.bookkeepingRideLimit`), commits a few
/// bookkeeping operations with the publishes in one transaction, and the bookkeeping keeps its
/// own order and its receipts.
@Suite struct BookkeepingOrderTests {
    let record = SubscriptionRecord(
        name: "tax-licences", owner: "tax-bureau", filter: "licence.business.>", ackWaitMilliseconds: 5000,
        backoffMilliseconds: [], maxDeliver: 3, maxInFlight: 100)

    /// Holds the writer inside one operation until `release()`, so that what is queued
    /// meanwhile lands in one batch.
    final class WriterHold: Sendable {
        private let gate = DispatchSemaphore(value: 0)
        private let entered = Atomic(false)

        /// Queues the holding operation and waits until the writer runs it: from then on, what
        /// is queued stays queued (the backlog only grows) until `release()`.
        func hold(_ store: ExchangeStore) async throws {
            store.writer.submit(
                .mutation(
                    Mutation(
                        apply: { [self] _ in
                            entered.store(true, ordering: .sequentiallyConsistent)
                            gate.wait()
                        }, finish: { _ in })))
            while !entered.load(ordering: .sequentiallyConsistent) { try await Task.sleep(for: .milliseconds(1)) }
        }

        func release() {
            gate.signal()
        }
    }

    /// Waits (without a time limit of its own) until `count` operations are queued or in hand.
    static func waitForBacklog(_ store: ExchangeStore, _ count: Int) async throws {
        while store.writerBacklog < count { try await Task.sleep(for: .milliseconds(1)) }
    }

    /// Queues `count` acknowledgements of a sequence never delivered: bookkeeping operations
    /// that settle nothing and write nothing, to make the bookkeeping of a batch larger than
    /// what rides along with its publishes. Returns the tasks answering them.
    static func queueIdleAcknowledgements(_ store: ExchangeStore, _ count: Int, backlog: Int) async throws -> [Task<[Bool], any Error>] {
        var tasks: [Task<[Bool], any Error>] = []
        for index in 0..<count {
            tasks.append(Task { try await store.acknowledge([999], subscription: "tax-licences", actor: "tax-bureau") })
            try await waitForBacklog(store, backlog + index + 1)
        }
        return tasks
    }

    static func kinds(_ store: ExchangeStore, from index: UInt64) throws -> [String] {
        try store.auditEntries(from: index, limit: .max).map { entry in
            let object = try JSONSerialization.jsonObject(with: Data(entry)) as! [String: Any]
            return "\(object["kind"] as! String) \(object["sequence"] as? Int ?? 0)"
        }
    }

    @Test func aPublishQueuedBehindAcknowledgementsCommitsFirst() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        try await store.putSubscription(record, position: 1, actor: "tax-bureau")
        _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "first"), routes: [taxRoute]))
        try await store.recordDeliveries(
            subscription: "tax-licences", [PendingDelivery(sequence: 1, deliveries: 1, deadline: 1)], advancingTo: 2)
        let before = store.auditCount

        let hold = WriterHold()
        try await hold.hold(store)
        // Queued in this order: an acknowledgement (bookkeeping), then a publish.
        async let settled = store.acknowledge([1], subscription: "tax-licences", actor: "tax-bureau")
        try await Self.waitForBacklog(store, 2)
        let idle = try await Self.queueIdleAcknowledgements(store, GroupCommitLoop.bookkeepingRideLimit, backlog: 2)
        let queued = 2 + GroupCommitLoop.bookkeepingRideLimit
        async let appended = store.append(AppendRequest(envelope: sampleEvent(id: "second"), routes: [taxRoute]))
        try await Self.waitForBacklog(store, queued + 1)
        hold.release()
        #expect(try await settled == [true])
        #expect(try await appended.sequence == 2)
        for task in idle { #expect(try await task.value == [false]) }

        // The publish's entry comes first: its commit did not wait for the bookkeeping.
        #expect(try Self.kinds(store, from: before) == ["published 2", "acknowledged 1"])
    }

    @Test func bookkeepingKeepsItsOrderAndWritesOneReceiptPerSettledEvent() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        try await store.putSubscription(record, position: 1, actor: "tax-bureau")
        for id in ["a", "b", "c"] {
            _ = try await store.append(AppendRequest(envelope: sampleEvent(id: id), routes: [taxRoute]))
        }
        let before = store.auditCount

        let hold = WriterHold()
        try await hold.hold(store)
        // A delivery record queued without waiting, then acknowledgements of what it records,
        // one of them twice and one naming an event never delivered, with a publish between.
        let recorded = Mutex<Bool?>(nil)
        store.apply(
            SubscriptionUpdate(deliveries: (1...3).map { PendingDelivery(sequence: $0, deliveries: 1, deadline: 1) }, position: 4),
            toSubscription: "tax-licences"
        ) { error in recorded.withLock { $0 = error == nil } }
        try await Self.waitForBacklog(store, 2)
        async let first = store.acknowledge([1, 2], subscription: "tax-licences", actor: "tax-bureau")
        try await Self.waitForBacklog(store, 3)
        async let appended = store.append(AppendRequest(envelope: sampleEvent(id: "d"), routes: [taxRoute]))
        try await Self.waitForBacklog(store, 4)
        async let second = store.acknowledge([2, 3, 9], subscription: "tax-licences", actor: "tax-bureau")
        try await Self.waitForBacklog(store, 5)
        let idle = try await Self.queueIdleAcknowledgements(store, GroupCommitLoop.bookkeepingRideLimit - 2, backlog: 5)
        hold.release()
        for task in idle { #expect(try await task.value == [false]) }
        #expect(try await first == [true, true])
        #expect(try await appended.sequence == 4)
        #expect(try await second == [false, true, false])
        #expect(recorded.withLock { $0 } == true)
        #expect(try Self.kinds(store, from: before) == ["published 4", "acknowledged 1", "acknowledged 2", "acknowledged 3"])
        #expect(try store.pendingDeliveries(subscription: "tax-licences", limit: .max).isEmpty)
    }

    @Test func aFewBookkeepingOperationsCommitWithThePublishesInQueueOrder() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        try await store.putSubscription(record, position: 1, actor: "tax-bureau")
        _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "first"), routes: [taxRoute]))
        try await store.recordDeliveries(
            subscription: "tax-licences", [PendingDelivery(sequence: 1, deliveries: 1, deadline: 1)], advancingTo: 2)
        let before = store.auditCount

        let hold = WriterHold()
        try await hold.hold(store)
        let commitsBefore = store.writer.statistics.commits
        // An acknowledgement, then a publish, then a delivery record of the new event: few
        // enough to ride in one transaction, in the order they were queued.
        async let settled = store.acknowledge([1], subscription: "tax-licences", actor: "tax-bureau")
        try await Self.waitForBacklog(store, 2)
        async let appended = store.append(AppendRequest(envelope: sampleEvent(id: "second"), routes: [taxRoute]))
        try await Self.waitForBacklog(store, 3)
        let recorded = Mutex<Bool?>(nil)
        store.apply(
            SubscriptionUpdate(deliveries: [PendingDelivery(sequence: 2, deliveries: 1, deadline: 1)], position: 3),
            toSubscription: "tax-licences"
        ) { error in recorded.withLock { $0 = error == nil } }
        try await Self.waitForBacklog(store, 4)
        hold.release()
        #expect(try await settled == [true])
        #expect(try await appended.sequence == 2)
        // Answered on the answerer's thread, right after the commit that answered the publish.
        for _ in 0..<5_000 where recorded.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(1)) }
        #expect(recorded.withLock { $0 } == true)

        // The held operation's commit and one more: not a second transaction for the bookkeeping.
        #expect(store.writer.statistics.commits - commitsBefore == 2)
        #expect(try Self.kinds(store, from: before) == ["acknowledged 1", "published 2"])
        #expect(try store.pendingDeliveries(subscription: "tax-licences", limit: .max).map(\.sequence) == [2])
    }
}
