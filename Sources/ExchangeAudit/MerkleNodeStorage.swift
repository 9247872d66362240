/// Read access to the stored hashes of complete subtrees of an append-only Merkle tree.
///
/// A store (for example an LMDB database keyed by ``MerkleNodeID/appendOrderKey``) conforms to this
/// to let ``MerkleTree`` compute roots and proofs for any past tree size with O(log n) reads.
/// Within a write transaction the reader must see the transaction's own earlier writes.
/// Conforming types may be non-copyable (a transaction handle); the tree only borrows them.
public protocol MerkleNodeReader: ~Copyable {
    /// The stored hash of a node, or `nil` when it is not stored.
    ///
    /// - Parameters:
    ///   - node: The node to read.
    func hash(of node: MerkleNodeID) throws -> Digest?
}

/// Read and write access to stored complete-subtree hashes.
///
/// ``MerkleTree/append(entry:treeSize:to:)`` writes through this protocol; a store that
/// persists writes itself can instead call ``MerkleTree/appendWrites(leafHash:treeSize:nodes:)``
/// and persist the returned writes in the same transaction as the entry.
public protocol MerkleNodeStorage: MerkleNodeReader, ~Copyable {
    /// Stores the hash of a node. A node's hash never changes once written.
    ///
    /// - Parameters:
    ///   - hash: The node's hash.
    ///   - node: The node being written.
    mutating func store(_ hash: Digest, for node: MerkleNodeID) throws
}
