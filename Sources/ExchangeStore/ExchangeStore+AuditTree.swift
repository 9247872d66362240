public import ExchangeAudit
import LMDB

extension ExchangeStore {
    /// The root hash of the audit log's Merkle tree at `treeSize` entries (RFC 9162 §2.1.1).
    /// - Parameter treeSize: any size up to `auditCount`.
    public func auditRoot(treeSize: UInt64) throws -> Digest {
        try checkTreeSize(treeSize)
        return try readIndexed { txn, tail in
            try auditTree.root(treeSize: treeSize, nodes: StoredMerkleNodes(transaction: txn.handle, schema: schema, tail: tail))
        }
    }

    /// The inclusion proof of entry `index` in the tree of `treeSize` entries (RFC 9162 §2.1.3).
    public func auditInclusionProof(index: UInt64, treeSize: UInt64) throws -> [Digest] {
        try checkTreeSize(treeSize)
        return try readIndexed { txn, tail in
            try auditTree.inclusionProof(
                leafIndex: index, treeSize: treeSize, nodes: StoredMerkleNodes(transaction: txn.handle, schema: schema, tail: tail))
        }
    }

    /// The consistency proof between tree sizes `first` and `second` (RFC 9162 §2.1.4).
    public func auditConsistencyProof(first: UInt64, second: UInt64) throws -> [Digest] {
        try checkTreeSize(second)
        return try readIndexed { txn, tail in
            try auditTree.consistencyProof(
                oldSize: first, newSize: second, nodes: StoredMerkleNodes(transaction: txn.handle, schema: schema, tail: tail))
        }
    }

    private func checkTreeSize(_ treeSize: UInt64) throws {
        guard treeSize <= auditCount else {
            throw StoreError(code: .invalidRequest, message: "the audit log holds \(auditCount) entries, not \(treeSize)")
        }
    }
}
