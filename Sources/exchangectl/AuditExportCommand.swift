import ArgumentParser
import ExchangeAudit
import ExchangeWire
import Foundation
import NIOHTTP1

/// `exchangectl audit export DIR`: a self-contained bundle for offline verification.
struct AuditExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export the audit log, its checkpoints and public key for offline verification.",
        discussion: """
            Writes into DIR (created, must be empty): key.txt (the verifier key), key.pem, \
            checkpoints.ndjson (every kept checkpoint) and entries.ndjson (every entry up to the latest \
            checkpoint, with the leaf hash the log stored for it). Progress goes to standard error. \
            Verify the bundle with `exchangectl audit verify --bundle DIR --verifier-key PINNED`.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The directory to write the bundle into.")
    var directory: String

    @Flag(help: "Report progress on standard error even when it is not a terminal.")
    var progress = false

    func run() async throws {
        try await reportingFailures {
            let client = try ExchangeClient(try connection.resolve())
            do {
                try await export(client)
                await client.shutdown()
            } catch {
                await client.shutdown()
                throw error
            }
        }
    }

    func export(_ client: ExchangeClient) async throws {
        let manager = FileManager.default
        if let existing = try? manager.contentsOfDirectory(atPath: directory), !existing.isEmpty {
            throw ClientFailure("\(directory) is not empty")
        }
        do {
            // The bundle holds who exchanged what (actors, message ids, licence numbers): owner only.
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ClientFailure("\(directory): cannot create: \(error)")
        }
        let bundle = AuditBundle(directory: directory)
        let key = try await client.sendJSON(client.request(.GET, "/v1/audit/key"), as: AuditKeyDocument.self)
        try write(bundle.path("key.txt"), Data((key.verifierKey + "\n").utf8))
        try write(bundle.path("key.pem"), Data(key.publicKeyPEM.utf8))

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var checkpointLines = Data()
        var next: UInt64 = 0
        var latest: UInt64?
        while true {
            let page = try await client.sendJSON(
                client.request(.GET, "/v1/audit/checkpoints", query: [("start", String(next))]), as: AuditCheckpointsPage.self)
            guard let last = page.checkpoints.last else { break }
            for line in page.checkpoints {
                checkpointLines.append(try encoder.encode(line))
                checkpointLines.append(UInt8(ascii: "\n"))
            }
            latest = last.treeSize
            next = last.treeSize + 1
        }
        guard let latest else { throw ClientFailure("the exchange has issued no checkpoint yet") }
        try write(bundle.path("checkpoints.ndjson"), checkpointLines)

        let path = bundle.path("entries.ndjson")
        guard manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]), let output = FileHandle(forWritingAtPath: path) else {
            throw ClientFailure("\(path): cannot create")
        }
        defer { try? output.close() }
        let reporter = ProgressReporter(total: latest, always: progress)
        try await AuditLogSource.exchange(client).entries(count: latest, progress: reporter.report) { line in
            var data = try encoder.encode(line)
            data.append(UInt8(ascii: "\n"))
            output.write(data)
        }
        reporter.done()
        print("exported \(latest) entries and \(checkpointLines.split(separator: UInt8(ascii: "\n")).count) checkpoint(s) to \(directory)")
    }

    private func write(_ path: String, _ data: Data) throws {
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else { throw ClientFailure("\(path): cannot write") }
    }
}
