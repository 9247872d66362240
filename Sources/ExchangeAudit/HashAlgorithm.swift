/// A hash algorithm for Merkle tree hashing and checkpoint digests.
///
/// Both algorithms produce 32-byte ``Digest`` values.
///
/// ```swift
/// let digest = try HashAlgorithm.sm3.digest(Array("abc".utf8))
/// ```
public enum HashAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// SHA-256 (FIPS 180-4), the RFC 6962 / RFC 9162 default.
    case sha256
    /// SM3 (GM/T 0004-2012, ISO/IEC 10118-3).
    case sm3

    /// The algorithm's name in OpenSSL's provider namespace.
    var openSSLName: String {
        switch self {
        case .sha256: "SHA256"
        case .sm3: "SM3"
        }
    }

    /// Hashes a byte sequence.
    ///
    /// - Parameters:
    ///   - bytes: The input; contiguous collections (`[UInt8]`, `Data`, `String.UTF8View`) are
    ///     hashed without copying.
    /// - Returns: The 32-byte digest.
    public func digest(_ bytes: some Sequence<UInt8>) throws -> Digest {
        let context = try DigestContext(self)
        return try context.digest(bytes)
    }
}
