/// The right edge of a Merkle tree built by appending leaf hashes, in O(log n) memory: one
/// complete subtree hash per set bit of the size, largest first.
///
/// It computes the RFC 9162 root of the leaves appended so far without storing them, so a
/// verifier can rebuild the tree of a whole export in one pass.
///
/// ```swift
/// var range = MerkleCompactRange(tree: MerkleTree(algorithm: .sha256))
/// for entry in entries { try range.append(leafHash: range.tree.leafHash(entry)) }
/// let root = try range.root()
/// ```
public struct MerkleCompactRange: Sendable {
    /// The tree's hashing.
    public let tree: MerkleTree
    /// The number of leaves appended.
    public private(set) var size: UInt64 = 0
    private var subtrees: [(hash: Digest, level: Int)] = []

    /// Creates an empty range.
    /// - Parameter tree: the hashing of the tree.
    public init(tree: MerkleTree) {
        self.tree = tree
    }

    /// Appends one leaf hash (``MerkleTree/leafHash(_:)`` of an entry).
    public mutating func append(leafHash: Digest) throws {
        subtrees.append((leafHash, 0))
        while subtrees.count >= 2, subtrees[subtrees.count - 1].level == subtrees[subtrees.count - 2].level {
            let right = subtrees.removeLast()
            let left = subtrees.removeLast()
            subtrees.append((try tree.nodeHash(left.hash, right.hash), left.level + 1))
        }
        size += 1
    }

    /// The root hash of the tree of the ``size`` leaves appended so far (RFC 9162 §2.1.1).
    public func root() throws -> Digest {
        guard var root = subtrees.last?.hash else { return try tree.emptyRoot() }
        for subtree in subtrees.dropLast().reversed() {
            root = try tree.nodeHash(subtree.hash, root)
        }
        return root
    }
}
