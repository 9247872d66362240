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

    /// Creates a configuration.
    /// - Parameters:
    ///   - directory: the data directory.
    ///   - initialMapSize: initial map size in bytes (default 1 GiB).
    ///   - maxMapSize: maximum map size in bytes (default 64 GiB).
    ///   - maxBatchOperations: operations per group commit at most (default 4,096).
    ///   - maxReaders: concurrent readers at most (default 256).
    public init(
        directory: String,
        initialMapSize: Int = 1 << 30,
        maxMapSize: Int = 64 << 30,
        maxBatchOperations: Int = 4096,
        maxReaders: UInt32 = 256
    ) {
        self.directory = directory
        self.initialMapSize = initialMapSize
        self.maxMapSize = max(maxMapSize, initialMapSize)
        self.maxBatchOperations = max(1, maxBatchOperations)
        self.maxReaders = maxReaders
    }
}
