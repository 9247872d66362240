import Foundation

/// A trusted public key under a name: checks signed-note signatures.
///
/// Its text form is a C2SP verifier key, `<name>+<hex key ID>+<base64(signature type || public key)>`,
/// for example `example.com/log+1a2b3c4d+AY7...`.
public struct NoteVerifier: Sendable {
    /// The key name.
    public let name: String
    /// The key ID.
    public let keyID: UInt32
    /// The public key.
    public let publicKey: PublicKey

    /// Creates a verifier for a named public key, computing its key ID.
    ///
    /// - Parameters:
    ///   - name: The key name: non-empty, no Unicode spaces, no `+`.
    ///   - publicKey: The public key.
    public init(name: String, publicKey: PublicKey) throws {
        try NoteKeyName.validate(name)
        self.name = name
        self.publicKey = publicKey
        self.keyID = try KeyID.compute(name: name, algorithm: publicKey.algorithm, rawPublicKey: publicKey.rawRepresentation)
    }

    /// Parses a verifier key string.
    ///
    /// - Parameters:
    ///   - verifierKey: `<name>+<8 hex digits>+<base64(signature type || public key)>`; the key ID
    ///     must match the one computed from the name and key.
    public init(verifierKey: String) throws {
        let parts = verifierKey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw AuditError(.malformedKey, "a verifier key is '<name>+<key ID>+<key>'")
        }
        let hexID = String(parts[1])
        guard hexID.utf8.count == 8, hexID.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
              let keyID = UInt32(hexID, radix: 16)
        else {
            throw AuditError(.malformedKey, "a verifier key ID is 8 lowercase hex digits")
        }
        let encoded = String(parts[2])
        guard let decoded = Data(base64Encoded: encoded), decoded.base64EncodedString() == encoded else {
            throw AuditError(.malformedKey, "a verifier key ends in canonical base64")
        }
        let raw = Array(decoded)
        guard let algorithm = SignatureAlgorithm.allCases.first(where: {
            raw.starts(with: $0.noteSignatureType) && raw.count == $0.noteSignatureType.count + $0.rawPublicKeyLength
        }) else {
            throw AuditError(.unsupportedAlgorithm, "the verifier key's signature type or length is not supported")
        }
        let publicKey = try PublicKey(algorithm: algorithm, rawRepresentation: Array(raw.dropFirst(algorithm.noteSignatureType.count)))
        try self.init(name: String(parts[0]), publicKey: publicKey)
        guard self.keyID == keyID else {
            throw AuditError(.malformedKey, "the verifier key's ID does not match its name and key")
        }
    }

    /// The C2SP verifier key string of this key.
    public var verifierKey: String {
        get throws {
            let raw = publicKey.algorithm.noteSignatureType + (try publicKey.rawRepresentation)
            return "\(name)+\(KeyID.hex(keyID))+\(Data(raw).base64EncodedString())"
        }
    }

    /// Whether a signature line names this key (same name and key ID).
    ///
    /// - Parameters:
    ///   - signature: The signature line.
    public func matches(_ signature: NoteSignature) -> Bool {
        signature.keyName == name && signature.keyID == keyID
    }

    /// Whether a signature of this key over `text` is valid.
    ///
    /// - Parameters:
    ///   - signature: The signature line; it must name this key.
    ///   - text: The note text it signs.
    public func isValid(_ signature: NoteSignature, for text: String) -> Bool {
        matches(signature) && publicKey.isValidSignature(signature.signature, for: text.utf8)
    }
}

extension PublicKey {
    /// The C2SP verifier key string of this key under a name, for auditors to pin.
    ///
    /// ```swift
    /// print(try SigningKey(pemFile: path).publicKey.verifierKey(name: "exchange.example.gov/audit"))
    /// ```
    ///
    /// - Parameters:
    ///   - name: The key name; for a log, its origin.
    public func verifierKey(name: String) throws -> String {
        try NoteVerifier(name: name, publicKey: self).verifierKey
    }
}
