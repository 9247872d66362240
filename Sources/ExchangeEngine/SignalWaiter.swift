import Synchronization

/// One waiting pull: resumed once, by the first of the signals it waits on to move, its
/// deadline (``WaitTimer``) or its task's cancellation; later calls of ``resume()`` do nothing.
final class SignalWaiter: Sendable {
    private enum State {
        case waiting(CheckedContinuation<Void, Never>?)
        case done
    }

    private let state = Mutex(State.waiting(nil))

    /// Hands the waiter the continuation to resume. Returns `false` when the waiter was already
    /// resumed (cancelled before it waited): the caller resumes the continuation itself.
    func install(_ continuation: CheckedContinuation<Void, Never>) -> Bool {
        state.withLock { state in
            guard case .waiting = state else { return false }
            state = .waiting(continuation)
            return true
        }
    }

    /// Ends the wait, once.
    func resume() {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard case .waiting(let continuation) = state else { return nil }
            state = .done
            return continuation
        }
        continuation?.resume()
    }

    /// Whether the wait has ended.
    var isDone: Bool {
        state.withLock { if case .done = $0 { true } else { false } }
    }
}
