import ExchangeAudit
import Testing

/// A tree of `size` distinct leaves, built both by appending to stored nodes and in the reference.
struct TreeFixture {
    let tree: MerkleTree
    var storage = InMemoryMerkleNodeStorage()
    let reference: ReferenceMerkleTree

    init(size: Int, algorithm: HashAlgorithm = .sha256) throws {
        tree = MerkleTree(algorithm: algorithm)
        reference = ReferenceMerkleTree(tree: tree)
        for index in 0..<size {
            let entry = Array("entry \(index)".utf8)
            try tree.append(entry: entry, treeSize: UInt64(index), to: &storage)
            reference.append(leafHash: try tree.leafHash(entry))
        }
    }
}

@Suite("Merkle proofs for every small tree")
struct MerkleExhaustiveTests {
    static let maximumSize = 300

    @Test("Root of every past size matches the reference, SHA-256 up to 300 and SM3 up to 64",
          arguments: [(HashAlgorithm.sha256, 300), (HashAlgorithm.sm3, 64)])
    func roots(algorithm: HashAlgorithm, size: Int) throws {
        let fixture = try TreeFixture(size: size, algorithm: algorithm)
        for n in 0...size {
            #expect(try fixture.tree.root(treeSize: UInt64(n), nodes: fixture.storage) == fixture.reference.mth(0..<n),
                    "size \(n)")
        }
    }

    @Test("Inclusion proof of every leaf in every tree size up to 300")
    func inclusionProofs() throws {
        let fixture = try TreeFixture(size: Self.maximumSize)
        var failures = 0
        for n in 1...Self.maximumSize {
            let root = try fixture.reference.mth(0..<n)
            for m in 0..<n {
                let proof = try fixture.tree.inclusionProof(leafIndex: UInt64(m), treeSize: UInt64(n), nodes: fixture.storage)
                let expected = try fixture.reference.path(m, 0..<n)
                if proof != expected { failures += 1 }
                #expect(proof == expected, "leaf \(m) of \(n)")
                #expect(throws: Never.self, "leaf \(m) of \(n)") {
                    try fixture.tree.verifyInclusion(
                        leafHash: fixture.reference.leaves[m], leafIndex: UInt64(m), treeSize: UInt64(n),
                        proof: proof, root: root)
                }
                if failures > 10 { return }
            }
        }
    }

    @Test("Consistency proof between every pair of sizes up to 300")
    func consistencyProofs() throws {
        let fixture = try TreeFixture(size: Self.maximumSize)
        let roots = try (0...Self.maximumSize).map { try fixture.reference.mth(0..<$0) }
        var failures = 0
        for n in 0...Self.maximumSize {
            for m in 0...n {
                let proof = try fixture.tree.consistencyProof(oldSize: UInt64(m), newSize: UInt64(n), nodes: fixture.storage)
                let expected = try fixture.reference.consistency(m, n)
                var ok = proof == expected
                do {
                    try fixture.tree.verifyConsistency(
                        oldSize: UInt64(m), newSize: UInt64(n), oldRoot: roots[m], newRoot: roots[n], proof: proof)
                } catch {
                    ok = false
                }
                if !ok {
                    failures += 1
                    Issue.record("consistency \(m) to \(n): proof \(proof == expected ? "verifies not" : "differs")")
                    if failures > 10 { return }
                }
            }
        }
    }

    @Test("An append writes the leaf and each subtree it completes")
    func appendWrites() throws {
        let tree = MerkleTree()
        var storage = InMemoryMerkleNodeStorage()
        for index in UInt64(0)..<64 {
            let writes = try tree.append(entry: Array("entry \(index)".utf8), treeSize: index, to: &storage)
            #expect(writes.count == 1 + (~index).trailingZeroBitCount, "append at \(index)")
            #expect(writes.first?.node == MerkleNodeID(level: 0, index: index))
            for (level, write) in writes.enumerated() {
                #expect(write.node == MerkleNodeID(level: level, index: index >> UInt64(level)))
                #expect(storage.hash(of: write.node) == write.hash)
            }
        }
        #expect(storage.nodeCount == 127)
    }

    @Test("Proofs for sizes beyond the stored tree fail with missing-node")
    func missingNodes() throws {
        let fixture = try TreeFixture(size: 10)
        #expect { try fixture.tree.root(treeSize: 11, nodes: fixture.storage) } throws: { error in
            (error as? AuditError)?.code == .missingNode
        }
        #expect { try fixture.tree.inclusionProof(leafIndex: 3, treeSize: 12, nodes: fixture.storage) } throws: { error in
            (error as? AuditError)?.code == .missingNode
        }
        #expect { try fixture.tree.inclusionProof(leafIndex: 10, treeSize: 10, nodes: fixture.storage) } throws: { error in
            (error as? AuditError)?.code == .invalidLeafIndex
        }
        #expect { try fixture.tree.inclusionProof(leafIndex: 0, treeSize: 0, nodes: fixture.storage) } throws: { error in
            (error as? AuditError)?.code == .invalidTreeSize
        }
        #expect { try fixture.tree.consistencyProof(oldSize: 5, newSize: 4, nodes: fixture.storage) } throws: { error in
            (error as? AuditError)?.code == .invalidTreeSize
        }
    }

    @Test("Node storage keys sort as (level, index) and round trip")
    func storageKeys() {
        let nodes = [
            MerkleNodeID(level: 0, index: 0), MerkleNodeID(level: 0, index: 255), MerkleNodeID(level: 0, index: 256),
            MerkleNodeID(level: 1, index: 0), MerkleNodeID(level: 63, index: 1),
        ]
        for (lower, higher) in zip(nodes, nodes.dropFirst()) {
            #expect(lower.storageKey.lexicographicallyPrecedes(higher.storageKey))
        }
        for node in nodes {
            #expect(MerkleNodeID(storageKey: node.storageKey) == node)
        }
        #expect(MerkleNodeID(level: 2, index: 0x0102).storageKey == [2, 0, 0, 0, 0, 0, 0, 1, 2])
        #expect(MerkleNodeID(storageKey: [64, 0, 0, 0, 0, 0, 0, 0, 0]) == nil)
        #expect(MerkleNodeID(storageKey: [1, 0]) == nil)
    }

    @Test("Append-order keys put each append's nodes after every earlier node, and round trip")
    func appendOrderKeys() throws {
        // The nodes appends complete, in the order they are written: each append's leaf first,
        // then upwards. Their keys must rise strictly, so that a store only ever appends.
        let tree = MerkleTree(algorithm: .sha256)
        var storage = InMemoryMerkleNodeStorage()
        var written: [MerkleNodeID] = []
        for size in 0..<300 as Range<UInt64> {
            written += try tree.append(entry: [UInt8(truncatingIfNeeded: size)], treeSize: size, to: &storage).map(\.node)
        }
        for (earlier, later) in zip(written, written.dropFirst()) {
            #expect(earlier.appendOrderKey.lexicographicallyPrecedes(later.appendOrderKey), "\(earlier) before \(later)")
        }
        for node in written + [MerkleNodeID(level: 63, index: 1), MerkleNodeID(level: 0, index: .max)] {
            #expect(MerkleNodeID(appendOrderKey: node.appendOrderKey) == node)
        }
        #expect(MerkleNodeID(level: 2, index: 0x0102).lastLeaf == 0x040B)
        #expect(MerkleNodeID(level: 2, index: 0x0102).appendOrderKey == [0, 0, 0, 0, 0, 0, 0x04, 0x0B, 2])
        #expect(MerkleNodeID(level: 63, index: 1).lastLeaf == .max)
        // The low `level` bits of a node's last leaf are ones; a key that breaks this names no node.
        #expect(MerkleNodeID(appendOrderKey: [0, 0, 0, 0, 0, 0, 0x04, 0x0A, 2]) == nil)
        #expect(MerkleNodeID(appendOrderKey: [0, 0, 0, 0, 0, 0, 0, 0, 64]) == nil)
        #expect(MerkleNodeID(appendOrderKey: [0, 2]) == nil)
    }
}
