extension MerkleTree {
    /// The inclusion proof (audit path) of a leaf in the tree of a given size (RFC 9162 §2.1.3.1).
    ///
    /// The proof lists the sibling subtree hashes from the leaf upwards. It costs one stored read
    /// per proof element, plus at most one decomposed right-edge subtree (O(log n) reads).
    ///
    /// - Parameters:
    ///   - leafIndex: The leaf's zero-based index, below `treeSize`.
    ///   - treeSize: The size of the tree the proof is for, at least 1.
    ///   - nodes: The stored nodes of a tree of at least `treeSize` leaves.
    public func inclusionProof<Nodes: MerkleNodeReader & ~Copyable>(
        leafIndex: UInt64, treeSize: UInt64, nodes: borrowing Nodes
    ) throws -> [Digest] {
        guard treeSize > 0 else {
            throw AuditError(.invalidTreeSize, "the empty tree has no inclusion proofs")
        }
        guard leafIndex < treeSize else {
            throw AuditError(.invalidLeafIndex, "leaf \(leafIndex) is not in a tree of size \(treeSize)")
        }
        let context = try DigestContext(algorithm)
        var path: [Digest] = []
        path.reserveCapacity(64 - treeSize.leadingZeroBitCount)
        var low: UInt64 = 0
        var high = treeSize
        while high - low > 1 {
            let split = low + Self.splitPoint(high - low)
            if leafIndex < split {
                path.append(try Self.subtreeHash(start: split, end: high, context: context, nodes: nodes))
                high = split
            } else {
                path.append(try Self.subtreeHash(start: low, end: split, context: context, nodes: nodes))
                low = split
            }
        }
        path.reverse()
        return path
    }

    /// The consistency proof between two tree sizes (RFC 9162 §2.1.4.1).
    ///
    /// Empty when `oldSize` is 0 or equals `newSize`, where no proof is needed.
    ///
    /// - Parameters:
    ///   - oldSize: The earlier tree size.
    ///   - newSize: The later tree size, at least `oldSize`.
    ///   - nodes: The stored nodes of a tree of at least `newSize` leaves.
    public func consistencyProof<Nodes: MerkleNodeReader & ~Copyable>(
        oldSize: UInt64, newSize: UInt64, nodes: borrowing Nodes
    ) throws -> [Digest] {
        guard oldSize <= newSize else {
            throw AuditError(.invalidTreeSize, "tree size \(oldSize) is not before \(newSize)")
        }
        if oldSize == 0 || oldSize == newSize {
            return []
        }
        let context = try DigestContext(algorithm)
        var proof: [Digest] = []
        proof.reserveCapacity(66 - newSize.leadingZeroBitCount)
        var low: UInt64 = 0
        var high = newSize
        var old = oldSize  // relative to `low`
        var oldIsWholeSubtree = true
        while true {
            let size = high - low
            if old == size {
                if !oldIsWholeSubtree {
                    proof.append(try Self.subtreeHash(start: low, end: high, context: context, nodes: nodes))
                }
                break
            }
            let split = Self.splitPoint(size)
            if old <= split {
                proof.append(try Self.subtreeHash(start: low + split, end: high, context: context, nodes: nodes))
                high = low + split
            } else {
                proof.append(try Self.subtreeHash(start: low, end: low + split, context: context, nodes: nodes))
                low += split
                old -= split
                oldIsWholeSubtree = false
            }
        }
        proof.reverse()
        return proof
    }
}
