public import CLMDB

/// A named database inside an LMDB environment; a cheap handle valid while the environment is open.
public struct Database: Hashable, Sendable {
    /// The LMDB database handle.
    public let handle: MDB_dbi

    init(handle: MDB_dbi) {
        self.handle = handle
    }
}

/// Flags for `WriteTransaction.openDatabase(_:flags:)`.
public struct DatabaseFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Create the database if it does not exist.
    public static let create = DatabaseFlags(rawValue: UInt32(MDB_CREATE))
    /// Keys are unsigned integers in native byte order, all of the same size.
    public static let integerKey = DatabaseFlags(rawValue: UInt32(MDB_INTEGERKEY))
}

/// Flags for a single put.
public struct PutFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The key sorts after every existing key: append at the end without a search.
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
    /// Fail with `MDB_KEYEXIST` if the key is present.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
}
