import ExchangeAudit
import ExchangeStore
import Foundation

/// The checks of a backup copy (`exchangectl backup`, `backup verify`, `restore`): it opens as
/// a store of this build's format, and its audit log recomputes to the root of its latest
/// checkpoint (whose signature is checked against pinned keys when given).
struct BackupVerification {
    /// What the copy holds.
    struct Summary {
        var lastSequence: UInt64
        var auditCount: UInt64
        var checkpointSize: UInt64?
        var root: String?
        var epoch: UInt32
        var signatureChecked: Bool
    }

    /// The directory of a backup given as a directory or as its `data.mdb`.
    static func directory(of path: String) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            return (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        }
        return path
    }

    /// Opens the copy in `directory` (with the audit hash it was made with).
    static func open(_ directory: String) throws -> ExchangeStore {
        guard FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("data.mdb")) else {
            throw ClientFailure(code: "backup.not_found", detail: "\(directory) holds no data.mdb: not a backup exchangectl backup wrote")
        }
        var failure: (any Error)?
        for hash in [HashAlgorithm.sha256, .sm3] {
            do {
                return try ExchangeStore(configuration: StoreConfiguration(directory: directory, initialMapSize: 16 << 20, auditHash: hash))
            } catch let error as StoreError where error.code == .unsupportedFormat && error.message.contains("hashed with") {
                failure = error
            } catch let error as StoreError {
                throw ClientFailure(code: "backup.invalid", detail: "\(directory): \(error.message)")
            }
        }
        throw ClientFailure(code: "backup.invalid", detail: "\(directory): \(failure.map { "\($0)" } ?? "cannot be opened")")
    }

    /// Verifies the copy in `directory`.
    /// - Parameters:
    ///   - pinned: keys the latest checkpoint must verify with; `nil`: its signature is not
    ///     checked, only its root.
    ///   - progress: reports the entries recomputed.
    static func verify(_ directory: String, pinned: PinnedKeys?, progress: ProgressReporter? = nil) throws -> Summary {
        let store = try open(directory)
        defer { store.close(mergingIndexes: false) }
        var summary = Summary(
            lastSequence: store.lastSequence, auditCount: store.auditCount, epoch: try store.logEpoch(), signatureChecked: pinned != nil)
        guard let latest = try store.latestCheckpoint() else { return summary }
        let checkpoint: Checkpoint
        if let pinned {
            checkpoint = try pinned.verify(latest.note, what: "the backup's checkpoint of size \(latest.treeSize)").checkpoint
        } else {
            do {
                checkpoint = try Checkpoint(text: try SignedNote(parsing: latest.note).text)
            } catch {
                throw ClientFailure(code: "backup.invalid", detail: "the backup's checkpoint of size \(latest.treeSize) is malformed: \(error)")
            }
        }
        var log = try AuditLogVerifier(checkpoints: [checkpoint])
        var next: UInt64 = 0
        do {
            while next < checkpoint.treeSize {
                let page = try store.auditEntryRecords(from: next, limit: Int(min(4096, checkpoint.treeSize - next)))
                guard !page.isEmpty else {
                    throw ClientFailure(code: "backup.invalid", detail: "the backup holds \(next) audit entries, its checkpoint states \(checkpoint.treeSize)")
                }
                for record in page {
                    try log.append(index: record.index, entry: record.entry, storedLeafHash: record.leafHash)
                }
                next = page.last!.index + 1
                progress?.report(next)
            }
            _ = try log.finish()
        } catch let mismatch as AuditLogMismatch {
            throw ClientFailure(code: "backup.invalid", detail: "the backup's audit log does not match its checkpoint: \(mismatch.message)")
        }
        progress?.done()
        summary.checkpointSize = checkpoint.treeSize
        summary.root = checkpoint.rootHash.base64
        return summary
    }

    /// The summary's lines for the operator.
    static func describe(_ summary: Summary) -> String {
        var lines = ["events through sequence \(summary.lastSequence), \(summary.auditCount) audit entries, epoch \(summary.epoch)"]
        if let size = summary.checkpointSize, let root = summary.root {
            lines.append(
                "audit log recomputed to the root of its latest checkpoint: size \(size), root \(root)"
                    + (summary.signatureChecked ? " (signature verified with the pinned key)" : " (signature not checked: no --verifier-key)"))
        } else {
            lines.append("no checkpoint in the backup: its audit log was not checked against a signed root")
        }
        return lines.joined(separator: "\n")
    }
}
