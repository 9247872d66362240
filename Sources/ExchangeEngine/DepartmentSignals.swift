import Synchronization

/// One ``CommitSignal`` per department with waiting pulls. A commit wakes only the departments
/// it routed events to, so thousands of idle subscriptions cost nothing per commit.
final class DepartmentSignals: Sendable {
    private let signals = Mutex<[String: CommitSignal]>([:])

    /// The signal of `department`, created on first use.
    func signal(for department: String) -> CommitSignal {
        signals.withLock { signals in
            if let signal = signals[department] { return signal }
            let signal = CommitSignal()
            signals[department] = signal
            return signal
        }
    }

    /// Wakes the waiting pulls of each department in `departments` that has a signal.
    func notify(_ departments: some Sequence<String>) {
        let woken = signals.withLock { signals in departments.compactMap { signals[$0] } }
        for signal in woken { signal.notify() }
    }
}
