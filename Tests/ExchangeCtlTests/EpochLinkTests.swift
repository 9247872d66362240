import ExchangeAudit
import ExchangeModel
import Testing

@testable import exchangectl

/// The link between a checkpoint saved from the log before a restore and the new epoch
/// (docs/audit-format.md §10), over hand-built logs in the exchange's canonical encoding:
/// entries 0..<3 restored, `lost` entries 3..<8, the `epoch` entry at 8, one entry after it.
struct EpochLinkTests {
    static let origin = "exchange.test/audit"
    let signer: NoteSigner
    let tree = MerkleTree()

    init() throws {
        signer = try NoteSigner(name: Self.origin, key: SigningKey.generate())
    }

    func entry(_ kind: AuditEvent.Kind, _ fields: [String: AuditValue]) -> [UInt8] {
        AuditEvent(kind: kind, actor: kind == .epoch ? "host operator root" : "exchange", fields: fields).canonicalBytes(time: 1_000)
    }

    /// The old log: the restored prefix, then entries the restore lost.
    func oldLog(size: Int) -> [[UInt8]] {
        (0..<size).map { entry(.published, ["sequence": .integer(Int64($0) + 1), "topic": "licence.issued"]) }
    }

    func root(_ entries: [[UInt8]]) throws -> Digest {
        var range = MerkleCompactRange(tree: tree)
        for entry in entries { try range.append(leafHash: try tree.leafHash(entry)) }
        return try range.root()
    }

    func note(_ entries: [[UInt8]]) throws -> String {
        try Checkpoint(origin: Self.origin, treeSize: UInt64(entries.count), rootHash: root(entries)).signed(by: [signer]).serialized
    }

    func checkpoint(_ entries: [[UInt8]]) throws -> Checkpoint {
        try Checkpoint(origin: Self.origin, treeSize: UInt64(entries.count), rootHash: root(entries))
    }

    /// The new epoch's log after a restore to 3 entries of an old log whose latest checkpoint
    /// (of `previous` entries) the epoch entry carries; `change` alters the epoch entry's fields.
    func newLog(old: [[UInt8]], previous: Int, lostTo: Int = 8, change: (inout [String: AuditValue]) -> Void = { _ in }) throws -> [[UInt8]] {
        var log = Array(old.prefix(3))
        for index in 3..<lostTo { log.append(entry(.lost, ["epoch": 2, "replaces": .integer(Int64(index))])) }
        var fields: [String: AuditValue] = [
            "epoch": 2, "reason": "disk failure", "restored_audit_size": 3, "restored_last_sequence": 3, "lost_audit_from": 3,
            "lost_audit_to": .integer(Int64(lostTo)), "next_sequence": 400, "watermark": .bool(true),
            "previous_checkpoint_size": .integer(Int64(previous)), "previous_checkpoint": .string(try note(Array(old.prefix(previous)))),
        ]
        change(&fields)
        log.append(entry(.epoch, fields))
        log.append(entry(.published, ["sequence": 400, "topic": "licence.issued"]))
        return log
    }

    func scan(_ log: [[UInt8]], savedSize: UInt64) throws -> EpochLinkScanner {
        var scanner = EpochLinkScanner(savedSize: savedSize, tree: tree)
        for (index, entry) in log.enumerated() { try scanner.append(index: UInt64(index), entry: entry, leafHash: try tree.leafHash(entry)) }
        return scanner
    }

    func link(_ log: [[UInt8]], saved: Checkpoint) throws(EpochLink.Failure) -> EpochLink {
        let scanner: EpochLinkScanner
        do { scanner = try scan(log, savedSize: saved.treeSize) } catch { throw EpochLink.Failure("scan: \(error)") }
        guard let fork = scanner.fork else { throw EpochLink.Failure("no fork") }
        let verifier = signer.verifier
        return try EpochLink.check(saved: saved, fork: fork, lostRuns: scanner.lostRuns) { note in
            try Checkpoint(verifying: note, using: [verifier])
        }
    }

