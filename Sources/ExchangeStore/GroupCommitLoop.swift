import ExchangeAudit
import ExchangeModel
import Logging
import LMDB
import Synchronization

/// The store's single writer: every queued operation goes through here, in the order it was
/// queued, and is applied with everything queued beside it in one write transaction (group
/// commit). Under light load an operation commits alone; under heavy load batches grow up to
/// the store's `maxBatchOperations`.
///
/// An operation is answered only after the transaction that holds it committed with LMDB's
/// default durability (fsync), on the ``CommitAnswerer``'s thread so that answering one batch
/// overlaps the next transaction (or, for a small batch while that thread is idle, here). An
/// operation that throws is answered with its error and the batch is applied again without it:
/// a bad operation never fails its neighbours. An environment error (map full, transaction too
/// large) grows the map or splits the batch and tries again; failing that, the whole batch fails
/// with nothing written.
///
/// Publishes first: the subscriptions' bookkeeping (delivery records and acknowledgements with
/// their receipts) grows with the number of consumers, and a publisher should not wait for it.
/// When a batch holds both and more than a few bookkeeping operations, everything else is
/// committed (and answered) first, and the bookkeeping follows in a transaction of its own. Bookkeeping keeps its order among itself (an
/// acknowledgement after the delivery record it settles), everything else keeps its order among
/// itself, and nothing else depends on bookkeeping queued beside it: a nak, term, redrive or
/// delete waits for the subscription's last delivery record before it is queued
/// (`SubscriptionGate` in the engine).
///
/// Bookkeeping lingers while publishes flow: a batch of a few bookkeeping operations and no
/// publish, taken within ``publishFlowWindow`` of the last commit that appended events, waits up
/// to the store's `bookkeepingLinger` for a publish and commits with it, so that a subscriber's
/// delivery record rides in the next publish's commit instead of costing a commit of its own.
/// Nothing is answered before its commit; a delivery record's subscription is held by its gate
/// meanwhile (the next round follows the publish that wakes it, in that same commit).
final class GroupCommitLoop: Sendable {
    private let environment: Environment
    private let schema: StoreSchema
    private let names: NameTable
    private let tree: MerkleTree
    private let dedupCache: DedupCache
    private let indexTail: IndexTail
    private let resizeLock: ReadWriteLock
    /// The map's maximum and the publish limit below it; changed by a configuration reload.
    private let limits: Mutex<StoreMapLimits>
    /// The free-list pages last counted and when (monotonic ns): counted only while the
    /// high-water mark is past the publish limit, at most every ``freePagesInterval``.
    private let freePagesCount = Mutex<(pages: Int, at: UInt64)?>(nil)
    /// Whether the last check refused publishes (for metrics and readiness).
    private let refusingPublishes = Atomic(false)
    private let logger: Logger
    /// The watermark file, raised before the commits that need it.
    private let watermark: Watermark?
    /// The writer's counters; read through the store's `statistics()`.
    let statistics = WriterStatistics()
    private let state: Mutex<WriterState>
    private let recordBuffer = Mutex(RecordWriter())
    /// Commits left before the index tail is merged again after a merge failed.
    private let indexMergePause = Mutex(0)
    private let committedSequence: Atomic<UInt64>
    private let committedAuditCount: Atomic<UInt64>
    private let observers = Mutex<[UInt64: @Sendable (StoreCommit) -> Void]>([:])
    private let nextObserverID = Atomic<UInt64>(0)
    private let answerer = CommitAnswerer()
    /// How long a batch of bookkeeping alone waits for a publish to ride with, in nanoseconds;
    /// 0: it never waits.
    private let linger: UInt64
    /// The most operations per transaction.
    private let maxBatch: Int
    /// When the last commit that appended events finished (``monotonicNanoseconds()``); 0 before.
    private let lastAppendCommit = Atomic<UInt64>(0)
    // Set once at the end of init (its closure refers to `self`); read only after init returned.
    nonisolated(unsafe) private var thread: DrainingThread<PendingWrite>!

