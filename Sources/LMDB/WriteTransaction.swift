import CLMDB

/// The environment's single write transaction. Commit it with `commit()`; if it goes out of scope
/// uncommitted, it is aborted and nothing it wrote remains.
public struct WriteTransaction: ~Copyable {
    /// The raw transaction handle.
    public let handle: OpaquePointer

    init(environment: OpaquePointer, parent: OpaquePointer?) throws {
        var txn: OpaquePointer?
        try LMDBError.check(mdb_txn_begin(environment, parent, 0, &txn), "mdb_txn_begin(write)")
        self.handle = txn!
    }

    deinit {
        mdb_txn_abort(handle)
    }

    /// Makes every write durable: returns after LMDB flushed the data and meta pages (fsync).
    /// On failure the transaction is aborted and nothing it wrote remains.
    public consuming func commit() throws {
        let rc = mdb_txn_commit(handle)
        discard self
        try LMDBError.check(rc, "mdb_txn_commit")
    }

    /// Discards every write of the transaction.
    public consuming func abort() {
        mdb_txn_abort(handle)
        discard self
    }

    /// Runs `body` in a nested transaction: its writes join this transaction if `body` returns and
    /// are undone if it throws, leaving this transaction as it was.
    @discardableResult
    public mutating func nested<Result>(_ body: (inout WriteTransaction) throws -> Result) throws -> Result {
        let environment = mdb_txn_env(handle)!
        var child = try WriteTransaction(environment: environment, parent: handle)
        let result = try body(&child)
        try child.commit()
        return result
    }

    /// Opens a named database, creating it with `.create`.
    public mutating func openDatabase(_ name: String?, flags: DatabaseFlags = []) throws -> Database {
        var dbi: MDB_dbi = 0
        try LMDBError.check(mdb_dbi_open(handle, name, flags.rawValue, &dbi), "mdb_dbi_open(\(name ?? "main"))")
        return Database(handle: dbi)
    }

    /// The value stored under `key`, or `nil`. The buffer is valid until the next write.
    public func get(_ database: Database, key: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer? {
        try lmdbGet(handle, database, key)
    }

    /// A copy of the value stored under `key`, or `nil`.
    public func get(_ database: Database, key: [UInt8]) throws -> [UInt8]? {
        try key.withUnsafeBytes { buffer in try lmdbGet(handle, database, buffer).map(Array.init) }
    }

    /// Stores `value` under `key`.
    /// - Returns: `false` when `.noOverwrite` was given and the key exists; `true` otherwise.
    @discardableResult
    public mutating func put(
        _ database: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: PutFlags = []
    ) throws -> Bool {
        var keyValue = MDB_val(key)
        var dataValue = MDB_val(value)
        let rc = mdb_put(handle, database.handle, &keyValue, &dataValue, flags.rawValue)
        if rc == MDB_KEYEXIST && flags.contains(.noOverwrite) { return false }
        try LMDBError.check(rc, "mdb_put")
        return true
    }

    /// Stores `value` under `key`.
    @discardableResult
    public mutating func put(_ database: Database, key: [UInt8], value: [UInt8], flags: PutFlags = []) throws -> Bool {
        try key.withUnsafeBytes { k in
            try value.withUnsafeBytes { v in try put(database, key: k, value: v, flags: flags) }
        }
    }

    /// Reserves `count` bytes under `key` and lets `fill` write them in place (`MDB_RESERVE`),
    /// avoiding a copy of large values.
    public mutating func put(
        _ database: Database, key: UnsafeRawBufferPointer, reserving count: Int, flags: PutFlags = [],
        fill: (UnsafeMutableRawBufferPointer) -> Void
    ) throws {
        var keyValue = MDB_val(key)
        var dataValue = MDB_val(mv_size: count, mv_data: nil)
        try LMDBError.check(
            mdb_put(handle, database.handle, &keyValue, &dataValue, flags.rawValue | UInt32(MDB_RESERVE)), "mdb_put(reserve)")
        fill(UnsafeMutableRawBufferPointer(start: dataValue.mv_data, count: count))
    }

    /// Deletes `key`. Returns `false` when it was not there.
    @discardableResult
    public mutating func delete(_ database: Database, key: UnsafeRawBufferPointer) throws -> Bool {
        var keyValue = MDB_val(key)
        let rc = mdb_del(handle, database.handle, &keyValue, nil)
        if rc == MDB_NOTFOUND { return false }
        try LMDBError.check(rc, "mdb_del")
        return true
    }

    /// Deletes `key`. Returns `false` when it was not there.
    @discardableResult
    public mutating func delete(_ database: Database, key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { k in try delete(database, key: k) }
    }

    /// Empties `database` (`mdb_drop`); with `delete`, also removes it from the environment and
    /// closes its handle, which must not be used after.
    public mutating func drop(_ database: Database, delete: Bool = false) throws {
        try LMDBError.check(mdb_drop(handle, database.handle, delete ? 1 : 0), "mdb_drop")
    }

    /// Opens a cursor on `database` for the duration of `body`.
    public func withCursor<Result>(_ database: Database, _ body: (inout Cursor) throws -> Result) throws -> Result {
        var cursor = try Cursor(transaction: handle, database: database)
        return try body(&cursor)
    }

    /// The number of entries in `database`.
    public func count(_ database: Database) throws -> Int {
        try lmdbCount(handle, database)
    }
}
