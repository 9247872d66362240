import ArgumentParser
import AsyncHTTPClient
import ExchangeAudit
import Foundation
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `exchangectl backup`: a hot backup of a running exchange, saved and verified.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Take a verified hot backup of a running exchange, or verify one.",
        subcommands: [BackupTakeCommand.self, BackupVerifyCommand.self],
        defaultSubcommand: BackupTakeCommand.self)
}

/// `exchangectl backup DEST`.
struct BackupTakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "take",
        abstract: "Download a consistent, compacted copy of the running exchange's store into DEST and verify it.",
        discussion: """
            POST /v1/operation/backup with an operator token: the exchange writes a consistent \
            copy of its store while it keeps serving (LMDB's copy with compaction), audits it, and \
            streams it. It is saved as DEST/data.mdb (DEST is created; it must not hold a backup \
            already), fsynced, then verified: it opens as a store of this format, and its audit log \
            recomputes to the root of its latest checkpoint (and that checkpoint's signature \
            verifies with --verifier-key when given). Progress (bytes) on standard error when it \
            is a terminal, or with --progress. `exchangectl restore DEST` puts it in place.

            Example:
              exchangectl backup --token-file operator.token /var/backups/exchange/2026-12-07
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The directory to save the backup in (created).")
    var destination: String

    @OptionGroup var verification: BackupVerificationOptions

    func run() async throws {
        try await reportingFailures {
            let pinned = try verification.pinnedKeys()
            let file = (destination as NSString).appendingPathComponent("data.mdb")
            if FileManager.default.fileExists(atPath: file) {
                throw ClientFailure(code: "backup.exists", detail: "\(file) exists: give a new directory for each backup", exitCode: 64)
            }
            do {
                try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ClientFailure(code: "file.unwritable", detail: "\(destination): cannot create the directory: \(error)")
            }
            let client = try ExchangeClient(try connection.resolve())
            let received: (bytes: UInt64, lastSequence: String?, auditSize: String?)
            do {
                received = try await download(client, to: file)
                await client.shutdown()
            } catch {
                await client.shutdown()
                try? FileManager.default.removeItem(atPath: file + ".partial")
                throw error
            }
            FileHandle.standardError.write(
                Data("exchangectl: backup: \(received.bytes) bytes saved in \(file); verifying\n".utf8))
            let summary = try BackupVerification.verify(destination, pinned: pinned, progress: verification.reporter())
            print("backup saved: \(file) (\(received.bytes) bytes)")
            print(BackupVerification.describe(summary))
        }
    }

    /// Streams the copy into `file` (through `file.partial`, fsynced, then renamed).
    func download(_ client: ExchangeClient, to file: String) async throws -> (bytes: UInt64, lastSequence: String?, auditSize: String?) {
        let response: HTTPClientResponse
        do {
            response = try await client.http.execute(client.request(.POST, "/v1/operation/backup"), deadline: .distantFuture)
        } catch {
            throw ClientFailure(connectionError: error, url: client.connection.baseURL, connection: client.connection)
        }
        if response.status.code >= 400 {
            let body = Array(buffer: try await response.body.collect(upTo: 1 << 20))
            throw ClientFailure(status: response.status, body: body)
        }
        let expected = response.headers.first(name: "content-length").flatMap(UInt64.init)
        let partial = file + ".partial"
        let descriptor = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ClientFailure(code: "file.unwritable", detail: "\(partial): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var written: UInt64 = 0
        let terminal = isatty(STDERR_FILENO) == 1
        let clock = ContinuousClock()
        var next = clock.now + .milliseconds(500)
        func report(final: Bool) {
            guard verification.progress || terminal else { return }
            let total = expected.map { " of \($0)" } ?? ""
            let line = "\(written)\(total) bytes"
            FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + line + (final ? "\n" : "") : line + "\n").utf8))
        }
        for try await buffer in response.body {
            try buffer.withUnsafeReadableBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let count = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if count < 0 {
                        if errno == EINTR { continue }
                        throw ClientFailure(code: "file.unwritable", detail: "\(partial): \(String(cString: strerror(errno)))")
                    }
                    offset += count
                }
            }
            written += UInt64(buffer.readableBytes)
            if clock.now >= next {
                next = clock.now + .milliseconds(500)
                report(final: false)
            }
        }
        report(final: true)
        if let expected, expected != written {
            throw ClientFailure(code: "backup.incomplete", detail: "received \(written) of \(expected) bytes; the backup was not saved")
        }
        guard fsync(descriptor) == 0, rename(partial, file) == 0 else {
            throw ClientFailure(code: "file.unwritable", detail: "\(file): \(String(cString: strerror(errno)))")
        }
        return (written, response.headers.first(name: "exchange-last-sequence"), response.headers.first(name: "exchange-audit-size"))
    }
}

/// `exchangectl backup verify BACKUP`.
struct BackupVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a backup: it opens as a store of this format and its audit log recomputes to its latest checkpoint.",
        discussion: """
            BACKUP is a directory `exchangectl backup` wrote, or its data.mdb. Exit status 0 when \
            it verifies; 1 with `error: backup.invalid: ...` when it does not.

            Example:
              exchangectl backup verify /var/backups/exchange/2026-12-07 --verifier-key audit.vkey
            """)

    @Argument(help: "The backup directory, or its data.mdb.")
    var backup: String

    @OptionGroup var verification: BackupVerificationOptions

    func run() async throws {
        try await reportingFailures {
            let pinned = try verification.pinnedKeys()
            let summary = try BackupVerification.verify(
                BackupVerification.directory(of: backup), pinned: pinned, progress: verification.reporter())
            print("backup verified: \(backup)")
            print(BackupVerification.describe(summary))
        }
    }
}
