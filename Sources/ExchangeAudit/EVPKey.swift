import COpenSSL

/// Owns one OpenSSL `EVP_PKEY` and frees it when released.
///
/// OpenSSL 3 allows concurrent signing and verification with one `EVP_PKEY` as long as it is
/// not modified, and this wrapper never modifies the key after creation.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    /// Whether the key is of the given OpenSSL key type.
    func isA(_ algorithm: SignatureAlgorithm) -> Bool {
        EVP_PKEY_is_a(pointer, algorithm.openSSLName) == 1
    }

    /// The signature algorithm of the key, if it is one of ours.
    var algorithm: SignatureAlgorithm? {
        SignatureAlgorithm.allCases.first { isA($0) }
    }

    /// The DER SubjectPublicKeyInfo of the key.
    func subjectPublicKeyInfo() throws -> [UInt8] {
        let length = i2d_PUBKEY(pointer, nil)
        guard length > 0 else {
            throw AuditError.openSSL(.cryptoFailure, "i2d_PUBKEY failed")
        }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_PUBKEY(pointer, &cursor)
        }
        guard written == length else {
            throw AuditError.openSSL(.cryptoFailure, "i2d_PUBKEY failed")
        }
        return der
    }

    /// Decodes a DER SubjectPublicKeyInfo.
    static func fromSubjectPublicKeyInfo(_ der: [UInt8]) throws -> EVPKey {
        let key = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let key else {
            throw AuditError.openSSL(.malformedKey, "the public key does not decode")
        }
        return EVPKey(taking: key)
    }
}

/// Memory BIO helpers for PEM encoding.
enum MemoryBIO {
    /// Runs `body` with a fresh memory BIO and returns what it wrote.
    static func write(_ what: String, _ body: (OpaquePointer) -> Int32) throws -> String {
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw AuditError.openSSL(.cryptoFailure, "BIO_new failed")
        }
        defer { BIO_free(bio) }
        guard body(bio) == 1 else {
            throw AuditError.openSSL(.cryptoFailure, "writing \(what) failed")
        }
        let pending = Int(BIO_ctrl_pending(bio))
        var output = [UInt8](repeating: 0, count: pending)
        let read = output.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32(pending)) }
        guard read == Int32(pending) else {
            throw AuditError.openSSL(.cryptoFailure, "reading \(what) from memory failed")
        }
        defer {
            // PEM text of a private key must not linger in freed memory.
            output.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Runs `body` with a read-only memory BIO over `text`.
    static func read<Result>(_ text: String, _ body: (OpaquePointer) -> Result?) throws -> Result? {
        var bytes = Array(text.utf8)
        defer { bytes.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        return try bytes.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else {
                throw AuditError.openSSL(.cryptoFailure, "BIO_new_mem_buf failed")
            }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }
}

/// A PEM password callback that refuses, so that an encrypted key fails instead of prompting.
let refusePassword: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = {
    _, _, _, _ in 0
}
