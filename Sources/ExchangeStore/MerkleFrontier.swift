import CLMDB
import ExchangeAudit
import LMDB

/// The right edge of the audit Merkle tree: at each level, the last complete subtree written.
///
/// These are exactly the left siblings the next append combines with, so the writer computes
/// each append's node hashes without reading the database. The frontier is rebuilt from
/// `audit_nodes` when the store opens and advanced only when a batch commits.
struct MerkleFrontier: MerkleNodeReader {
    private var latest = [MerkleNodeWrite?](repeating: nil, count: 64)

    func hash(of node: MerkleNodeID) throws -> Digest? {
        guard node.level < latest.count, let write = latest[node.level], write.node == node else { return nil }
        return write.hash
    }

    mutating func record(_ writes: [MerkleNodeWrite]) {
        for write in writes where write.node.level < latest.count {
            latest[write.node.level] = write
        }
    }

    /// Reads the last node of every level from `audit_nodes`.
    static func load(_ txn: borrowing WriteTransaction, database: Database) throws -> MerkleFrontier {
        var frontier = MerkleFrontier()
        try txn.withCursor(database) { cursor in
            for level in 0..<64 {
                // The last key of this level: the one before the first key of the next level.
                let entry: Cursor.Entry?
                if level < 63, try cursor.seek(atOrAfter: MerkleNodeID(level: level + 1, index: 0).storageKey) != nil {
                    entry = try cursor.previous()
                } else {
                    entry = try cursor.last()
                }
                guard let entry, let node = MerkleNodeID(storageKey: entry.key), node.level == level else { continue }
                frontier.latest[level] = MerkleNodeWrite(node: node, hash: try Digest(bytes: entry.value))
            }
        }
        return frontier
    }
}

/// Reads stored Merkle nodes inside a read transaction.
struct StoredMerkleNodes: MerkleNodeReader {
    let transaction: OpaquePointer
    let database: Database

    func hash(of node: MerkleNodeID) throws -> Digest? {
        var key = node.storageKey
        return try key.withUnsafeMutableBytes { bytes in
            var keyValue = MDB_val(mv_size: bytes.count, mv_data: bytes.baseAddress)
            var value = MDB_val()
            let rc = mdb_get(transaction, database.handle, &keyValue, &value)
            if rc == MDB_NOTFOUND { return nil }
            try LMDBError.check(rc, "mdb_get(audit_nodes)")
            return try Digest(bytes: UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
        }
    }
}
