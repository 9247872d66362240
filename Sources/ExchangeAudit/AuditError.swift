/// An error raised by the audit cryptography: hashing, Merkle proofs, keys, signed notes and checkpoints.
///
/// The error is a struct around a private code so that new cases can be added without breaking
/// callers. Compare ``code`` against the static members of ``AuditError/Code``; its
/// ``AuditError/Code/description`` is a stable string suitable for logs and API problem documents.
/// Private key material never appears in an error.
public struct AuditError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, machine-readable error code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable, Hashable {
            case cryptoFailure = "crypto-failure"
            case unsupportedAlgorithm = "unsupported-algorithm"
            case invalidTreeSize = "invalid-tree-size"
            case invalidLeafIndex = "invalid-leaf-index"
            case missingNode = "missing-node"
            case invalidNode = "invalid-node"
            case invalidProof = "invalid-proof"
            case invalidHash = "invalid-hash"
            case malformedNote = "malformed-note"
            case malformedCheckpoint = "malformed-checkpoint"
            case malformedKey = "malformed-key"
            case keyMismatch = "key-mismatch"
            case unverifiedNote = "unverified-note"
            case invalidSignature = "invalid-signature"
            case fileSystem = "file-system"
        }

        fileprivate let base: Base

        /// OpenSSL reported a failure that does not fit a more specific code.
        public static let cryptoFailure = Code(base: .cryptoFailure)
        /// The hash or signature algorithm is not available or not supported.
        public static let unsupportedAlgorithm = Code(base: .unsupportedAlgorithm)
        /// A tree size is out of range for the operation (for example a proof for an empty tree).
        public static let invalidTreeSize = Code(base: .invalidTreeSize)
        /// A leaf index is not below the tree size.
        public static let invalidLeafIndex = Code(base: .invalidLeafIndex)
        /// The node storage has no hash for a node the operation needs.
        public static let missingNode = Code(base: .missingNode)
        /// A node write does not fit the storage (for example it would leave a gap).
        public static let invalidNode = Code(base: .invalidNode)
        /// A Merkle inclusion or consistency proof does not verify.
        public static let invalidProof = Code(base: .invalidProof)
        /// A hash value has the wrong length or encoding.
        public static let invalidHash = Code(base: .invalidHash)
        /// A signed note does not follow the signed-note format.
        public static let malformedNote = Code(base: .malformedNote)
        /// A note text is not a well-formed checkpoint.
        public static let malformedCheckpoint = Code(base: .malformedCheckpoint)
        /// A key (PEM, verifier key string or raw bytes) cannot be decoded.
        public static let malformedKey = Code(base: .malformedKey)
        /// A key has a different algorithm or identity than required.
        public static let keyMismatch = Code(base: .keyMismatch)
        /// No signature of a trusted key verified on a note.
        public static let unverifiedNote = Code(base: .unverifiedNote)
        /// A signature from a trusted key failed to verify.
        public static let invalidSignature = Code(base: .invalidSignature)
        /// Reading or writing a key file failed.
        public static let fileSystem = Code(base: .fileSystem)

        /// The stable string form of the code, e.g. `invalid-proof`.
        public var description: String { base.rawValue }
    }

    /// The stable code of this error.
    public let code: Code
    /// A human-readable explanation.
    public let message: String
    /// The text of the OpenSSL error queue when OpenSSL reported the failure, if any.
    public let openSSLError: String?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The stable error code.
    ///   - message: A human-readable explanation; it must not contain secret material.
    ///   - openSSLError: Text from the OpenSSL error queue, if OpenSSL reported the failure.
    public init(_ code: Code, _ message: String, openSSLError: String? = nil) {
        self.code = code
        self.message = message
        self.openSSLError = openSSLError
    }

    /// `code: message`, followed by the OpenSSL error text when present.
    public var description: String {
        if let openSSLError {
            return "\(code): \(message) (OpenSSL: \(openSSLError))"
        }
        return "\(code): \(message)"
    }
}
