import ExchangeAudit
import Testing

/// A non-copyable storage, the shape of a store's transaction handle.
struct TransactionLikeNodes: MerkleNodeStorage, ~Copyable {
    private var nodes = InMemoryMerkleNodeStorage()
    private(set) var writes = 0

    func hash(of node: MerkleNodeID) throws -> Digest? {
        nodes.hash(of: node)
    }

    mutating func store(_ hash: Digest, for node: MerkleNodeID) throws {
        writes += 1
        try nodes.store(hash, for: node)
    }
}

@Suite("Node storage protocol")
struct NodeStorageProtocolTests {
    @Test("A non-copyable store serves appends, roots and proofs")
    func noncopyableStorage() throws {
        let tree = MerkleTree()
        var nodes = TransactionLikeNodes()
        for (index, entry) in CTVectors.leafInputs.enumerated() {
            try tree.append(entry: entry, treeSize: UInt64(index), to: &nodes)
        }
        #expect(nodes.writes == 15)
        #expect(try tree.root(treeSize: 8, nodes: nodes) == CTVectors.roots[8])
        let vector = CTVectors.inclusionProofs[2]
        #expect(try tree.inclusionProof(leafIndex: vector.leafIndex, treeSize: vector.treeSize, nodes: nodes) == vector.proof)
        let consistency = CTVectors.consistencyProofs[2]
        #expect(try tree.consistencyProof(oldSize: consistency.oldSize, newSize: consistency.newSize, nodes: nodes)
            == consistency.proof)
    }

    @Test("A store that persists appendWrites itself builds the same tree")
    func externalPersistence() throws {
        let tree = MerkleTree()
        var nodes = InMemoryMerkleNodeStorage()
        for (index, entry) in CTVectors.leafInputs.enumerated() {
            let writes = try tree.appendWrites(leafHash: tree.leafHash(entry), treeSize: UInt64(index), nodes: nodes)
            for write in writes {
                try nodes.store(write.hash, for: write.node)
            }
        }
        for size in 0...8 {
            #expect(try tree.root(treeSize: UInt64(size), nodes: nodes) == CTVectors.roots[size])
        }
    }

    @Test("In-memory storage refuses gaps and conflicting rewrites")
    func inMemoryRules() throws {
        var nodes = InMemoryMerkleNodeStorage()
        let a = try HashAlgorithm.sha256.digest([1])
        let b = try HashAlgorithm.sha256.digest([2])
        try nodes.store(a, for: MerkleNodeID(level: 0, index: 0))
        try nodes.store(a, for: MerkleNodeID(level: 0, index: 0))
        #expect { try nodes.store(b, for: MerkleNodeID(level: 0, index: 0)) } throws: { error in
            (error as? AuditError)?.code == .invalidNode
        }
        #expect { try nodes.store(b, for: MerkleNodeID(level: 0, index: 2)) } throws: { error in
            (error as? AuditError)?.code == .invalidNode
        }
        #expect(nodes.leafCount == 1)
    }
}
