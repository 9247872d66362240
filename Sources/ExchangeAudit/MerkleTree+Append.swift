extension MerkleTree {
    /// The node hashes to persist when a leaf is appended: the leaf itself and every complete
    /// subtree the leaf completes (1 + the number of trailing one bits of `treeSize` writes).
    ///
    /// Reads the left siblings it combines with (one read per write after the first) from
    /// `nodes`; a store calls this inside the write transaction that appends the entry and
    /// persists every returned write in that same transaction, before the next append.
    ///
    /// - Parameters:
    ///   - leafHash: The new leaf's hash (``leafHash(_:)`` of the entry).
    ///   - treeSize: The tree size before the append; the new leaf's index.
    ///   - nodes: The stored nodes of the tree of size `treeSize`.
    /// - Returns: The writes, leaf first, then upwards.
    public func appendWrites<Nodes: MerkleNodeReader & ~Copyable>(
        leafHash: Digest, treeSize: UInt64, nodes: borrowing Nodes
    ) throws -> [MerkleNodeWrite] {
        guard treeSize & 1 == 1 else {
            return [MerkleNodeWrite(node: MerkleNodeID(level: 0, index: treeSize), hash: leafHash)]
        }
        return try appendWrites(leafHash: leafHash, treeSize: treeSize, nodes: nodes, context: DigestContext(algorithm))
    }

    private func appendWrites<Nodes: MerkleNodeReader & ~Copyable>(
        leafHash: Digest, treeSize: UInt64, nodes: borrowing Nodes, context: DigestContext
    ) throws -> [MerkleNodeWrite] {
        guard treeSize < UInt64.max else {
            throw AuditError(.invalidTreeSize, "the tree is full")
        }
        var writes = [MerkleNodeWrite(node: MerkleNodeID(level: 0, index: treeSize), hash: leafHash)]
        writes.reserveCapacity(1 + (~treeSize).trailingZeroBitCount)
        var index = treeSize
        var level = 0
        var hash = leafHash
        while index & 1 == 1 {
            let left = try nodes.requiredHash(of: MerkleNodeID(level: level, index: index - 1))
            hash = try context.nodeHash(left, hash)
            index >>= 1
            level += 1
            writes.append(MerkleNodeWrite(node: MerkleNodeID(level: level, index: index), hash: hash))
        }
        return writes
    }

    /// Appends an entry: hashes it as a leaf and stores every node hash the append completes.
    ///
    /// - Parameters:
    ///   - entry: The entry bytes, exactly as logged.
    ///   - treeSize: The tree size before the append; the new leaf's index.
    ///   - storage: The node storage of the tree.
    /// - Returns: The writes that were stored, leaf first.
    @discardableResult
    public func append<Storage: MerkleNodeStorage & ~Copyable>(
        entry: some Sequence<UInt8>, treeSize: UInt64, to storage: inout Storage
    ) throws -> [MerkleNodeWrite] {
        let context = try DigestContext(algorithm)
        let writes = try appendWrites(
            leafHash: context.leafHash(entry), treeSize: treeSize, nodes: storage, context: context)
        for write in writes {
            try storage.store(write.hash, for: write.node)
        }
        return writes
    }
}
