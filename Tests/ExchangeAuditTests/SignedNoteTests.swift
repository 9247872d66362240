import ExchangeAudit
import Foundation
import Testing

/// The signed-note example of golang.org/x/mod/sumdb/note (note_test.go and its package
/// documentation), an independent implementation of the format.
enum GoNoteVector {
    static let verifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    /// The private key `PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz`:
    /// its base64 part is the type byte 0x01 and the 32-byte seed.
    static let seedBase64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    static let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let note = text + "\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

    static func seed() -> [UInt8] {
        Array(Data(base64Encoded: seedBase64)!.dropFirst())
    }
}

@Suite("Signed notes")
struct SignedNoteTests {
    @Test("The Go reference note verifies with its verifier key")
    func goVectorVerifies() throws {
        let verifier = try NoteVerifier(verifierKey: GoNoteVector.verifierKey)
        #expect(verifier.name == "PeterNeumann")
        #expect(verifier.keyID == 0xc74f20a3)
        #expect(try verifier.verifierKey == GoNoteVector.verifierKey)
        // Key IDs are lowercase hex.
        let uppercased = GoNoteVector.verifierKey.replacingOccurrences(of: "c74f20a3", with: "C74F20A3")
        #expect { try NoteVerifier(verifierKey: uppercased) } throws: { error in
            (error as? AuditError)?.code == .malformedKey
        }
        let note = try SignedNote(parsing: GoNoteVector.note)
        #expect(note.text == GoNoteVector.text)
        #expect(try note.verify(using: [verifier]).count == 1)
    }

    @Test("Signing with the Go reference key reproduces the reference note byte for byte")
    func goVectorSigns() throws {
        let key = try SigningKey(ed25519PrivateKey: GoNoteVector.seed())
        let signer = try NoteSigner(name: "PeterNeumann", key: key)
        #expect(signer.keyID == 0xc74f20a3)
        #expect(try signer.verifier.verifierKey == GoNoteVector.verifierKey)
        #expect(try key.publicKey.verifierKey(name: "PeterNeumann") == GoNoteVector.verifierKey)
        #expect(try signer.sign(GoNoteVector.text).serialized == GoNoteVector.note)
    }

    @Test("A changed text, signature or key name fails the Go reference note")
    func goVectorTampered() throws {
        let verifier = try NoteVerifier(verifierKey: GoNoteVector.verifierKey)
        let changedText = GoNoteVector.note.replacingOccurrences(of: "cryptography", with: "cryptographY")
        #expect { try SignedNote(parsing: changedText).verify(using: [verifier]) } throws: { error in
            (error as? AuditError)?.code == .invalidSignature
        }
        let changedSignature = GoNoteVector.note.replacingOccurrences(of: "SffcvIAQ", with: "SffcvIAR")
        #expect { try SignedNote(parsing: changedSignature).verify(using: [verifier]) } throws: { error in
            (error as? AuditError)?.code == .invalidSignature
        }
        // Another name with the same key ID is an unknown key: ignored, so nothing verifies.
        let otherName = GoNoteVector.note.replacingOccurrences(of: "\u{2014} PeterNeumann", with: "\u{2014} PeterNeumann2")
        #expect { try SignedNote(parsing: otherName).verify(using: [verifier]) } throws: { error in
            (error as? AuditError)?.code == .unverifiedNote
        }
    }

    @Test("Round trip, multiple signers, and a note signed by another key", arguments: SignatureAlgorithm.allCases)
    func roundTrip(algorithm: SignatureAlgorithm) throws {
        let signer = try NoteSigner(name: "exchange.example/audit", key: SigningKey.generate(algorithm))
        let stranger = try NoteSigner(name: "exchange.example/audit", key: SigningKey.generate(algorithm))
        let text = "hello\n\nworld\n"
        let note = try signer.sign(text)
        let parsed = try SignedNote(parsing: note.serialized)
        #expect(parsed == note)
        #expect(parsed.text == text)
        #expect(try parsed.verify(using: [signer.verifier]) == note.signatures)

        // Signed by another key of the same name: unknown, so the note is rejected.
        let foreign = try SignedNote(parsing: stranger.sign(text).serialized)
        #expect { try foreign.verify(using: [signer.verifier]) } throws: { error in
            (error as? AuditError)?.code == .unverifiedNote
        }
        // A stranger's extra signature is ignored; ours still verifies.
        let both = try SignedNote(text: text, signatures: [stranger.signature(for: text), signer.signature(for: text)])
        #expect(try SignedNote(parsing: both.serialized).verify(using: [signer.verifier]).count == 1)
        // Our key ID and name on a stranger's signature: a known key whose signature fails.
        let forged = try NoteSignature(keyName: signer.name, keyID: signer.keyID, signature: stranger.signature(for: text).signature)
        #expect { try SignedNote(text: text, signatures: [forged]).verify(using: [signer.verifier]) } throws: { error in
            (error as? AuditError)?.code == .invalidSignature
        }
        // The signature does not carry over to another text.
        let moved = try SignedNote(text: "hello\n", signatures: note.signatures)
        #expect { try moved.verify(using: [signer.verifier]) } throws: { error in
            (error as? AuditError)?.code == .invalidSignature
        }
    }

    @Test("Malformed notes are rejected", arguments: [
        "text\n",                                                  // no signatures
        "text\n\n",                                                // empty signature block
        "text\n\n\u{2014} name AAAAAAE=",                           // no final newline
        "text\n\n- name AAAAAAE=\n",                               // hyphen, not em dash
        "text\n\n\u{2014} name AAAAAA==\n",                         // key ID without signature
        "text\n\n\u{2014} na me AAAAAAE=\n",                        // space in key name
        "text\n\n\u{2014} na+me AAAAAAE=\n",                        // plus in key name
        "text\n\n\u{2014} name AAAAAAE\n",                          // not padded
        "text\n\n\u{2014} name AAAAAAE=\nextra\n",                  // trailing non-signature line
        "te\u{7}xt\n\n\u{2014} name AAAAAAE=\n",                    // control character
        "text\n\n\u{2014} name AAAAAAE=\n\n",                        // blank line after signatures
    ])
    func malformed(note: String) {
        #expect { try SignedNote(parsing: note) } throws: { error in
            (error as? AuditError)?.code == .malformedNote
        }
    }

    @Test("Texts that are not note texts cannot be signed")
    func unsignableTexts() throws {
        let signer = try NoteSigner(name: "n", key: SigningKey.generate())
        #expect(throws: AuditError.self) { try signer.sign("no newline") }
        #expect(throws: AuditError.self) { try signer.sign("tab\there\n") }
        #expect(throws: AuditError.self) { try NoteSigner(name: "with space", key: SigningKey.generate()) }
        #expect(throws: AuditError.self) { try NoteSigner(name: "", key: SigningKey.generate()) }
    }

    @Test("Verifier keys round trip and reject a wrong key ID or mangled key", arguments: SignatureAlgorithm.allCases)
    func verifierKeys(algorithm: SignatureAlgorithm) throws {
        let signer = try NoteSigner(name: "exchange.example/audit", key: SigningKey.generate(algorithm))
        let text = try signer.verifier.verifierKey
        let parsed = try NoteVerifier(verifierKey: text)
        #expect(parsed.keyID == signer.keyID)
        #expect(try parsed.publicKey.rawRepresentation == signer.verifier.publicKey.rawRepresentation)
        let parts = text.split(separator: "+", maxSplits: 2).map(String.init)
        let wrongID = String(format: "%08x", signer.keyID ^ 1)
        #expect { try NoteVerifier(verifierKey: "\(parts[0])+\(wrongID)+\(parts[2])") } throws: { error in
            (error as? AuditError)?.code == .malformedKey
        }
        #expect(throws: AuditError.self) { try NoteVerifier(verifierKey: "other+\(parts[1])+\(parts[2])") }
        #expect(throws: AuditError.self) { try NoteVerifier(verifierKey: "\(parts[0])+\(parts[1])+\(parts[2].dropLast(4))") }
        #expect(throws: AuditError.self) { try NoteVerifier(verifierKey: "\(parts[0])+\(parts[1])") }
    }

    @Test("SM2 key IDs use the documented signature type bytes")
    func sm2KeyID() throws {
        let key = try SigningKey.generate(.sm2)
        let raw = try key.publicKey.rawRepresentation
        #expect(raw.count == 65 && raw[0] == 0x04)
        let signer = try NoteSigner(name: "exchange.example/audit", key: key)
        let input = Array("exchange.example/audit\n".utf8) + [0xff] + Array("data-exchange/sm2-sm3".utf8) + raw
        let digest = try HashAlgorithm.sha256.digest(input).bytes
        #expect(signer.keyID == digest.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        let vkey = try signer.verifier.verifierKey
        let decoded = Array(Data(base64Encoded: String(vkey.split(separator: "+", maxSplits: 2)[2]))!)
        #expect(decoded == [0xff] + Array("data-exchange/sm2-sm3".utf8) + raw)
    }
}
