import LMDB

/// Changes stored audit entries behind the store's back, as someone with write access to
/// `data.mdb` could: for the tests that show such a change is found and named.
public enum AuditTampering {
    /// Flips the lowest bit of byte `offset` of audit entry `index` with a raw LMDB write
    /// transaction, bypassing the store and its Merkle maintenance: in `audit`, or, for a
    /// `published` entry, where `audit` says it lies: at the end of its event's record in `log`
    /// (whose header holds the entry's length at bytes 21..<25, little-endian).
    /// - Returns: the entry's text before and after.
    public static func flipByte(dataDirectory: String, entry index: UInt64, at offset: Int) throws -> (before: String, after: String) {
        let env = try Environment(path: dataDirectory, configuration: .init(mapSize: 1 << 30, maxDatabases: 32))
        defer { env.close() }
        let (audit, log) = try env.write { txn in (try txn.openDatabase("audit"), try txn.openDatabase("log")) }
        let key = withUnsafeBytes(of: index.bigEndian) { Array($0) }
        return try env.write { txn in
            guard let stored = try txn.get(audit, key: key) else { throw TamperingError.missing(index) }
            var database = audit
            var recordKey = key
            var value = stored
            var start = 0
            if stored.count == 9, stored[0] == 0 {
                database = log
                recordKey = Array(stored[1...])
                guard let record = try txn.get(log, key: recordKey) else { throw TamperingError.missing(index) }
                value = record
                let length = value[21..<25].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
                start = value.count - length
            }
            let before = String(decoding: value[start...], as: UTF8.self)
            value[start + offset] ^= 0x01
            try txn.put(database, key: recordKey, value: value)
            return (before, String(decoding: value[start...], as: UTF8.self))
        }
    }

    /// The entry to change is not stored (not yet merged into `audit`: close the store first).
    public enum TamperingError: Error {
        case missing(UInt64)
    }
}
