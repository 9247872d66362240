import Foundation
import Synchronization
import Testing

@testable import ExchangeStore

/// The writer's and the answerer's thread: order, draining on stop, and a stop from inside.
@Suite struct DrainingThreadTests {
    final class Seen: Sendable {
        let items = Mutex<[Int]>([])
    }

    @Test func processesInOrderInBatchesOfAtMostMaxAndDrainsOnStop() {
        let seen = Seen()
        let largest = Mutex(0)
        let thread = DrainingThread<Int>(name: "test-drain", maxBatch: 3) { batch in
            largest.withLock { $0 = max($0, batch.count) }
            seen.items.withLock { $0 += batch }
        }
        for item in 0..<100 { #expect(thread.submit(item)) }
        thread.stop()
        #expect(seen.items.withLock { $0 } == Array(0..<100))
        #expect(largest.withLock { $0 } <= 3)
        #expect(!thread.submit(100), "nothing is queued after stop")
    }

    @Test func stopCalledOnTheThreadItselfReturns() {
        let finished = DispatchSemaphore(value: 0)
        let holder = Mutex<DrainingThread<Int>?>(nil)
        let thread = DrainingThread<Int>(name: "test-self-stop") { _ in
            // As when the last owner of a store is released by an answer: deinit closes it here.
            holder.withLock { $0 }?.stop()
            finished.signal()
        }
        holder.withLock { $0 = thread }
        #expect(thread.submit(1))
        #expect(finished.wait(timeout: .now() + 10) == .success, "stop() on its own thread waited for itself")
        #expect(!thread.submit(2))
    }
}

/// A batch's dedup entries are visible to later events of the batch, kept when it commits and
/// gone when it is abandoned.
@Suite struct DedupCacheTests {
    @Test func pendingEntriesAreRolledBackAndCommittedOnesKept() {
        let cache = DedupCache(threshold: 100)
        let committed = DedupCache.key(publisher: 1, id: "a")
        cache.insert(committed, .init(sequence: 1, routeCount: 2))
        cache.didCommit(merged: false)
        let abandoned = DedupCache.key(publisher: 1, id: "b")
        cache.insert(abandoned, .init(sequence: 2, routeCount: 0))
        #expect(cache.lookup(abandoned)?.sequence == 2, "a later event of the same batch sees it")
        cache.rollback()
        #expect(cache.lookup(abandoned) == nil)
        #expect(cache.lookup(committed)?.sequence == 1)
        #expect(cache.lookup(DedupCache.key(publisher: 2, id: "a")) == nil, "the publisher is part of the key")
        cache.rollback()
        #expect(cache.lookup(committed)?.routeCount == 2, "a rollback with nothing pending changes nothing")
        cache.insert(abandoned, .init(sequence: 3, routeCount: 0))
        cache.didCommit(merged: true)
        #expect(cache.lookup(committed) == nil && cache.lookup(abandoned) == nil, "after a merge the index holds them")
    }
}
