import Synchronization

/// Wakes waiting pulls when the store commits new events.
///
/// A waiter remembers the generation it last saw; `wait(after:timeout:)` returns at once if a
/// commit happened since, so no wake-up between a check and the wait is lost.
final class CommitSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// The current generation; pass it to `wait(after:timeout:)`.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Called after every commit that appended events.
    func notify() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
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
    static func wait(for signals: [(signal: CommitSignal, generation: UInt64)], timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            for (signal, generation) in signals {
                group.addTask { await signal.wait(after: generation) }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Waits until a commit after `generation`, or cancellation.
    private func wait(after generation: UInt64) async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = self.state.withLock { state -> Bool in
                    if state.generation != generation || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = self.state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
