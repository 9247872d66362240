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

    #if os(Linux)
    @Test func theThreadCarriesItsNameForOperatorsTools() {
        // Several at once: a thread that runs before its creator has recorded it must be named
        // too (it would otherwise keep its creator's name).
        let names = Mutex<[String]>([])
        let threads = (0..<16).map { index in
            DrainingThread<Int>(name: "store-writer-\(index)") { _ in
                // What `top -H` and `perf` read for this thread.
                let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
                names.withLock { $0.append(comm.trimmingCharacters(in: .newlines)) }
            }
        }
        for thread in threads {
            #expect(thread.submit(1))
            thread.stop()
        }
        #expect(names.withLock { $0 } == (0..<16).map { "store-writer-\($0)" }, "top -H and perf show each thread by its name")
    }
    #endif

    @Test func processHereIfIdleRunsOnTheCallerOnlyWhenIdleAndKeepsOrder() {
        let seen = Seen()
        let onCaller = Mutex(0)
        let caller = Mutex<pthread_t?>(nil)
        let thread = DrainingThread<Int>(name: "test-inline") { batch in
            if let caller = caller.withLock({ $0 }), pthread_equal(caller, pthread_self()) != 0 {
                onCaller.withLock { $0 += batch.count }
            }
            // Slow enough now and then that the thread is often busy when the next item comes.
            if batch.contains(where: { $0 % 97 == 0 }) { usleep(200) }
            seen.items.withLock { $0 += batch }
        }
        caller.withLock { $0 = pthread_self() }
        // Idle: processed here, before the call returns.
        #expect(thread.processHereIfIdle(-1))
        #expect(seen.items.withLock { $0 } == [-1])
        #expect(onCaller.withLock { $0 } == 1)
        // A mix of both paths from one producer, as the writer hands answers over: the order of
        // submission holds whichever path each item took.
        var here = 0
        for item in 0..<5_000 {
            // Now and then the producer pauses, as light load does: the thread drains and idles.
            if item % 500 == 1 { usleep(5_000) }
            if item % 10 == 0 {
                // Queued outright, as a large batch is: the thread becomes busy for a while.
                #expect(thread.submit(item))
            } else if thread.processHereIfIdle(item) {
                here += 1
            } else {
                #expect(thread.submit(item))
            }
        }
        thread.stop()
        #expect(seen.items.withLock { $0 } == [-1] + Array(0..<5_000))
        #expect(onCaller.withLock { $0 } == here + 1)
        #expect(here > 0 && here < 4_500, "some items ran here and some found the thread busy")
        #expect(!thread.processHereIfIdle(5_000), "nothing runs after stop")
    }

    @Test func whileAnItemRunsHereQueuedItemsAndStopWaitForIt() {
        let seen = Seen()
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let thread = DrainingThread<Int>(name: "test-inl-wait") { batch in
            if batch == [0] {
                entered.signal()
                release.wait()
            }
            seen.items.withLock { $0 += batch }
        }
        let ranHere = Mutex(false)
        let returned = DispatchSemaphore(value: 0)
        // A thread of its own: the shared queues' threads may all be busy in other tests.
        Thread {
            let here = thread.processHereIfIdle(0)
            ranHere.withLock { $0 = here }
            returned.signal()
        }.start()
        #expect(entered.wait(timeout: .now() + 10) == .success)
        #expect(thread.submit(1))
        let stopped = DispatchSemaphore(value: 0)
        Thread {
            thread.stop()
            stopped.signal()
        }.start()
        // The queued item and the stop wait for the one running elsewhere.
        #expect(stopped.wait(timeout: .now() + 0.2) == .timedOut, "stop() returned while an item still ran")
        #expect(seen.items.withLock { $0 }.isEmpty, "the queued item ran before the one running elsewhere")
        release.signal()
        #expect(stopped.wait(timeout: .now() + 10) == .success)
        // The call returns after its item, but not necessarily before stop() does.
        #expect(returned.wait(timeout: .now() + 10) == .success)
        #expect(ranHere.withLock { $0 })
        #expect(seen.items.withLock { $0 } == [0, 1])
    }

    @Test func stopCalledFromAnItemRunningHereReturns() {
        let holder = Mutex<DrainingThread<Int>?>(nil)
        let thread = DrainingThread<Int>(name: "test-inl-stop") { _ in
            // An item that stops its own drainer must not wait for itself.
            holder.withLock { $0 }?.stop()
        }
        holder.withLock { $0 = thread }
        let finished = DispatchSemaphore(value: 0)
        // A thread of its own: the shared queues' threads may all be busy in other tests.
        Thread {
            _ = thread.processHereIfIdle(1)
            finished.signal()
        }.start()
        #expect(finished.wait(timeout: .now() + 10) == .success, "stop() from an item run here waited for itself")
        #expect(!thread.submit(2))
    }
}
