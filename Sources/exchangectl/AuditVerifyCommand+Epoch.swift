import ExchangeAudit
import ExchangeWire
import Foundation

/// `audit verify --previous` across a restore (docs/audit-format.md §10): when the saved
/// checkpoint is not consistent with the log, a second pass verifies the log against its own
/// checkpoints and, if an `epoch` entry forked it below the saved checkpoint's size, checks the
/// link between the two, with the old log's export too when `--old-bundle` gives it.
extension AuditVerifyCommand {
    /// What the second pass established.
    struct EpochVerification {
        var report: AuditLogVerifier.Report
        var logSize: UInt64?
        var link: EpochLink
    }

    /// Verifies the log against its own checkpoints `own` and the link of `saved` to it.
    /// - Returns: `nil` when no `epoch` entry forked the log below `saved`'s size (the mismatch
    ///   stands as it is).
    /// - Throws: ``ClientFailure`` `audit.mismatch` naming the check that failed.
    func verifyEpoch(_ source: AuditLogSource, _ pinned: PinnedKeys, own: [Checkpoint], saved: Checkpoint) async throws -> EpochVerification? {
        var log = try AuditLogVerifier(checkpoints: own)
        var scanner = EpochLinkScanner(savedSize: saved.treeSize, tree: log.tree)
        let reporter = ProgressReporter(total: log.requiredEntries)
        let report: AuditLogVerifier.Report
        let logSize: UInt64?
        do {
            logSize = try await source.entries(count: log.requiredEntries, progress: reporter.report) { line in
                let bytes = try line.bytes()
                try log.append(index: line.index, entry: bytes, storedLeafHash: try line.storedLeafHash())
                try scanner.append(index: line.index, entry: bytes, leafHash: try log.tree.leafHash(bytes))
            }
            report = try log.finish()
            reporter.done()
        } catch let mismatch as AuditLogMismatch {
            reporter.done()
            throw ClientFailure(code: "audit.mismatch", detail: mismatch.message)
        }
        guard let fork = scanner.fork else { return nil }
        let link: EpochLink
        do {
            link = try EpochLink.check(saved: saved, fork: fork, lostRuns: scanner.lostRuns) { note in
                try pinned.verify(note, what: "the old log's checkpoint").checkpoint
            }
        } catch {
            throw ClientFailure(code: "audit.mismatch", detail: "the saved checkpoint of size \(saved.treeSize) is not linked to this log: \(error)")
        }
        if let oldBundle {
            try await Self.verifyOldLog(AuditBundle(directory: oldBundle), pinned, saved: saved, link: link)
        }
        return EpochVerification(report: report, logSize: logSize, link: link)
    }

    /// Checks the old log's export: it verifies on its own against its checkpoints, the saved
    /// checkpoint is consistent with it, and its entries before the fork are the new log's
    /// (the roots of both at the fork's size are equal).
    static func verifyOldLog(_ bundle: AuditBundle, _ pinned: PinnedKeys, saved: Checkpoint, link: EpochLink) async throws {
        let source = AuditLogSource.bundle(bundle)
        let failure = { (detail: String) in ClientFailure(code: "audit.mismatch", detail: "the old export \(bundle.directory): \(detail)") }
        let old = try await verifiedCheckpoints(source, pinned).checkpoints
        let largest = old.last!.treeSize
        guard saved.treeSize <= largest else {
            throw failure("its largest checkpoint has size \(largest), below the saved checkpoint's \(saved.treeSize): give an export taken at or after it")
        }
        guard link.forkedAt <= largest else {
            throw failure("its largest checkpoint has size \(largest), below the fork at \(link.forkedAt)")
        }
        var log: AuditLogVerifier
        do {
            log = try AuditLogVerifier(checkpoints: old + [saved])
        } catch {
            throw failure("\(error)")
        }
        var prefix = MerkleCompactRange(tree: log.tree)
        let reporter = ProgressReporter(total: log.requiredEntries)
        do {
            try await source.entries(count: log.requiredEntries, progress: reporter.report) { line in
                let bytes = try line.bytes()
                try log.append(index: line.index, entry: bytes, storedLeafHash: try line.storedLeafHash())
                if line.index < link.forkedAt { try prefix.append(leafHash: try log.tree.leafHash(bytes)) }
            }
            _ = try log.finish()
            reporter.done()
        } catch let mismatch as AuditLogMismatch {
            reporter.done()
            throw failure(mismatch.message)
        }
        if link.forkedAt > 0 {
            guard let rootAtFork = link.rootAtFork, try prefix.root() == rootAtFork else {
                throw failure("its entries 0..<\(link.forkedAt) are not the log's (the roots of both at size \(link.forkedAt) differ)")
            }
        }
    }

    /// The lines that report a link that holds.
    static func printLink(_ link: EpochLink, oldBundle: String?) {
        print(
            "ok: the log forked at \(link.forkedAt) by the restore recorded in entry \(link.entryIndex) (epoch \(link.epoch)); "
                + "the old log's checkpoint of size \(link.savedSize) is linked (indices \(link.forkedAt)..<\(link.lostAuditTo) are lost entries; "
                + "the epoch entry carries the old log's checkpoint of size \(link.previousSize))")
        if let oldBundle {
            print("ok: the old export \(oldBundle) verifies, the saved checkpoint is consistent with it, and its entries 0..<\(link.forkedAt) are the log's")
        } else {
            print(
                "note: the old log's entries were not compared with this log's: give its export with --old-bundle to check entries 0..<\(link.forkedAt) "
                    + "and the saved checkpoint against it")
        }
    }
}
