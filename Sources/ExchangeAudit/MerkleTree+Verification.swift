extension MerkleTree {
    /// The root hash that an inclusion proof implies (RFC 9162 §2.1.3.2).
    ///
    /// - Parameters:
    ///   - leafHash: The hash of the leaf (``leafHash(_:)`` of the entry).
    ///   - leafIndex: The leaf's zero-based index.
    ///   - treeSize: The tree size the proof is for.
    ///   - proof: The inclusion proof, from the leaf upwards.
    /// - Returns: The root hash the proof leads to; throws ``AuditError/Code/invalidProof`` when the
    ///   proof has the wrong shape for the index and size.
    public func rootFromInclusionProof(
        leafHash: Digest, leafIndex: UInt64, treeSize: UInt64, proof: [Digest]
    ) throws -> Digest {
        guard leafIndex < treeSize else {
            throw AuditError(.invalidProof, "leaf \(leafIndex) is not in a tree of size \(treeSize)")
        }
        let context = try DigestContext(algorithm)
        var fn = leafIndex
        var sn = treeSize - 1
        var result = leafHash
        for sibling in proof {
            guard sn != 0 else {
                throw AuditError(.invalidProof, "the inclusion proof is too long")
            }
            if fn & 1 == 1 || fn == sn {
                result = try context.nodeHash(sibling, result)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                result = try context.nodeHash(result, sibling)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else {
            throw AuditError(.invalidProof, "the inclusion proof is too short")
        }
        return result
    }

    /// Verifies an inclusion proof against a root hash (RFC 9162 §2.1.3.2).
    ///
    /// - Parameters:
    ///   - leafHash: The hash of the leaf (``leafHash(_:)`` of the entry).
    ///   - leafIndex: The leaf's zero-based index.
    ///   - treeSize: The tree size the root is for.
    ///   - proof: The inclusion proof, from the leaf upwards.
    ///   - root: The trusted root hash of the tree of `treeSize` leaves.
    /// - Throws: ``AuditError/Code/invalidProof`` when the proof does not verify.
    public func verifyInclusion(
        leafHash: Digest, leafIndex: UInt64, treeSize: UInt64, proof: [Digest], root: Digest
    ) throws {
        let computed = try rootFromInclusionProof(
            leafHash: leafHash, leafIndex: leafIndex, treeSize: treeSize, proof: proof)
        guard computed == root else {
            throw AuditError(.invalidProof, "the inclusion proof leads to \(computed), not to the root \(root)")
        }
    }

    /// Verifies a consistency proof between two roots (RFC 9162 §2.1.4.2).
    ///
    /// Sizes with no proof: when `oldSize == newSize` the proof must be empty and the roots equal;
    /// when `oldSize` is 0 the proof must be empty (every tree extends the empty tree).
    ///
    /// - Parameters:
    ///   - oldSize: The earlier tree size.
    ///   - newSize: The later tree size.
    ///   - oldRoot: The trusted root of the tree of `oldSize` leaves.
    ///   - newRoot: The trusted root of the tree of `newSize` leaves.
    ///   - proof: The consistency proof.
    /// - Throws: ``AuditError/Code/invalidProof`` when the proof does not verify.
    public func verifyConsistency(
        oldSize: UInt64, newSize: UInt64, oldRoot: Digest, newRoot: Digest, proof: [Digest]
    ) throws {
        guard oldSize <= newSize else {
            throw AuditError(.invalidProof, "tree size \(oldSize) is not before \(newSize)")
        }
        if oldSize == newSize {
            guard proof.isEmpty, oldRoot == newRoot else {
                throw AuditError(.invalidProof, "equal tree sizes need equal roots and an empty proof")
            }
            return
        }
        if oldSize == 0 {
            guard proof.isEmpty else {
                throw AuditError(.invalidProof, "a proof from the empty tree must be empty")
            }
            return
        }
        guard let first = proof.first else {
            throw AuditError(.invalidProof, "the consistency proof is empty")
        }
        let context = try DigestContext(algorithm)
        // Step 2: when the old size is a power of two, the old root starts the path.
        let oldIsPowerOfTwo = oldSize & (oldSize - 1) == 0
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var oldResult = oldIsPowerOfTwo ? oldRoot : first
        var newResult = oldResult
        for sibling in proof.dropFirst(oldIsPowerOfTwo ? 0 : 1) {
            guard sn != 0 else {
                throw AuditError(.invalidProof, "the consistency proof is too long")
            }
            if fn & 1 == 1 || fn == sn {
                oldResult = try context.nodeHash(sibling, oldResult)
                newResult = try context.nodeHash(sibling, newResult)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                newResult = try context.nodeHash(newResult, sibling)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else {
            throw AuditError(.invalidProof, "the consistency proof is too short")
        }
        guard oldResult == oldRoot else {
            throw AuditError(.invalidProof, "the consistency proof does not lead to the old root")
        }
        guard newResult == newRoot else {
            throw AuditError(.invalidProof, "the consistency proof does not lead to the new root")
        }
    }
}
