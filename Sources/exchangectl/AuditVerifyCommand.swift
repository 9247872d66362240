import ArgumentParser
import ExchangeAudit
import ExchangeWire
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `exchangectl audit verify`: recompute the audit log's tree and check it against signed
/// checkpoints with a pinned key.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify the audit log against its signed checkpoint with a pinned key.",
        discussion: """
            Reads the latest checkpoint and every entry up to its size from the exchange (auditor or \
            admin token), or from an export (--bundle, all its checkpoints), checks the checkpoint's \
            signature with --verifier-key, recomputes the Merkle tree from the entries and compares roots. With \
            --previous, a checkpoint saved earlier must be consistent with the new one (the log was only \
            appended to). If anything was altered, the first wrong entry is named on one line and the \
            exit status is 1. --save writes the verified checkpoint for the next --previous. Online, a \
            second line counts the entries appended after the verified checkpoint (every read is audited, \
            so this run's own are among them); a later checkpoint covers them.

            After a restore (docs/audit-format.md, "Epochs"), a --previous checkpoint saved from the \
            old log past the fork is not consistent with the new epoch: when the log holds the \
            restore's epoch entry, the log is verified against its own checkpoints and the link is \
            checked instead (the epoch entry's old checkpoint verifies and covers --previous, every \
            index it states lost holds its lost entry), and reported on a line `ok: the log forked \
            at N ...`. --old-bundle OLD-EXPORT, the old log's export, also checks that it verifies, \
            that --previous is consistent with it and that its entries before the fork are the log's.

            Several keys may be pinned (repeat --verifier-key, or give a file of keys one a line): every \
            checkpoint must carry a valid signature of at least one of them, and a signature of a pinned \
            key that does not verify fails it (audit.bad_signature). A checkpoint signed only by keys not \
            pinned fails with audit.unpinned_key, naming them; signatures of unpinned keys beside a \
            pinned one are not checked but named in a `note:` line, so a key rotation is seen coming.

            Examples (the verifier key comes from the exchange's operators, not from the exchange \
            or the bundle being verified):
              exchangectl audit verify --token "$AUDITOR" --verifier-key 'data-exchange/audit+1a2b3c4d+AQ...' \\
                --save last.checkpoint                                  # the first run
              exchangectl audit verify --token "$AUDITOR" --verifier-key 'data-exchange/audit+1a2b3c4d+AQ...' \\
                --previous last.checkpoint --save last.checkpoint       # every later run
              exchangectl audit verify --bundle export/ --verifier-key 'data-exchange/audit+1a2b3c4d+AQ...'
              exchangectl audit verify --bundle export/ --verifier-key old.vkey --verifier-key new.vkey   # across a rotation
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "A pinned verifier key of the log (NAME+KEYID+BASE64), or a file of keys one a line; repeat it to pin several (a key rotation).")
    var verifierKey: [String] = []

    @Option(help: "Verify an export directory (exchangectl audit export) instead of the exchange.")
    var bundle: String?

    @Option(help: "A checkpoint note saved earlier; it must be consistent with the new one.")
    var previous: String?

    @Option(help: "Write the verified checkpoint note to this file.")
    var save: String?

    @Option(help: "An export of the log before a restore (exchangectl audit export), to check the link of --previous with it too.")
    var oldBundle: String?

    func validate() throws {
        if oldBundle != nil, previous == nil {
            throw ValidationError("--old-bundle needs --previous: the checkpoint saved from the old log")
        }
    }

    func run() async throws {
        try await reportingFailures {
            let verifier = try PinnedKeys(verifierKey)
            if let bundle {
                try await verify(.bundle(AuditBundle(directory: bundle)), verifier)
            } else {
                let client = try ExchangeClient(try connection.resolve())
                do {
                    try await verify(.exchange(client), verifier)
                    await client.shutdown()
                } catch {
                    await client.shutdown()
                    throw error
                }
            }
        }
    }

    /// The source's checkpoints, each verified with the pinned keys (largest last), the latest's
    /// note, and the sizes signed also by keys not pinned here, by key.
    static func verifiedCheckpoints(
        _ source: AuditLogSource, _ pinned: PinnedKeys
    ) async throws -> (checkpoints: [Checkpoint], latestNote: String, unpinned: [String: [UInt64]]) {
        var checkpoints: [Checkpoint] = []
        var latestNote = ""
        var unpinned: [String: [UInt64]] = [:]
        for line in try await source.checkpoints() {
            let verified = try pinned.verify(line.checkpoint, what: "the checkpoint of size \(line.treeSize)")
            checkpoints.append(verified.checkpoint)
            for key in verified.unpinned { unpinned[key, default: []].append(verified.checkpoint.treeSize) }
            latestNote = line.checkpoint
        }
        return (checkpoints, latestNote, unpinned)
    }

    func verify(_ source: AuditLogSource, _ pinned: PinnedKeys) async throws {
        let verified = try await Self.verifiedCheckpoints(source, pinned)
        var checkpoints = verified.checkpoints
        let (own, latestNote, unpinned) = (verified.checkpoints, verified.latestNote, verified.unpinned)
        var earlierCheckpoint: Checkpoint?
        if let previous {
            guard FileManager.default.fileExists(atPath: previous) else {
                throw ClientFailure(
                    code: "audit.no_previous",
                    detail: "\(previous) does not exist: on the first run leave out --previous; --save \(previous) writes it for the next run")
            }
            guard let data = FileManager.default.contents(atPath: previous) else { throw ClientFailure(code: "file.unreadable", detail: "\(previous): cannot read") }
            let earlier = try pinned.verify(String(decoding: data, as: UTF8.self), what: "the previous checkpoint \(previous)").checkpoint
            guard earlier.treeSize <= checkpoints.last!.treeSize else {
                throw ClientFailure(
                    "the previous checkpoint states \(earlier.treeSize) entries, more than the latest (\(checkpoints.last!.treeSize)): the log was truncated")
            }
            checkpoints.append(earlier)
            earlierCheckpoint = earlier
        }
        var log = try AuditLogVerifier(checkpoints: checkpoints)
        let count = log.requiredEntries
        let reporter = ProgressReporter(total: count)
        var report: AuditLogVerifier.Report
        var logSize: UInt64?
        var link: EpochLink?
        // Whether an entry may be an `epoch` entry: only then can a mismatch be a restore's fork.
        var epochSeen = false
        do {
            logSize = try await source.entries(count: count, progress: reporter.report) { line in
                let bytes = try line.bytes()
                try log.append(index: line.index, entry: bytes, storedLeafHash: try line.storedLeafHash())
                if earlierCheckpoint != nil, !epochSeen, bytes.contains(subsequence: EpochLinkScanner.epochMarker) { epochSeen = true }
            }
            report = try log.finish()
            reporter.done()
        } catch let mismatch as AuditLogMismatch {
            reporter.done()
            // A checkpoint of an earlier epoch, past the fork of a restore: check the link.
            guard epochSeen, let earlierCheckpoint, let linked = try await verifyEpoch(source, pinned, own: own, saved: earlierCheckpoint) else {
                throw ClientFailure(code: "audit.mismatch", detail: mismatch.message)
            }
            (report, logSize, link) = (linked.report, linked.logSize, linked.link)
        }
        print("verified \(report.entries) entries against \(report.checkpointSizes.count) checkpoint(s); latest: size \(report.verifiedSize), root \(own.max { $0.treeSize < $1.treeSize }!.rootHash.base64)")
        if let link { Self.printLink(link, oldBundle: oldBundle) } else if oldBundle != nil {
            print("note: --old-bundle was not read: the saved checkpoint is consistent with the log, which no restore forked below it")
        }
        if let note = Self.uncoveredNote(logSize: logSize, verifiedSize: report.verifiedSize) { print(note) }
        for line in Self.unpinnedNotes(unpinned) { print(line) }
        if let save {
            guard FileManager.default.createFile(atPath: save, contents: Data(latestNote.utf8)) else {
                throw ClientFailure("\(save): cannot write")
            }
        }
    }

    /// One line per key not pinned here that also signed checkpoints (each of which verified
    /// with a pinned key): how an auditor learns that the exchange has started signing with a
    /// new key, to pin before the old one is retired.
    static func unpinnedNotes(_ unpinned: [String: [UInt64]]) -> [String] {
        unpinned.sorted { $0.key < $1.key }.map { key, sizes in
            "note: \(sizes.count) checkpoint(s) (sizes \(sizes.first!)...\(sizes.last!)) also carry a signature of \(key), a key not pinned here "
                + "and not checked; if the exchange is rotating its key, get its verifier key from the operators and pin it too"
        }
    }

    /// The line that tells an auditor how many entries the exchange holds beyond the checkpoint
    /// this run verified, which it could not check; `nil` when there are none (or the count is
    /// unknown, as for a bundle). Every read is audited, so an online run's own reads are
    /// always among them.
    static func uncoveredNote(logSize: UInt64?, verifiedSize: UInt64) -> String? {
        guard let logSize, logSize > verifiedSize else { return nil }
        let count = logSize - verifiedSize
        return "\(count) \(count == 1 ? "entry" : "entries") after size \(verifiedSize), the checkpoint verified here, "
            + "not covered by this verification (reads are audited: its own are among them); "
            + "a later checkpoint covers them (issued every audit.checkpoint_every_entries entries or audit.checkpoint_interval)"
    }
}

/// Progress of a long audit command on standard error: every half second on a terminal or
/// with `--progress`-like callers, a last line when done.
final class ProgressReporter {
    let total: UInt64
    let enabled: Bool
    let terminal = isatty(STDERR_FILENO) == 1
    private let clock = ContinuousClock()
    private var next: ContinuousClock.Instant
    private var finished = false
    private var current: UInt64 = 0

    init(total: UInt64, always: Bool = false) {
        self.total = total
        self.enabled = always || isatty(STDERR_FILENO) == 1
        next = clock.now + .milliseconds(500)
    }

    func report(_ count: UInt64) {
        current = count
        guard enabled, clock.now >= next else { return }
        next = clock.now + .milliseconds(500)
        write()
    }

    func done() {
        guard enabled, !finished else { return }
        finished = true
        write()
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func write() {
        let percent = total == 0 ? 100 : Int(current * 100 / total)
        let line = "\(current)/\(total) entries (\(percent)%)"
        FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
    }
}
