/// Node storage held in memory: for tests, tools and the offline verification of an export.
///
/// Nodes are kept per level in arrays, so a level must be written without gaps, as appends do.
public struct InMemoryMerkleNodeStorage: MerkleNodeStorage, Sendable {
    private var levels: [[Digest]] = []

    /// Creates empty storage.
    public init() {}

    /// The number of leaf hashes stored (level 0).
    public var leafCount: UInt64 {
        UInt64(levels.first?.count ?? 0)
    }

    /// The total number of node hashes stored, over all levels.
    public var nodeCount: Int {
        levels.reduce(0) { $0 + $1.count }
    }

    /// The stored hash of a node, or `nil` when it is not stored.
    ///
    /// - Parameters:
    ///   - node: The node to read.
    public func hash(of node: MerkleNodeID) -> Digest? {
        guard node.level < levels.count, node.index < UInt64(levels[node.level].count) else { return nil }
        return levels[node.level][Int(node.index)]
    }

    /// Stores the hash of a node; rewriting a node with the same hash is allowed.
    ///
    /// - Parameters:
    ///   - hash: The node's hash.
    ///   - node: The node; its index must not be past the end of its level.
    public mutating func store(_ hash: Digest, for node: MerkleNodeID) throws {
        while levels.count <= node.level {
            levels.append([])
        }
        let count = UInt64(levels[node.level].count)
        if node.index == count {
            levels[node.level].append(hash)
        } else if node.index < count {
            guard levels[node.level][Int(node.index)] == hash else {
                throw AuditError(.invalidNode, "node \(node) is already stored with a different hash")
            }
        } else {
            throw AuditError(.invalidNode, "node \(node) would leave a gap after index \(count) at its level")
        }
    }
}
