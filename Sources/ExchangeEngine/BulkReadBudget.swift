import Synchronization

/// What bulk reads (replays of the log or an inbox, the auditor's filtered events and replay)
/// may take from the exchange while live traffic runs.
///
/// A bulk read streams up to millions of records, and at full speed it takes a core and the
/// disk from the writer and from live deliveries, whose latency then suffers. Two rules bound it:
///
/// - **Concurrency:** at most ``Configuration/maxConcurrent`` bulk reads stream at once. One
///   more is refused at once (``ExchangeError/Code/bulkReadsBusy``, answered 503 with
///   `Retry-After`) rather than queued: a waiting request would hold its connection and a task
///   for as long as the reads ahead of it last, with no word to its client, and the clients of
///   bulk reads (auditors' tools, `exchangectl replay`) are batch jobs that can come back.
/// - **Pace:** after each chunk a bulk read calls ``BulkReadPermit/pace(bytes:)``, which yields
///   while the store's writer has work or delivery rounds are running, for at most
///   ``Configuration/maxYield`` per chunk (so a read always moves on), and holds the read to
///   ``Configuration/maxBytesPerSecond`` when that is set. On an idle exchange a bulk read runs
///   at full speed; under load it slows down, and still streams every record.
public final class BulkReadBudget: Sendable {
    /// The limits of bulk reads (`bulk_reads.*` in the configuration file).
    public struct Configuration: Sendable, Equatable {
        /// Bulk reads streaming at once at most (`bulk_reads.max_concurrent`). Default 2.
        public var maxConcurrent: Int
        /// Bytes per second one bulk read sends at most (`bulk_reads.max_bytes_per_second`);
        /// 0 sets no rate. Default 0.
        public var maxBytesPerSecond: Int
        /// The longest a bulk read waits after one chunk while the writer has work or delivery
        /// rounds are running (`bulk_reads.max_yield`); zero never waits. Default 20 ms.
        public var maxYield: Duration
        /// What a refused bulk read is told to wait before trying again (`Retry-After`). Default 5 s.
        public var retryAfter: Duration

        /// Creates limits; defaults as documented on each property.
        public init(maxConcurrent: Int = 2, maxBytesPerSecond: Int = 0, maxYield: Duration = .milliseconds(20), retryAfter: Duration = .seconds(5)) {
            self.maxConcurrent = maxConcurrent
            self.maxBytesPerSecond = maxBytesPerSecond
            self.maxYield = maxYield
            self.retryAfter = retryAfter
        }
    }

    /// The limits in force.
    public let configuration: Configuration
    private let running = Mutex(0)
    private let isBusy: @Sendable () -> Bool

    /// Creates a budget.
    /// - Parameters:
    ///   - configuration: the limits.
    ///   - isBusy: whether live work is waiting (the writer has work, deliveries are running).
    init(configuration: Configuration, isBusy: @escaping @Sendable () -> Bool) {
        self.configuration = configuration
        self.isBusy = isBusy
    }

    /// Bulk reads streaming now.
    public var active: Int { running.withLock { $0 } }

    /// A permit to stream one bulk read, or `nil` when ``Configuration/maxConcurrent`` are
    /// streaming. The permit is given back by ``BulkReadPermit/release()``, or when it is freed.
    func acquire() -> BulkReadPermit? {
        let granted = running.withLock { running -> Bool in
            guard running < configuration.maxConcurrent else { return false }
            running += 1
            return true
        }
        return granted ? BulkReadPermit(budget: self) : nil
    }

    fileprivate func give(back permit: BulkReadPermit) {
        running.withLock { $0 -= 1 }
    }

    /// Waits while live work is waiting, for at most ``Configuration/maxYield``.
    fileprivate func yieldToLiveWork() async {
        guard configuration.maxYield > .zero, isBusy() else { return }
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.maxYield
        let step = Swift.min(Duration.milliseconds(1), configuration.maxYield)
        repeat {
            do {
                try await Task.sleep(for: step)
            } catch {
                return
            }
        } while isBusy() && clock.now < deadline
    }
}

/// One bulk read's share of the ``BulkReadBudget``: held while it streams, paced after each
/// chunk. Released once, by ``release()`` or when the permit is freed (a response whose body
/// never ran gives its permit back too).
public final class BulkReadPermit: Sendable {
    private struct State {
        var isReleased = false
        var started: ContinuousClock.Instant?
        var sent = 0
    }

    private let budget: BulkReadBudget
    private let state = Mutex(State())

    fileprivate init(budget: BulkReadBudget) {
        self.budget = budget
    }

    deinit {
        release()
    }

    /// Call after each chunk, `bytes` sent (0 for a chunk that matched nothing): yields to live work (the writer, delivery rounds)
    /// for at most the budget's `maxYield`, then waits as long as the byte rate, when one is set,
    /// asks. Returns early when the task is cancelled.
    public func pace(bytes: Int) async {
        // Gives the thread up once per chunk even when no live work waits: a read whose chunks
        // match nothing would otherwise hold a thread of the shared pool for its whole scan.
        await Task.yield()
        await budget.yieldToLiveWork()
        let rate = budget.configuration.maxBytesPerSecond
        guard rate > 0 else { return }
        let clock = ContinuousClock()
        let now = clock.now
        let due = state.withLock { state -> ContinuousClock.Instant in
            // The rate is kept over the read's whole life, but a read held up by its client
            // (backpressure) does not bank more than a second of credit.
            let start = Swift.max(state.started ?? now, now - .seconds(1) - Self.duration(of: state.sent, at: rate))
            state.started = start
            state.sent += bytes
            return start + Self.duration(of: state.sent, at: rate)
        }
        if due > now { try? await Task.sleep(until: due, clock: clock) }
    }

    /// Gives the permit back; later calls do nothing.
    public func release() {
        let first = state.withLock { state -> Bool in
            defer { state.isReleased = true }
            return !state.isReleased
        }
        if first { budget.give(back: self) }
    }

    /// The time `bytes` take at `rate` bytes per second.
    static func duration(of bytes: Int, at rate: Int) -> Duration {
        .seconds(Double(bytes) / Double(rate))
    }
}

/// The live work bulk reads yield to: delivery rounds running, and the store's writer with
/// operations queued or in hand.
final class LiveWork: Sendable {
    private let rounds = Atomic<Int>(0)
    private let writerBacklog: @Sendable () -> Int

    init(writerBacklog: @escaping @Sendable () -> Int) {
        self.writerBacklog = writerBacklog
    }

    /// Whether a delivery round runs or the writer has work.
    var isWaiting: Bool {
        rounds.load(ordering: .relaxed) > 0 || writerBacklog() > 0
    }

    func deliveryStarted() {
        rounds.add(1, ordering: .relaxed)
    }

    func deliveryEnded() {
        rounds.subtract(1, ordering: .relaxed)
    }
}