    /// Starts the writer thread.
    /// - Parameters:
    ///   - state: the state after the last committed transaction.
    ///   - maxBatch: the most operations per transaction.
    ///   - limits: how far the map may grow when a transaction does not fit, and where
    ///     publishes stop below it.
    ///   - lingerNanoseconds: how long a few bookkeeping operations wait for a publish to ride
    ///     with while publishes flow; 0 never.
    init(
        environment: Environment, schema: StoreSchema, names: NameTable, tree: MerkleTree, dedupCache: DedupCache,
        indexTail: IndexTail, resizeLock: ReadWriteLock, state: WriterState, maxBatch: Int, limits: StoreMapLimits, watermark: Watermark? = nil,
        lingerNanoseconds: UInt64 = 0, logger: Logger
    ) {
        self.linger = lingerNanoseconds
        self.maxBatch = maxBatch
        self.watermark = watermark
        self.environment = environment
        self.schema = schema
        self.names = names
        self.tree = tree
        self.dedupCache = dedupCache
        self.indexTail = indexTail
        self.resizeLock = resizeLock
        self.limits = Mutex(limits)
        self.logger = logger
        self.state = Mutex(state)
        self.committedSequence = Atomic(state.nextSequence - 1)
        self.committedAuditCount = Atomic(state.nextAuditIndex)
        self.thread = DrainingThread(name: "store-writer", maxBatch: maxBatch) { [unowned self] batch in
            self.process(batch)
        }
    }

    /// Applies everything already queued, answers it, then stops both threads and waits for them.
    /// - Parameter mergingIndexes: whether the last commit also merges the index tail, so that
    ///   the next open has nothing to rebuild (a close that skips it is what a crash leaves).
    func stop(mergingIndexes: Bool = true) {
        if mergingIndexes {
            _ = thread.submit(.mutation(Mutation(apply: { $0.mergeIndexTail = true }, finish: { _ in })))
        }
        thread.stop()
        answerer.stop()
    }

    /// The sequence of the last committed event; 0 when the log is empty.
    var lastSequence: UInt64 { committedSequence.load(ordering: .acquiring) }

    /// Operations queued or being applied; 0 when the writer is idle.
    var backlog: Int { thread.backlog }

    /// The number of committed audit entries.
    var auditCount: UInt64 { committedAuditCount.load(ordering: .acquiring) }

    /// The map's limits in force.
    var mapLimits: StoreMapLimits { limits.withLock { $0 } }

    /// Whether the last batch that held publishes found the store past its publish limit.
    ///
    /// While set, asking re-checks the limit (free pages counted at most every
    /// ``freePagesInterval``), so that it clears once retention or a deletion freed space, not
    /// only at the next publish attempt (`exchange_store_refusing_publishes` is read this way).
    var isRefusingPublishes: Bool {
        guard refusingPublishes.load(ordering: .relaxed) else { return false }
        return publishRefusal() != nil
    }

    /// Changes the map's limits. The map itself is not resized here: it grows, on the writer
    /// thread between two transactions, when a transaction does not fit (``growMap()``), up to
    /// the new maximum. A maximum below the map's current size stops its growth and lowers the
    /// publish limit; the map is not shrunk.
    func setLimits(_ new: StoreMapLimits) {
        limits.withLock { $0 = new }
        freePagesCount.withLock { $0 = nil }
    }

    /// Registers `observer`, called after every commit where answers run, in commit order.
    func addCommitObserver(_ observer: @escaping @Sendable (StoreCommit) -> Void) -> UInt64 {
        let id = nextObserverID.add(1, ordering: .relaxed).newValue
        observers.withLock { $0[id] = observer }
        return id
    }

    /// Removes an observer registered with `addCommitObserver(_:)`.
    func removeCommitObserver(_ token: UInt64) {
        _ = observers.withLock { $0.removeValue(forKey: token) }
    }

    // MARK: Queuing

    /// Queues `write`; it fails at once with `store.closed` after `stop()`.
    func submit(_ write: PendingWrite) {
        if !thread.submit(write) {
            write.fail(StoreError(code: .closed, message: "the store is closed"))
        }
    }

    /// Queues `body` and returns its result after the commit.
    /// `bookkeeping` marks a subscription's delivery record or acknowledgement.
    func perform<Result: Sendable>(
        bookkeeping: Bool = false, readsAudit: Bool = false, _ body: @escaping (inout BatchContext) throws -> Result
    ) async throws -> Result {
        let box = ResultBox<Result>()
        return try await withUnsafeThrowingContinuation { continuation in
            submit(
                .mutation(
                    Mutation(
                        apply: { context in box.value = try body(&context) },
                        finish: { error in
                            if let error {
                                continuation.resume(throwing: error)
                            } else {
                                continuation.resume(returning: box.value!)
                            }
                        }, isBookkeeping: bookkeeping, isReadsAudit: readsAudit)))
        }
    }

