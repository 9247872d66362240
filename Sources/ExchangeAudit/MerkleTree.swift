/// RFC 9162 Merkle tree hashing over stored complete-subtree hashes.
///
/// `MerkleTree` holds no tree state: every function reads the hashes it needs from a
/// ``MerkleNodeReader``, so one value serves any number of logs and threads. An append-only log
/// keeps its leaf hashes and the hashes of all complete subtrees (``MerkleNodeID``); from those,
/// the root of any past tree size and any inclusion or consistency proof cost O(log n) reads.
///
/// ```swift
/// let tree = MerkleTree()                      // SHA-256
/// var nodes = InMemoryMerkleNodeStorage()
/// for (size, entry) in entries.enumerated() {
///     _ = try tree.append(entry: entry, treeSize: UInt64(size), to: &nodes)
/// }
/// let root = try tree.root(treeSize: UInt64(entries.count), nodes: nodes)
/// let proof = try tree.inclusionProof(leafIndex: 3, treeSize: UInt64(entries.count), nodes: nodes)
/// ```
public struct MerkleTree: Sendable, Hashable {
    /// The hash function of the tree.
    public let algorithm: HashAlgorithm

    /// Creates a tree hasher.
    ///
    /// - Parameters:
    ///   - algorithm: The hash function; SHA-256 (RFC 6962) by default.
    public init(algorithm: HashAlgorithm = .sha256) {
        self.algorithm = algorithm
    }

    /// The leaf hash of an entry: `H(0x00 || entry)` (RFC 9162 §2.1.1).
    ///
    /// - Parameters:
    ///   - entry: The entry bytes, exactly as logged.
    public func leafHash(_ entry: some Sequence<UInt8>) throws -> Digest {
        try DigestContext(algorithm).leafHash(entry)
    }

    /// The hash of an interior node: `H(0x01 || left || right)` (RFC 9162 §2.1.1).
    ///
    /// - Parameters:
    ///   - left: The left child's hash.
    ///   - right: The right child's hash.
    public func nodeHash(_ left: Digest, _ right: Digest) throws -> Digest {
        try DigestContext(algorithm).nodeHash(left, right)
    }

    /// The root of the empty tree: the hash of the empty string.
    public func emptyRoot() throws -> Digest {
        try DigestContext(algorithm).digest([UInt8]())
    }
}

extension MerkleNodeReader where Self: ~Copyable {
    /// The stored hash of a node, throwing ``AuditError/Code/missingNode`` when it is absent.
    ///
    /// - Parameters:
    ///   - node: The node to read.
    func requiredHash(of node: MerkleNodeID) throws -> Digest {
        guard let hash = try hash(of: node) else {
            throw AuditError(.missingNode, "node \(node) is not stored")
        }
        return hash
    }
}

extension MerkleTree {
    /// The largest power of two strictly less than `size`; `size` must be at least 2.
    static func splitPoint(_ size: UInt64) -> UInt64 {
        1 << UInt64(63 - (size - 1).leadingZeroBitCount)
    }

    /// `MTH(D[start:end])` for a subtree of the RFC 9162 recursion, from stored nodes.
    ///
    /// The range is decomposed into perfect subtrees (one per set bit of its size, largest at
    /// the left) and folded from the right, as the recursion splits: one read per set bit.
    /// `start` must be aligned as every subtree of the recursion is.
    static func subtreeHash<Nodes: MerkleNodeReader & ~Copyable>(
        start: UInt64, end: UInt64, context: DigestContext, nodes: borrowing Nodes
    ) throws -> Digest {
        precondition(start < end, "a subtree has at least one leaf")
        var remaining = end - start
        var rightEdge = end
        var accumulated: Digest?
        while remaining != 0 {
            let lowest = remaining & (~remaining &+ 1)
            let level = lowest.trailingZeroBitCount
            let nodeStart = rightEdge - lowest
            precondition(nodeStart & (lowest - 1) == 0, "subtree ranges are aligned")
            let hash = try nodes.requiredHash(of: MerkleNodeID(level: level, index: nodeStart >> UInt64(level)))
            if let right = accumulated {
                accumulated = try context.nodeHash(hash, right)
            } else {
                accumulated = hash
            }
            rightEdge = nodeStart
            remaining -= lowest
        }
        return accumulated!
    }
}
