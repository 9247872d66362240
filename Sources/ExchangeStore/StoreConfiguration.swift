public import ExchangeAudit

/// Settings of the exchange store. Every field has a documented default.
public struct StoreConfiguration: Sendable, Equatable {
    /// The data directory; created if missing. Holds `data.mdb` and `lock.mdb`.
    public var directory: String
    /// The memory map's size when the store is created, in bytes. Default 1 GiB.
    public var initialMapSize: Int
    /// The largest the map may grow to, in bytes. When a write would need more, it is refused
    /// with `store.full` and nothing of it is written. Default 64 GiB.
    public var maxMapSize: Int
    /// The most queued operations applied in one write transaction (one group commit).
    /// Default 4,096.
    public var maxBatchOperations: Int
    /// The most concurrent read transactions. Default 256.
    public var maxReaders: UInt32
    /// How many recent deduplication entries are kept in memory before they are frozen and
    /// written to disk as one sorted run, a part per commit. Larger values mean fewer runs to
    /// merge and more memory (two sets at most: the recent and the frozen); the entries not yet
    /// in a complete run are rebuilt from the log when the store opens. Default 65,536.
    public var dedupMergeThreshold: Int
    /// How long a repeat of (publisher, message id) is recognised at least, after its original
    /// was stored; `nil` (the default): forever. The index drops an entry between this long and
    /// about 1.25 times this long after its event was stored (whole runs of entries are pruned,
    /// and merges join only runs within a quarter of it), so its memory (1.25 bytes per entry)
    /// and disk follow the events of one horizon, not every event ever published. A repeat that
    /// comes later is stored as a new event. At least a second; the store refuses to open
    /// with a shorter one (`store.open_failed`).
    public var dedupHorizon: Duration?
    /// The entries the deduplication index writes or deletes in a commit at least, when it has
    /// work (a run to write, runs to merge or delete); a commit may do 16 more per new event it
    /// appends. Bounds the time a commit spends on the index, whatever its size. Default 1,024.
    public var dedupStepEntries: Int
    /// The hash function of the audit log's Merkle tree: SHA-256 (default) or SM3. Fixed when the
    /// store is created.
    public var auditHash: HashAlgorithm
    /// How many events, or audit entries, the index tail holds before the writer merges it into
    /// the index databases (topic index, inboxes, audit references, Merkle nodes) in one
    /// commit. Until then a commit writes the log and the entries that are not derived from it,
    /// and readers find the rest in memory; the tail is rebuilt from the log when the store
    /// opens. Smaller values mean shorter merges, larger ones fewer page writes per event.
    /// Default 2,048.
    public var indexMergeThreshold: Int
    /// The bytes below ``maxMapSize`` kept from publishes for acknowledgements, deliveries and
    /// audit entries, so that a full store still serves its consumers (``StoreMapLimits``);
    /// `nil` for the default, an eighth of the maximum, at most 1 GiB.
    public var publishReserve: Int?
    /// The watermark file (`store.watermark`), on another disk than the store: ceilings above
    /// every sequence and audit index handed out, and the latest checkpoint, written durably
    /// before the commits that need them (``WatermarkRecord``). `nil` (the default): none, and
    /// a store rolled back by hand is not found; a restore by `exchangectl restore` still is.
    public var watermarkPath: String?
    /// How far ahead the watermark's ceilings are raised, in sequences and audit indices; the
    /// file is written again when half of it is used. Default 10,000.
    public var watermarkBlock: UInt64 = 10_000
    /// Whether the operator acknowledged that the store was restored or rolled back
    /// (`exchanged --acknowledge-rollback`): the store then opens instead of refusing with
    /// `store.rolled_back`, and ``ExchangeStore/openEpoch(actor:reason:)`` must be called before
    /// anything else is written.
    public var acknowledgeRollback = false
    /// How long a few subscribers' bookkeeping operations (delivery records, acknowledgements)
    /// queued with no publish wait for one to commit with, while publishes flow: they then cost
    /// no commit of their own (two flushes). Nothing is answered before its commit, so an
    /// acknowledgement's answer may come this much later. Zero: they never wait. Default 1 ms.
    public var bookkeepingLinger: Duration = .milliseconds(1)

    /// The map's limits these settings give.
    public var mapLimits: StoreMapLimits { StoreMapLimits(maxMapSize: maxMapSize, publishReserve: publishReserve) }

    /// Creates a configuration.
    /// - Parameters:
    ///   - directory: the data directory.
    ///   - initialMapSize: initial map size in bytes (default 1 GiB).
    ///   - maxMapSize: maximum map size in bytes (default 64 GiB).
    ///   - maxBatchOperations: operations per group commit at most (default 4,096).
    ///   - maxReaders: concurrent readers at most (default 256).
    ///   - dedupMergeThreshold: recent dedup entries held before they are written as a run
    ///     (default 65,536).
    ///   - dedupStepEntries: dedup entries written or deleted per commit at least (default 1,024).
    ///   - auditHash: the audit tree's hash function (default SHA-256).
    ///   - indexMergeThreshold: events or audit entries held in the index tail before a merge
    ///     (default 2,048).
    ///   - publishReserve: bytes below the maximum kept from publishes (default: an eighth of
    ///     the maximum, at most 1 GiB).
    public init(
        directory: String,
        initialMapSize: Int = 1 << 30,
        maxMapSize: Int = 64 << 30,
        maxBatchOperations: Int = 4096,
        maxReaders: UInt32 = 256,
        dedupMergeThreshold: Int = 65_536,
        dedupStepEntries: Int = 1_024,
        auditHash: HashAlgorithm = .sha256,
        indexMergeThreshold: Int = 2048,
        publishReserve: Int? = nil
    ) {
        self.directory = directory
        self.initialMapSize = initialMapSize
        self.maxMapSize = max(maxMapSize, initialMapSize)
        self.maxBatchOperations = max(1, maxBatchOperations)
        self.maxReaders = maxReaders
        self.dedupMergeThreshold = max(1, dedupMergeThreshold)
        self.dedupStepEntries = max(1, dedupStepEntries)
        self.auditHash = auditHash
        self.indexMergeThreshold = max(1, indexMergeThreshold)
        self.publishReserve = publishReserve
    }
}
