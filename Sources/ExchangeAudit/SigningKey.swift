import COpenSSL

/// A private key that signs checkpoints: Ed25519 by default, or SM2 with SM3.
///
/// The key material stays inside OpenSSL; ``description`` and errors never show it.
///
/// ```swift
/// let key = try SigningKey.generate(.ed25519)
/// try key.writePEM(toFile: "/etc/exchange/log.key")        // PKCS#8, mode 0600
/// let signature = try key.signature(for: Array("text\n".utf8))
/// ```
public struct SigningKey: Sendable, CustomStringConvertible {
    /// The key's signature algorithm.
    public let algorithm: SignatureAlgorithm
    let key: EVPKey

    init(key: EVPKey) throws {
        guard let algorithm = key.algorithm else {
            throw AuditError(.unsupportedAlgorithm, "the key is neither Ed25519 nor SM2")
        }
        self.algorithm = algorithm
        self.key = key
    }

    /// Generates a new random key pair.
    ///
    /// - Parameters:
    ///   - algorithm: The signature algorithm; Ed25519 by default.
    public static func generate(_ algorithm: SignatureAlgorithm = .ed25519) throws -> SigningKey {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, algorithm.openSSLName, nil) else {
            throw AuditError.openSSL(.unsupportedAlgorithm, "OpenSSL cannot create \(algorithm) keys")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var generated: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_generate(context, &generated) == 1, let generated else {
            throw AuditError.openSSL(.cryptoFailure, "generating a \(algorithm) key failed")
        }
        return try SigningKey(key: EVPKey(taking: generated))
    }

    /// Creates an Ed25519 key from its 32-byte private key (the RFC 8032 seed).
    ///
    /// - Parameters:
    ///   - ed25519PrivateKey: The 32-byte seed.
    public init(ed25519PrivateKey seed: [UInt8]) throws {
        guard seed.count == 32 else {
            throw AuditError(.malformedKey, "an Ed25519 private key has 32 bytes")
        }
        let created = seed.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_private_key_ex(nil, "ED25519", nil, $0.baseAddress, $0.count)
        }
        guard let created else {
            throw AuditError.openSSL(.malformedKey, "the Ed25519 private key does not decode")
        }
        try self.init(key: EVPKey(taking: created))
    }

    /// The matching public key.
    public var publicKey: PublicKey {
        get throws {
            try PublicKey(key: EVPKey.fromSubjectPublicKeyInfo(key.subjectPublicKeyInfo()))
        }
    }

    /// Signs a message.
    ///
    /// Ed25519 signs the message itself (64-byte signature). SM2 hashes with SM3 over
    /// `Z || message`, where `Z` is computed with the distinguishing identifier
    /// ``SignatureAlgorithm/sm2DistinguishingID``, and returns a DER `SEQUENCE { r, s }`.
    ///
    /// - Parameters:
    ///   - message: The bytes to sign.
    public func signature(for message: some Sequence<UInt8>) throws -> [UInt8] {
        OpenSSLErrorQueue.clear()
        guard let context = EVP_MD_CTX_new() else {
            throw AuditError.openSSL(.cryptoFailure, "EVP_MD_CTX_new failed")
        }
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer?
        guard EVP_DigestSignInit_ex(context, &keyContext, algorithm.openSSLDigestName, nil, nil, key.pointer, nil) == 1 else {
            throw AuditError.openSSL(.cryptoFailure, "initialising \(algorithm) signing failed")
        }
        if algorithm == .sm2 {
            let id = SignatureAlgorithm.sm2DistinguishingID
            guard EVP_PKEY_CTX_set1_id(keyContext, id, Int32(id.count)) == 1 else {
                throw AuditError.openSSL(.cryptoFailure, "setting the SM2 distinguishing identifier failed")
            }
        }
        let bytes = Array(message)
        var length = 0
        guard EVP_DigestSign(context, nil, &length, nil, 0) == 1, length > 0 else {
            throw AuditError.openSSL(.cryptoFailure, "sizing the \(algorithm) signature failed")
        }
        var signature = [UInt8](repeating: 0, count: length)
        let status = signature.withUnsafeMutableBufferPointer { signatureBuffer in
            bytes.withUnsafeBufferPointer { messageBuffer in
                EVP_DigestSign(context, signatureBuffer.baseAddress, &length, messageBuffer.baseAddress, messageBuffer.count)
            }
        }
        guard status == 1 else {
            throw AuditError.openSSL(.cryptoFailure, "\(algorithm) signing failed")
        }
        signature.removeSubrange(length...)
        return signature
    }

    /// The algorithm only: a private key is never printed.
    public var description: String { "SigningKey(\(algorithm))" }
}
