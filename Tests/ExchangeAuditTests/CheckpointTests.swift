import ExchangeAudit
import Foundation
import Testing

@Suite("Checkpoints")
struct CheckpointTests {
    static let origin = "exchange.example.gov/audit"

    @Test("SHA-256 checkpoint text is the plain C2SP body")
    func sha256Text() throws {
        let checkpoint = try Checkpoint(origin: Self.origin, treeSize: 8, rootHash: CTVectors.roots[8])
        #expect(checkpoint.text == "exchange.example.gov/audit\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n")
        #expect(try Checkpoint(text: checkpoint.text) == checkpoint)
        // The well-formed base of the malformed cases below parses.
        let base = try Checkpoint(text: "origin\n1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\nx\n")
        #expect(base.treeSize == 1 && base.rootHash == CTVectors.roots[8] && base.extensionLines == ["x"])
    }

    @Test("SM3 checkpoints carry the tree-hash marker as their first extension line")
    func sm3Marker() throws {
        let root = try MerkleTree(algorithm: .sm3).emptyRoot()
        let checkpoint = try Checkpoint(origin: Self.origin, treeSize: 0, rootHash: root, hashAlgorithm: .sm3,
                                        extensionLines: ["other"])
        #expect(checkpoint.text == "\(Self.origin)\n0\n\(root.base64)\ntree-hash sm3\nother\n")
        let parsed = try Checkpoint(text: checkpoint.text)
        #expect(parsed.hashAlgorithm == .sm3)
        #expect(parsed.merkleTree == MerkleTree(algorithm: .sm3))
        #expect(parsed.extensionLines == ["other"])
        #expect(parsed == checkpoint)
    }

    @Test("Malformed checkpoint texts are rejected", arguments: [
        "origin\n1\n",                                                      // no root
        "origin\n01\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",       // leading zero
        "origin\n-1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",       // sign
        "origin\n18446744073709551616\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", // overflow
        "origin\n1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQ==\n",         // 31 bytes
        "origin\n1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",          // no final newline
        "\n1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",              // empty origin
        "origin\n1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n",      // empty extension line
        "origin\n1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\ntree-hash md5\n",
        "origin\n1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\ntree-hash sha256\n",
        "origin\n1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\nx\ntree-hash sm3\n",
    ])
    func malformed(text: String) {
        #expect { try Checkpoint(text: text) } throws: { error in
            (error as? AuditError)?.code == .malformedCheckpoint
        }
    }

    @Test("A signed checkpoint opens with the log's key and not with another", arguments: SignatureAlgorithm.allCases)
    func signAndOpen(algorithm: SignatureAlgorithm) throws {
        let signer = try NoteSigner(name: Self.origin, key: SigningKey.generate(algorithm))
        let other = try NoteSigner(name: Self.origin, key: SigningKey.generate(algorithm))
        let tree: HashAlgorithm = algorithm == .sm2 ? .sm3 : .sha256
        let checkpoint = try Checkpoint(origin: Self.origin, treeSize: 42, rootHash: HashAlgorithm.sha256.digest([42]),
                                        hashAlgorithm: tree)
        let note = try checkpoint.signed(by: [signer]).serialized
        #expect(note.hasPrefix(checkpoint.text + "\n\u{2014} \(Self.origin) "))
        #expect(try Checkpoint(verifying: note, using: [signer.verifier], origin: Self.origin) == checkpoint)
        #expect(try Checkpoint(verifying: note, using: [other.verifier, signer.verifier]) == checkpoint)
        #expect { try Checkpoint(verifying: note, using: [other.verifier]) } throws: { error in
            (error as? AuditError)?.code == .unverifiedNote
        }
        #expect { try Checkpoint(verifying: note, using: [signer.verifier], origin: "elsewhere/log") } throws: { error in
            (error as? AuditError)?.code == .malformedCheckpoint
        }
        let grown = note.replacingOccurrences(of: "\n42\n", with: "\n43\n")
        #expect { try Checkpoint(verifying: grown, using: [signer.verifier]) } throws: { error in
            (error as? AuditError)?.code == .invalidSignature
        }
    }

    @Test("Checkpoints of a growing log verify end to end with proofs")
    func endToEnd() throws {
        let signer = try NoteSigner(name: Self.origin, key: SigningKey.generate())
        let tree = MerkleTree()
        var nodes = InMemoryMerkleNodeStorage()
        var notes: [String] = []
        for size in UInt64(0)..<20 {
            try tree.append(entry: Array("event \(size)".utf8), treeSize: size, to: &nodes)
            let checkpoint = try Checkpoint(origin: Self.origin, treeSize: size + 1,
                                            rootHash: tree.root(treeSize: size + 1, nodes: nodes))
            notes.append(try checkpoint.signed(by: [signer]).serialized)
        }
        // An auditor holding the checkpoints at sizes 5 and 20 checks that the log only grew,
        // and that entry 3 is in both.
        let old = try Checkpoint(verifying: notes[4], using: [signer.verifier])
        let new = try Checkpoint(verifying: notes[19], using: [signer.verifier])
        let consistency = try tree.consistencyProof(oldSize: old.treeSize, newSize: new.treeSize, nodes: nodes)
        try tree.verifyConsistency(oldSize: old.treeSize, newSize: new.treeSize, oldRoot: old.rootHash,
                                   newRoot: new.rootHash, proof: consistency)
        for checkpoint in [old, new] {
            let proof = try tree.inclusionProof(leafIndex: 3, treeSize: checkpoint.treeSize, nodes: nodes)
            try tree.verifyInclusion(leafHash: tree.leafHash(Array("event 3".utf8)), leafIndex: 3,
                                     treeSize: checkpoint.treeSize, proof: proof, root: checkpoint.rootHash)
            #expect(throws: AuditError.self) {
                try tree.verifyInclusion(leafHash: tree.leafHash(Array("event 3 (altered)".utf8)), leafIndex: 3,
                                         treeSize: checkpoint.treeSize, proof: proof, root: checkpoint.rootHash)
            }
        }
    }
}
