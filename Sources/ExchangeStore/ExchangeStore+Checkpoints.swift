public import ExchangeAudit
import LMDB

/// A signed checkpoint kept by the store: the tree size it states and its signed-note text.
public struct StoredCheckpoint: Sendable, Hashable {
    /// The tree size the checkpoint states (its key in `checkpoints`).
    public var treeSize: UInt64
    /// The C2SP signed note, exactly as signed.
    public var note: String

    /// Creates a stored checkpoint.
    public init(treeSize: UInt64, note: String) {
        self.treeSize = treeSize
        self.note = note
    }
}

/// One audit entry with its index and the leaf hash stored for it in the Merkle tree.
public struct AuditEntryRecord: Sendable, Hashable {
    /// The entry's index in the log.
    public var index: UInt64
    /// The canonical entry bytes as stored.
    public var entry: [UInt8]
    /// The leaf hash written when the entry was appended (its level 0 Merkle node); `nil` if absent.
    public var leafHash: Digest?
}

extension ExchangeStore {
    /// Keeps a signed checkpoint durably, keyed by its tree size; returns after the commit.
    ///
    /// The store does not sign or parse notes: the caller (the daemon's checkpoint issuer) signs
    /// the root it read with ``auditRoot(treeSize:)``. Every checkpoint is kept.
    /// - Parameters:
    ///   - checkpoint: the tree size and note; the size must not exceed ``auditCount``.
    /// - Returns: `false` when a checkpoint of that tree size is already stored (it is kept, the
    ///   new one is not written).
    /// - Throws: `StoreError` with `store.invalid_request` for a tree size past the log.
    @discardableResult
    public func saveCheckpoint(_ checkpoint: StoredCheckpoint) async throws -> Bool {
        let schema = self.schema
        return try await perform { context in
            guard checkpoint.treeSize <= context.state.nextAuditIndex else {
                throw StoreError(
                    code: .invalidRequest,
                    message: "a checkpoint of size \(checkpoint.treeSize) is past the log's \(context.state.nextAuditIndex) entries")
            }
            let saved = try context.txn.put(
                schema.checkpoints, key: BigEndianKey.u64(checkpoint.treeSize), value: Array(checkpoint.note.utf8),
                flags: .noOverwrite)
            if saved { context.savedCheckpoint = checkpoint }
            return saved
        }
    }

    /// The stored checkpoint of the largest tree size, or `nil` when none was kept yet.
    public func latestCheckpoint() throws -> StoredCheckpoint? {
        try read { txn in
            try txn.withCursor(schema.checkpoints) { cursor in
                try cursor.last().map(Self.storedCheckpoint)
            }
        }
    }

    /// The stored checkpoint of exactly `treeSize`, or `nil`.
    public func checkpoint(treeSize: UInt64) throws -> StoredCheckpoint? {
        try read { txn in
            try txn.get(schema.checkpoints, key: BigEndianKey.u64(treeSize)).map {
                StoredCheckpoint(treeSize: treeSize, note: String(decoding: $0, as: UTF8.self))
            }
        }
    }

    /// Up to `limit` stored checkpoints of tree size `from` or more, smallest first.
    public func checkpoints(from treeSize: UInt64, limit: Int) throws -> [StoredCheckpoint] {
        try read { txn in
            try txn.withCursor(schema.checkpoints) { cursor in
                var result: [StoredCheckpoint] = []
                var entry = try cursor.seek(atOrAfter: BigEndianKey.u64(treeSize))
                while result.count < limit, let current = entry {
                    result.append(Self.storedCheckpoint(current))
                    entry = try cursor.next()
                }
                return result
            }
        }
    }

    /// Up to `limit` audit entries from index `from` with the leaf hashes the tree stored for
    /// them, in one read transaction. A verifier that trusts a checkpoint can check the leaf
    /// hashes against its root and then each entry against its leaf hash, which names the first
    /// altered entry exactly.
    public func auditEntryRecords(from index: UInt64, limit: Int) throws -> [AuditEntryRecord] {
        try readIndexed { txn, tail in
            let nodes = StoredMerkleNodes(transaction: txn.handle, schema: schema, tail: tail)
            var records: [AuditEntryRecord] = []
            try visitAuditEntries(from: index, limit: limit, in: txn, tail: tail) { position, entry in
                records.append(
                    AuditEntryRecord(index: position, entry: Array(entry), leafHash: try nodes.hash(of: MerkleNodeID(level: 0, index: position))))
            }
            return records
        }
    }

    private static func storedCheckpoint(_ entry: Cursor.Entry) -> StoredCheckpoint {
        StoredCheckpoint(treeSize: entry.key.bigEndianUInt64(at: 0), note: String(decoding: entry.value, as: UTF8.self))
    }
}
