import CLMDB

/// An open LMDB environment: one memory-mapped file holding named databases.
///
/// The environment is always opened with `MDB_NOTLS` (read transactions are not tied to a
/// thread) and with LMDB's default durability: a write transaction's commit returns only after
/// its pages and the meta page were flushed with `fdatasync`.
///
/// ```swift
/// let env = try Environment(path: "/var/lib/exchange", configuration: .init(mapSize: 1 << 30))
/// let db = try env.write { txn in try txn.openDatabase("log", flags: .create) }
/// try env.write { txn in try txn.put(db, key: [1], value: [2]) }
/// let value = try env.read { txn in try txn.get(db, key: [1]) }
/// ```
public final class Environment: @unchecked Sendable {
    /// Settings used when opening an environment.
    public struct Configuration: Sendable {
        /// Initial size of the memory map in bytes; rounded up to whole pages. Default 1 GiB.
        public var mapSize: Int
        /// The most named databases the environment may hold. Default 32.
        public var maxDatabases: UInt32
        /// The most concurrent read transactions. Default 256.
        public var maxReaders: UInt32
        /// Permission bits of newly created files. Default `0o600`.
        public var fileMode: UInt32

        /// Creates a configuration; every parameter has the documented default.
        public init(
            mapSize: Int = 1 << 30,
            maxDatabases: UInt32 = 32,
            maxReaders: UInt32 = 256,
            fileMode: UInt32 = 0o600
        ) {
            self.mapSize = mapSize
            self.maxDatabases = maxDatabases
            self.maxReaders = maxReaders
            self.fileMode = fileMode
        }
    }

    /// The raw environment handle, for the rare call the wrapper does not cover.
    public let handle: OpaquePointer
    /// The directory holding `data.mdb` and `lock.mdb`.
    public let path: String
    private var isClosed = false

    /// Opens (or creates) the environment in the directory `path`, which must exist.
    /// - Parameters:
    ///   - path: an existing directory.
    ///   - configuration: map size and limits.
    /// - Throws: `LMDBError`; the handle is released on every failure path.
    public init(path: String, configuration: Configuration = .init()) throws {
        var env: OpaquePointer?
        try LMDBError.check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw LMDBError(code: MDB_PANIC, operation: "mdb_env_create") }
        do {
            try LMDBError.check(mdb_env_set_mapsize(env, configuration.mapSize), "mdb_env_set_mapsize")
            try LMDBError.check(mdb_env_set_maxdbs(env, configuration.maxDatabases), "mdb_env_set_maxdbs")
            try LMDBError.check(mdb_env_set_maxreaders(env, configuration.maxReaders), "mdb_env_set_maxreaders")
            let flags = UInt32(MDB_NOTLS)
            try LMDBError.check(mdb_env_open(env, path, flags, mdb_mode_t(configuration.fileMode)), "mdb_env_open(\(path))")
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.handle = env
        self.path = path
    }

    deinit {
        if !isClosed {
            mdb_env_close(handle)
        }
    }

    /// Closes the environment. Every transaction must have ended; the object must not be used after.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        mdb_env_close(handle)
    }

    /// Begins a read-only transaction. Prefer `read(_:)`, which cannot leak it.
    public func beginRead() throws -> ReadTransaction {
        try ReadTransaction(environment: handle)
    }

    /// Begins the write transaction. Only one may be open at a time in the whole environment.
    public func beginWrite() throws -> WriteTransaction {
        try WriteTransaction(environment: handle, parent: nil)
    }

    /// Runs `body` in a short read-only transaction, ended before this returns.
    /// - Parameter body: reads; byte buffers it sees are valid only inside it.
    public func read<Result>(_ body: (borrowing ReadTransaction) throws -> Result) throws -> Result {
        let txn = try beginRead()
        return try body(txn)
    }

    /// Runs `body` in a write transaction and commits it when `body` returns; aborts if it throws.
    /// - Parameter body: the writes.
    @discardableResult
    public func write<Result>(_ body: (inout WriteTransaction) throws -> Result) throws -> Result {
        var txn = try beginWrite()
        let result = try body(&txn)
        try txn.commit()
        return result
    }

    /// Size and use of the memory map.
    public struct Info: Sendable, Equatable {
        /// The current map size in bytes.
        public var mapSize: Int
        /// The bytes in use: (last used page + 1) × page size.
        public var usedBytes: Int
        /// The database page size.
        public var pageSize: Int
        /// The id of the last committed transaction.
        public var lastTransactionID: Int
    }

    /// The map size, the bytes used and the page size.
    public func info() -> Info {
        var info = MDB_envinfo()
        var stat = MDB_stat()
        mdb_env_info(handle, &info)
        mdb_env_stat(handle, &stat)
        let pageSize = Int(stat.ms_psize)
        return Info(
            mapSize: info.me_mapsize,
            usedBytes: (info.me_last_pgno + 1) * pageSize,
            pageSize: pageSize,
            lastTransactionID: info.me_last_txnid
        )
    }

    /// Changes the map size. No transaction of this process may be active during the call.
    /// - Parameter bytes: the new size; LMDB rounds it up to whole pages.
    public func setMapSize(_ bytes: Int) throws {
        try LMDBError.check(mdb_env_set_mapsize(handle, bytes), "mdb_env_set_mapsize")
    }

    /// Writes a consistent copy of the environment into the empty directory `path`, while
    /// readers and the writer go on (a hot backup).
    /// - Parameters:
    ///   - path: an existing, empty directory.
    ///   - compact: omit free pages and renumber them, producing a smaller file.
    public func copy(to path: String, compact: Bool = true) throws {
        let flags = compact ? UInt32(MDB_CP_COMPACT) : 0
        try LMDBError.check(mdb_env_copy2(handle, path, flags), "mdb_env_copy2(\(path))")
    }

    /// Removes stale reader slots left by processes that died; returns how many were cleared.
    @discardableResult
    public func clearStaleReaders() -> Int {
        var dead: Int32 = 0
        mdb_reader_check(handle, &dead)
        return Int(dead)
    }
}
