import LMDB

/// Counters the writer carries from one batch to the next; copied into each batch and kept only
/// when the batch commits.
struct WriterState {
    var nextSequence: UInt64
    var nextAuditIndex: UInt64
    var lastBatchTime: UInt64
    /// The receive time of the last `time_index` entry; 0 when there is none.
    var lastIndexedTime: UInt64
    var lastIDs: [NameTable.Kind: UInt32]
    /// The right edge of the audit Merkle tree.
    var frontier: MerkleFrontier
}

extension WriterState {
    /// The state after the last committed transaction, read from the store as opened, with the
    /// counters and frontier that recovering the index tail found.
    init(recovering txn: borrowing WriteTransaction, schema: StoreSchema, names: NameTable, recovered: IndexTail.Recovered) throws {
        let lastIndexedTime = try txn.withCursor(schema.timeIndex) { cursor in
            try cursor.last().map { $0.key.bigEndianUInt64(at: 0) } ?? 0
        }
        // The time index is sparse: the last event's receive time is the latest a batch used.
        let lastEventTime = try txn.withCursor(schema.log) { cursor in
            try cursor.last().map { EventView(sequence: 0, record: $0.value).receivedAt } ?? 0
        }
        var lastIDs: [NameTable.Kind: UInt32] = [:]
        for kind in NameTable.Kind.allCases {
            lastIDs[kind] = names.lastID(kind: kind)
        }
        // A new epoch skipped the sequences a lost log may have handed out (``RollbackFinding``).
        let floor = try txn.get(schema.meta, key: StoreSchema.sequenceFloorKey).map { bytes in
            bytes.withUnsafeBytes { $0.count == 8 ? $0.bigEndianUInt64(at: 0) : 0 }
        } ?? 0
        self.init(
            nextSequence: max(recovered.lastSequence + 1, floor), nextAuditIndex: recovered.auditCount,
            lastBatchTime: max(lastIndexedTime, lastEventTime), lastIndexedTime: lastIndexedTime, lastIDs: lastIDs,
            frontier: recovered.frontier)
    }
}
