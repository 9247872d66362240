import ExchangeStore
import Synchronization

/// Wakes waiting pulls when the store commits new events.
///
/// A waiter remembers the generation it last saw; `wait(after:timeout:)` returns at once if a
/// commit happened since, so no wake-up between a check and the wait is lost.
final class CommitSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [ObjectIdentifier: SignalWaiter] = [:]
    }

    private let state = Mutex(State())
    /// A number no other signal of this process has: generations of two signals are not
    /// comparable.
    let identity: UInt64 = CommitSignal.identities.add(1, ordering: .relaxed).newValue
    private static let identities = Atomic<UInt64>(0)

    /// The current generation; pass it to `wait(after:timeout:)`.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Waiters registered now (resumed ones are removed by their wait on its way out).
    var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Called after every commit that appended events.
    func notify() {
        let waiters = state.withLock { state -> [SignalWaiter] in
            state.generation &+= 1
            defer { state.waiters.removeAll(keepingCapacity: true) }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until a commit after `generation`, the timeout, or cancellation.
    func wait(after generation: UInt64, timeout: Duration) async {
        await Self.wait(for: [(self, generation)], timeout: timeout)
    }

    /// Waits until any of `signals` moved past its generation, the timeout, or cancellation.
    ///
    /// One continuation, registered with each signal, and one entry on the ``WaitTimer``: no
    /// child task, no task group and no timer of its own per wait.
    static func wait(for signals: [(signal: CommitSignal, generation: UInt64)], timeout: Duration) async {
        let waiter = SignalWaiter()
        // At most 7 days (``InputBounds/maxDurationMilliseconds``); zero or less: no wait.
        let wait = Exchange.nanoseconds(of: timeout)
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard waiter.install(continuation) else {
                    continuation.resume()
                    return
                }
                for (signal, generation) in signals where !signal.register(waiter, after: generation) {
                    waiter.resume()
                    return
                }
                guard wait > 0 else {
                    waiter.resume()
                    return
                }
                let now = monotonicNanoseconds()
                let (deadline, overflow) = now.addingReportingOverflow(wait)
                WaitTimer.shared.schedule(waiter, at: overflow ? .max : deadline)
            }
        } onCancel: {
            waiter.resume()
        }
        for (signal, _) in signals { signal.unregister(waiter) }
    }

    /// Registers `waiter` unless a commit came after `generation` (then returns `false`).
    private func register(_ waiter: SignalWaiter, after generation: UInt64) -> Bool {
        state.withLock { state in
            guard state.generation == generation else { return false }
            state.waiters[ObjectIdentifier(waiter)] = waiter
            return true
        }
    }

    private func unregister(_ waiter: SignalWaiter) {
        state.withLock { _ = $0.waiters.removeValue(forKey: ObjectIdentifier(waiter)) }
    }
}
