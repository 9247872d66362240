import CLMDB

/// An error reported by the LMDB library: its return code, the operation that failed, and the
/// library's own text for the code (`mdb_strerror`).
///
/// `MDB_NOTFOUND` never surfaces as an error: lookups that find nothing return `nil`.
public struct LMDBError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The LMDB or `errno` return code.
    public let code: Int32
    /// The wrapper operation that failed, e.g. `mdb_txn_commit`.
    public let operation: String

    /// Creates an error for a failed call.
    /// - Parameters:
    ///   - code: the non-zero return code.
    ///   - operation: the name of the LMDB function that returned it.
    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// The library's text for `code`.
    public var message: String { String(cString: mdb_strerror(code)) }

    /// `true` when the environment's map is full (`MDB_MAP_FULL`): grow the map and retry.
    public var isMapFull: Bool { code == MDB_MAP_FULL }

    /// `true` when a write transaction has too many dirty pages (`MDB_TXN_FULL`).
    public var isTransactionFull: Bool { code == MDB_TXN_FULL }

    /// `true` when the key already exists and the put forbade overwriting (`MDB_KEYEXIST`).
    public var isKeyExists: Bool { code == MDB_KEYEXIST }

    /// `true` when the file is not an LMDB environment or is of an incompatible version.
    public var isIncompatible: Bool { code == MDB_INVALID || code == MDB_VERSION_MISMATCH }

    public var description: String { "\(operation): \(message) (code \(code))" }

    /// Throws an `LMDBError` unless `code` is `MDB_SUCCESS`.
    /// - Parameters:
    ///   - code: the return code of an LMDB call.
    ///   - operation: the name of the call, for the error text.
    @inline(__always)
    public static func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(LMDBError) {
        if code != MDB_SUCCESS {
            throw LMDBError(code: code, operation: operation())
        }
    }
}
