import Foundation

/// One signature line of a signed note: `— <key name> base64(key ID || signature)`.
public struct NoteSignature: Sendable, Hashable {
    /// The signing key's name.
    public let keyName: String
    /// The signing key's 32-bit identifier (big-endian in the encoding).
    public let keyID: UInt32
    /// The signature over the note text.
    public let signature: [UInt8]

    /// Creates a signature line.
    ///
    /// - Parameters:
    ///   - keyName: The key name: non-empty, no Unicode spaces, no `+`.
    ///   - keyID: The key ID.
    ///   - signature: The signature bytes, at least one.
    public init(keyName: String, keyID: UInt32, signature: [UInt8]) throws {
        try NoteKeyName.validate(keyName)
        guard !signature.isEmpty else {
            throw AuditError(.malformedNote, "a note signature has at least one byte")
        }
        self.keyName = keyName
        self.keyID = keyID
        self.signature = signature
    }

    /// The signature line, including the final newline.
    public var line: String {
        "\u{2014} \(keyName) \(Data(KeyID.bytes(keyID) + signature).base64EncodedString())\n"
    }
}

/// Key name rules of the signed-note format.
enum NoteKeyName {
    static func validate(_ name: String) throws {
        guard !name.isEmpty else {
            throw AuditError(.malformedKey, "a key name is not empty")
        }
        guard !name.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0 == "+" || $0.value < 0x20 || $0.value == 0x7f }) else {
            throw AuditError(.malformedKey, "a key name has no spaces, control characters or '+'")
        }
    }
}

/// Signed-note key IDs.
enum KeyID {
    /// `SHA-256(key name || 0x0A || signature type || public key)[:4]`, big-endian.
    static func compute(name: String, algorithm: SignatureAlgorithm, rawPublicKey: [UInt8]) throws -> UInt32 {
        let input = Array(name.utf8) + [0x0a] + algorithm.noteSignatureType + rawPublicKey
        let digest = try HashAlgorithm.sha256.digest(input).bytes
        return digest.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func bytes(_ keyID: UInt32) -> [UInt8] {
        [UInt8(keyID >> 24), UInt8(truncatingIfNeeded: keyID >> 16), UInt8(truncatingIfNeeded: keyID >> 8), UInt8(truncatingIfNeeded: keyID)]
    }

    static func hex(_ keyID: UInt32) -> String {
        let digits = String(keyID, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
