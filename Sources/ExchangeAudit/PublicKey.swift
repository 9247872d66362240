import COpenSSL

/// A public key that verifies Ed25519 or SM2/SM3 signatures.
///
/// ```swift
/// let key = try PublicKey(pemRepresentation: pem)
/// let valid = key.isValidSignature(signature, for: message)
/// ```
public struct PublicKey: Sendable {
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

    /// Creates a key from its raw encoding.
    ///
    /// - Parameters:
    ///   - algorithm: The key's signature algorithm.
    ///   - rawRepresentation: 32 bytes for Ed25519 (RFC 8032); 65 bytes for SM2 (an
    ///     uncompressed point `0x04 || x || y`).
    public init(algorithm: SignatureAlgorithm, rawRepresentation: [UInt8]) throws {
        guard rawRepresentation.count == algorithm.rawPublicKeyLength else {
            throw AuditError(.malformedKey, "a raw \(algorithm) public key has \(algorithm.rawPublicKeyLength) bytes")
        }
        let key = try EVPKey.fromSubjectPublicKeyInfo(algorithm.subjectPublicKeyInfoPrefix + rawRepresentation)
        guard key.isA(algorithm) else {
            throw AuditError(.malformedKey, "the raw key does not decode as \(algorithm)")
        }
        try self.init(key: key)
    }

    /// The raw public key: 32 bytes for Ed25519, a 65-byte uncompressed point for SM2.
    public var rawRepresentation: [UInt8] {
        get throws {
            let der = try key.subjectPublicKeyInfo()
            let prefix = algorithm.subjectPublicKeyInfoPrefix
            guard der.count == prefix.count + algorithm.rawPublicKeyLength, der.starts(with: prefix) else {
                throw AuditError(.malformedKey, "the \(algorithm) public key has an unexpected encoding")
            }
            return Array(der.dropFirst(prefix.count))
        }
    }

    /// Checks a signature made by the matching private key.
    ///
    /// SM2 signatures are verified with SM3 and the distinguishing identifier
    /// ``SignatureAlgorithm/sm2DistinguishingID``.
    ///
    /// - Parameters:
    ///   - signature: The signature bytes (64 bytes for Ed25519; DER `SEQUENCE { r, s }` for SM2).
    ///   - message: The signed message.
    /// - Returns: Whether the signature is valid; any failure, including a malformed signature, is `false`.
    public func isValidSignature(_ signature: [UInt8], for message: some Sequence<UInt8>) -> Bool {
        defer { OpenSSLErrorQueue.clear() }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer?
        guard EVP_DigestVerifyInit_ex(context, &keyContext, algorithm.openSSLDigestName, nil, nil, key.pointer, nil) == 1
        else { return false }
        if algorithm == .sm2 {
            let id = SignatureAlgorithm.sm2DistinguishingID
            guard EVP_PKEY_CTX_set1_id(keyContext, id, Int32(id.count)) == 1 else { return false }
        }
        let bytes = Array(message)
        return signature.withUnsafeBufferPointer { signatureBuffer in
            bytes.withUnsafeBufferPointer { messageBuffer in
                EVP_DigestVerify(
                    context, signatureBuffer.baseAddress, signatureBuffer.count,
                    messageBuffer.baseAddress, messageBuffer.count) == 1
            }
        }
    }
}
