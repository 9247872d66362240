@testable import ExchangeEngine
import Foundation
import Testing

/// A waiting pull ends when one of its signals moves, at its timeout, or when its task is
/// cancelled, whichever comes first, and leaves nothing registered behind.
@Suite struct CommitSignalTests {
    static func elapsed(_ since: ContinuousClock.Instant) -> Duration { ContinuousClock.now - since }

    // The bounds tell a wait a notify ended from one its timeout ended, with room for a test
    // process whose threads a loaded machine holds up for many seconds.
    @Test(.timeLimit(.minutes(5)))
    func aNotifyEndsTheWaitOfEitherSignal() async throws {
        let events = CommitSignal()
        let settlements = CommitSignal()
        for woken in [events, settlements] {
            let generations = (events.generation, settlements.generation)
            let started = ContinuousClock.now
            async let waited: Void = CommitSignal.wait(for: [(events, generations.0), (settlements, generations.1)], timeout: .seconds(600))
            // Registered with both before the notify: wait until it is.
            for _ in 0..<2_000 where events.waiterCount == 0 || settlements.waiterCount == 0 {
                try await Task.sleep(for: .milliseconds(1))
            }
            #expect(events.waiterCount == 1 && settlements.waiterCount == 1)
            woken.notify()
            await waited
            #expect(Self.elapsed(started) < .seconds(120))
            // The other signal no longer holds the waiter.
            #expect(events.waiterCount == 0 && settlements.waiterCount == 0)
        }
    }

    @Test func aCommitBeforeTheWaitEndsItAtOnce() async {
        let signal = CommitSignal()
        let seen = signal.generation
        signal.notify()
        let started = ContinuousClock.now
        await signal.wait(after: seen, timeout: .seconds(600))
        #expect(Self.elapsed(started) < .seconds(120))
        #expect(signal.waiterCount == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func theTimeoutEndsAWaitNothingWakes() async {
        let signal = CommitSignal()
        let started = ContinuousClock.now
        await signal.wait(after: signal.generation, timeout: .milliseconds(200))
        let waited = Self.elapsed(started)
        #expect(waited >= .milliseconds(200), "\(waited)")
        #expect(waited < .seconds(10), "\(waited)")
        #expect(signal.waiterCount == 0)
        // No wait at all for a timeout of zero.
        await signal.wait(after: signal.generation, timeout: .zero)
        #expect(signal.waiterCount == 0)
    }

    @Test(.timeLimit(.minutes(5)))
    func cancellationEndsTheWait() async throws {
        let signal = CommitSignal()
        let started = ContinuousClock.now
        let task = Task { await signal.wait(after: signal.generation, timeout: .seconds(600)) }
        for _ in 0..<2_000 where signal.waiterCount == 0 {
            try await Task.sleep(for: .milliseconds(1))
        }
        task.cancel()
        await task.value
        #expect(Self.elapsed(started) < .seconds(120))
        #expect(signal.waiterCount == 0)
        // Cancelled before it waits: it does not wait.
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await signal.wait(after: signal.generation, timeout: .seconds(600))
        }
        await cancelled.value
        #expect(Self.elapsed(started) < .seconds(240))
    }

    @Test(.timeLimit(.minutes(1)))
    func manyWaitsEndInDeadlineOrder() async {
        // Each wait ends at its own deadline, the shortest first, however they were scheduled.
        let signal = CommitSignal()
        let order = OrderRecorder()
        await withTaskGroup(of: Void.self) { group in
            for milliseconds in [1200, 300, 900, 600] {
                group.addTask {
                    await signal.wait(after: signal.generation, timeout: .milliseconds(milliseconds))
                    order.append(milliseconds)
                }
            }
        }
        #expect(order.values == [300, 600, 900, 1200])
    }

    @Test func theTimerDropsResumedWaitersWhenItCompacts() {
        let timer = WaitTimer()
        let far = UInt64.max / 2
        for _ in 0..<WaitTimer.compactionThreshold {
            let waiter = SignalWaiter()
            waiter.resume()
            timer.schedule(waiter, at: far)
        }
        let live = SignalWaiter()
        timer.schedule(live, at: far)
        #expect(timer.count == 1)
        live.resume()
    }
}

/// Values appended from several tasks, in the order they came.
final class OrderRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Int] = []
    func append(_ value: Int) { lock.withLock { stored.append(value) } }
    var values: [Int] { lock.withLock { stored } }
}
