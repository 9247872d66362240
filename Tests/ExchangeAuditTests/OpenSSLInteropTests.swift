import ExchangeAudit
import Foundation
import TestSupport
import Testing

/// Signed checkpoints checked by the openssl command-line tool, an independent verifier.
@Suite("Interoperability with the openssl tool")
struct OpenSSLInteropTests {
    /// Writes the checkpoint text, the raw signature (without the 4-byte key ID) and the public key.
    static func export(_ note: SignedNote, key: PublicKey, to directory: TemporaryDirectory) throws {
        try directory.write("msg", Array(note.text.utf8))
        try directory.write("sig", note.signatures[0].signature)
        try key.writePEM(toFile: directory.file("pub.pem"))
    }

    @Test("An Ed25519 checkpoint signature verifies with openssl pkeyutl")
    func ed25519() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let signer = try NoteSigner(name: "exchange.example.gov/audit", key: SigningKey.generate(.ed25519))
        let checkpoint = try Checkpoint(origin: signer.name, treeSize: 8, rootHash: CTVectors.roots[8])
        let note = try SignedNote(parsing: checkpoint.signed(by: [signer]).serialized)
        #expect(try note.verify(using: [signer.verifier]).count == 1)
        try Self.export(note, key: signer.key.publicKey, to: directory)

        let verify = ["pkeyutl", "-verify", "-pubin", "-inkey", directory.file("pub.pem"), "-rawin",
                      "-in", directory.file("msg"), "-sigfile", directory.file("sig")]
        let good = try runOpenSSL(verify)
        #expect(good.status == 0, "\(good.output)")
        #expect(good.output.contains("Signature Verified Successfully"))

        try directory.write("msg", Array(checkpoint.text.replacingOccurrences(of: "\n8\n", with: "\n9\n").utf8))
        let bad = try runOpenSSL(verify)
        #expect(bad.status != 0, "\(bad.output)")
    }

    @Test("An SM2/SM3 checkpoint signature verifies with openssl dgst -sm3 and the GM/T 0009 default ID")
    func sm2() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let signer = try NoteSigner(name: "exchange.example.gov/audit", key: SigningKey.generate(.sm2))
        let root = try MerkleTree(algorithm: .sm3).emptyRoot()
        let checkpoint = try Checkpoint(origin: signer.name, treeSize: 0, rootHash: root, hashAlgorithm: .sm3)
        let note = try SignedNote(parsing: checkpoint.signed(by: [signer]).serialized)
        #expect(try note.verify(using: [signer.verifier]).count == 1)
        try Self.export(note, key: signer.key.publicKey, to: directory)

        let verify = ["dgst", "-sm3", "-verify", directory.file("pub.pem"), "-signature", directory.file("sig"),
                      "-sigopt", "distid:1234567812345678", directory.file("msg")]
        let good = try runOpenSSL(verify)
        #expect(good.status == 0, "\(good.output)")
        #expect(good.output.contains("Verified OK"))

        // OpenSSL 3.0's own default distinguishing ID differs from GM/T 0009's: without the
        // option the tool computes another Z value and must refuse.
        let withoutID = try runOpenSSL(["dgst", "-sm3", "-verify", directory.file("pub.pem"), "-signature",
                                        directory.file("sig"), directory.file("msg")])
        #expect(withoutID.status != 0, "\(withoutID.output)")

        try directory.write("msg", Array(checkpoint.text.replacingOccurrences(of: "\n0\n", with: "\n1\n").utf8))
        let bad = try runOpenSSL(verify)
        #expect(bad.status != 0, "\(bad.output)")
    }

    @Test("Signatures made by openssl verify with our verifier", arguments: [("ED25519", SignatureAlgorithm.ed25519), ("SM2", .sm2)])
    func openSSLSigned(name: String, algorithm: SignatureAlgorithm) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try #require(try runOpenSSL(["genpkey", "-algorithm", name, "-out", directory.file("k.pem")]).status == 0)
        let text = "exchange.example.gov/audit\n1\n\(CTVectors.roots[1].base64)\n"
        try directory.write("msg", Array(text.utf8))
        let sign: [String] = algorithm == .ed25519
            ? ["pkeyutl", "-sign", "-inkey", directory.file("k.pem"), "-rawin", "-in", directory.file("msg"),
               "-out", directory.file("sig")]
            : ["dgst", "-sm3", "-sign", directory.file("k.pem"), "-sigopt", "distid:1234567812345678",
               "-out", directory.file("sig"), directory.file("msg")]
        let signed = try runOpenSSL(sign)
        try #require(signed.status == 0, "\(signed.output)")
        let signature = Array(try Data(contentsOf: URL(fileURLWithPath: directory.file("sig"))))

        let key = try SigningKey(pemFile: directory.file("k.pem"))
        let verifier = try NoteVerifier(name: "exchange.example.gov/audit", publicKey: key.publicKey)
        let line = try NoteSignature(keyName: verifier.name, keyID: verifier.keyID, signature: signature)
        let note = try SignedNote(parsing: SignedNote(text: text, signatures: [line]).serialized)
        #expect(try note.verify(using: [verifier]).count == 1)
        #expect(try Checkpoint(verifying: note.serialized, using: [verifier]).treeSize == 1)
    }
}
