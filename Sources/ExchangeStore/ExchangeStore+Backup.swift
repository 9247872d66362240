import Foundation
import Logging

/// A compacted copy of the store written for a hot backup, in a directory of its own inside the
/// data directory; remove it with ``remove()`` once sent.
public struct BackupCopy: Sendable, Hashable {
    /// The directory holding the copy.
    public var directory: String
    /// The copy: an LMDB environment file (`data.mdb`).
    public var file: String { (directory as NSString).appendingPathComponent("data.mdb") }
    /// The copy's size in bytes.
    public var bytes: UInt64
    /// The last event sequence committed when the copy began (the copy holds at least these).
    public var lastSequence: UInt64
    /// The audit entries committed when the copy began (the copy holds at least these).
    public var auditCount: UInt64

    /// Removes the copy and its directory.
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

extension ExchangeStore {
    /// The prefix of the directories ``writeBackupCopy()`` makes in the data directory; any
    /// left by a process that died is removed when the store opens, and the daemon removes any
    /// still there before it closes the store (``removeBackupCopies()``).
    static let backupDirectoryPrefix = "backup.tmp-"

    /// Writes a consistent, compacted copy of the store (LMDB's `mdb_env_copy2` with
    /// compaction, in one read transaction while the writer goes on) into a new directory
    /// inside the data directory. Blocks the calling thread for as long as the copy takes;
    /// map growth waits for it.
    /// - Throws: `store.storage` when the directory cannot be made or the copy fails (nothing
    ///   is left behind).
    public func writeBackupCopy() throws -> BackupCopy {
        let directory = (configuration.directory as NSString).appendingPathComponent(
            Self.backupDirectoryPrefix + UUID().uuidString.lowercased())
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError(code: .storage, message: "cannot make the backup directory \(directory)", underlying: "\(error)")
        }
        let lastSequence = self.lastSequence
        let auditCount = self.auditCount
        do {
            try backup(to: directory)
            let file = (directory as NSString).appendingPathComponent("data.mdb")
            let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.uint64Value ?? 0
            return BackupCopy(directory: directory, bytes: size, lastSequence: lastSequence, auditCount: auditCount)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw StoreError.storage(error, "the backup copy failed")
        }
    }

    /// Removes every backup copy in the data directory, logged at notice: what a daemon that
    /// stops does before it closes the store, for backups still being sent (their clients are
    /// cut off; a copy must not outlive the process that sends it). A copy the caller holds
    /// is gone too, so call it only when no copy is wanted any more.
    public func removeBackupCopies() {
        Self.removeBackupCopies(in: configuration.directory, logger: logger, reason: "the exchange stopped while a backup was sent")
    }

    /// Removes the backup copies in `directory`: at open those a process that died left, at
    /// shutdown those of backups still being sent. Each removal is logged at notice.
    /// - Parameters:
    ///   - directory: the data directory.
    ///   - logger: where removals are logged.
    ///   - reason: why they are removed, for the log line.
    static func removeBackupCopies(in directory: String, logger: Logger, reason: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(backupDirectoryPrefix) {
            let path = (directory as NSString).appendingPathComponent(name)
            do {
                try FileManager.default.removeItem(atPath: path)
                logger.notice("backup copy removed", metadata: ["path": "\(path)", "reason": "\(reason)"])
            } catch {
                logger.error("a backup copy cannot be removed", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
    }
}
