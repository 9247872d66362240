import ExchangeModel
import Foundation
import Synchronization
import Testing

@testable import ExchangeStore

/// While publishes flow, a few bookkeeping operations queued alone wait (up to the store's
/// `bookkeepingLinger`) for a publish and commit in its transaction, answered only then; with
/// no publish lately, or none coming, they commit by themselves.
@Suite struct BookkeepingLingerTests {
    let record = BookkeepingOrderTests().record

    /// Whether a queued operation was answered: `nil` until then, then whether it succeeded.
    final class Answer: Sendable {
        private let state = Mutex<Bool?>(nil)
        var value: Bool? { state.withLock { $0 } }
        func set(_ succeeded: Bool) { state.withLock { $0 = succeeded } }

        /// Waits, at most about `limit` milliseconds, until answered.
        func wait(milliseconds limit: Int) async throws {
            for _ in 0..<limit where value == nil { try await Task.sleep(for: .milliseconds(1)) }
        }
    }

    /// Queues a delivery record of `sequence` without waiting for it.
    func queueRecord(_ store: ExchangeStore, sequence: UInt64) -> Answer {
        let answer = Answer()
        store.apply(
            SubscriptionUpdate(deliveries: [PendingDelivery(sequence: sequence, deliveries: 1, deadline: 1)], position: sequence + 1),
            toSubscription: "tax-licences"
        ) { error in answer.set(error == nil) }
        return answer
    }

    @Test func aDeliveryRecordAndAnAckWaitForTheNextPublishAndCommitWithIt() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        // Long enough that the checks below come well within it on a loaded machine.
        let store = try directory.open(bookkeepingLinger: .seconds(60))
        defer { store.close() }
        try await store.putSubscription(record, position: 1, actor: "tax-bureau")
        _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "first"), routes: [taxRoute]))
        let commitsBefore = store.writer.statistics.commits

        let recorded = queueRecord(store, sequence: 1)
        try await BookkeepingOrderTests.waitForBacklog(store, 1)
        async let settled = store.acknowledge([1], subscription: "tax-licences", actor: "tax-bureau")
        try await Task.sleep(for: .milliseconds(200))
        // Neither is committed nor answered while no publish came.
        #expect(recorded.value == nil)
        #expect(store.writer.statistics.commits == commitsBefore)

        let appended = try await store.append(AppendRequest(envelope: sampleEvent(id: "second"), routes: [taxRoute]))
        #expect(appended.sequence == 2)
        #expect(try await settled == [true])
        try await recorded.wait(milliseconds: 5_000)
        #expect(recorded.value == true)
        // One transaction for the record, the ack and the publish, in the order queued.
        #expect(store.writer.statistics.commits - commitsBefore == 1)
        #expect(store.writer.statistics.lingers.rode == 1)
        #expect(try store.pendingDeliveries(subscription: "tax-licences", limit: .max).isEmpty)
    }

    @Test func withNoPublishComingBookkeepingCommitsAtTheEndOfTheLinger() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        // Publishes count as flowing for ten lingers after the last one: 20 s, so that the
        // record below comes within that window on a machine loaded by the whole suite.
        let store = try directory.open(bookkeepingLinger: .seconds(2))
        defer { store.close() }
        try await store.putSubscription(record, position: 1, actor: "tax-bureau")
        _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "first"), routes: [taxRoute]))

        let started = ContinuousClock.now
        let recorded = queueRecord(store, sequence: 1)
        try await recorded.wait(milliseconds: 30_000)
        #expect(recorded.value == true)
        #expect(ContinuousClock.now - started >= .seconds(2))
        #expect(store.writer.statistics.lingers.count == 1)
        #expect(store.writer.statistics.lingers.rode == 0)
        #expect(try store.pendingDeliveries(subscription: "tax-licences", limit: .max).map(\.sequence) == [1])
    }

    @Test func withoutRecentPublishesBookkeepingDoesNotWait() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(bookkeepingLinger: .seconds(30))
        defer { store.close() }
        try await store.putSubscription(record, position: 1, actor: "tax-bureau")
        // Nothing was appended since the store opened: a consumer's bookkeeping commits at once.
        let started = ContinuousClock.now
        #expect(try await store.acknowledge([1], subscription: "tax-licences", actor: "tax-bureau") == [false])
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(store.writer.statistics.lingers.count == 0)
    }
}
