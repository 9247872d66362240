import Logging
import Synchronization

/// Serializes the rounds that read and change one subscription's delivery state (delivery,
/// nak, term, redrive, delete), and lets a delivery round send its events before the record of
/// that delivery has committed.
///
/// A delivery round queues its record (pending entries, new position, audit) to the store's
/// writer and hands the events out at once, without waiting for the fsync: the consumer gets
/// them one commit sooner. The next holder of the gate first waits for that record, so it
/// never reads state older than what was already handed out. Acknowledgements need no gate:
/// the writer applies operations in the order queued, and a consumer can only acknowledge an
/// event after it was handed out, so after its record was queued. If the process dies before
/// the record commits, the subscription's position and pending list are as before the round
/// and the events are delivered again after a restart, as at-least-once delivery allows.
///
/// The gate also carries the subscription's ``settlements`` signal: acks, naks, terms,
/// redrives and changes of the subscription wake only its own waiting pulls, not every pull of
/// its department.
final class SubscriptionGate: Sendable {
    /// Notified when the subscription's pending list or settings change outside a delivery
    /// round (ack, nak, term, redrive, put, delete).
    let settlements = CommitSignal()
    private let lock = AsyncLock()
    private let outstanding = Mutex<QueuedRecord?>(nil)

    /// Runs `body` holding the gate, once the last queued delivery record has committed.
    func withLock<Result: Sendable>(logger: Logger, _ body: () async throws -> Result) async rethrows -> Result {
        try await lock.withLock {
            if let record = outstanding.withLock({ $0.take() }), let error = await record.committed() {
                // The events of that round were handed out but not recorded: the position and
                // pending list are unchanged, so they will be delivered again.
                logger.warning("delivery record not written", metadata: ["error": "\(error)"])
            }
            return try await body()
        }
    }

    /// Whether a queued delivery record waits for the next holder.
    var hasQueuedRecord: Bool { outstanding.withLock { $0 != nil } }

    /// Keeps a queued delivery record for the next holder to wait for. Call while holding the
    /// gate, after the record was queued to the writer and before its events are handed out.
    func recordQueued(_ record: QueuedRecord) {
        outstanding.withLock { $0 = record }
    }
}

/// The outcome of one write queued without waiting: finished after its commit (on the store's
/// answer thread, or its writer under light load), awaited later by whoever depends on it.
final class QueuedRecord: Sendable {
    private struct State {
        var isFinished = false
        var error: (any Error)?
        var waiters: [CheckedContinuation<(any Error)?, Never>] = []
    }

    private let state = Mutex(State())

    /// Records the outcome (`nil`: committed) and wakes the waiters.
    func finish(_ error: (any Error)?) {
        let waiters = state.withLock { state in
            state.isFinished = true
            state.error = error
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: error) }
    }

    /// Waits until the write committed (`nil`) or failed (its error).
    func committed() async -> (any Error)? {
        await withCheckedContinuation { continuation in
            let outcome: (any Error)?? = state.withLock { state in
                if state.isFinished { return .some(state.error) }
                state.waiters.append(continuation)
                return .none
            }
            if let outcome { continuation.resume(returning: outcome) }
        }
    }
}
