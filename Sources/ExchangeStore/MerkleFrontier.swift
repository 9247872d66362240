import CLMDB
import ExchangeAudit
import LMDB

/// The right edge of the audit Merkle tree: at each level, the last complete subtree.
///
/// These are exactly the left siblings the next append combines with, so the writer computes
/// each append's node hashes without reading the database. The frontier is read from the
/// stored nodes when the store opens and advanced only when a batch commits.
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

    /// The frontier of the tree of `treeSize` leaves: at each level with a complete subtree,
    /// the last one, node (level, treeSize >> level - 1), read from `nodes`.
    /// - Throws: `StoreError.corruptRecord` when one of them is not stored.
    static func load(treeSize: UInt64, nodes: borrowing StoredMerkleNodes) throws -> MerkleFrontier {
        var frontier = MerkleFrontier()
        for level in 0..<64 where treeSize >> UInt64(level) > 0 {
            let node = MerkleNodeID(level: level, index: treeSize >> UInt64(level) - 1)
            guard let hash = try nodes.hash(of: node) else {
                throw StoreError.corruptRecord("the audit tree of \(treeSize) entries lacks its node \(node)")
            }
            frontier.latest[level] = MerkleNodeWrite(node: node, hash: hash)
        }
        return frontier
    }
}

/// Reads stored Merkle nodes inside a read (or the writer's) transaction: from the index tail
/// (nodes not merged yet), `audit_tree`, or, for a store upgraded from format 3 or earlier,
/// `audit_nodes` where it wrote them.
struct StoredMerkleNodes: MerkleNodeReader {
    let transaction: OpaquePointer
    let tree: Database
    let legacy: Database
    let tail: IndexTail.View?

    /// - Parameter tail: the view taken before `transaction` began; `nil` reads LMDB alone.
    init(transaction: OpaquePointer, schema: StoreSchema, tail: IndexTail.View?) {
        self.transaction = transaction
        self.tree = schema.auditTree
        self.legacy = schema.auditNodes
        self.tail = tail
    }

    func hash(of node: MerkleNodeID) throws -> Digest? {
        if let hash = tail?.node(node) { return hash }
        if let hash = try Self.hash(transaction, tree, key: node.appendOrderKey) { return hash }
        return try Self.hash(transaction, legacy, key: node.storageKey)
    }

    private static func hash(_ transaction: OpaquePointer, _ database: Database, key: [UInt8]) throws -> Digest? {
        var key = key
        return try key.withUnsafeMutableBytes { bytes in
            var keyValue = MDB_val(mv_size: bytes.count, mv_data: bytes.baseAddress)
            var value = MDB_val()
            let rc = mdb_get(transaction, database.handle, &keyValue, &value)
            if rc == MDB_NOTFOUND { return nil }
            try LMDBError.check(rc, "mdb_get(audit nodes)")
            return try Digest(bytes: UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
        }
    }
}
