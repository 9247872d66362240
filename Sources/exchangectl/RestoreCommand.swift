import ArgumentParser
import ExchangeConfig
import ExchangeStore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `exchangectl restore BACKUP`: puts a verified backup in place as the store, marked restored.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put a backup in place as the exchange's store (the daemon stopped); it starts only once the rollback is acknowledged.",
        discussion: """
            The backup is verified first (as `exchangectl backup verify`). The data directory \
            (store.directory of --config, or --data-dir) must hold no store, unless --force: then \
            the store there is kept beside it as data.mdb.before-restore-TIME, and it must not be \
            open (a running exchanged is refused). The copy is written and fsynced, then marked \
            restored: exchanged refuses to serve it (`store.rolled_back`) until started once with \
            --acknowledge-rollback REASON, which opens a new epoch of the log that reuses no \
            sequence or audit index handed out after the backup when store.watermark is set \
            (docs/operations.md, Backup and restore).

            Example:
              exchangectl restore /var/backups/exchange/2026-12-07 --config /etc/exchange/exchange.yaml
            """)

    @Argument(help: "The backup directory, or its data.mdb.")
    var backup: String

    @Option(help: "The configuration file (for the data directory).")
    var config = "Config/exchange.yaml"

    @Option(help: "The data directory, instead of the configuration's store.directory.")
    var dataDir: String?

    @Option(help: "A pinned verifier key of the log (NAME+KEYID+BASE64), or a file of keys; repeat it to pin several.")
    var verifierKey: [String] = []

    @Flag(help: "Replace a store already in the data directory (kept beside it).")
    var force = false

    func run() async throws {
        try await reportingFailures {
            let directory: String
            if let dataDir {
                directory = dataDir
            } else {
                do {
                    directory = try ExchangeConfiguration.load(path: config).store.directory
                } catch {
                    throw ClientFailure(code: "config.invalid", detail: "\(config): \(error)", exitCode: 64)
                }
            }
            let source = BackupVerification.directory(of: backup)
            let pinned = verifierKey.isEmpty ? nil : try PinnedKeys(verifierKey)
            let summary = try BackupVerification.verify(source, pinned: pinned)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let lock = try Self.lock(directory)
            defer { close(lock) }
            let target = (directory as NSString).appendingPathComponent("data.mdb")
            if FileManager.default.fileExists(atPath: target) {
                guard force else {
                    throw ClientFailure(
                        code: "restore.store_exists",
                        detail: "\(directory) holds a store already; give --force to replace it (it is kept beside it)", exitCode: 1)
                }
                let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
                let kept = target + ".before-restore-" + stamp
                guard rename(target, kept) == 0 else {
                    throw ClientFailure(code: "file.unwritable", detail: "\(target): cannot move it aside: \(String(cString: strerror(errno)))")
                }
                FileHandle.standardError.write(Data("exchangectl: restore: the store there was kept as \(kept)\n".utf8))
            }
            try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent("lock.mdb"))
            try Self.copyDurably(from: (source as NSString).appendingPathComponent("data.mdb"), to: target)
            close(lock)
            let store = try BackupVerification.open(directory)
            defer { store.close() }
            try await store.markRestored(
                from: "\(backup): events through sequence \(summary.lastSequence), \(summary.auditCount) audit entries, restored \(ISO8601DateFormatter().string(from: Date()))")
            print("restored \(backup) into \(directory)")
            print(BackupVerification.describe(summary))
            print("exchanged refuses to serve it until started once with --acknowledge-rollback REASON (a new epoch of the log)")
        }
    }

    /// Takes the data directory's lock (`exchange.lock`) as the store does: a running exchange
    /// holds it.
    static func lock(_ directory: String) throws -> Int32 {
        let path = (directory as NSString).appendingPathComponent("exchange.lock")
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ClientFailure(code: "file.unwritable", detail: "\(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw ClientFailure(
                code: "restore.store_in_use", detail: "the store in \(directory) is open in another process (a running exchanged?); stop it first")
        }
        return descriptor
    }

    /// Copies `source` to `target` through a temporary file, fsynced, renamed, the directory fsynced.
    static func copyDurably(from source: String, to target: String) throws {
        let temporary = target + ".restoring"
        try? FileManager.default.removeItem(atPath: temporary)
        do {
            try FileManager.default.copyItem(atPath: source, toPath: temporary)
        } catch {
            throw ClientFailure(code: "file.unwritable", detail: "cannot copy \(source) to \(temporary): \(error)")
        }
        let descriptor = open(temporary, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0, fsync(descriptor) == 0 else {
            if descriptor >= 0 { close(descriptor) }
            throw ClientFailure(code: "file.unwritable", detail: "\(temporary): cannot fsync: \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        guard rename(temporary, target) == 0 else {
            throw ClientFailure(code: "file.unwritable", detail: "\(target): \(String(cString: strerror(errno)))")
        }
        let directory = open((target as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }
}
