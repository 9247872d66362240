import CLMDB

/// A read-only snapshot of the environment. Ends (aborts) when it goes out of scope.
///
/// Keep it short and never hold it across an `await`: a long reader pins old pages and makes the
/// file grow. Byte buffers returned by `get` and cursors are valid only while it lives.
public struct ReadTransaction: ~Copyable {
    /// The raw transaction handle.
    public let handle: OpaquePointer

    init(environment: OpaquePointer) throws {
        var txn: OpaquePointer?
        try LMDBError.check(mdb_txn_begin(environment, nil, UInt32(MDB_RDONLY), &txn), "mdb_txn_begin(read)")
        self.handle = txn!
    }

    deinit {
        mdb_txn_abort(handle)
    }

    /// Ends the snapshot now.
    public consuming func end() {
        mdb_txn_abort(handle)
        discard self
    }

    /// The value stored under `key`, or `nil`. The buffer is valid while the transaction lives.
    public func get(_ database: Database, key: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer? {
        try lmdbGet(handle, database, key)
    }

    /// A copy of the value stored under `key`, or `nil`.
    public func get(_ database: Database, key: [UInt8]) throws -> [UInt8]? {
        try key.withUnsafeBytes { buffer in try lmdbGet(handle, database, buffer).map(Array.init) }
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

    /// The entries of `database` and the bytes of its B-tree's pages (`mdb_stat`).
    public func statistics(_ database: Database) throws -> (entries: Int, bytes: Int) {
        var stat = MDB_stat()
        try LMDBError.check(mdb_stat(handle, database.handle, &stat), "mdb_stat")
        let pages = stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages
        return (stat.ms_entries, pages * Int(stat.ms_psize))
    }
}

@inline(__always)
func lmdbGet(_ txn: OpaquePointer, _ database: Database, _ key: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer? {
    var keyValue = MDB_val(key)
    var value = MDB_val()
    let rc = mdb_get(txn, database.handle, &keyValue, &value)
    if rc == MDB_NOTFOUND { return nil }
    try LMDBError.check(rc, "mdb_get")
    return value.buffer
}

func lmdbCount(_ txn: OpaquePointer, _ database: Database) throws -> Int {
    var stat = MDB_stat()
    try LMDBError.check(mdb_stat(txn, database.handle, &stat), "mdb_stat")
    return stat.ms_entries
}