    /// Queues appends and returns their results after the commit.
    func append(_ requests: [PreparedAppend]) async throws -> [AppendResult] {
        try await withUnsafeThrowingContinuation { continuation in
            submit(.append(requests, .task(continuation)))
        }
    }

    // MARK: The loop

    /// Bookkeeping operations that still ride in the transaction of the publishes beside them:
    /// a few delivery records and acknowledgements add a few pages to that commit, while a
    /// transaction of their own would cost a second commit and its two flushes.
    static let bookkeepingRideLimit = 8

    /// Commits what the writer took from its queue: everything but the subscriptions'
    /// bookkeeping first, then the bookkeeping, each in one transaction; in one transaction
    /// when the bookkeeping is at most ``bookkeepingRideLimit`` operations.
    private func process(_ taken: [PendingWrite]) {
        let batch = lingering(taken)
        let bookkeeping = batch.count { $0.isBookkeeping }
        guard bookkeeping > Self.bookkeepingRideLimit, bookkeeping < batch.count else {
            commit(batch)
            return
        }
        commit(batch.filter { !$0.isBookkeeping })
        commit(batch.filter(\.isBookkeeping))
    }

    /// Publishes count as flowing for this long after a commit appended events (or ten times
    /// the linger, if longer): a batch of bookkeeping alone lingers only then (a consumer
    /// draining a backlog, with nothing being published, never waits).
    static let publishFlowWindow: UInt64 = 20_000_000

    /// `batch`, and when it holds only a few bookkeeping operations while publishes flow, what
    /// was queued after it until a publish came, the ride limit was passed or the linger ended.
    private func lingering(_ batch: [PendingWrite]) -> [PendingWrite] {
        guard linger > 0, batch.count <= Self.bookkeepingRideLimit, batch.allSatisfy(\.isBookkeeping) else { return batch }
        let now = monotonicNanoseconds()
        let last = lastAppendCommit.load(ordering: .relaxed)
        guard last > 0, now &- last < Swift.max(Self.publishFlowWindow, linger &* 10) else { return batch }
        var batch = batch
        let deadline = now + linger
        while batch.allSatisfy(\.isBookkeeping), batch.count <= Self.bookkeepingRideLimit {
            let more = thread.takeMore(until: deadline, limit: maxBatch - batch.count)
            if more.isEmpty { break }
            batch += more
        }
        statistics.addLinger(monotonicNanoseconds() - now, rode: !batch.allSatisfy(\.isBookkeeping))
        return batch
    }

