public import ExchangeModel
public import ExchangeStore
import Dispatch
import Logging

extension Exchange {
    /// Takes a hot backup: a consistent, compacted copy of the store written off the caller's
    /// task (the exchange goes on serving), then a `backup` audit entry naming the operator, the
    /// copy's size and the last sequence and audit size it holds at least.
    /// - Parameter actor: the operator asking.
    /// - Returns: the copy; the caller sends it and removes it.
    /// - Throws: ``ExchangeError`` with the store's error when the copy or its entry failed
    ///   (nothing is left behind).
    public func backup(actor: String) async throws(ExchangeError) -> BackupCopy {
        let store = self.store
        let copy: BackupCopy
        do {
            copy = try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(with: Result { try store.writeBackupCopy() })
                }
            }
        } catch {
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
            copy.remove()
            throw error
        }
        logger.notice("backup copy written", metadata: ["actor": "\(actor)", "bytes": "\(copy.bytes)", "last_sequence": "\(copy.lastSequence)"])
        return copy
    }
}
