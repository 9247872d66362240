import CLMDB

/// A position in a database, for ordered scans. Closed when it goes out of scope.
///
/// Keys and values it returns point into the map and are valid until the transaction ends
/// (in a write transaction: until the next write).
public struct Cursor: ~Copyable {
    /// One key and its value.
    public typealias Entry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    let handle: OpaquePointer

    init(transaction: OpaquePointer, database: Database) throws {
        var cursor: OpaquePointer?
        try LMDBError.check(mdb_cursor_open(transaction, database.handle, &cursor), "mdb_cursor_open")
        self.handle = cursor!
    }

    deinit {
        mdb_cursor_close(handle)
    }

    /// The first entry, or `nil` if the database is empty.
    public mutating func first() throws -> Entry? { try move(MDB_FIRST) }
    /// The last entry, or `nil` if the database is empty.
    public mutating func last() throws -> Entry? { try move(MDB_LAST) }
    /// The entry after the current one, or `nil` at the end.
    public mutating func next() throws -> Entry? { try move(MDB_NEXT) }
    /// The entry before the current one, or `nil` at the start.
    public mutating func previous() throws -> Entry? { try move(MDB_PREV) }

    /// Positions at the first key greater than or equal to `key`.
    public mutating func seek(atOrAfter key: UnsafeRawBufferPointer) throws -> Entry? {
        var keyValue = MDB_val(key)
        var value = MDB_val()
        let rc = mdb_cursor_get(handle, &keyValue, &value, MDB_SET_RANGE)
        if rc == MDB_NOTFOUND { return nil }
        try LMDBError.check(rc, "mdb_cursor_get(SET_RANGE)")
        return (keyValue.buffer, value.buffer)
    }

    /// Positions at the first key greater than or equal to `key`.
    public mutating func seek(atOrAfter key: [UInt8]) throws -> Entry? {
        try key.withUnsafeBytes { k in try seek(atOrAfter: k) }
    }

    /// Deletes the entry at the cursor (write transactions only).
    public mutating func deleteCurrent() throws {
        try LMDBError.check(mdb_cursor_del(handle, 0), "mdb_cursor_del")
    }

    private mutating func move(_ op: MDB_cursor_op) throws -> Entry? {
        var key = MDB_val()
        var value = MDB_val()
        let rc = mdb_cursor_get(handle, &key, &value, op)
        if rc == MDB_NOTFOUND { return nil }
        try LMDBError.check(rc, "mdb_cursor_get")
        return (key.buffer, value.buffer)
    }
}
