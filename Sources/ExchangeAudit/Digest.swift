/// A 32-byte hash value: the output of SHA-256 or SM3, and every Merkle tree hash.
///
/// `Digest` is a fixed-size value stored inline, so creating and comparing digests does not
/// allocate. Both supported algorithms (``HashAlgorithm``) produce 32 bytes.
public struct Digest: Sendable, Hashable {
    /// The number of bytes in a digest.
    public static let byteCount = 32

    @usableFromInline
    var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// A digest of 32 zero bytes.
    public static let zero = Digest()

    @usableFromInline
    init() {}

    /// Creates a digest from exactly 32 bytes.
    ///
    /// - Parameters:
    ///   - bytes: The digest bytes; any other length throws ``AuditError/Code/invalidHash``.
    public init(bytes: some Collection<UInt8>) throws {
        guard bytes.count == Digest.byteCount else {
            throw AuditError(.invalidHash, "a digest has \(Digest.byteCount) bytes, got \(bytes.count)")
        }
        withUnsafeMutableBytes { target in
            for (offset, byte) in bytes.enumerated() {
                target[offset] = byte
            }
        }
    }

    /// Creates a digest by letting `body` fill its 32 bytes.
    ///
    /// - Parameters:
    ///   - body: Writes the digest bytes into the buffer it is given.
    @inlinable
    init(filling body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        self.init()
        try withUnsafeMutableBytes(body)
    }

    /// Calls `body` with the 32 digest bytes.
    ///
    /// - Parameters:
    ///   - body: Reads the bytes; the buffer is valid only during the call.
    @inlinable
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        var copy = storage
        return try Swift.withUnsafeBytes(of: &copy) { try body($0) }
    }

    @inlinable
    mutating func withUnsafeMutableBytes<Result>(
        _ body: (UnsafeMutableRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        try Swift.withUnsafeMutableBytes(of: &storage) { try body($0) }
    }

    /// The digest bytes as an array.
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// Compares two digests byte for byte.
    ///
    /// - Parameters:
    ///   - lhs: A digest.
    ///   - rhs: Another digest.
    public static func == (lhs: Digest, rhs: Digest) -> Bool {
        lhs.storage.0 == rhs.storage.0 && lhs.storage.1 == rhs.storage.1
            && lhs.storage.2 == rhs.storage.2 && lhs.storage.3 == rhs.storage.3
    }

    /// Feeds the digest bytes to a hasher.
    ///
    /// - Parameters:
    ///   - hasher: The hasher to feed.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }
}
