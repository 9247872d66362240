public import ExchangeAudit
public import ExchangeStore
public import Foundation
public import Logging
import Synchronization

/// Signs checkpoints of the audit log and keeps each one in the store.
///
/// A checkpoint is issued when `everyEntries` entries were appended since the last one, when
/// `interval` passed and the log grew, when the log has no checkpoint at all, and once more at
/// shutdown (``issue()``); but never sooner than `minimumInterval` after the previous one, so
/// that the number of checkpoints follows time, not traffic. It states the size and root hash of the committed tree, is signed
/// as a C2SP signed note with the log's key, and is answered to auditors only after the
/// transaction that keeps it committed.
///
/// ```swift
/// let issuer = try await CheckpointIssuer(store: store, signer: NoteSigner(name: origin, key: key), configuration: .init())
/// try await issuer.run()      // until the task is cancelled
/// _ = try await issuer.issue() // a final checkpoint at shutdown
/// ```
public actor CheckpointIssuer {
    /// When checkpoints are issued.
    public struct Configuration: Sendable, Equatable {
        /// Issue once this many entries were appended since the last checkpoint. Default 1,000.
        public var everyEntries: UInt64
        /// Issue when this much time passed since the last checkpoint and the log grew.
        /// Default 60 seconds.
        public var interval: Duration
        /// The least time between two checkpoints while running, however fast the log grows.
        /// Default 1 second; `.zero` issues as soon as ``everyEntries`` is reached.
        public var minimumInterval: Duration
        /// How often the issuer looks at the log's size. Default 50 milliseconds.
        public var pollInterval: Duration

        /// Creates a configuration.
        /// - Parameters:
        ///   - everyEntries: entries between checkpoints at most (default 1,000; at least 1).
        ///   - interval: time between checkpoints of a growing log at most (default 60 s).
        ///   - minimumInterval: time between checkpoints at least (default 1 s).
        ///   - pollInterval: how often the log's size is looked at (default 50 ms).
        public init(
            everyEntries: UInt64 = 1000, interval: Duration = .seconds(60), minimumInterval: Duration = .seconds(1),
            pollInterval: Duration = .milliseconds(50)
        ) {
            self.everyEntries = max(1, everyEntries)
            self.interval = interval
            self.minimumInterval = max(.zero, minimumInterval)
            self.pollInterval = pollInterval
        }
    }

    /// The store whose audit log is checkpointed.
    public nonisolated let store: any ExchangeStoreContract
    /// The log's first signer; its name is the checkpoints' origin.
    public nonisolated var signer: NoteSigner { signers[0] }
    /// Every key that signs each checkpoint, one signature line each, in this order: during a
    /// key rotation the old and the new key, or an Ed25519 and an SM2 key side by side. All
    /// carry the origin as their name.
    public nonisolated let signers: [NoteSigner]
    /// When checkpoints are issued.
    public nonisolated let configuration: Configuration
    private let logger: Logger
    private var lastSize: UInt64?
    private var lastIssued: ContinuousClock.Instant
    private nonisolated let issuedRecord: Mutex<(at: Date, treeSize: UInt64?)>

    /// Creates an issuer; reads the size of the last kept checkpoint.
    /// - Parameters:
    ///   - store: the store.
    ///   - signer: the log's key, named by the log's origin.
    ///   - configuration: when to issue.
    ///   - logger: where issued checkpoints are logged (info) and failures (error).
    public init(store: any ExchangeStoreContract, signer: NoteSigner, configuration: Configuration, logger: Logger = Logger(label: "exchange.audit")) throws {
        try self.init(store: store, signers: [signer], configuration: configuration, logger: logger)
    }

    /// Creates an issuer whose checkpoints carry one signature of each key; reads the size of
    /// the last kept checkpoint.
    /// - Parameters:
    ///   - store: the store.
    ///   - signers: one or more keys, all named by the log's origin.
    ///   - configuration: when to issue.
    ///   - logger: where issued checkpoints are logged (info) and failures (error).
    /// - Throws: ``AuditError`` when `signers` is empty or its names differ.
    public init(
        store: any ExchangeStoreContract, signers: [NoteSigner], configuration: Configuration, logger: Logger = Logger(label: "exchange.audit")
    ) throws {
        guard let first = signers.first else { throw AuditError(.malformedKey, "a checkpoint issuer needs at least one signing key") }
        guard signers.allSatisfy({ $0.name == first.name }) else {
            throw AuditError(.malformedKey, "every checkpoint signing key carries the log's origin as its name")
        }
        self.store = store
        self.signers = signers
        self.configuration = configuration
        self.logger = logger
        self.lastSize = try store.latestCheckpoint()?.treeSize
        self.lastIssued = .now
        self.issuedRecord = Mutex((Date(), lastSize))
    }

    /// How current the signed checkpoints are, for `exchange_audit_checkpoint_age_seconds` and
    /// `exchange_audit_uncheckpointed_entries`: the seconds since this issuer last issued one
    /// (since it was created, when the kept checkpoint already covered the log then), and the
    /// audit entries the latest checkpoint does not cover.
    public nonisolated func currency(now: Date = Date()) -> (ageSeconds: Double, uncheckpointedEntries: UInt64) {
        let (at, treeSize) = issuedRecord.withLock { $0 }
        let count = store.auditCount
        let covered = treeSize ?? 0
        return (max(0, now.timeIntervalSince(at)), count > covered ? count - covered : 0)
    }

    /// The C2SP verifier key of the log (`<origin>+<key id>+<base64 key>`): what auditors pin.
    public nonisolated var verifierKey: String {
        get throws { try signer.verifier.verifierKey }
    }

    /// The C2SP verifier keys of every signing key, in signing order.
    public nonisolated var verifierKeys: [String] {
        get throws { try signers.map { try $0.verifier.verifierKey } }
    }

    /// Signs and keeps a checkpoint of the committed log now, unless the last one already has
    /// its size.
    /// - Returns: the checkpoint kept, or `nil` when the log did not grow.
    @discardableResult
    public func issue() async throws -> StoredCheckpoint? {
        let size = store.auditCount
        if let lastSize, lastSize >= size { return nil }
        let root = try store.auditRoot(treeSize: size)
        let checkpoint = try Checkpoint(
            origin: signer.name, treeSize: size, rootHash: root, hashAlgorithm: store.auditHash)
        let note = try checkpoint.signed(by: signers).serialized
        let stored = StoredCheckpoint(treeSize: size, note: note)
        try await store.saveCheckpoint(stored)
        lastSize = size
        lastIssued = .now
        issuedRecord.withLock { $0 = (Date(), size) }
        logger.info("audit checkpoint issued", metadata: ["tree_size": "\(size)", "root": "\(root.base64)"])
        return stored
    }

    /// Whether a checkpoint is due now.
    private func isDue() -> Bool {
        let size = store.auditCount
        guard let lastSize else { return true }
        guard size > lastSize, ContinuousClock.now - lastIssued >= configuration.minimumInterval else { return false }
        return size - lastSize >= configuration.everyEntries || ContinuousClock.now - lastIssued >= configuration.interval
    }

    /// The longest wait before a failed checkpoint is tried again: 30 seconds.
    public static let maximumRetryDelay = Duration.seconds(30)

    /// Issues checkpoints as they fall due until the calling task is cancelled. A failed issue
    /// is logged and tried again after a wait that doubles with each failure in a row, from
    /// twice the poll interval up to ``maximumRetryDelay``: a store that keeps refusing (full,
    /// closed, a disk error) gets a few attempts and log lines a minute, not twenty a second.
    public func run() async {
        var failures = 0
        var nextAttempt = ContinuousClock.now
        while !Task.isCancelled {
            if ContinuousClock.now >= nextAttempt, isDue() {
                do {
                    try await issue()
                    failures = 0
                } catch {
                    failures += 1
                    let delay = Self.retryDelay(afterFailures: failures, pollInterval: configuration.pollInterval)
                    nextAttempt = .now + delay
                    logger.error(
                        "audit checkpoint not issued",
                        metadata: [
                            "error": "\(error)", "failures_in_a_row": "\(failures)",
                            "retry_in_ms": "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)",
                        ])
                }
            }
            try? await Task.sleep(for: configuration.pollInterval)
        }
    }

    /// The wait after `failures` failed attempts in a row: the poll interval doubled that many
    /// times, at most ``maximumRetryDelay``.
    static func retryDelay(afterFailures failures: Int, pollInterval: Duration) -> Duration {
        var delay = max(pollInterval, .milliseconds(1))
        for _ in 0..<min(failures, 40) where delay < maximumRetryDelay { delay *= 2 }
        return min(delay, maximumRetryDelay)
    }
}