    func failure(_ log: [[UInt8]], saved: Checkpoint) -> String? {
        do {
            _ = try link(log, saved: saved)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func aSavedCheckpointPastTheForkIsLinked() throws {
        let old = oldLog(size: 7)
        let log = try newLog(old: old, previous: 7)
        let saved = try checkpoint(Array(old.prefix(6)))
        let link = try link(log, saved: saved)
        #expect(link.forkedAt == 3)
        #expect(link.entryIndex == 8)
        #expect(link.epoch == 2)
        #expect(link.lostAuditTo == 8)
        #expect(link.savedSize == 6)
        #expect(link.previousSize == 7)
        // The root where the lost entries start is the restored prefix's, the old log's too.
        #expect(link.rootAtFork == (try root(Array(old.prefix(3)))))
        // Of the same size as the epoch entry's checkpoint, with its root: linked too.
        #expect(try self.link(log, saved: try checkpoint(old)).savedSize == 7)
    }

    @Test func aSavedCheckpointAtOrBelowTheForkIsNoFork() throws {
        let old = oldLog(size: 7)
        let log = try newLog(old: old, previous: 7)
        #expect(try scan(log, savedSize: 3).fork == nil)
        #expect(try scan(log, savedSize: 2).fork == nil)
        // Without an epoch entry there is nothing to link.
        #expect(try scan(old, savedSize: 6).fork == nil)
    }

    @Test func aLostEntryThatDoesNotReplaceItsIndexBreaksTheLink() throws {
        let old = oldLog(size: 7)
        var log = try newLog(old: old, previous: 7)
        log[5] = entry(.lost, ["epoch": 2, "replaces": 6])
        #expect(failure(log, saved: try checkpoint(Array(old.prefix(6))))?.hasPrefix("index 5 does not hold a lost entry of epoch 2 whose replaces is its index") == true)
        // Of another epoch, or not a lost entry at all.
        log[5] = entry(.lost, ["epoch": 1, "replaces": 5])
        #expect(failure(log, saved: try checkpoint(Array(old.prefix(6))))?.hasPrefix("index 5 does not hold") == true)
        log[5] = entry(.published, ["sequence": 9, "note": #""kind":"lost""#])
        #expect(failure(log, saved: try checkpoint(Array(old.prefix(6))))?.hasPrefix("index 5 does not hold") == true)
    }

    @Test func aSavedCheckpointBeyondTheLostIndicesIsNotLinked() throws {
        let old = oldLog(size: 7)
        let log = try newLog(old: old, previous: 7, lostTo: 5)
        let failure = failure(log, saved: try checkpoint(Array(old.prefix(6))))
        #expect(failure == "the epoch entry 5 states lost_audit_to 5, below the saved checkpoint's size 6: indices 5..<6, which the old log had signed, were given to other entries")
    }

    @Test func theEpochEntrysCheckpointMustVerifyAndCoverTheSavedOne() throws {
        let old = oldLog(size: 7)
        let saved = try checkpoint(Array(old.prefix(6)))
        // Smaller than the saved one: the watermark was older than what the auditor saw.
        #expect(failure(try newLog(old: old, previous: 5), saved: saved)?.contains("carries the old log's checkpoint of size 5, smaller than the saved one (6)") == true)
        // Signed by another key.
        let other = try NoteSigner(name: Self.origin, key: SigningKey.generate())
        let foreign = try Checkpoint(origin: Self.origin, treeSize: 7, rootHash: root(old)).signed(by: [other]).serialized
        #expect(failure(try newLog(old: old, previous: 7) { $0["previous_checkpoint"] = .string(foreign) }, saved: saved)?
            .contains("its previous_checkpoint does not verify with the pinned key(s)") == true)
        // Of the saved size but another root: the old log itself forked.
        let forkedOld = Array(old.prefix(5)) + [entry(.published, ["sequence": 99, "topic": "x"])]
        #expect(failure(try newLog(old: forkedOld, previous: 6), saved: saved)?.contains("whose root differs from the saved checkpoint's of the same size") == true)
        // Missing: no watermark recorded it.
        #expect(failure(try newLog(old: old, previous: 7) {
            $0["previous_checkpoint"] = nil
            $0["previous_checkpoint_size"] = nil
            $0["watermark"] = .bool(false)
        }, saved: saved)?.contains("carries no checkpoint of the old log (watermark: false)") == true)
        // A size that is not the note's.
        #expect(failure(try newLog(old: old, previous: 7) { $0["previous_checkpoint_size"] = 9 }, saved: saved)?.contains("previous_checkpoint_size is not the size") == true)
    }

