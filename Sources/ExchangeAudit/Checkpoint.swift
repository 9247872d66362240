/// A C2SP tlog-checkpoint: the signed statement of a log's tree size and root hash.
///
/// Note text (each line ends in a newline):
///
/// ```
/// <origin>
/// <tree size, decimal>
/// <root hash, base64>
/// [tree-hash sm3]          only for SM3 trees; SHA-256 trees carry no marker
/// [other extension lines]
/// ```
///
/// ```swift
/// let checkpoint = try Checkpoint(origin: "exchange.example.gov/audit", treeSize: size, rootHash: root)
/// let note = try checkpoint.signed(by: [signer]).serialized
/// let opened = try Checkpoint(verifying: note, using: [verifier], origin: "exchange.example.gov/audit")
/// ```
public struct Checkpoint: Sendable, Hashable {
    /// The extension line that marks an SM3 tree: `tree-hash sm3`.
    ///
    /// The marker prefix is reserved: other extension lines may not start with it.
    public static let hashMarkerPrefix = "tree-hash "

    /// The log's identity, e.g. `exchange.example.gov/audit`.
    public let origin: String
    /// The number of leaves in the tree.
    public let treeSize: UInt64
    /// The RFC 9162 root hash of the tree at ``treeSize``.
    public let rootHash: Digest
    /// The hash function of the tree.
    public let hashAlgorithm: HashAlgorithm
    /// Extension lines after the hash marker, opaque to this library.
    public let extensionLines: [String]

    /// Creates a checkpoint.
    ///
    /// - Parameters:
    ///   - origin: The log's identity: non-empty, no control characters.
    ///   - treeSize: The tree size.
    ///   - rootHash: The root hash at that size.
    ///   - hashAlgorithm: The tree's hash function; SHA-256 by default.
    ///   - extensionLines: Further non-empty lines, none starting with ``hashMarkerPrefix``.
    public init(
        origin: String, treeSize: UInt64, rootHash: Digest, hashAlgorithm: HashAlgorithm = .sha256,
        extensionLines: [String] = []
    ) throws {
        guard !origin.isEmpty, !origin.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw AuditError(.malformedCheckpoint, "an origin is a non-empty line without control characters")
        }
        for line in extensionLines {
            guard !line.isEmpty, !line.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
                throw AuditError(.malformedCheckpoint, "an extension line is non-empty and has no control characters")
            }
            guard !line.hasPrefix(Self.hashMarkerPrefix) else {
                throw AuditError(.malformedCheckpoint, "'\(Self.hashMarkerPrefix)' lines are reserved for the hash marker")
            }
        }
        self.origin = origin
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.hashAlgorithm = hashAlgorithm
        self.extensionLines = extensionLines
    }

    /// The hash-marker extension line for the tree's algorithm, or `nil` for SHA-256.
    var hashMarker: String? {
        hashAlgorithm == .sha256 ? nil : Self.hashMarkerPrefix + hashAlgorithm.rawValue
    }

    /// The checkpoint as note text, ending in a newline.
    public var text: String {
        var lines = [origin, String(treeSize), rootHash.base64]
        if let hashMarker { lines.append(hashMarker) }
        lines += extensionLines
        return lines.map { $0 + "\n" }.joined()
    }
}

extension Checkpoint {
    /// The tree hasher for this checkpoint's hash function, to verify proofs against ``rootHash``.
    public var merkleTree: MerkleTree {
        MerkleTree(algorithm: hashAlgorithm)
    }
}
