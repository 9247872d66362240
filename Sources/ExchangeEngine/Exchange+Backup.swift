public import ExchangeModel
public import ExchangeStore
import Dispatch
import Logging

extension Exchange {
    /// Takes a hot backup: a consistent, compacted copy of the store written off the caller's
    /// task (the exchange goes on serving), then a `backup` audit entry naming the operator, the
    /// copy's size and the last sequence and audit size it holds at least.
    ///
    /// One backup at a time: the copy is as large as the store, and each one more would take
    /// that much of the disk the store grows on. A second is refused before anything is copied
    /// or audited, until the first ends (``HotBackup/end()``).
    /// - Parameter actor: the operator asking.
    /// - Returns: the backup with its copy; the caller sends the copy and ends the backup, which
    ///   removes it (so does freeing it).
    /// - Throws: ``ExchangeError/Code/bulkReadsBusy`` (503 `replay.busy`), with
    ///   ``ExchangeError/retryAfter`` (`bulk_reads`' retry wait), while another backup is taken
    ///   or sent; ``ExchangeError`` with the store's error when the copy or its entry failed
    ///   (nothing is left behind).
    public func backup(actor: String) async throws(ExchangeError) -> HotBackup {
        guard backupSlot.take() else {
            var error = ExchangeError(
                .bulkReadsBusy, "a backup is being taken or sent, and the exchange takes one at a time (each copy is as large as the store); try again later")
            error.retryAfter = configuration.bulkReads.retryAfter
            throw error
        }
        let backup = HotBackup(slot: backupSlot)
        let store = self.store
        let copy: BackupCopy
        do {
            copy = try await BlockingWork.run { try store.writeBackupCopy() }
            backup.hold(copy)
        } catch {
            backup.end()
            await auditLoggingFailure(
                [AuditEvent(kind: .backup, actor: actor, fields: ["outcome": .string("failed"), "error": .string(AuditEvent.bounded("\(error)"))])],
                purpose: "a failed backup")
            throw Self.mapped(error)
        }
        do {
            try await audit([
                AuditEvent(
                    kind: .backup, actor: actor,
                    fields: [
                        "outcome": .string("copied"), "bytes": .integer(Int64(clamping: copy.bytes)),
                        "last_sequence": .integer(Int64(clamping: copy.lastSequence)),
                        "audit_size": .integer(Int64(clamping: copy.auditCount)),
                    ])
            ])
        } catch {
            backup.end()
            throw error
        }
        logger.notice("backup copy written", metadata: ["actor": "\(actor)", "bytes": "\(copy.bytes)", "last_sequence": "\(copy.lastSequence)"])
        return backup
    }
}
