public import ExchangeAudit
public import ExchangeStore

/// Where retention writes a topic's expired events before it removes them (`archive: true` in
/// `topics.yaml`). An implementation writes each batch durably (synced to disk) before it
/// returns: the store removes the events right after.
public protocol EventArchiver: Sendable {
    /// The last sequence of `topic` the archive holds, or `nil` when it holds none.
    func archivedThrough(topic: String) throws -> UInt64?

    /// Writes `batch` durably; returns once it is on disk.
    func archive(_ batch: ArchiveBatch) throws
}

/// One topic's expired events, oldest first, with what proves each one: its `published` audit
/// entry, the entry's inclusion proof, and the signed checkpoint the proofs lead to.
public struct ArchiveBatch: Sendable {
    /// The topic.
    public var topic: String
    /// The events, oldest first; each holds its audit entry.
    public var events: [ExpiringEvent]
    /// Per event, the inclusion proof of its audit entry in the tree of ``checkpoint``'s size
    /// (empty for an event without an audit index).
    public var proofs: [[Digest]]
    /// The signed checkpoint whose tree size exceeds every event's audit index.
    public var checkpoint: StoredCheckpoint

    /// Creates a batch.
    public init(topic: String, events: [ExpiringEvent], proofs: [[Digest]], checkpoint: StoredCheckpoint) {
        self.topic = topic
        self.events = events
        self.proofs = proofs
        self.checkpoint = checkpoint
    }
}
