/// A private key under a name: signs note texts.
///
/// ```swift
/// let signer = try NoteSigner(name: "exchange.example.gov/audit", key: SigningKey.generate())
/// print(try signer.verifier.verifierKey)      // give this to auditors
/// ```
public struct NoteSigner: Sendable {
    /// The key name; for checkpoints it should equal the log's origin.
    public let name: String
    /// The private key.
    public let key: SigningKey
    /// The key's public half under the same name.
    public let verifier: NoteVerifier

    /// Creates a named signer.
    ///
    /// - Parameters:
    ///   - name: The key name: non-empty, no Unicode spaces, no `+`.
    ///   - key: The private key.
    public init(name: String, key: SigningKey) throws {
        self.name = name
        self.key = key
        self.verifier = try NoteVerifier(name: name, publicKey: key.publicKey)
    }

    /// The key ID of the signer.
    public var keyID: UInt32 { verifier.keyID }

    /// Signs a note text.
    ///
    /// - Parameters:
    ///   - text: The note text, ending in a newline.
    public func signature(for text: String) throws -> NoteSignature {
        try SignedNote.validateText(text)
        return try NoteSignature(keyName: name, keyID: keyID, signature: key.signature(for: text.utf8))
    }

    /// Signs a note text and returns the signed note.
    ///
    /// - Parameters:
    ///   - text: The note text, ending in a newline.
    public func sign(_ text: String) throws -> SignedNote {
        try SignedNote(text: text, signatures: [signature(for: text)])
    }
}
