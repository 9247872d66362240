import ExchangeAudit
import ExchangeStore
import Foundation
import TestSupport
import Testing

/// A rotation of the audit signing key against the real daemon: key A (Ed25519) alone, then A
/// beside B (SM2) through `audit.additional_signing_keys`, then B alone, each stage a restart.
/// Auditors pinning both keys verify the whole log, online and from an offline bundle; pinning
/// one key fails on the checkpoints only the other signed, naming the key.
@Suite(.serialized) struct AuditKeyRotationEndToEndTests {
    static func exchangectl(_ arguments: [String]) async throws -> ExecutableRun {
        try await ExecutableRun.of("exchangectl", arguments)
    }

    /// Starts the daemon, publishes `count` events and waits past the checkpoint interval; the
    /// caller stops the daemon, which issues a final checkpoint.
    static func runStage(_ harness: DaemonHarness, prefix: String, count: Int = 6) async throws {
        try await harness.start()
        for index in 0..<count {
            let reply = try await harness.publish("msa", id: "\(prefix)-\(index)", data: ["licence_no": "\(prefix)-\(index)"])
            #expect(reply.status == 200)
        }
        try await Task.sleep(for: .milliseconds(400))
    }

    /// Rewrites the `audit` section's key lines of the harness's configuration.
    static func configureKeys(_ harness: DaemonHarness, _ lines: String) throws {
        let path = harness.directory + "/exchange.yaml"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        let start = try #require(text.range(of: "  signing_key: "))
        let end = try #require(text.range(of: "  checkpoint_every_entries:"))
        text.replaceSubrange(start.lowerBound..<end.lowerBound, with: lines)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func rotatingFromEd25519ToSM2KeepsEveryCheckpointVerifiable() async throws {
        let harness = try DaemonHarness()
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        let keyA = harness.auditVerifierKey
        let newKey = try SigningKey.generate(.sm2)
        try newKey.writePEM(toFile: harness.directory + "/audit-next.key")
        let keyB = try NoteVerifier(name: "exchange.test/audit", publicKey: newKey.publicKey).verifierKey
        let connection = ["--url", "", "--ca", harness.directory + "/ca.crt", "--token", harness.auditorToken]
        func online() -> [String] {
            var arguments = connection
            arguments[1] = harness.baseURL
            return arguments
        }
        try await harness.use {
            // Stage 1: A alone. The auditor's routine run saves the checkpoint it verified.
            try await Self.runStage(harness, prefix: "A")
            let saved = harness.directory + "/last.checkpoint"
            let first = try await Self.exchangectl(["audit", "verify", "--verifier-key", keyA, "--save", saved] + online())
            #expect(first.status == 0, "\(first.errors)")
            #expect(try await harness.stop() == 0)
            let sizeA = try Self.lastCheckpointSize(harness)

            // Stage 2: A and B, each checkpoint signed by both.
            try Self.configureKeys(harness, "  signing_key: audit.key\n  additional_signing_keys: [audit-next.key]\n")
            try await Self.runStage(harness, prefix: "AB")
            #expect(harness.log.filter { $0.contains("audit checkpoints signed") }.count == 2, "\(harness.log)")
            // An auditor still pinning A alone passes, and is told that another key signs too.
            let told = try await Self.exchangectl(["audit", "verify", "--verifier-key", keyA] + online())
            #expect(told.status == 0, "\(told.errors)")
            let keyIDB = String(keyB.split(separator: "+")[1])
            #expect(told.output.contains("also carry a signature of exchange.test/audit (\(keyIDB))"), "\(told.output)")
            #expect(try await harness.stop() == 0)
            let sizeAB = try Self.lastCheckpointSize(harness)
            #expect(sizeAB > sizeA)

            // Stage 3: B alone.
            try Self.configureKeys(harness, "  signing_key: audit-next.key\n")
            try await Self.runStage(harness, prefix: "B")
            #expect(try await harness.stop() == 0)

            // The kept checkpoints: A only, then A and B (each signature verifies on its own,
            // Ed25519 and SM2 side by side), then B only.
            let verifierA = try NoteVerifier(verifierKey: keyA)
            let verifierB = try NoteVerifier(verifierKey: keyB)
            var firstBOnly: UInt64 = 0
            do {
                let store = try ExchangeStore(configuration: StoreConfiguration(directory: harness.directory + "/data", initialMapSize: 16 << 20))
                defer { store.close() }
                var stages: [String] = []
                for stored in try store.checkpoints(from: 0, limit: 1000) {
                    let note = try SignedNote(parsing: stored.note)
                    let byA = (try? Checkpoint(verifying: stored.note, using: [verifierA], origin: "exchange.test/audit")) != nil
                    let byB = (try? Checkpoint(verifying: stored.note, using: [verifierB], origin: "exchange.test/audit")) != nil
                    #expect(note.signatures.count == (byA && byB ? 2 : 1))
                    let stage = byA && byB ? "AB" : byA ? "A" : byB ? "B" : "none"
                    if stages.last != stage { stages.append(stage) }
                    if stage == "AB" { #expect(stored.treeSize > sizeA && stored.treeSize <= sizeAB) }
                    if stage == "B", firstBOnly == 0 { firstBOnly = stored.treeSize }
                }
                #expect(stages == ["A", "AB", "B"])
            }

            try await harness.start()
            let bundle = harness.directory + "/export"
            let export = try await Self.exchangectl(["audit", "export", bundle] + online())
            #expect(export.status == 0, "\(export.errors)")

            // Both keys pinned: the whole log verifies, online and offline.
            for source in [online(), ["--bundle", bundle]] {
                let both = try await Self.exchangectl(["audit", "verify", "--verifier-key", keyA, "--verifier-key", keyB] + source)
                #expect(both.status == 0, "\(both.errors)")
                #expect(both.output.hasPrefix("verified "), "\(both.output)")
                #expect(!both.output.contains("note:"), "no key is unpinned: \(both.output)")
            }
            // The routine run across the rotation: the checkpoint saved under A, the latest under B.
            let routine = try await Self.exchangectl(
                ["audit", "verify", "--verifier-key", keyA, "--verifier-key", keyB, "--previous", saved] + online())
            #expect(routine.status == 0, "\(routine.errors)")
            // Both keys in one keys file.
            let keysFile = harness.directory + "/pinned.keys"
            try "# the exchange's audit keys\n\(keyA)\n\(keyB)\n".write(toFile: keysFile, atomically: true, encoding: .utf8)
            let fromFile = try await Self.exchangectl(["audit", "verify", "--bundle", bundle, "--verifier-key", keysFile])
            #expect(fromFile.status == 0, "\(fromFile.errors)")

            // A alone fails on the checkpoints B alone signed (online, the latest is one); B alone
            // on the bundle's first checkpoints, which A alone signed, and on the saved one.
            let keyIDA = String(keyA.split(separator: "+")[1])
            let failing: [(pinned: String, source: [String], unpinnedID: String)] = [
                (keyA, online(), keyIDB), (keyA, ["--bundle", bundle], keyIDB), (keyB, ["--bundle", bundle], keyIDA),
                (keyB, ["--previous", saved] + online(), keyIDA),
            ]
            for (pinned, source, unpinnedID) in failing {
                let one = try await Self.exchangectl(["audit", "verify", "--verifier-key", pinned] + source)
                #expect(one.status == 1)
                #expect(one.errors.hasPrefix("error: audit.unpinned_key: the "), "\(one.errors)")
                #expect(one.errors.contains("signed only by key(s) not pinned here: exchange.test/audit (\(unpinnedID))"), "\(one.errors)")
            }
            let bundleA = try await Self.exchangectl(["audit", "verify", "--verifier-key", keyA, "--bundle", bundle])
            #expect(bundleA.errors.hasPrefix("error: audit.unpinned_key: the checkpoint of size \(firstBOnly) "), "\(bundleA.errors)")
            #expect(try await harness.stop() == 0)
        }
    }

    static func lastCheckpointSize(_ harness: DaemonHarness) throws -> UInt64 {
        let store = try ExchangeStore(configuration: StoreConfiguration(directory: harness.directory + "/data", initialMapSize: 16 << 20))
        defer { store.close() }
        return try #require(try store.checkpoints(from: 0, limit: 1000).last?.treeSize)
    }
}
