import Synchronization

/// What the soak's clients report as they go, gathered per minute: each call adds to the
/// current bucket, and ``take()`` hands the bucket over and starts the next.
final class SoakRecorder: Sendable {
    /// One bucket's raw figures.
    struct Bucket: Sendable {
        var ackLatencies: [UInt64] = []
        var deliveryLatencies: [UInt64] = []
        var publishErrors = 0
        var pulled = 0
        var acked = 0
        var requestErrors = 0
        var replayed = 0
        var replaySeconds = 0.0
        var firstError: String?

        /// The minute these figures make, with the daemon's samples left empty.
        func minute(_ number: Int) -> SoakMinute {
            SoakMinute(
                minute: number, published: ackLatencies.count, publishErrors: publishErrors, delivered: deliveryLatencies.count,
                pulled: pulled, acked: acked, requestErrors: requestErrors,
                ack: LatencySummary(nanoseconds: ackLatencies), delivery: LatencySummary(nanoseconds: deliveryLatencies),
                replayed: replayed, replaySeconds: replaySeconds)
        }
    }

    private let state = Mutex(Bucket())

    /// A publish answer: its latency, or nil when it was refused.
    func published(_ latency: UInt64?) {
        state.withLock {
            if let latency { $0.ackLatencies.append(latency) } else { $0.publishErrors += 1 }
        }
    }

    /// An event at the measured subscriber.
    func delivered(_ latency: UInt64) {
        state.withLock { $0.deliveryLatencies.append(latency) }
    }

    /// A background pull and the acks that followed it.
    func pulled(_ events: Int, acked: Int) {
        state.withLock {
            $0.pulled += events
            $0.acked += acked
        }
    }

    /// A failed background request or replay.
    func failed(_ description: String) {
        state.withLock {
            $0.requestErrors += 1
            if $0.firstError == nil { $0.firstError = description }
        }
    }

    /// A finished replay.
    func replayed(_ events: Int, seconds: Double) {
        state.withLock {
            $0.replayed += events
            $0.replaySeconds += seconds
        }
    }

    /// The bucket so far; the next starts empty.
    func take() -> Bucket {
        state.withLock {
            let bucket = $0
            $0 = Bucket()
            $0.ackLatencies.reserveCapacity(bucket.ackLatencies.count)
            $0.deliveryLatencies.reserveCapacity(bucket.deliveryLatencies.count)
            return bucket
        }
    }
}
