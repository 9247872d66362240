public import ExchangeAudit
import ExchangeModel
import Foundation
public import Logging
import LMDB
import Synchronization

/// The exchange's durable state in one LMDB environment: the message log and its indexes,
/// deduplication, consumer inboxes, durable subscriptions and the audit log.
///
/// Writes are queued to one writer thread (``GroupCommitLoop``), which applies every operation
/// waiting in one write transaction (group commit); each caller is answered only after `mdb_txn_commit` returned with
/// LMDB's default durability (fsync), on a second thread (`CommitAnswerer`), so that answering
/// one batch overlaps the next transaction. Reads run in short read transactions on the caller's
/// thread and never across an `await`. The engine uses it through ``ExchangeStoreContract``,
/// whose guarantees it keeps.
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
    /// The index entries committed since the last merge (see ``IndexTail``).
    let indexTail: IndexTail
    /// The audit log's Merkle tree hashing (RFC 9162), with the store's hash algorithm.
    public let auditTree: MerkleTree
    /// The single writer: group commit, its state and its counters.
    let writer: GroupCommitLoop
    /// Decoded subscription definitions (delivery rounds and settlements read them constantly).
    let subscriptionRecords = SubscriptionRecordCache()
    /// The watermark file, when `store.watermark` names one.
    let watermark: Watermark?
    /// Why the store is behind what it once held, while a new epoch is not opened yet.
    let rollback: Mutex<RollbackFinding?>
    private let closed = Atomic<Bool>(false)
    private let readTransactionCount = Atomic<UInt64>(0)
    /// At least the highest sequence retention removed (0 when none was): raised by a retention
    /// step before it commits, so a delivery round whose position is above it knows, without a
    /// read, that it passes no removal.
    let removedThrough = Atomic<UInt64>(0)

    /// Opens the store in `configuration.directory`, creating it if needed.
    /// - Parameters:
    ///   - configuration: directory, map sizes and limits.
    ///   - logger: where the store reports map growth (info), upgrades and deduplication steps
    ///     that held the writer 100 ms or more (notice), and failures (error).
    /// - Throws: `StoreError` with code `store.unsupported_format` for a store of another format
    ///   version, `store.open_failed` when the directory or environment cannot be opened.
    public init(configuration: StoreConfiguration, logger: Logger = Logger(label: "exchange.store")) throws {
        self.configuration = configuration
        self.logger = logger
        if let horizon = configuration.dedupHorizon, horizon < .seconds(1) {
            throw StoreError(code: .openFailed, message: "the deduplication horizon must be at least a second, not \(horizon)")
        }
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
        Self.removeBackupCopies(in: configuration.directory, logger: logger, reason: "left by a process that stopped while taking or sending a backup")
        let watermark = try configuration.watermarkPath.map { try Watermark(path: $0, block: configuration.watermarkBlock) }
        self.watermark = watermark
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
        let dedupCache = DedupCache(
            threshold: configuration.dedupMergeThreshold, stepEntries: configuration.dedupStepEntries,
            horizon: configuration.dedupHorizon.map { UInt64($0.components.seconds) })
        self.dedupCache = dedupCache
        self.auditTree = MerkleTree(algorithm: configuration.auditHash)
        let auditTree = self.auditTree
        let opened: (StoreSchema, WriterState, IndexTail, RollbackFinding?)
        do {
            opened = try environment.write { txn -> (StoreSchema, WriterState, IndexTail, RollbackFinding?) in
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
                if try AgreementRouteCounts.countInboxOnce(&txn, schema: schema), previous != 0 {
                    logger.notice("store: routes per agreement counted from the inboxes", metadata: ["directory": "\(configuration.directory)"])
                }
                let recovered = try IndexTail.recover(
                    txn, schema: schema, names: names, tree: auditTree, threshold: configuration.indexMergeThreshold)
                let state = try WriterState(recovering: txn, schema: schema, names: names, recovered: recovered)
                try TopicCounts.countIfNeeded(&txn, schema: schema)
                if let pruned = try dedupCache.loadRuns(&txn, schema: schema) {
                    logger.info(
                        "deduplication entries past the horizon pruned",
                        metadata: [
                            "entries": "\(pruned.entries)", "stored_by_unix": "\(pruned.newest)",
                            "horizon_seconds": "\(dedupCache.horizon ?? 0)", "when": "opening",
                        ])
                }
                try dedupCache.rebuild(txn, schema: schema, names: names)
                let finding = try RollbackFinding.detect(txn, schema: schema, state: state, watermark: watermark?.record)
                if let finding, !configuration.acknowledgeRollback {
                    throw StoreError(code: .rolledBack, message: finding.refusal(directory: configuration.directory))
                }
                return (schema, state, recovered.tail, finding)
            }
        } catch {
            environment.close()
            throw StoreError.storage(error, "cannot open the store in \(configuration.directory)")
        }
        self.schema = opened.0
        self.indexTail = opened.2
        self.rollback = Mutex(opened.3)
        if let finding = opened.3 {
            logger.warning(
                "store rolled back; acknowledged: a new epoch opens",
                metadata: ["directory": "\(configuration.directory)", "finding": "\(finding.summary)"])
        }
        // Started after everything that can throw, so a failed open leaves no thread behind.
        self.writer = GroupCommitLoop(
            environment: environment, schema: opened.0, names: names, tree: auditTree, dedupCache: dedupCache,
            indexTail: opened.2, resizeLock: resizeLock, state: opened.1, maxBatch: configuration.maxBatchOperations,
            limits: configuration.mapLimits, watermark: watermark,
            lingerNanoseconds: UInt64(clamping: configuration.bookkeepingLinger.components.seconds) &* 1_000_000_000
                &+ UInt64(clamping: configuration.bookkeepingLinger.components.attoseconds / 1_000_000_000), logger: logger)
        do {
            try backfillAuditFilters()
        } catch {
            close(mergingIndexes: false)
            throw StoreError.storage(error, "cannot index the audit log of the store in \(configuration.directory)")
        }
        do {
            try moveRegistryHistories()
        } catch {
            close(mergingIndexes: false)
            throw StoreError.storage(error, "cannot move the registry histories of the store in \(configuration.directory)")
        }
        do {
            noteRemoved(through: try highestExpiredSequence())
        } catch {
            close(mergingIndexes: false)
            throw StoreError.storage(error, "cannot read the removals of the store in \(configuration.directory)")
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
        close(mergingIndexes: true)
    }

    /// Closes the store; without `mergingIndexes`, the index tail is left for the next open to
    /// rebuild from the log, as after a crash.
    package func close(mergingIndexes: Bool) {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        writer.stop(mergingIndexes: mergingIndexes)
        resizeLock.withWriteLock { environment.close() }
        directoryLock.release()
        logger.info("store closed", metadata: ["directory": "\(configuration.directory)"])
    }

    /// The sequence of the last committed event; 0 when the log is empty.
    public var lastSequence: UInt64 { writer.lastSequence }

    /// The map's maximum size and publish limit in force (``StoreMapLimits``).
    public var mapLimits: StoreMapLimits { writer.mapLimits }

    /// Changes the map's maximum size and publish reserve while the store runs (a
    /// configuration reload). Takes effect with the next write: a larger maximum lets the map
    /// grow further, on the writer thread between two transactions with reads held off (LMDB's
    /// `mdb_env_set_mapsize` needs no transaction open in the process), and publishes refused
    /// as `store.full` are taken again once under the new publish limit. A smaller maximum
    /// stops growth and lowers the limit; the map is never shrunk.
    /// - Parameter limits: the new limits.
    public func setMapLimits(_ limits: StoreMapLimits) {
        let old = writer.mapLimits
        writer.setLimits(limits)
        if old != limits {
            logger.notice("store limits changed", metadata: ["from": "\(old)", "to": "\(limits)"])
        }
    }

    /// Whether the store refuses publishes now (the data in the map reached the publish limit,
    /// ``StoreMapLimits``), as the writer found at its last batch that held publishes.
    public var isRefusingPublishes: Bool { writer.isRefusingPublishes }

    /// Operations queued for the writer or being applied by it; 0 when it is idle.
    public var writerBacklog: Int { writer.backlog }

    /// The number of committed audit entries.
    public var auditCount: UInt64 { writer.auditCount }

    /// Write transactions committed since the store was opened.
    public var commits: UInt64 { writer.statistics.commits }

    /// Operations (appends, acks, subscription changes) committed since the store was opened;
    /// divided by `commits`, the mean group-commit batch size.
    public var committedOperations: UInt64 { writer.statistics.operations }

    /// Time the writer spent applying operations and committing (fsync included), and the CPU
    /// time (user and system) its thread used over those same spans, in nanoseconds since the
    /// store was opened. CPU close to the busy time means commits cost computing (LMDB, the
    /// kernel writing pages back); far below it, the writer waits for the disk.
    public var writerTime: (applying: UInt64, committing: UInt64, cpu: UInt64) { writer.statistics.time }

    /// Registers `observer`, called after every commit on the store's answer thread (or, for a
    /// small batch while that thread is idle, on the writer thread), in commit order, after the
    /// commit's own operations were answered. Keep it short and never wait for the store: it
    /// delays the answers of later commits.
    /// - Returns: a token for `removeCommitObserver(_:)`.
    public func addCommitObserver(_ observer: @escaping @Sendable (StoreCommit) -> Void) -> UInt64 {
        writer.addCommitObserver(observer)
    }

    /// Removes an observer registered with `addCommitObserver(_:)`.
    public func removeCommitObserver(_ token: UInt64) {
        writer.removeCommitObserver(token)
    }

    /// Runs `body` in a short read transaction, safe against a concurrent map resize.
    func read<Result>(_ body: (borrowing ReadTransaction) throws -> Result) throws -> Result {
        try resizeLock.withReadLock {
            guard !isClosed else {
                throw StoreError(code: .closed, message: "the store is closed")
            }
            countReadTransaction()
            return try environment.read(body)
        }
    }

    /// Runs `body` in a short read transaction with the index tail as it was just before the
    /// transaction began (see ``IndexTail``): what reads of the topic index, the inboxes, the
    /// audit log and its tree need.
    func readIndexed<Result>(_ body: (borrowing ReadTransaction, IndexTail.View) throws -> Result) throws -> Result {
        let tail = indexTail.view
        return try read { txn in try body(txn, tail) }
    }

    /// Whether ``close()`` was called.
    var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// Read transactions begun since the store was opened: what tests count to show that an
    /// operation reads one snapshot.
    package var readTransactions: UInt64 { readTransactionCount.load(ordering: .relaxed) }

    func countReadTransaction() {
        readTransactionCount.add(1, ordering: .relaxed)
    }

    // MARK: Writing

    /// Queues `body` for the writer and returns its result after the commit.
    /// `bookkeeping` marks a subscription's delivery record or acknowledgement, which the writer
    /// commits after the other writes queued beside it.
    func perform<Result: Sendable>(
        bookkeeping: Bool = false, readsAudit: Bool = false, _ body: @escaping (inout BatchContext) throws -> Result
    ) async throws -> Result {
        try await writer.perform(bookkeeping: bookkeeping, readsAudit: readsAudit, body)
    }

    func submitAppend(_ requests: [PreparedAppend]) async throws -> [AppendResult] {
        try await writer.append(requests)
    }

    /// Queues a change without waiting for it: `completion` runs where answers run (see
    /// `CommitAnswerer`) after the transaction that holds it committed (`nil`), or with the
    /// error that kept it out.
    func submit(
        bookkeeping: Bool = false, _ body: @escaping (inout BatchContext) throws -> Void, completion: @escaping @Sendable ((any Error)?) -> Void
    ) {
        writer.submit(.mutation(Mutation(apply: body, finish: completion, isBookkeeping: bookkeeping)))
    }

    func submitAppend(_ requests: [PreparedAppend], _ completion: AppendCompletion) {
        writer.submit(.append(requests, completion))
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
