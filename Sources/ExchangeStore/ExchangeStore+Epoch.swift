import ExchangeModel
import Foundation
import LMDB
import Logging
import Synchronization

/// Why a store is behind what it once held: restored by `exchangectl restore`, or holding fewer
/// audit entries than the watermark's latest checkpoint states (rolled back by hand).
public struct RollbackFinding: Sendable, Hashable {
    /// What `exchangectl restore` recorded it restored from; `nil` when the store was not
    /// restored by it.
    public var restoredFrom: String?
    /// The audit entries the store holds.
    public var auditCount: UInt64
    /// The last event sequence the store holds.
    public var lastSequence: UInt64
    /// The watermark as read at open; `nil` without `store.watermark`.
    public var watermark: WatermarkRecord?
    /// The log's epoch in the store (1 before any epoch was opened).
    public var epoch: UInt32

    static func detect(
        _ txn: borrowing WriteTransaction, schema: StoreSchema, state: WriterState, watermark: WatermarkRecord?
    ) throws -> RollbackFinding? {
        let restored = try txn.get(schema.meta, key: StoreSchema.restoredKey).map { String(decoding: $0, as: UTF8.self) }
        let behind = watermark.map { state.nextAuditIndex < $0.checkpointSize } ?? false
        guard restored != nil || behind else { return nil }
        return RollbackFinding(
            restoredFrom: restored, auditCount: state.nextAuditIndex, lastSequence: state.nextSequence - 1, watermark: watermark,
            epoch: try ExchangeStore.epoch(in: txn, schema: schema))
    }

    /// One line for logs.
    var summary: String {
        var parts = ["audit entries \(auditCount)", "last sequence \(lastSequence)"]
        if let restoredFrom { parts.append("restored from \(restoredFrom)") }
        if let watermark {
            parts.append("watermark: sequences up to \(watermark.sequenceCeiling), audit entries up to \(watermark.auditCeiling), checkpoint size \(watermark.checkpointSize)")
        }
        return parts.joined(separator: "; ")
    }

    /// The refusal's text: what was found and what to do.
    func refusal(directory: String) -> String {
        var text = "the store in \(directory) "
        if let restoredFrom {
            text += "was restored from a backup (\(restoredFrom))"
        } else {
            text += "is behind the watermark file"
        }
        text += ": it holds \(auditCount) audit entries and events up to sequence \(lastSequence)"
        if let watermark, watermark.checkpointSize > 0 {
            text += ", while a checkpoint of \(watermark.checkpointSize) entries was issued"
        }
        text += ". Numbers handed out after the backup may have been seen by clients and auditors; start exchanged once with "
            + "--acknowledge-rollback REASON to open a new epoch of the log that never reuses them (docs/operations.md, Backup and restore)"
        return text
    }
}

/// What opening a new epoch did.
public struct EpochOpening: Sendable, Hashable {
    /// The new epoch's number (2 after the first restore).
    public var epoch: UInt32
    /// The audit indices filled with `lost` entries: those the lost log may have used.
    public var lostAudit: Range<UInt64>
    /// The index of the `epoch` entry.
    public var epochEntryIndex: UInt64
    /// The sequences skipped: those the lost log may have used (empty when none).
    public var skippedSequences: Range<UInt64>
    /// The next event's sequence.
    public var nextSequence: UInt64
}

extension ExchangeStore {
    /// The log's epoch (1 until an epoch was opened).
    static func epoch(in txn: borrowing WriteTransaction, schema: StoreSchema) throws -> UInt32 {
        try txn.get(schema.meta, key: StoreSchema.epochKey).map { bytes in
            bytes.withUnsafeBytes { $0.count == 4 ? $0.bigEndianUInt32(at: 0) : 1 }
        } ?? 1
    }

    /// Why the store is behind what it once held, while a new epoch was not opened; `nil` for a
    /// store in order.
    public var rollbackFinding: RollbackFinding? { rollback.withLock { $0 } }

    /// The log's epoch: 1, and one more for each acknowledged restore or rollback.
    public func logEpoch() throws -> UInt32 {
        try read { txn in
            try txn.get(schema.meta, key: StoreSchema.epochKey).map { bytes in
                bytes.withUnsafeBytes { $0.count == 4 ? $0.bigEndianUInt32(at: 0) : 1 }
            } ?? 1
        }
    }

    /// Records in the store that it was put in place from a backup (`exchangectl restore`):
    /// until a new epoch is opened, it refuses to open with `store.rolled_back`.
    /// - Parameter source: what it was restored from, for the operator and the `epoch` entry.
    public func markRestored(from source: String) async throws {
        let schema = self.schema
        let text = Array(AuditEvent.bounded(source).utf8)
        try await perform { context in
            _ = try context.txn.put(schema.meta, key: StoreSchema.restoredKey, value: text)
        }
    }

