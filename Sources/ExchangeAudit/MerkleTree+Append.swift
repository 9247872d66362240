extension MerkleTree {
    /// The node hashes to persist when a leaf is appended: the leaf itself and every complete
    /// subtree the leaf completes (1 + the number of trailing one bits of `treeSize` writes).
    ///
    /// Reads the left siblings it combines with (one read per write after the first) from
    /// `nodes`; a store calls this inside the write transaction that appends the entry and
    /// persists every returned write in that same transaction.
    ///
    /// - Parameters:
    ///   - leafHash: The new leaf's hash (``leafHash(_:)`` of the entry).
    ///   - treeSize: The tree size before the append; the new leaf's index.
    ///   - nodes: The stored nodes of the tree of size `treeSize`.
    /// - Returns: The writes, leaf first, then upwards.
    public func appendWrites(
        leafHash: Digest, treeSize: UInt64, nodes: some MerkleNodeReader
    ) throws -> [MerkleNodeWrite] {
        guard treeSize < UInt64.max else {
            throw AuditError(.invalidTreeSize, "the tree is full")
        }
        var writes = [MerkleNodeWrite(node: MerkleNodeID(level: 0, index: treeSize), hash: leafHash)]
        var index = treeSize
        var level = 0
        var hash = leafHash
        if index & 1 == 1 {
            let context = try DigestContext(algorithm)
            while index & 1 == 1 {
                let left = try nodes.requiredHash(of: MerkleNodeID(level: level, index: index - 1))
                hash = try context.nodeHash(left, hash)
                index >>= 1
                level += 1
                writes.append(MerkleNodeWrite(node: MerkleNodeID(level: level, index: index), hash: hash))
            }
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
    public func append(
        entry: some Sequence<UInt8>, treeSize: UInt64, to storage: inout some MerkleNodeStorage
    ) throws -> [MerkleNodeWrite] {
        let writes = try appendWrites(leafHash: leafHash(entry), treeSize: treeSize, nodes: storage)
        for write in writes {
            try storage.store(write.hash, for: write.node)
        }
        return writes
    }
}
