public import ExchangeAudit
import ExchangeModel
import Foundation
public import Logging
import LMDB
import Synchronization

/// The exchange's durable state in one LMDB environment: the message log and its indexes,
/// deduplication, consumer inboxes, durable subscriptions and the audit log.
///
/// Writes are queued to one writer thread, which applies every operation waiting in one write
/// transaction (group commit); each caller is answered only after `mdb_txn_commit` returned with
/// LMDB's default durability (fsync), on a second thread (`CommitAnswerer`), so that answering
/// one batch overlaps the next transaction. Reads run in short read transactions on the caller's
/// thread and never across an `await`.
///
/// ```swift
/// let store = try ExchangeStore(configuration: .init(directory: "/var/lib/exchange"))
/// let result = try await store.append(AppendRequest(envelope: event, routes: routes))
/// let again = try store.event(result.sequence)
/// store.close()
/// ```
public final class ExchangeStore: Sendable {
    /// The configuration the store was opened with.
    public let configuration: StoreConfiguration
    let environment: Environment
    let schema: StoreSchema
    let names: NameTable
    let logger: Logger
    /// Held shared by readers and exclusively while the map is resized.
    let resizeLock = ReadWriteLock()
    /// Held from open to close: one process at a time writes a data directory.
    private let directoryLock: DirectoryLock
    let dedupCache: DedupCache
    /// The audit log's Merkle tree hashing (RFC 9162), with the store's hash algorithm.
    public let auditTree: MerkleTree
    private let writerState: Mutex<WriterState>
    private let recordBuffer = Mutex(RecordWriter())
    private let committedSequence: Atomic<UInt64>
    private let committedAuditCount: Atomic<UInt64>
    private let isClosed = Atomic<Bool>(false)
    private let commitCount = Atomic<UInt64>(0)
    private let committedOperationCount = Atomic<UInt64>(0)
    private let applyNanoseconds = Atomic<UInt64>(0)
    private let commitNanoseconds = Atomic<UInt64>(0)
    private let writerCPUNanoseconds = Atomic<UInt64>(0)
    private let dedupMergeCount = Atomic<UInt64>(0)
    private let dedupMergeNanoseconds = Atomic<UInt64>(0)
    private let commitObservers = Mutex<[UInt64: @Sendable (StoreCommit) -> Void]>([:])
    private let nextObserverID = Atomic<UInt64>(0)
    // Set once in init, after every stored property; read only by callers after init returned.
    nonisolated(unsafe) private var writer: GroupCommitWriter!
    // Created in init after everything that can throw, so a failed open leaves no thread behind.
    private let answerer: CommitAnswerer

