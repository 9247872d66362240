extension MerkleTree {
    /// The root hash `MTH(D[0:treeSize])` for any tree size the storage covers.
    ///
    /// Reads one stored node per set bit of `treeSize` (at most 64), so the root of every past
    /// size is available without keeping old roots.
    ///
    /// - Parameters:
    ///   - treeSize: The number of leaves; 0 gives ``emptyRoot()``.
    ///   - nodes: The stored nodes of a tree of at least `treeSize` leaves.
    public func root<Nodes: MerkleNodeReader & ~Copyable>(treeSize: UInt64, nodes: borrowing Nodes) throws -> Digest {
        let context = try DigestContext(algorithm)
        if treeSize == 0 {
            return try context.digest([UInt8]())
        }
        return try Self.subtreeHash(start: 0, end: treeSize, context: context, nodes: nodes)
    }
}