    /// Applies and commits one batch on the writer thread, then answers every operation in it.
    private func commit(_ batch: [PendingWrite]) {
        var active = batch[...]
        if active.contains(where: { $0.isAppend || $0.isReadsAudit }), let full = publishRefusal() {
            // Past the publish limit: the publishes fail at once, and the audit entries of reads
            // and refusals past half the reserve; the rest goes on into the reserve.
            fail(active.filter(\.isAppend)[...], full.publishes)
            active = active.filter { !$0.isAppend }[...]
            if let reads = full.reads {
                fail(active.filter(\.isReadsAudit)[...], reads)
                active = active.filter { !$0.isReadsAudit }[...]
            }
            if active.isEmpty { return }
        }
        var skipIndexMerge = false
        var skipDedupStep = false
        var results: [[AppendResult]] = []
        results.reserveCapacity(batch.count)
        attempts: while !active.isEmpty {
            // Entries of an attempt that did not commit (this batch's, or a failed one before it).
            dedupCache.rollback()
            results.removeAll(keepingCapacity: true)
            let start = state.withLock { $0 }
            let time = max(wallClockNanoseconds(), start.lastBatchTime)
            var record = recordBuffer.withLock { $0 }
            let txn: WriteTransaction
            do {
                txn = try environment.beginWrite()
            } catch {
                fail(active, StoreError.storage(error, "cannot begin a write transaction"))
                return
            }
            let applyStarted = monotonicNanoseconds()
            let cpuStarted = threadCPUNanoseconds()
            var context = BatchContext(
                txn: txn, schema: schema, names: names, tree: tree, state: start, time: time, record: record)
            var failure: (index: Int, error: any Error)?
            var environmentError: LMDBError?
            for index in active.indices {
                do {
                    switch active[index] {
                    case .append(let requests, _):
                        results.append(try context.apply(requests, dedup: dedupCache))
                    case .mutation(let mutation):
                        try mutation.apply(&context)
                        results.append([])
                    }
                } catch let error as LMDBError {
                    environmentError = error
                    break
                } catch {
                    failure = (index, error)
                    break
                }
            }
            record = context.record
            recordBuffer.withLock { $0 = record }
            if let failure {
                context.txn.abort()
                let failed = active[failure.index]
                answerer.enqueue { failed.fail(failure.error) }
                active.remove(at: failure.index)
                continue attempts
            }
            if let environmentError {
                context.txn.abort()
                if environmentError.isMapFull, growMap() { continue attempts }
                if environmentError.isMapFull, dropAppends(from: &active, environmentError) { continue attempts }
                // Too large a transaction, or at the maximum size without publishes to drop:
                // halves are committed apart, so that what fits still commits.
                if environmentError.isTransactionFull || environmentError.isMapFull, active.count > 1 {
                    let half = active.count / 2
                    commit(Array(active[active.startIndex..<active.startIndex + half]))
                    active.removeFirst(half)
                    continue attempts
                }
                fail(active, mapped(environmentError))
                return
            }
            // The deduplication index's bounded step: freezing, writing, merging and deleting runs.
            let stepStarted = monotonicNanoseconds()
            var step: DedupStepPlan?
            do {
                if !skipDedupStep {
                    step = try dedupCache.step(txn: &context.txn, schema: schema, lastSequence: context.state.nextSequence - 1)
                }
            } catch let error as LMDBError {
                context.txn.abort()
                if error.isMapFull, growMap() { continue attempts }
                if error.isMapFull {
                    // The index's step can wait: the batch is applied again without it.
                    logger.warning("deduplication step left out of a commit: the store is at its maximum size")
                    skipDedupStep = true
                    continue attempts
                }
                fail(active, mapped(error))
                return
            } catch {
                context.txn.abort()
                fail(active, StoreError.storage(error, "writing the deduplication index failed"))
                return
            }
            let tailBatch = context.tailBatch
            var indexMark: IndexMark?
            let mergeWanted = context.mergeIndexTail ? !indexTail.isEmpty(with: tailBatch) : indexTail.shouldMerge(with: tailBatch)
            if mergeWanted, !skipIndexMerge, indexMergePause.withLock({ $0 == 0 }) {
                let mark = IndexMark(sequence: context.state.nextSequence - 1, auditCount: context.state.nextAuditIndex)
                do {
                    let started = monotonicNanoseconds()
                    let entries = try indexTail.merge(tailBatch, through: mark, txn: &context.txn, schema: schema)
                    indexMark = mark
                    logger.debug(
                        "index tail merged",
                        metadata: ["entries": "\(entries)", "microseconds": "\((monotonicNanoseconds() - started) / 1000)"])
                } catch {
                    // The batch does not depend on the merge: it is applied again without it,
                    // and merges pause for a while (the tail grows past its threshold meanwhile).
                    context.txn.abort()
                    if let error = error as? LMDBError, error.isMapFull, growMap() { continue attempts }
                    logger.warning(
                        "index tail not merged; the batch is committed without it and merging is tried again later",
                        metadata: ["error": "\(error)", "commits_until_retry": "\(Self.indexMergePauseCommits)"])
                    skipIndexMerge = true
                    indexMergePause.withLock { $0 = Self.indexMergePauseCommits }
                    continue attempts
                }
            }
            let finished = context.state
            let added = context.addedNames
            let routedConsumers = context.routedConsumers
            let commitStarted = monotonicNanoseconds()
            statistics.addApplying(commitStarted - applyStarted)
            var commitDuration: UInt64 = 0
            if let watermark {
                // Durably on the other disk before any number it covers can be acknowledged.
                do {
                    try watermark.cover(
                        nextSequence: finished.nextSequence, auditCount: finished.nextAuditIndex, checkpoint: context.savedCheckpoint)
                } catch {
                    context.txn.abort()
                    logger.error("watermark not written; the batch is refused", metadata: ["error": "\(error)"])
                    fail(active, StoreError.storage(error, "cannot write the watermark"))
                    return
                }
            }
            do {
                defer { statistics.addCPU(threadCPUNanoseconds() &- cpuStarted) }
                try context.txn.commit()
                commitDuration = monotonicNanoseconds() - commitStarted
                statistics.addCommitting(commitDuration)
            } catch let error as LMDBError {
                if error.isMapFull, growMap() { continue attempts }
                if error.isMapFull, dropAppends(from: &active, error) { continue attempts }
                fail(active, mapped(error))
                return
            } catch {
                fail(active, StoreError.storage(error, "commit failed"))
                return
            }
            names.didCommit(added)
            dedupCache.didCommit()
            if let step, step.entries > 0 || step.completedRuns > 0 || step.pruned > 0 {
                recordStep(step, nanoseconds: commitStarted - stepStarted + commitDuration)
            }
            statistics.addCommit(operations: active.count)
            indexMergePause.withLock { $0 = Swift.max(0, $0 - 1) }
            var committed = finished
            committed.lastBatchTime = time
            state.withLock { $0 = committed }
            // Before the counters: a reader that saw them finds the entries they count.
            indexTail.didCommit(
                tailBatch, lastSequence: committed.nextSequence - 1, auditCount: committed.nextAuditIndex, merged: indexMark)
            let appended = committed.nextSequence - 1 > committedSequence.load(ordering: .relaxed)
            if appended { lastAppendCommit.store(monotonicNanoseconds(), ordering: .relaxed) }
            committedSequence.store(committed.nextSequence - 1, ordering: .releasing)
            committedAuditCount.store(committed.nextAuditIndex, ordering: .releasing)
            let answered = active
            let answers = results
            let observers = self.observers.withLock { Array($0.values) }
            let commit = StoreCommit(
                lastSequence: committed.nextSequence - 1, appendedEvents: appended, operations: active.count,
                durationNanoseconds: commitDuration, routedConsumers: routedConsumers)
            let answer = {
                for (index, write) in zip(answered.indices, answers.indices) {
                    switch answered[index] {
                    case .append(_, let completion): completion.finish(.success(answers[write]))
                    case .mutation(let mutation): mutation.finish(nil)
                    }
                }
                for observer in observers { observer(commit) }
            }
            if Self.isAnsweredHere(active) {
                answerer.answerHereIfIdle(answer)
            } else {
                answerer.enqueue(answer)
            }
            return
        }
    }

