import ArgumentParser
import ExchangeAudit
import ExchangeWire
import Foundation

/// `exchangectl archive`: the archives retention writes before it removes events.
struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Verify the archives retention writes before it removes events.",
        subcommands: [ArchiveVerifyCommand.self])
}

/// `exchangectl archive verify DIR`: every archived event against its audit evidence.
struct ArchiveVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify an archive directory against the audit log's signed checkpoints.",
        discussion: """
            For every archived event: its data's digest must be the data_digest of its published \
            audit entry (kept in the segment's manifest), the entry must be this event's, its \
            inclusion proof must lead to the root of the signed checkpoint the manifest holds, and \
            the checkpoint must verify with a pinned key. Each segment file and line must be the one \
            its manifest states. Needs no exchange: the keys are the log's verifier keys, from its \
            operators. The first failure ends the run with `error: <code>: <detail>` naming the \
            file, line and event.

            Example:
              exchangectl archive verify /srv/exchange-archive --verifier-key exchange.vkey
            """)

    @Argument(help: "The archive directory (retention.archive_directory).")
    var directory: String

    @Option(help: "A pinned verifier key of the log (NAME+KEYID+BASE64), or a file of keys one a line; repeat it to pin several (a key rotation).")
    var verifierKey: [String] = []

    @Flag(help: "Report progress (segments and events so far) on standard error.")
    var progress = false

    func run() async throws {
        try await reportingFailures {
            let pinned = try PinnedKeys(verifierKey)
            let verifier = ArchiveVerifier(directory: directory) { note in
                try pinned.verify(note, what: "the checkpoint of an archive segment").checkpoint
            }
            let summary: ArchiveVerifier.Summary
            do {
                summary = try verifier.verify { summary in
                    if progress {
                        FileHandle.standardError.write(Data("verified \(summary.segments) segment(s), \(summary.events) event(s)\n".utf8))
                    }
                }
            } catch let failure as ArchiveReadError {
                throw ClientFailure(code: failure.code, detail: failure.detail)
            }
            print("verified \(summary.events) archived event(s) in \(summary.segments) segment(s) of \(summary.topics) topic(s)")
        }
    }
}
