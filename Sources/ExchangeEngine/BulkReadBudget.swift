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
///   Slots are shared by everyone, so two more rules keep one principal from holding them:
///   a principal (a department, a token) streams one bulk read at a time, and from
///   `max_concurrent` 2 on one slot is kept for auditors and admins
///   (``Configuration/reservedForAuditors``), so departments cannot starve an audit.
/// - **Write deadline:** the server ends a read whose chunk its client has not taken within
///   ``Configuration/writeTimeout`` and gives its slot back, so a client that stops reading
///   does not keep it.
/// - **Pace:** after each chunk a bulk read calls ``BulkReadPermit/pace(bytes:)``, which yields
///   while the store's writer has work or delivery rounds are running, for at most
///   ``Configuration/maxYield`` per chunk (so a read always moves on), and holds the read to
///   ``Configuration/maxBytesPerSecond`` when that is set. On an idle exchange a bulk read runs
///   at full speed; under load it slows down, and still streams every record.
public final class BulkReadBudget: Sendable {
    /// The limits of bulk reads (`bulk_reads.*` in the configuration file).
    public struct Configuration: Sendable, Equatable {
        /// The lowest rate ``maxBytesPerSecond`` takes other than 0: 64 KiB per second. A
        /// lower rate would let one read hold its slot for days.
        public static let minimumBytesPerSecond = 64 << 10

        /// Bulk reads streaming at once at most (`bulk_reads.max_concurrent`). Default 4: one
        /// kept for auditors, three shared by departments and the portal, so that one department
        /// (which streams one read at a time) holds at most a third of theirs. From 2 on, one of
        /// them is kept for auditors (see ``BulkReadBudget``).
        public var maxConcurrent: Int
        /// Bytes per second one bulk read sends at most (`bulk_reads.max_bytes_per_second`);
        /// 0 sets no rate, otherwise at least ``minimumBytesPerSecond``. Default 0.
        public var maxBytesPerSecond: Int
        /// The longest a bulk read waits after one chunk while the writer has work or delivery
        /// rounds are running (`bulk_reads.max_yield`); zero never waits. Default 20 ms.
        public var maxYield: Duration
        /// What a refused bulk read is told to wait before trying again (`Retry-After`). Default 5 s.
        public var retryAfter: Duration
        /// The longest one chunk of a bulk read may take to be written to its client
        /// (`bulk_reads.write_timeout`); past it the read is ended and its slot given back, so a
        /// client that stops reading cannot keep a slot. Default 30 s.
        public var writeTimeout: Duration

        /// Creates limits; defaults as documented on each property.
        public init(
            maxConcurrent: Int = 4, maxBytesPerSecond: Int = 0, maxYield: Duration = .milliseconds(20), retryAfter: Duration = .seconds(5),
            writeTimeout: Duration = .seconds(30)
        ) {
            self.maxConcurrent = maxConcurrent
            self.maxBytesPerSecond = maxBytesPerSecond
            self.maxYield = maxYield
            self.retryAfter = retryAfter
            self.writeTimeout = writeTimeout
        }

        /// Slots kept for auditors: one when ``maxConcurrent`` is 2 or more, none when it is 1.
        public var reservedForAuditors: Int { maxConcurrent >= 2 ? 1 : 0 }
    }

    /// Why a bulk read was refused; the `reason` label of `exchange_bulk_reads_refused_total`.
    public enum Refusal: String, Sendable, CaseIterable {
        /// Every slot streams (`bulk_reads.max_concurrent`).
        case busy
        /// The same principal already streams a bulk read.
        case principal
        /// Only the slot kept for auditors is free, and the reader is not one.
        case reserved
    }

    struct State {
        var running = 0
        /// Reads running for principals that are not auditors.
        var unreserved = 0
        /// The principals streaming now.
        var readers: Set<String> = []
    }

    /// The limits in force.
    public let configuration: Configuration
    private let state = Mutex(State())
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
    public var active: Int { state.withLock { $0.running } }