    /// How many commits pass without a merge of the index tail after one failed.
    static let indexMergePauseCommits = 64

    /// A deduplication step whose commit ended this long after the step began is logged at
    /// notice level: every publish queued behind it waited as long (architecture.md,
    /// Deduplication without a time window).
    static let slowMergeNanoseconds: UInt64 = 100_000_000

    /// Counts a committed deduplication step (the runs it completed are the merges operators
    /// see) and logs it: at debug level, or at notice level when it held the writer for
    /// ``slowMergeNanoseconds`` or longer.
    private func recordStep(_ step: DedupStepPlan, nanoseconds: UInt64) {
        statistics.addMerge(nanoseconds: nanoseconds, completed: step.completedRuns)
        if step.skipped > 0 {
            logger.warning(
                "deduplication entries with keys over LMDB's limit left out of the index",
                metadata: ["entries": "\(step.skipped)", "limit_bytes": "\(DedupFrozenEntries.maxKeyBytes)"])
        }
        if let through = step.prunedThrough {
            logger.info(
                "deduplication entries past the horizon pruned",
                metadata: ["entries": "\(step.pruned)", "stored_by_unix": "\(through)", "horizon_seconds": "\(dedupCache.horizon ?? 0)"])
        }
        let metadata: Logger.Metadata = [
            "entries": "\(step.entries)", "runs_completed": "\(step.completedRuns)", "milliseconds": "\(nanoseconds / 1_000_000)",
        ]
        if nanoseconds >= Self.slowMergeNanoseconds {
            logger.notice("deduplication merge held the writer; publishes waited for it", metadata: metadata)
        } else if step.completedRuns > 0 {
            logger.debug("deduplication run completed", metadata: metadata)
        }
    }

    /// The most operations, and events, in a committed batch that the writer answers itself
    /// when the answer thread is idle (light load); larger batches always go to the answer
    /// thread.
    static let answerHereLimit = (operations: 4, events: 64)

    /// Whether `batch` is small enough for the writer to answer it itself.
    private static func isAnsweredHere(_ batch: ArraySlice<PendingWrite>) -> Bool {
        guard batch.count <= answerHereLimit.operations else { return false }
        var events = 0
        for write in batch {
            if case .append(let requests, _) = write { events += requests.count }
        }
        return events <= answerHereLimit.events
    }

    private func fail(_ writes: ArraySlice<PendingWrite>, _ error: any Error) {
        answerer.enqueue {
            for write in writes { write.fail(error) }
        }
    }

    /// After a `MDB_MAP_FULL` at the maximum size: fails the batch's publishes with
    /// `store.full` and keeps the rest, which is tried again without them. Returns `false` when
    /// the batch holds no publish or nothing else.
    private func dropAppends(from active: inout ArraySlice<PendingWrite>, _ error: LMDBError) -> Bool {
        guard active.contains(where: \.isAppend), active.contains(where: { !$0.isAppend }) else { return false }
        fail(active.filter(\.isAppend)[...], mapped(error))
        active = active.filter { !$0.isAppend }[...]
        return true
    }