    @Test func numbersOutOfRangeOrInconsistentFailWithoutTrapping() throws {
        let old = oldLog(size: 7)
        let saved = try checkpoint(Array(old.prefix(6)))
        let cases: [(String, (inout [String: AuditValue]) -> Void, String)] = [
            ("negative", { $0["restored_audit_size"] = -1 }, "has no restored_audit_size in range"),
            ("huge", { $0["lost_audit_to"] = .string("18446744073709551616") }, "has no lost_audit_from and lost_audit_to in range"),
            ("from after to", { $0["lost_audit_from"] = .integer(Int64.max) }, "they must start at restored_audit_size"),
            ("to not the entry", { $0["lost_audit_to"] = .integer(Int64.max) }, "they must start at restored_audit_size"),
            ("no epoch", { $0["epoch"] = .string("2") }, "has no epoch number in range"),
        ]
        for (name, change, expected) in cases {
            let failure = failure(try newLog(old: old, previous: 7, change: change), saved: saved)
            #expect(failure?.contains(expected) == true, "\(name): \(failure ?? "linked")")
        }
        // Numbers written beyond Int64 or as fractions are no counts.
        let value = try JSONValue.parse(#"{"kind":"epoch","epoch":2.0,"restored_audit_size":99999999999999999999,"lost_audit_from":-3,"lost_audit_to":1e3}"#)
        let fields = EpochEntryFields(index: 0, entry: value)
        #expect(fields.epoch == nil && fields.restoredAuditSize == nil && fields.lostAuditFrom == nil && fields.lostAuditTo == nil)
        #expect(EpochEntryFields.count(try JSONValue.parse("9223372036854775807")) == UInt64(Int64.max))
        #expect(EpochEntryFields.count(try JSONValue.parse("9223372036854775808")) == nil)
    }

    @Test func theEpochEntryOfTheRestoreThatForkedTheSavedLogIsChosen() throws {
        // Epoch 2 restored 3 entries and lost 3..<8; the log then grew to 12 and a second
        // restore to 10 lost 10..<14 (epoch 3, entry 14). A checkpoint of size 12 of the
        // epoch-2 log forked at 10, through entry 14.
        let old = oldLog(size: 7)
        var epoch2 = try newLog(old: old, previous: 7)
        epoch2.append(entry(.published, ["sequence": 401, "topic": "licence.issued"]))
        epoch2.append(entry(.published, ["sequence": 402, "topic": "licence.issued"]))
        #expect(epoch2.count == 12)
        var log = Array(epoch2.prefix(10))
        for index in 10..<14 { log.append(entry(.lost, ["epoch": 3, "replaces": .integer(Int64(index))])) }
        log.append(
            entry(.epoch, [
                "epoch": 3, "restored_audit_size": 10, "lost_audit_from": 10, "lost_audit_to": 14, "watermark": .bool(true),
                "previous_checkpoint_size": 12, "previous_checkpoint": .string(try note(epoch2)),
            ]))
        let link = try link(log, saved: try checkpoint(epoch2))
        #expect(link.entryIndex == 14 && link.epoch == 3 && link.forkedAt == 10)
        #expect(link.rootAtFork == (try root(Array(epoch2.prefix(10)))))
        // A checkpoint of the first log is linked through the first epoch entry.
        #expect(try self.link(log, saved: try checkpoint(Array(old.prefix(6)))).entryIndex == 8)
    }
}
