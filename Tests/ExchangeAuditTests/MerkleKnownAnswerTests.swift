import ExchangeAudit
import Testing

/// The RFC 6962 test vectors of Certificate Transparency, as published in
/// github.com/transparency-dev/merkle (testonly/constants.go and proof/verify_test.go).
enum CTVectors {
    static let leafInputs: [[UInt8]] = [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ].map { bytes(hex: $0) }

    /// Root hashes by tree size 0...8.
    static let roots: [Digest] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ].map { Digest($0) }

    /// Hashes of all complete subtrees, by level then index.
    static let nodeHashes: [[Digest]] = [
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
            "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
        ],
        [
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        ],
        [
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
        ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
    ].map { $0.map { Digest($0) } }

    struct InclusionVector: Sendable, CustomTestStringConvertible {
        let leafIndex: UInt64
        let treeSize: UInt64
        let proof: [Digest]
        var testDescription: String { "leaf \(leafIndex) of \(treeSize)" }
    }

    /// The published vectors number leaves from 1; these are zero-based.
    static let inclusionProofs: [InclusionVector] = [
        InclusionVector(leafIndex: 0, treeSize: 1, proof: []),
        InclusionVector(leafIndex: 0, treeSize: 8, proof: [
            Digest("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            Digest("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            Digest("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ]),
        InclusionVector(leafIndex: 5, treeSize: 8, proof: [
            Digest("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            Digest("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            Digest("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ]),
        InclusionVector(leafIndex: 2, treeSize: 3, proof: [
            Digest("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        ]),
        InclusionVector(leafIndex: 1, treeSize: 5, proof: [
            Digest("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            Digest("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            Digest("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ]),
    ]

    struct ConsistencyVector: Sendable, CustomTestStringConvertible {
        let oldSize: UInt64
        let newSize: UInt64
        let proof: [Digest]
        var testDescription: String { "\(oldSize) to \(newSize)" }
    }

    static let consistencyProofs: [ConsistencyVector] = [
        ConsistencyVector(oldSize: 1, newSize: 1, proof: []),
        ConsistencyVector(oldSize: 1, newSize: 8, proof: [
            Digest("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            Digest("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            Digest("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ]),
        ConsistencyVector(oldSize: 6, newSize: 8, proof: [
            Digest("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            Digest("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            Digest("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ]),
        ConsistencyVector(oldSize: 2, newSize: 5, proof: [
            Digest("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            Digest("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ]),
        ConsistencyVector(oldSize: 6, newSize: 7, proof: [
            Digest("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            Digest("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            Digest("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ]),
    ]

    /// The eight-leaf tree, built by appending.
    static func storage() throws -> InMemoryMerkleNodeStorage {
        var storage = InMemoryMerkleNodeStorage()
        let tree = MerkleTree()
        for (index, entry) in leafInputs.enumerated() {
            try tree.append(entry: entry, treeSize: UInt64(index), to: &storage)
        }
        return storage
    }
}

@Suite("RFC 6962 known answers")
struct MerkleKnownAnswerTests {
    let tree = MerkleTree()

    @Test("Root of every tree size 0...8")
    func roots() throws {
        let storage = try CTVectors.storage()
        for size in 0...8 {
            #expect(try tree.root(treeSize: UInt64(size), nodes: storage) == CTVectors.roots[size], "size \(size)")
        }
    }

    @Test("Every stored complete-subtree hash")
    func storedNodes() throws {
        let storage = try CTVectors.storage()
        for (level, hashes) in CTVectors.nodeHashes.enumerated() {
            for (index, hash) in hashes.enumerated() {
                #expect(storage.hash(of: MerkleNodeID(level: level, index: UInt64(index))) == hash, "node \(level)/\(index)")
            }
        }
        #expect(storage.nodeCount == 15)
    }

    @Test("Published inclusion proofs are produced and verify", arguments: CTVectors.inclusionProofs)
    func inclusion(vector: CTVectors.InclusionVector) throws {
        let storage = try CTVectors.storage()
        let proof = try tree.inclusionProof(leafIndex: vector.leafIndex, treeSize: vector.treeSize, nodes: storage)
        #expect(proof == vector.proof)
        let leafHash = try tree.leafHash(CTVectors.leafInputs[Int(vector.leafIndex)])
        try tree.verifyInclusion(
            leafHash: leafHash, leafIndex: vector.leafIndex, treeSize: vector.treeSize,
            proof: vector.proof, root: CTVectors.roots[Int(vector.treeSize)])
    }

    @Test("Published consistency proofs are produced and verify", arguments: CTVectors.consistencyProofs)
    func consistency(vector: CTVectors.ConsistencyVector) throws {
        let storage = try CTVectors.storage()
        let proof = try tree.consistencyProof(oldSize: vector.oldSize, newSize: vector.newSize, nodes: storage)
        #expect(proof == vector.proof)
        try tree.verifyConsistency(
            oldSize: vector.oldSize, newSize: vector.newSize,
            oldRoot: CTVectors.roots[Int(vector.oldSize)], newRoot: CTVectors.roots[Int(vector.newSize)],
            proof: vector.proof)
    }

    @Test("Leaf and node hashing follow RFC 9162 §2.1.1")
    func hashingPrimitives() throws {
        #expect(try tree.emptyRoot() == CTVectors.roots[0])
        #expect(try tree.leafHash([UInt8]()) == CTVectors.roots[1])
        #expect(try tree.leafHash([UInt8]()) == HashAlgorithm.sha256.digest([0x00]))
        let left = CTVectors.nodeHashes[0][0]
        let right = CTVectors.nodeHashes[0][1]
        #expect(try tree.nodeHash(left, right) == CTVectors.nodeHashes[1][0])
        #expect(try tree.nodeHash(left, right) == HashAlgorithm.sha256.digest([0x01] + left.bytes + right.bytes))
    }

    @Test("SM3 trees hash with the same structure and SM3")
    func sm3Tree() throws {
        let sm3 = MerkleTree(algorithm: .sm3)
        var storage = InMemoryMerkleNodeStorage()
        for (index, entry) in CTVectors.leafInputs.prefix(3).enumerated() {
            try sm3.append(entry: entry, treeSize: UInt64(index), to: &storage)
        }
        let leaves = try CTVectors.leafInputs.prefix(3).map { try HashAlgorithm.sm3.digest([0x00] + $0) }
        let left = try HashAlgorithm.sm3.digest([0x01] + leaves[0].bytes + leaves[1].bytes)
        let expected = try HashAlgorithm.sm3.digest([0x01] + left.bytes + leaves[2].bytes)
        #expect(try sm3.root(treeSize: 3, nodes: storage) == expected)
        #expect(try sm3.emptyRoot() == HashAlgorithm.sm3.digest([UInt8]()))
        #expect(try sm3.root(treeSize: 3, nodes: storage) != tree.root(treeSize: 3, nodes: CTVectors.storage()))
    }
}
