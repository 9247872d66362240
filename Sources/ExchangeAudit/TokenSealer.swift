import COpenSSL

/// Seals short tokens that a server hands out and takes back, such as page cursors, so that
/// the holder can neither read nor alter them: AES-256-GCM (through OpenSSL EVP) under a random
/// key that exists only in this process. A sealed token is `nonce (12) ‖ ciphertext ‖ tag (16)`;
/// tokens sealed by another process, or changed in any bit, do not open.
///
/// ```swift
/// let sealer = TokenSealer()
/// let token = try sealer.seal(position)
/// let position = sealer.open(token)   // nil for anything this sealer did not seal
/// ```
public struct TokenSealer: Sendable {
    private let key: [UInt8]

    /// Creates a sealer with a fresh random key.
    public init() {
        var generator = SystemRandomNumberGenerator()
        key = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Encrypts and authenticates `plaintext`.
    /// - Throws: ``AuditError`` (`crypto-failure`) if OpenSSL fails.
    public func seal(_ plaintext: [UInt8]) throws -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let nonce: [UInt8] = (0..<12).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        guard let context = EVP_CIPHER_CTX_new() else { throw AuditError.openSSL(.cryptoFailure, "EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: plaintext.count + 16)
        var written: Int32 = 0
        var tag = [UInt8](repeating: 0, count: 16)
        guard EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1,
            EVP_EncryptUpdate(context, &output, &written, plaintext, Int32(plaintext.count)) == 1,
            output.withUnsafeMutableBufferPointer({ buffer in
                var tail: Int32 = 0
                return EVP_EncryptFinal_ex(context, buffer.baseAddress! + Int(written), &tail)
            }) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, 16, &tag) == 1
        else {
            throw AuditError.openSSL(.cryptoFailure, "AES-256-GCM sealing failed")
        }
        return nonce + output[0..<Int(written)] + tag
    }

    /// Decrypts a token this sealer made; `nil` for any other bytes.
    public func open(_ sealed: [UInt8]) -> [UInt8]? {
        guard sealed.count >= 28, let context = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(context) }
        let nonce = Array(sealed[0..<12])
        let ciphertext = Array(sealed[12..<(sealed.count - 16)])
        var tag = Array(sealed[(sealed.count - 16)...])
        var output = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var written: Int32 = 0
        guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1,
            EVP_DecryptUpdate(context, &output, &written, ciphertext, Int32(ciphertext.count)) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, 16, &tag) == 1,
            output.withUnsafeMutableBufferPointer({ buffer in
                var tail: Int32 = 0
                return EVP_DecryptFinal_ex(context, buffer.baseAddress! + Int(written), &tail)
            }) == 1
        else {
            return nil
        }
        return Array(output[0..<Int(written)])
    }
}