    /// A permit to stream one bulk read for `reader`, or why there is none. The permit is given
    /// back by ``BulkReadPermit/release()``, or when it is freed.
    /// - Parameter reader: who reads; `nil` for a read on the exchange's own behalf, which
    ///   counts as an auditor's and is not held to one read at a time.
    func acquire(for reader: BulkReader?) -> Result<BulkReadPermit, BulkReadRefusal> {
        let refusal = state.withLock { state -> Refusal? in
            if let reader, state.readers.contains(reader.key) { return .principal }
            guard state.running < configuration.maxConcurrent else { return .busy }
            let isAuditor = reader?.isAuditor ?? true
            if !isAuditor, state.unreserved >= configuration.maxConcurrent - configuration.reservedForAuditors { return .reserved }
            state.running += 1
            if !isAuditor { state.unreserved += 1 }
            if let reader { state.readers.insert(reader.key) }
            return nil
        }
        if let refusal { return .failure(BulkReadRefusal(reason: refusal)) }
        return .success(BulkReadPermit(budget: self, reader: reader))
    }

    fileprivate func give(back reader: BulkReader?) {
        state.withLock { state in
            state.running -= 1
            if let reader {
                if !reader.isAuditor { state.unreserved -= 1 }
                state.readers.remove(reader.key)
            }
        }
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

/// A bulk read the budget refused, and why.
public struct BulkReadRefusal: Error, Sendable {
    /// Why the read was refused.
    public let reason: BulkReadBudget.Refusal
}

/// Who streams a bulk read, for ``BulkReadBudget``: at most one read at a time per ``key``,
/// and the slot kept for auditors only when ``isAuditor``.
public struct BulkReader: Sendable, Hashable {
    /// The principal, unique across kinds of principal (e.g. `department tax`, `auditor token a-1`).
    public var key: String
    /// Whether the principal is an auditor or an admin.
    public var isAuditor: Bool

    /// Creates a reader.
    public init(key: String, isAuditor: Bool) {
        self.key = key
        self.isAuditor = isAuditor
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

    /// The longest one sleep of ``pace(bytes:abandoned:)`` lasts before it checks again
    /// whether the read goes on.
    public static let pacingStep = Duration.milliseconds(100)

    private let budget: BulkReadBudget
    private let reader: BulkReader?
    private let state = Mutex(State())

    fileprivate init(budget: BulkReadBudget, reader: BulkReader?) {
        self.budget = budget
        self.reader = reader
    }

    deinit {
        release()
    }

    /// The limits of the budget the permit belongs to.
    public var configuration: BulkReadBudget.Configuration { budget.configuration }

    /// Whether the permit was given back (the read ended, or was ended).
    public var isReleased: Bool { state.withLock { $0.isReleased } }

    /// Call after each chunk, `bytes` sent (0 for a chunk that matched nothing): yields to live work (the writer, delivery rounds)
    /// for at most the budget's `maxYield`, then waits as long as the byte rate, when one is set,
    /// asks, in steps of at most ``pacingStep``. Returns early when the task is cancelled, the
    /// permit is released, or `abandoned` says the client is gone.
    public func pace(bytes: Int, abandoned: @Sendable () -> Bool = { false }) async {
        // Gives the thread up once per chunk even when no live work waits: a read whose chunks
        // match nothing would otherwise hold a thread of the shared pool for its whole scan.
        await Task.yield()
        await budget.yieldToLiveWork()
        let configured = budget.configuration.maxBytesPerSecond
        guard configured > 0 else { return }
        let rate = Swift.max(configured, BulkReadBudget.Configuration.minimumBytesPerSecond)
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
        while clock.now < due, !Task.isCancelled, !isReleased, !abandoned() {
            try? await Task.sleep(until: Swift.min(due, clock.now + Self.pacingStep), clock: clock)
        }
    }

    /// Gives the permit back; later calls do nothing.
    public func release() {
        let first = state.withLock { state -> Bool in
            defer { state.isReleased = true }
            return !state.isReleased
        }
        if first { budget.give(back: reader) }
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
