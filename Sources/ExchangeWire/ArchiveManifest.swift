public import Foundation

/// The manifest of one archive segment (`<first>-<last>.manifest.json` beside
/// `<first>-<last>.ndjson`): which events the segment holds and what proves each one, so that
/// the archive verifies with the log's verifier key alone (see docs/audit-format.md §9).
public struct ArchiveManifest: Codable, Sendable, Equatable {
    /// The value of ``format``.
    public static let currentFormat = "data-exchange-archive/1"

    /// `data-exchange-archive/1`.
    public var format: String
    /// The topic of every event of the segment.
    public var topic: String
    /// The first and last sequence of the segment.
    public var firstSequence: UInt64
    public var lastSequence: UInt64
    /// The audit log's hash function (`sha256` or `sm3`), which computed every digest here.
    public var hash: String
    /// When the segment was written (RFC 3339, UTC).
    public var archivedAt: String
    /// The segment file.
    public var segment: Segment
    /// The signed checkpoint the inclusion proofs lead to.
    public var checkpoint: CheckpointNote
    /// One per line of the segment, in order.
    public var events: [Event]

    /// The segment file: its name in the topic's directory, its size and its digest.
    public struct Segment: Codable, Sendable, Equatable {
        public var file: String
        public var bytes: UInt64
        /// Lowercase hex of the hash of the whole file.
        public var digest: String
    }

    /// A signed checkpoint note and the tree size it states.
    public struct CheckpointNote: Codable, Sendable, Equatable {
        public var treeSize: UInt64
        public var note: String
    }

    /// One archived event.
    public struct Event: Codable, Sendable, Equatable {
        public var sequence: UInt64
        /// The index of the event's `published` audit entry (absent for an event stored before
        /// format 5, which cannot be proven).
        public var auditIndex: UInt64?
        /// Lowercase hex of the hash of the event's data, as its audit entry's `data_digest`.
        public var dataDigest: String
        /// Lowercase hex of the hash of the event's line in the segment (without the newline).
        public var lineDigest: String
        /// The canonical bytes of the `published` audit entry, base64.
        public var entry: String?
        /// The entry's inclusion proof in the checkpoint's tree, base64 hashes from the leaf up.
        public var proof: [String]
    }

    /// The manifest as JSON: keys in snake case, sorted.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads a manifest.
    public static func decode(_ data: Data) throws -> ArchiveManifest {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(ArchiveManifest.self, from: data)
    }
}