    /// How often, at most, the free list is counted while the high-water mark is past the
    /// publish limit: the data in the map may be under-counted for this long.
    static let freePagesInterval: UInt64 = 250_000_000

    /// `store.full` for publishes when the data in the map has reached the publish limit, and
    /// for the audit entries of reads and refusals when it has reached half the reserve too;
    /// `nil` under the publish limit.
    ///
    /// The map's high-water mark (LMDB's last page) never shrinks; while it is under the limit,
    /// that is all this reads. Past it, the pages on the free list (freed by deleted entries,
    /// reused by later commits) are counted, at most every ``freePagesInterval``, and subtracted:
    /// the exchange takes publishes again by itself once enough pages are free.
    private func publishRefusal() -> (publishes: StoreError, reads: StoreError?)? {
        let limits = self.limits.withLock { $0 }
        let info = environment.info()
        guard info.usedBytes >= limits.publishLimit else {
            refusingPublishes.store(false, ordering: .relaxed)
            return nil
        }
        let now = monotonicNanoseconds()
        let free: Int = freePagesCount.withLock { cached in
            if let cached, now &- cached.at < Self.freePagesInterval { return cached.pages }
            let pages: Int
            do {
                pages = try resizeLock.withReadLock { try environment.freePages() }
            } catch {
                logger.warning("free pages not counted", metadata: ["error": "\(error)"])
                pages = 0
            }
            cached = (pages, now)
            return pages
        }
        let inUse = info.usedBytes - min(info.usedBytes, free * info.pageSize)
        guard inUse >= limits.publishLimit else {
            refusingPublishes.store(false, ordering: .relaxed)
            return nil
        }
        if !refusingPublishes.exchange(true, ordering: .relaxed) {
            logger.warning(
                "store full: publishes are refused",
                metadata: [
                    "data_bytes": "\(inUse)", "publish_limit_bytes": "\(limits.publishLimit)", "max_map_size": "\(limits.maxMapSize)",
                ])
        }
        let publishes = StoreError(
            code: .storeFull,
            message: "the store holds \(Self.size(inUse)) of data, at its publish limit: the last \(Self.size(limits.publishReserve)) "
                + "of its maximum size of \(Self.size(limits.maxMapSize)) (store max_map_size) are kept for acknowledgements, "
                + "deliveries and audit entries (store publish_reserve); nothing was written. "
                + "Raise store max_map_size (applied on SIGHUP) or free space")
        guard inUse >= limits.readsLimit else { return (publishes, nil) }
        let reads = StoreError(
            code: .storeFull,
            message: "the store holds \(Self.size(inUse)) of data, past half its publish reserve, which is all reads and refusals "
                + "may use for their audit entries; the rest is kept for acknowledgements, deliveries and checkpoints. "
                + "Nothing was read. Raise store max_map_size (applied on SIGHUP) or free space")
        return (publishes, reads)
    }

    /// `n MiB`, or `n KiB` under a MiB.
    private static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : "\(bytes >> 10) KiB"
    }

    private func mapped(_ error: LMDBError) -> StoreError {
        if error.isMapFull {
            let maxMapSize = limits.withLock { $0.maxMapSize }
            return StoreError(
                code: .storeFull,
                message: "the store reached its maximum size of \(maxMapSize >> 20) MiB "
                    + "(store max_map_size); nothing was written. Raise the maximum or archive old data",
                underlying: error.description)
        }
        return StoreError(code: .storage, message: "the write failed; nothing was written", underlying: error.description)
    }

    /// Doubles the map, up to the configured maximum. Returns `false` when already at it.
    private func growMap() -> Bool {
        let current = environment.info().mapSize
        let maxMapSize = limits.withLock { $0.maxMapSize }
        guard current < maxMapSize else { return false }
        let target = min(maxMapSize, current * 2)
        do {
            try resizeLock.withWriteLock { try environment.setMapSize(target) }
        } catch {
            logger.error("map resize failed", metadata: ["error": "\(error)"])
            return false
        }
        logger.info("store map grown", metadata: ["from_bytes": "\(current)", "to_bytes": "\(target)"])
        return true
    }
}

/// Carries a mutation's result from the writer thread to its caller.
final class ResultBox<Value>: @unchecked Sendable {
    var value: Value?
}