    /// Opens a new epoch of the log on a store found behind what it held (``rollbackFinding``),
    /// in one commit: every audit index from the store's size up to the watermark's audit
    /// ceiling gets a `lost` entry, then an `epoch` entry (actor `actor`) links the old log's
    /// last checkpoint from the watermark and states the lost ranges; the next event sequence
    /// becomes the watermark's sequence ceiling plus one, kept in the store so that it holds
    /// across restarts. The restore marker is removed. Without a watermark nothing is known to
    /// be lost: the `epoch` entry says so, and numbers handed out after the backup may be
    /// reused.
    /// - Returns: what was done, or `nil` when the store is in order (nothing written).
    @discardableResult
    public func openEpoch(actor: String, reason: String) async throws -> EpochOpening? {
        guard let finding = rollbackFinding else { return nil }
        let schema = self.schema
        let watermark = self.watermark?.record ?? finding.watermark
        let opening = try await perform { context in
            try context.openEpoch(finding: finding, watermark: watermark, actor: actor, reason: reason, schema: schema)
        }
        rollback.withLock { $0 = nil }
        logger.notice(
            "new epoch of the log opened",
            metadata: [
                "epoch": "\(opening.epoch)", "lost_audit": "\(opening.lostAudit)", "skipped_sequences": "\(opening.skippedSequences)",
                "next_sequence": "\(opening.nextSequence)", "actor": "\(actor)",
            ])
        return opening
    }
}

extension BatchContext {
    /// The epoch's commit (see ``ExchangeStore/openEpoch(actor:reason:)``).
    mutating func openEpoch(
        finding: RollbackFinding, watermark: WatermarkRecord?, actor: String, reason: String, schema: StoreSchema
    ) throws -> EpochOpening {
        let epoch = try ExchangeStore.epoch(in: txn, schema: schema) &+ 1
        let restoredAudit = state.nextAuditIndex
        let restoredLast = state.nextSequence - 1
        let auditCeiling = max(restoredAudit, watermark?.auditCeiling ?? 0)
        let sequenceCeiling = max(restoredLast, watermark?.sequenceCeiling ?? 0)
        for index in restoredAudit..<auditCeiling {
            try appendAudit(
                AuditEvent(
                    kind: .lost, actor: "exchange",
                    fields: ["epoch": .integer(Int64(epoch)), "replaces": .integer(Int64(clamping: index))]))
        }
        state.nextSequence = sequenceCeiling + 1
        var fields: [String: AuditValue] = [
            "epoch": .integer(Int64(epoch)),
            "reason": .string(AuditEvent.bounded(reason)),
            "restored_audit_size": .integer(Int64(clamping: restoredAudit)),
            "restored_last_sequence": .integer(Int64(clamping: restoredLast)),
            "lost_audit_from": .integer(Int64(clamping: restoredAudit)),
            "lost_audit_to": .integer(Int64(clamping: auditCeiling)),
            "next_sequence": .integer(Int64(clamping: state.nextSequence)),
            "watermark": .bool(watermark != nil),
        ]
        if let restoredFrom = finding.restoredFrom { fields["restored_from"] = .string(restoredFrom) }
        if let watermark, watermark.checkpointSize > 0 {
            fields["previous_checkpoint_size"] = .integer(Int64(clamping: watermark.checkpointSize))
            fields["previous_checkpoint"] = .string(watermark.checkpointNote)
        }
        let entryIndex = try appendAudit(AuditEvent(kind: .epoch, actor: AuditEvent.bounded(actor), fields: fields))
        var floor = BigEndianKey(capacity: 8)
        floor.append(state.nextSequence)
        _ = try txn.put(schema.meta, key: StoreSchema.sequenceFloorKey, value: floor.bytes)
        var epochBytes = BigEndianKey(capacity: 4)
        epochBytes.append(epoch)
        _ = try txn.put(schema.meta, key: StoreSchema.epochKey, value: epochBytes.bytes)
        _ = try StoreSchema.restoredKey.withUnsafeBytes { try txn.delete(schema.meta, key: $0) }
        mergeIndexTail = true
        return EpochOpening(
            epoch: epoch, lostAudit: restoredAudit..<auditCeiling, epochEntryIndex: entryIndex,
            skippedSequences: (restoredLast + 1)..<(sequenceCeiling + 1), nextSequence: state.nextSequence)
    }
}
