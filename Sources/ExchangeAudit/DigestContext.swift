import COpenSSL

/// The EVP message digests fetched once per process and shared by all contexts.
///
/// An explicitly fetched `EVP_MD` avoids OpenSSL's implicit fetch (a lock and a table lookup) on
/// every digest initialisation. Fetched digests are immutable and safe to share between threads.
private enum FetchedDigests {
    nonisolated(unsafe) static let sha256: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)
    nonisolated(unsafe) static let sm3: OpaquePointer? = EVP_MD_fetch(nil, "SM3", nil)

    static func digest(for algorithm: HashAlgorithm) -> OpaquePointer? {
        switch algorithm {
        case .sha256: sha256
        case .sm3: sm3
        }
    }
}

/// A reusable OpenSSL digest context: one allocation serves any number of hashes.
///
/// Not thread-safe; each operation (a proof, a root, an append) creates its own context.
final class DigestContext {
    let algorithm: HashAlgorithm
    private let context: OpaquePointer
    private let messageDigest: OpaquePointer

    /// Creates a context for `algorithm`.
    ///
    /// - Parameters:
    ///   - algorithm: The hash algorithm; throws ``AuditError/Code/unsupportedAlgorithm`` when
    ///     OpenSSL does not provide it.
    init(_ algorithm: HashAlgorithm) throws {
        guard let messageDigest = FetchedDigests.digest(for: algorithm) else {
            throw AuditError.openSSL(.unsupportedAlgorithm, "OpenSSL does not provide \(algorithm.openSSLName)")
        }
        guard let context = EVP_MD_CTX_new() else {
            throw AuditError.openSSL(.cryptoFailure, "EVP_MD_CTX_new failed")
        }
        self.algorithm = algorithm
        self.context = context
        self.messageDigest = messageDigest
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// Hashes one buffer.
    ///
    /// - Parameters:
    ///   - part: The input.
    func digest(_ part: UnsafeRawBufferPointer) throws -> Digest {
        try begin()
        try update(part)
        return try finish()
    }

    /// Hashes the concatenation of two buffers.
    ///
    /// - Parameters:
    ///   - first: The first part.
    ///   - second: The second part.
    func digest(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) throws -> Digest {
        try begin()
        try update(first)
        try update(second)
        return try finish()
    }

    /// Hashes the concatenation of three buffers.
    ///
    /// - Parameters:
    ///   - first: The first part.
    ///   - second: The second part.
    ///   - third: The third part.
    func digest(
        _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, _ third: UnsafeRawBufferPointer
    ) throws -> Digest {
        try begin()
        try update(first)
        try update(second)
        try update(third)
        return try finish()
    }

    private func begin() throws {
        guard EVP_DigestInit_ex2(context, messageDigest, nil) == 1 else {
            throw AuditError.openSSL(.cryptoFailure, "EVP_DigestInit_ex2 failed")
        }
    }

    private func update(_ part: UnsafeRawBufferPointer) throws {
        guard part.count > 0 else { return }
        guard EVP_DigestUpdate(context, part.baseAddress, part.count) == 1 else {
            throw AuditError.openSSL(.cryptoFailure, "EVP_DigestUpdate failed")
        }
    }

    private func finish() throws -> Digest {
        var length: UInt32 = 0
        var status: Int32 = 0
        let result = Digest { output in
            status = EVP_DigestFinal_ex(context, output.baseAddress!.assumingMemoryBound(to: UInt8.self), &length)
        }
        guard status == 1, length == UInt32(Digest.byteCount) else {
            throw AuditError.openSSL(.cryptoFailure, "EVP_DigestFinal_ex failed")
        }
        return result
    }

    /// Hashes a byte sequence, without copying it when it is contiguous.
    ///
    /// - Parameters:
    ///   - bytes: The input.
    func digest(_ bytes: some Sequence<UInt8>) throws -> Digest {
        if let result = try bytes.withContiguousStorageIfAvailable({ try digest(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        let copy = Array(bytes)
        return try copy.withUnsafeBytes { try digest($0) }
    }

    /// RFC 9162 leaf hash: `H(0x00 || entry)`.
    ///
    /// - Parameters:
    ///   - entry: The leaf entry bytes.
    func leafHash(_ entry: some Sequence<UInt8>) throws -> Digest {
        let prefix: UInt8 = 0x00
        return try Swift.withUnsafeBytes(of: prefix) { prefixBytes in
            if let result = try entry.withContiguousStorageIfAvailable({ buffer in
                try digest(prefixBytes, UnsafeRawBufferPointer(buffer))
            }) {
                return result
            }
            return try Array(entry).withUnsafeBytes { try digest(prefixBytes, $0) }
        }
    }

    /// RFC 9162 interior node hash: `H(0x01 || left || right)`.
    ///
    /// - Parameters:
    ///   - left: The left child's hash.
    ///   - right: The right child's hash.
    func nodeHash(_ left: Digest, _ right: Digest) throws -> Digest {
        let prefix: UInt8 = 0x01
        return try Swift.withUnsafeBytes(of: prefix) { prefixBytes in
            try left.withUnsafeBytes { leftBytes in
                try right.withUnsafeBytes { rightBytes in
                    try digest(prefixBytes, leftBytes, rightBytes)
                }
            }
        }
    }
}
