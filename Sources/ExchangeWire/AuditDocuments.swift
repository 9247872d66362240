public import ExchangeStore

// The JSON documents of the auditor API (`/v1/audit/...`), shared by the server and by
// `exchangectl audit`, whose export bundle holds the same shapes one per line. Binary values
// (entries, hashes) are base64.

/// `GET /v1/audit/key`: the log's public key.
public struct AuditKeyDocument: Codable, Sendable, Equatable {
    /// The log's origin, the key's name.
    public var origin: String
    /// `ed25519` or `sm2`.
    public var algorithm: String
    /// The C2SP verifier key auditors pin.
    public var verifierKey: String
    /// The public key as PEM.
    public var publicKeyPEM: String

    /// Creates the document.
    public init(origin: String, algorithm: String, verifierKey: String, publicKeyPEM: String) {
        self.origin = origin
        self.algorithm = algorithm
        self.verifierKey = verifierKey
        self.publicKeyPEM = publicKeyPEM
    }

    enum CodingKeys: String, CodingKey {
        case origin, algorithm
        case verifierKey = "verifier_key"
        case publicKeyPEM = "public_key_pem"
    }
}

/// A kept checkpoint: `GET /v1/audit/checkpoint`, an item of `/checkpoints`, a line of an
/// export's checkpoints.ndjson.
public struct AuditCheckpointDocument: Codable, Sendable, Equatable {
    /// The tree size it states.
    public var treeSize: UInt64
    /// The signed note.
    public var checkpoint: String

    /// The document of a stored checkpoint.
    public init(_ stored: StoredCheckpoint) {
        treeSize = stored.treeSize
        checkpoint = stored.note
    }

    enum CodingKeys: String, CodingKey {
        case treeSize = "tree_size"
        case checkpoint
    }
}

/// `GET /v1/audit/checkpoints`.
public struct AuditCheckpointsPage: Codable, Sendable, Equatable {
    /// The checkpoints, smallest tree size first.
    public var checkpoints: [AuditCheckpointDocument]

    /// Creates the page.
    public init(checkpoints: [AuditCheckpointDocument]) {
        self.checkpoints = checkpoints
    }
}

/// One audit entry: an item of `GET /v1/audit/entries` and a line of an export's entries.ndjson.
public struct AuditEntryDocument: Codable, Sendable, Equatable {
    /// The entry's index.
    public var index: UInt64
    /// Base64 of the canonical entry bytes.
    public var entry: String
    /// Base64 of the leaf hash the log stored for the entry.
    public var leafHash: String?

    /// Creates the document.
    public init(index: UInt64, entry: String, leafHash: String?) {
        self.index = index
        self.entry = entry
        self.leafHash = leafHash
    }

    enum CodingKeys: String, CodingKey {
        case index, entry
        case leafHash = "leaf_hash"
    }
}

/// `GET /v1/audit/entries`.
public struct AuditEntriesPage: Codable, Sendable, Equatable {
    /// The log's size when answered.
    public var treeSize: UInt64
    /// The entries, in index order.
    public var entries: [AuditEntryDocument]

    /// Creates the page.
    public init(treeSize: UInt64, entries: [AuditEntryDocument]) {
        self.treeSize = treeSize
        self.entries = entries
    }

    enum CodingKeys: String, CodingKey {
        case treeSize = "tree_size"
        case entries
    }
}

/// `GET /v1/audit/proof/inclusion` (`index`, `tree_size`) and `/consistency` (`first`, `second`).
public struct AuditProofDocument: Codable, Sendable, Equatable {
    /// The entry of an inclusion proof.
    public var index: UInt64?
    /// The tree size of an inclusion proof.
    public var treeSize: UInt64?
    /// The smaller size of a consistency proof.
    public var first: UInt64?
    /// The larger size of a consistency proof.
    public var second: UInt64?
    /// The proof's hashes, base64.
    public var proof: [String]

    /// Creates the document.
    public init(index: UInt64?, treeSize: UInt64?, first: UInt64?, second: UInt64?, proof: [String]) {
        self.index = index
        self.treeSize = treeSize
        self.first = first
        self.second = second
        self.proof = proof
    }

    enum CodingKeys: String, CodingKey {
        case index, first, second, proof
        case treeSize = "tree_size"
    }
}