    /// Opens the store in `configuration.directory`, creating it if needed.
    /// - Parameters:
    ///   - configuration: directory, map sizes and limits.
    ///   - logger: where the store reports map growth (info), upgrades and deduplication merges
    ///     that held the writer 100 ms or more (notice), and failures (error).
    /// - Throws: `StoreError` with code `store.unsupported_format` for a store of another format
    ///   version, `store.open_failed` when the directory or environment cannot be opened.
    public init(configuration: StoreConfiguration, logger: Logger = Logger(label: "exchange.store")) throws {
        self.configuration = configuration
        self.logger = logger
        do {
            try FileManager.default.createDirectory(
                atPath: configuration.directory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError(
                code: .openFailed, message: "cannot create the data directory \(configuration.directory)",
                underlying: String(describing: error))
        }
        directoryLock = try DirectoryLock(directory: configuration.directory)
        let environment: Environment
        do {
            environment = try Environment(
                path: configuration.directory,
                configuration: .init(
                    mapSize: configuration.initialMapSize, maxDatabases: 32, maxReaders: configuration.maxReaders))
        } catch let error as LMDBError where error.isIncompatible {
            throw StoreError(
                code: .unsupportedFormat,
                message: "\(configuration.directory) does not hold an LMDB environment this build can read",
                underlying: error.description)
        } catch {
            throw StoreError(
                code: .openFailed, message: "cannot open the store in \(configuration.directory)",
                underlying: String(describing: error))
        }
        self.environment = environment
        environment.clearStaleReaders()
        let names = NameTable()
        self.names = names
        let dedupCache = DedupCache(threshold: configuration.dedupMergeThreshold)
        self.dedupCache = dedupCache
        self.auditTree = MerkleTree(algorithm: configuration.auditHash)
        let opened: (StoreSchema, WriterState)
        do {
            opened = try environment.write { txn -> (StoreSchema, WriterState) in
                let schema = try StoreSchema(opening: &txn)
                let previous = try schema.checkFormat(&txn, directory: configuration.directory)
                if previous == StoreSchema.versionWithoutRegistry {
                    logger.notice(
                        "store upgraded to format \(StoreSchema.formatVersion): the registry is empty until rebuilt",
                        metadata: ["directory": "\(configuration.directory)", "command": "exchangectl registry rebuild --write"])
                } else if StoreSchema.upgradableVersions.contains(previous) {
                    logger.notice(
                        "store upgraded to format \(StoreSchema.formatVersion)",
                        metadata: ["directory": "\(configuration.directory)", "from": "\(previous)"])
                }
                try schema.checkAuditHash(&txn, configuration.auditHash, directory: configuration.directory)
                try names.load(txn, meta: schema.meta)
                let state = try Self.recoverState(txn, schema: schema, names: names)
                try dedupCache.rebuild(txn, schema: schema, names: names)
                return (schema, state)
            }
        } catch {
            environment.close()
            throw StoreError.storage(error, "cannot open the store in \(configuration.directory)")
        }
        self.schema = opened.0
        self.writerState = Mutex(opened.1)
        self.committedSequence = Atomic(opened.1.nextSequence - 1)
        self.committedAuditCount = Atomic(opened.1.nextAuditIndex)
        self.answerer = CommitAnswerer()
        self.writer = GroupCommitWriter(maxBatch: configuration.maxBatchOperations) { [unowned self] batch in
            self.process(batch)
        }
        logger.info(
            "store opened",
            metadata: [
                "directory": "\(configuration.directory)", "last_sequence": "\(opened.1.nextSequence - 1)",
                "audit_entries": "\(opened.1.nextAuditIndex)",
            ])
    }

    deinit {
        close()
    }

    /// Applies every queued write, stops the writer and closes the environment. Later writes fail
    /// with `store.closed`. Safe to call more than once; not from a completion or commit observer,
    /// which may run on the writer thread in the middle of its batch.
    public func close() {
        guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        writer.stop()
        answerer.stop()
        resizeLock.withWriteLock { environment.close() }
        directoryLock.release()
        logger.info("store closed", metadata: ["directory": "\(configuration.directory)"])
    }

    /// The sequence of the last committed event; 0 when the log is empty.
    public var lastSequence: UInt64 { committedSequence.load(ordering: .acquiring) }

    /// The number of committed audit entries.
    public var auditCount: UInt64 { committedAuditCount.load(ordering: .acquiring) }

    /// Write transactions committed since the store was opened.
    public var commits: UInt64 { commitCount.load(ordering: .relaxed) }

    /// Operations (appends, acks, subscription changes) committed since the store was opened;
    /// divided by `commits`, the mean group-commit batch size.
    public var committedOperations: UInt64 { committedOperationCount.load(ordering: .relaxed) }

    /// Time the writer spent applying operations and committing (fsync included), and the CPU
    /// time (user and system) its thread used over those same spans, in nanoseconds since the
    /// store was opened. CPU close to the busy time means commits cost computing (LMDB, the
    /// kernel writing pages back); far below it, the writer waits for the disk.
    public var writerTime: (applying: UInt64, committing: UInt64, cpu: UInt64) {
        (
            applyNanoseconds.load(ordering: .relaxed), commitNanoseconds.load(ordering: .relaxed),
            writerCPUNanoseconds.load(ordering: .relaxed)
        )
    }

    /// Deduplication merges committed since the store was opened, and the time from the start
    /// of each merge to the end of its commit, in nanoseconds: the writer was held that long.
    /// Read through ``statistics()``.
    var dedupMerges: (count: UInt64, nanoseconds: UInt64) {
        (dedupMergeCount.load(ordering: .relaxed), dedupMergeNanoseconds.load(ordering: .relaxed))
    }

    /// Registers `observer`, called after every commit on the store's answer thread (or, for a
    /// small batch while that thread is idle, on the writer thread), in commit order, after the
    /// commit's own operations were answered. Keep it short and never wait for the store: it
    /// delays the answers of later commits.
    /// - Returns: a token for `removeCommitObserver(_:)`.
    public func addCommitObserver(_ observer: @escaping @Sendable (StoreCommit) -> Void) -> UInt64 {
        let id = nextObserverID.add(1, ordering: .relaxed).newValue
        commitObservers.withLock { $0[id] = observer }
        return id
    }

    /// Removes an observer registered with `addCommitObserver(_:)`.
    public func removeCommitObserver(_ token: UInt64) {
        _ = commitObservers.withLock { $0.removeValue(forKey: token) }
    }

    /// Runs `body` in a short read transaction, safe against a concurrent map resize.
    func read<Result>(_ body: (borrowing ReadTransaction) throws -> Result) throws -> Result {
        try resizeLock.withReadLock {
            guard !isClosed.load(ordering: .acquiring) else {
                throw StoreError(code: .closed, message: "the store is closed")
            }
            return try environment.read(body)
        }
    }

    private static func recoverState(_ txn: borrowing WriteTransaction, schema: StoreSchema, names: NameTable) throws -> WriterState {
        let lastSequence = try txn.withCursor(schema.log) { cursor in
            try cursor.last().map { $0.key.bigEndianUInt64(at: 0) } ?? 0
        }
        let auditCount = try txn.withCursor(schema.audit) { cursor in
            try cursor.last().map { $0.key.bigEndianUInt64(at: 0) + 1 } ?? 0
        }
        let lastIndexedTime = try txn.withCursor(schema.timeIndex) { cursor in
            try cursor.last().map { $0.key.bigEndianUInt64(at: 0) } ?? 0
        }
        // The time index is sparse: the last event's receive time is the latest a batch used.
        let lastEventTime = try txn.withCursor(schema.log) { cursor in
            try cursor.last().map { EventView(sequence: 0, record: $0.value).receivedAt } ?? 0
        }
        var lastIDs: [NameTable.Kind: UInt32] = [:]
        for kind in NameTable.Kind.allCases {
            lastIDs[kind] = names.lastID(kind: kind)
        }
        let frontier = try MerkleFrontier.load(treeSize: auditCount, nodes: StoredMerkleNodes(transaction: txn.handle, schema: schema))
        return WriterState(
            nextSequence: lastSequence + 1, nextAuditIndex: auditCount, lastBatchTime: max(lastIndexedTime, lastEventTime),
            lastIndexedTime: lastIndexedTime, lastIDs: lastIDs, frontier: frontier)
    }

    // MARK: Writing

    /// Queues `body` for the writer and returns its result after the commit.
    func perform<Result: Sendable>(_ body: @escaping (inout BatchContext) throws -> Result) async throws -> Result {
        let box = ResultBox<Result>()
        return try await withUnsafeThrowingContinuation { continuation in
            writer.submit(
                .mutation(
                    Mutation(
                        apply: { context in box.value = try body(&context) },
                        finish: { error in
                            if let error {
                                continuation.resume(throwing: error)
                            } else {
                                continuation.resume(returning: box.value!)
                            }
                        })))
        }
    }

    func submitAppend(_ requests: [PreparedAppend]) async throws -> [AppendResult] {
        try await withUnsafeThrowingContinuation { continuation in
            writer.submit(.append(requests, .task(continuation)))
        }
    }

    /// Queues a change without waiting for it: `completion` runs where answers run (see
    /// `CommitAnswerer`) after the transaction that holds it committed (`nil`), or with the
    /// error that kept it out.
    func submit(_ body: @escaping (inout BatchContext) throws -> Void, completion: @escaping @Sendable ((any Error)?) -> Void) {
        writer.submit(.mutation(Mutation(apply: body, finish: completion)))
    }

    func submitAppend(_ requests: [PreparedAppend], _ completion: AppendCompletion) {
        writer.submit(.append(requests, completion))
    }

    /// Applies and commits one batch on the writer thread, then answers every operation in it.
    private func process(_ batch: [PendingWrite]) {
        var active = batch[...]
        var results: [[AppendResult]] = []
        results.reserveCapacity(batch.count)
        attempts: while !active.isEmpty {
            // Entries of an attempt that did not commit (this batch's, or a failed one before it).
            dedupCache.rollback()
            results.removeAll(keepingCapacity: true)
            let start = writerState.withLock { $0 }
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
                txn: txn, schema: schema, names: names, tree: auditTree, state: start, time: time, record: record)
            var failure: (index: Int, error: any Error)?
            var environmentError: LMDBError?
            for index in active.indices {
                do {
                    switch active[index] {
                    case .append(let requests, _):
                        results.append(try applyAppend(requests, &context))
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
                if environmentError.isTransactionFull, active.count > 1 {
                    let half = active.count / 2
                    process(Array(active[active.startIndex..<active.startIndex + half]))
                    active.removeFirst(half)
                    continue attempts
                }
                fail(active, mapped(environmentError))
                return
            }
            var merged = false
            var mergeStarted: UInt64 = 0
            var mergedEntries = 0
            if dedupCache.shouldMerge {
                do {
                    mergeStarted = monotonicNanoseconds()
                    mergedEntries = dedupCache.recent.count
                    let skipped = try dedupCache.merge(through: context.state.nextSequence - 1, txn: &context.txn, schema: schema)
                    if skipped > 0 {
                        logger.warning(
                            "deduplication entries with keys over LMDB's limit left out of the index",
                            metadata: ["entries": "\(skipped)", "limit_bytes": "\(InputBounds.maxKeyBytes)"])
                    }
                    merged = true
                } catch let error as LMDBError {
                    context.txn.abort()
                    if error.isMapFull, growMap() { continue attempts }
                    fail(active, mapped(error))
                    return
                } catch {
                    context.txn.abort()
                    fail(active, StoreError.storage(error, "merging deduplication entries failed"))
                    return
                }
            }
            let state = context.state
            let added = context.addedNames
            let routedConsumers = context.routedConsumers
            let commitStarted = monotonicNanoseconds()
            applyNanoseconds.add(commitStarted - applyStarted, ordering: .relaxed)
            var commitDuration: UInt64 = 0
            do {
                defer { writerCPUNanoseconds.add(threadCPUNanoseconds() &- cpuStarted, ordering: .relaxed) }
                try context.txn.commit()
                commitDuration = monotonicNanoseconds() - commitStarted
                commitNanoseconds.add(commitDuration, ordering: .relaxed)
            } catch let error as LMDBError {
                if error.isMapFull, growMap() { continue attempts }
                fail(active, mapped(error))
                return
            } catch {
                fail(active, StoreError.storage(error, "commit failed"))
                return
            }
            names.didCommit(added)
            dedupCache.didCommit(merged: merged)
            if merged { recordMerge(entries: mergedEntries, nanoseconds: commitStarted - mergeStarted + commitDuration) }
            commitCount.add(1, ordering: .relaxed)
            committedOperationCount.add(UInt64(active.count), ordering: .relaxed)
            var committed = state
            committed.lastBatchTime = time
            writerState.withLock { $0 = committed }
            let appended = committed.nextSequence - 1 > committedSequence.load(ordering: .relaxed)
            committedSequence.store(committed.nextSequence - 1, ordering: .releasing)
            committedAuditCount.store(committed.nextAuditIndex, ordering: .releasing)
            let answered = active
            let answers = results
            let observers = commitObservers.withLock { Array($0.values) }
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

    /// A deduplication merge whose commit ended this long after the merge began is logged at
    /// notice level: every publish queued behind it waited as long (architecture.md,
    /// Deduplication without a time window).
    static let slowMergeNanoseconds: UInt64 = 100_000_000

    /// Counts a committed deduplication merge and logs it: at debug level, or at notice level
    /// when it held the writer for ``slowMergeNanoseconds`` or longer.
    private func recordMerge(entries: Int, nanoseconds: UInt64) {
        dedupMergeCount.add(1, ordering: .relaxed)
        dedupMergeNanoseconds.add(nanoseconds, ordering: .relaxed)
        let metadata: Logger.Metadata = ["entries": "\(entries)", "milliseconds": "\(nanoseconds / 1_000_000)"]
        if nanoseconds >= Self.slowMergeNanoseconds {
            logger.notice("deduplication merge held the writer; publishes waited for it", metadata: metadata)
        } else {
            logger.debug("deduplication entries merged into the index", metadata: metadata)
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

    private func mapped(_ error: LMDBError) -> StoreError {
        if error.isMapFull {
            return StoreError(
                code: .storeFull,
                message: "the store reached its maximum size of \(configuration.maxMapSize >> 20) MiB "
                    + "(store max_map_size); nothing was written. Raise the maximum or archive old data",
                underlying: error.description)
        }
        return StoreError(code: .storage, message: "the write failed; nothing was written", underlying: error.description)
    }

    /// Doubles the map, up to the configured maximum. Returns `false` when already at it.
    private func growMap() -> Bool {
        let current = environment.info().mapSize
        guard current < configuration.maxMapSize else { return false }
        let target = min(configuration.maxMapSize, current * 2)
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

/// What one group commit did, for observers (delivery wake-ups, metrics).
public struct StoreCommit: Sendable, Equatable {
    /// The last event sequence after the commit.
    public var lastSequence: UInt64
    /// Whether the commit appended events.
    public var appendedEvents: Bool
    /// Operations (appends, acks, subscription changes, audit entries) in the commit.
    public var operations: Int
    /// How long `mdb_txn_commit` took, fsync included, in nanoseconds.
    public var durationNanoseconds: UInt64
    /// The departments that got new inbox entries in the commit: whose waiting pulls may now
    /// find something.
    public var routedConsumers: Set<String>
}

/// Carries a mutation's result from the writer thread to its caller.
final class ResultBox<Value>: @unchecked Sendable {
    var value: Value?
}
