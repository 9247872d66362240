import ExchangeAudit
import ExchangeStore
import Foundation
import LMDB
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The audit log against the real daemon: checkpoints issued while running and at shutdown,
/// `exchangectl audit export`, `verify` (online and offline) and `prove`, and a byte changed in
/// `data.mdb` named by `verify`.
@Suite(.serialized) struct AuditEndToEndTests {
    /// Runs `exchangectl` with `arguments` and waits for it (60 s at most).
    static func exchangectl(_ arguments: [String]) async throws -> ExecutableRun {
        try await ExecutableRun.of("exchangectl", arguments)
    }

    static func connection(_ harness: DaemonHarness) -> [String] {
        ["--url", harness.baseURL, "--ca", harness.directory + "/ca.crt", "--token", harness.auditorToken]
    }

    @Test func checkpointsExportVerifyProveAndAChangedByteOnDisk() async throws {
        let harness = try DaemonHarness()
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        try await harness.start()
        try await harness.use {
            // Two rounds of six, each followed by a pause longer than the issuer's look (50 ms)
            // and the interval (200 ms): a checkpoint after each round.
            for index in 0..<12 {
                let reply = try await harness.publish("msa", id: "L-\(index)", data: ["licence_no": "L-\(index)"])
                #expect(reply.status == 200)
                if index % 6 == 5 { try await Task.sleep(for: .milliseconds(400)) }
            }
            #expect(try await harness.stop() == 0)
            #expect(harness.log.contains { $0.contains("final audit checkpoint") })

            // The last checkpoint, issued at shutdown, covers the whole log; every kept one verifies.
            do {
                let store = try ExchangeStore(configuration: StoreConfiguration(directory: harness.directory + "/data", initialMapSize: 16 << 20))
                defer { store.close() }
                let verifier = try NoteVerifier(verifierKey: harness.auditVerifierKey)
                let kept = try store.checkpoints(from: 0, limit: 1000)
                #expect(kept.count >= 3, "checkpoints while running (every 5 entries) and at shutdown")
                #expect(kept.last?.treeSize == store.auditCount)
                for stored in kept {
                    let checkpoint = try Checkpoint(verifying: stored.note, using: [verifier], origin: "exchange.test/audit")
                    #expect(checkpoint.rootHash == (try store.auditRoot(treeSize: stored.treeSize)))
                }
            }

            try await harness.start()
            let bundle = harness.directory + "/export"
            let export = try await Self.exchangectl(["audit", "export", bundle, "--progress"] + Self.connection(harness))
            #expect(export.status == 0, "\(export.errors)")
            #expect(export.output.contains("exported"))
            #expect(export.errors.contains("entries ("), "progress on standard error")
            let offline = try await Self.exchangectl(["audit", "verify", "--bundle", bundle, "--verifier-key", harness.auditVerifierKey])
            #expect(offline.status == 0, "\(offline.errors)")
            #expect(offline.output.hasPrefix("verified "))

            let saved = harness.directory + "/last.checkpoint"
            let online = try await Self.exchangectl(
                ["audit", "verify", "--verifier-key", harness.auditVerifierKey, "--save", saved] + Self.connection(harness))
            #expect(online.status == 0, "\(online.errors)")
            let prove = try await Self.exchangectl(["audit", "prove", "--index", "2", "--verifier-key", harness.auditVerifierKey] + Self.connection(harness))
            #expect(prove.status == 0, "\(prove.errors)")
            #expect(prove.output.contains("entry 2 is included"))

            // Another key is refused.
            let otherKey = try NoteVerifier(name: "exchange.test/audit", publicKey: SigningKey.generate().publicKey).verifierKey
            let wrongKey = try await Self.exchangectl(["audit", "verify", "--verifier-key", otherKey] + Self.connection(harness))
            #expect(wrongKey.status == 1)
            #expect(wrongKey.errors.contains("does not verify with the pinned key"))
            #expect(try await harness.stop() == 0)

            // One byte of entry 3 changed on disk, behind the store's back.
            _ = try AuditTampering.flipByte(dataDirectory: harness.directory + "/data", entry: 3, at: 3)

            try await harness.start()
            let tampered = try await Self.exchangectl(
                ["audit", "verify", "--verifier-key", harness.auditVerifierKey, "--previous", saved] + Self.connection(harness))
            #expect(tampered.status == 1)
            #expect(tampered.errors.hasPrefix("error: audit.mismatch: entry 3 was altered"), "\(tampered.errors)")
            #expect(tampered.errors.split(separator: "\n").filter { $0.hasPrefix("error:") }.count == 1)
            // The export made before the change still verifies offline.
            let before = try await Self.exchangectl(["audit", "verify", "--bundle", bundle, "--verifier-key", harness.auditVerifierKey])
            #expect(before.status == 0)
            #expect(try await harness.stop() == 0)
        }
    }

    /// Entries appended after the latest checkpoint cannot be verified yet; `verify` says how
    /// many, so that an auditor does not take the checkpoint's size for the whole log.
    @Test func verifyCountsTheEntriesNoCheckpointCoversYet() async throws {
        // No checkpoint but the one at start for a day or a thousand entries.
        let harness = try DaemonHarness(checkpointEveryEntries: 1000, checkpointInterval: "24h")
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        try await harness.start()
        try await harness.use {
            // The checkpoint at start is issued beside the server: wait for it, so that the
            // publishes come after it.
            _ = try #require(await harness.waitForLog("audit checkpoint issued", seconds: 30), "no checkpoint at start")
            for index in 0..<3 {
                let reply = try await harness.publish("msa", id: "U-\(index)", data: ["licence_no": "U-\(index)"])
                #expect(reply.status == 200)
            }
            let run = try await Self.exchangectl(["audit", "verify", "--verifier-key", harness.auditVerifierKey] + Self.connection(harness))
            #expect(run.status == 0, "\(run.errors)")
            let lines = run.output.split(separator: "\n").map(String.init)
            let verified = try #require(lines.first { $0.hasPrefix("verified ") }, "\(run.output)")
            let size = try #require(verified.firstRange(of: "latest: size ").map { verified[$0.upperBound...].prefix { $0.isNumber } })
            let note = try #require(lines.first { $0.contains("not covered by this verification") }, "\(run.output)")
            let uncovered = try #require(Int(note.prefix { $0.isNumber }), "\(note)")
            // After the checkpoint at start: the three publishes, then this run's two audited
            // reads (the checkpoint, one page of entries).
            #expect(uncovered == 5, "\(note)")
            #expect(note.contains("after size \(size),"), "\(note)")
            #expect(try await harness.stop() == 0)
        }
    }
}
