import ExchangeAudit
import Testing

extension Digest {
    /// The digest with one bit of one byte flipped.
    func flippingBit(_ bit: Int, ofByte byte: Int) -> Digest {
        var raw = bytes
        raw[byte] ^= UInt8(1 << bit)
        return try! Digest(bytes: raw)
    }
}

@Suite("Tampered proofs fail")
struct MerkleTamperTests {
    static let maximumSize = 40

    /// Verifies and reports whether verification succeeded.
    static func inclusionVerifies(
        _ tree: MerkleTree, leaf: Digest, index: UInt64, size: UInt64, proof: [Digest], root: Digest
    ) -> Bool {
        do {
            try tree.verifyInclusion(leafHash: leaf, leafIndex: index, treeSize: size, proof: proof, root: root)
            return true
        } catch {
            #expect((error as? AuditError)?.code == .invalidProof)
            return false
        }
    }

    static func consistencyVerifies(
        _ tree: MerkleTree, old: UInt64, new: UInt64, oldRoot: Digest, newRoot: Digest, proof: [Digest]
    ) -> Bool {
        do {
            try tree.verifyConsistency(oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot, proof: proof)
            return true
        } catch {
            #expect((error as? AuditError)?.code == .invalidProof)
            return false
        }
    }

    @Test("Changed leaf, root, index or proof hash breaks an inclusion proof")
    func inclusionTampering() throws {
        let fixture = try TreeFixture(size: Self.maximumSize)
        let tree = fixture.tree
        let other = try tree.leafHash(Array("not logged".utf8))
        for n in 1...Self.maximumSize {
            let size = UInt64(n)
            let root = try tree.root(treeSize: size, nodes: fixture.storage)
            for m in 0..<n {
                let index = UInt64(m)
                let leaf = fixture.reference.leaves[m]
                let proof = try tree.inclusionProof(leafIndex: index, treeSize: size, nodes: fixture.storage)
                let context = "leaf \(m) of \(n)"
                #expect(Self.inclusionVerifies(tree, leaf: leaf, index: index, size: size, proof: proof, root: root), "\(context)")
                // A different leaf, including a neighbour that is really logged.
                #expect(!Self.inclusionVerifies(tree, leaf: other, index: index, size: size, proof: proof, root: root), "\(context)")
                if m + 1 < n {
                    let neighbour = fixture.reference.leaves[m + 1]
                    #expect(!Self.inclusionVerifies(tree, leaf: neighbour, index: index, size: size, proof: proof, root: root), "\(context)")
                }
                // A different root: another size's, and a flipped bit.
                #expect(!Self.inclusionVerifies(tree, leaf: leaf, index: index, size: size, proof: proof,
                                                root: root.flippingBit(0, ofByte: 31)), "\(context)")
                // The sibling position in the same tree.
                if m ^ 1 < n {
                    #expect(!Self.inclusionVerifies(tree, leaf: leaf, index: index ^ 1, size: size, proof: proof, root: root), "\(context)")
                }
                // Twice and half the size change the proof's length.
                #expect(!Self.inclusionVerifies(tree, leaf: leaf, index: index, size: size * 2, proof: proof, root: root), "\(context)")
                if n > 1 {
                    #expect(!Self.inclusionVerifies(tree, leaf: leaf, index: index, size: size / 2, proof: proof, root: root), "\(context)")
                }
                // Every proof hash, each with one bit flipped.
                for position in proof.indices {
                    var tampered = proof
                    tampered[position] = proof[position].flippingBit(3, ofByte: position % 32)
                    #expect(!Self.inclusionVerifies(tree, leaf: leaf, index: index, size: size, proof: tampered, root: root),
                            "\(context), proof[\(position)]")
                }
                // Extra, missing and reordered proof hashes.
                #expect(!Self.inclusionVerifies(tree, leaf: leaf, index: index, size: size, proof: proof + [root], root: root), "\(context)")
                #expect(!Self.inclusionVerifies(tree, leaf: leaf, index: index, size: size, proof: [root] + proof, root: root), "\(context)")
                if !proof.isEmpty {
                    #expect(!Self.inclusionVerifies(tree, leaf: leaf, index: index, size: size, proof: Array(proof.dropLast()), root: root), "\(context)")
                }
                if proof.count > 1 {
                    #expect(!Self.inclusionVerifies(tree, leaf: leaf, index: index, size: size, proof: proof.reversed(), root: root), "\(context)")
                }
            }
        }
    }

    @Test("Changed roots or proof hashes break a consistency proof")
    func consistencyTampering() throws {
        let fixture = try TreeFixture(size: Self.maximumSize)
        let tree = fixture.tree
        let roots = try (0...Self.maximumSize).map { try tree.root(treeSize: UInt64($0), nodes: fixture.storage) }
        for n in 2...Self.maximumSize {
            for m in 1..<n {
                let old = UInt64(m)
                let new = UInt64(n)
                let proof = try tree.consistencyProof(oldSize: old, newSize: new, nodes: fixture.storage)
                let context = "consistency \(m) to \(n)"
                #expect(Self.consistencyVerifies(tree, old: old, new: new, oldRoot: roots[m], newRoot: roots[n], proof: proof), "\(context)")
                #expect(!Self.consistencyVerifies(tree, old: old, new: new, oldRoot: roots[m].flippingBit(7, ofByte: 0),
                                                  newRoot: roots[n], proof: proof), "\(context)")
                #expect(!Self.consistencyVerifies(tree, old: old, new: new, oldRoot: roots[m],
                                                  newRoot: roots[n].flippingBit(7, ofByte: 0), proof: proof), "\(context)")
                #expect(!Self.consistencyVerifies(tree, old: old, new: new, oldRoot: roots[n], newRoot: roots[m], proof: proof), "\(context)")
                #expect(!Self.consistencyVerifies(tree, old: old, new: new, oldRoot: roots[m], newRoot: roots[n], proof: []), "\(context)")
                #expect(!Self.consistencyVerifies(tree, old: old, new: new * 2, oldRoot: roots[m], newRoot: roots[n], proof: proof), "\(context)")
                for position in proof.indices {
                    var tampered = proof
                    tampered[position] = proof[position].flippingBit(4, ofByte: position % 32)
                    #expect(!Self.consistencyVerifies(tree, old: old, new: new, oldRoot: roots[m], newRoot: roots[n], proof: tampered),
                            "\(context), proof[\(position)]")
                }
                #expect(!Self.consistencyVerifies(tree, old: old, new: new, oldRoot: roots[m], newRoot: roots[n], proof: proof + [roots[n]]), "\(context)")
                #expect(!Self.consistencyVerifies(tree, old: old, new: new, oldRoot: roots[m], newRoot: roots[n], proof: [roots[m]] + proof), "\(context)")
                #expect(!Self.consistencyVerifies(tree, old: old, new: new, oldRoot: roots[m], newRoot: roots[n], proof: Array(proof.dropLast())), "\(context)")
            }
        }
    }

    @Test("Trivial consistency cases follow the documented rules")
    func trivialConsistency() throws {
        let tree = MerkleTree()
        let a = try tree.leafHash([1])
        let b = try tree.leafHash([2])
        #expect(Self.consistencyVerifies(tree, old: 3, new: 3, oldRoot: a, newRoot: a, proof: []))
        #expect(!Self.consistencyVerifies(tree, old: 3, new: 3, oldRoot: a, newRoot: b, proof: []))
        #expect(!Self.consistencyVerifies(tree, old: 3, new: 3, oldRoot: a, newRoot: a, proof: [a]))
        #expect(Self.consistencyVerifies(tree, old: 0, new: 5, oldRoot: a, newRoot: b, proof: []))
        #expect(!Self.consistencyVerifies(tree, old: 0, new: 5, oldRoot: a, newRoot: b, proof: [a]))
        #expect(!Self.consistencyVerifies(tree, old: 6, new: 5, oldRoot: a, newRoot: b, proof: [a]))
        #expect(!Self.inclusionVerifies(tree, leaf: a, index: 0, size: 0, proof: [], root: a))
        #expect(Self.inclusionVerifies(tree, leaf: a, index: 0, size: 1, proof: [], root: a))
        #expect(!Self.inclusionVerifies(tree, leaf: a, index: 1, size: 1, proof: [], root: a))
    }
}
