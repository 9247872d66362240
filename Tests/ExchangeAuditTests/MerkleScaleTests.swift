import ExchangeAudit
import Foundation
import Testing

/// A reader for an arbitrarily large tree whose leaves all have the same hash, so that every
/// complete subtree of a level has the same hash: a consistent tree of any size without building
/// it. It counts reads, to show the shape of the work.
final class SyntheticNodes: MerkleNodeReader, @unchecked Sendable {
    private(set) var reads = 0
    let levels: [Digest]

    init(tree: MerkleTree) throws {
        var levels = [try tree.leafHash(Array("same entry".utf8))]
        for _ in 1..<64 {
            levels.append(try tree.nodeHash(levels[levels.count - 1], levels[levels.count - 1]))
        }
        self.levels = levels
    }

    func hash(of node: MerkleNodeID) throws -> Digest? {
        reads += 1
        return levels[node.level]
    }

    func reset() { reads = 0 }
}

@Suite("Merkle operations at log scale")
struct MerkleScaleTests {
    static let size: UInt64 = 10_000_000

    /// The work is counted in node reads, not timed: a proof's time is measured by
    /// `exchange-bench audit-proof` on a release build (docs/benchmarks.md).
    @Test("Inclusion proofs in a 10,000,000-entry log read O(log n) nodes")
    func inclusionAtScale() throws {
        let tree = MerkleTree()
        let nodes = try SyntheticNodes(tree: tree)
        let root = try tree.root(treeSize: Self.size, nodes: nodes)
        #expect(nodes.reads == Self.size.nonzeroBitCount)
        let indices: [UInt64] = [0, 1, 4_999_999, 8_388_607, 8_388_608, 9_999_998, 9_999_999, 1_234_567]
        for index in indices {
            nodes.reset()
            let proof = try tree.inclusionProof(leafIndex: index, treeSize: Self.size, nodes: nodes)
            // 24 levels: one read per sibling, plus at most one right-edge subtree of ≤ 24 parts.
            #expect(proof.count <= 24, "leaf \(index)")
            #expect(nodes.reads <= 2 * 24, "leaf \(index): \(nodes.reads) reads")
            let leaf = try nodes.hash(of: MerkleNodeID(level: 0, index: index))!
            try tree.verifyInclusion(leafHash: leaf, leafIndex: index, treeSize: Self.size, proof: proof, root: root)
        }
    }

    @Test("Consistency proofs and appends at scale read O(log n) nodes")
    func consistencyAndAppendAtScale() throws {
        let tree = MerkleTree()
        let nodes = try SyntheticNodes(tree: tree)
        for old: UInt64 in [1, 2, 3, 1_000_000, 8_388_608, 9_999_999] {
            nodes.reset()
            let proof = try tree.consistencyProof(oldSize: old, newSize: Self.size, nodes: nodes)
            #expect(proof.count <= 2 * 24, "from \(old)")
            #expect(nodes.reads <= 3 * 24, "from \(old): \(nodes.reads) reads")
            let oldRoot = try tree.root(treeSize: old, nodes: nodes)
            let newRoot = try tree.root(treeSize: Self.size, nodes: nodes)
            try tree.verifyConsistency(oldSize: old, newSize: Self.size, oldRoot: oldRoot, newRoot: newRoot, proof: proof)
        }
        nodes.reset()
        let leaf = try tree.leafHash([1, 2, 3])
        let writes = try tree.appendWrites(leafHash: leaf, treeSize: 16_777_215, nodes: nodes)
        #expect(writes.count == 25)
        #expect(nodes.reads == 24)
    }
}
