import ExchangeAudit
import ExchangeIdentity
import ExchangeStore
import Foundation
import TestSupport
import Testing

/// Backup and restore against the real daemon (docs/operations.md, "Backup and restore"): a hot
/// backup taken by `exchangectl backup` while departments publish, more published after it,
/// the store restored with `exchangectl restore`; the daemon refuses to serve it
/// (`store.rolled_back`) until started with `--acknowledge-rollback`, which opens a new epoch:
/// new events get sequences above every one acknowledged before the restore, the audit log of
/// the new epoch verifies, and the old log's export taken before the restore still verifies.
@Suite(.serialized) struct BackupRestoreEndToEndTests {
    static func exchangectl(_ arguments: [String]) async throws -> ExecutableRun {
        try await ExecutableRun.of("exchangectl", arguments, seconds: 120)
    }

    static func sequence(_ reply: DaemonHarness.Reply) -> UInt64? {
        ((try? JSONSerialization.jsonObject(with: Data(reply.body))) as? [String: Any])?["sequence"].flatMap { ($0 as? NSNumber)?.uint64Value }
    }

    @Test func backupUnderLoadRestoreRefuseAcknowledgeAndVerifyBothEpochs() async throws {
        let watermarkDirectory = NSTemporaryDirectory() + "exchange-watermark-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: watermarkDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: watermarkDirectory) }
        let watermark = watermarkDirectory + "/exchange.watermark"
        let harness = try DaemonHarness(store: ["watermark": watermark, "watermark_block": "200"])
        var tokens = try TokenFile.load(path: harness.directory + "/tokens.json")
        let operatorToken = try tokens.create(name: "backup-operator", role: .operator)
        try tokens.save(path: harness.directory + "/tokens.json")
        func connection(_ token: String) -> [String] {
            ["--url", harness.baseURL, "--ca", harness.directory + "/ca.crt", "--token", token]
        }
        do {
            try await harness.start()
            for index in 0..<20 {
                let reply = try await harness.publish("msa", id: "before-\(index)", data: ["licence_no": "B-\(index)"])
                #expect(reply.status == 200)
            }
            // The backup, while publishes go on.
            let backup = harness.directory + "/backup-1"
            async let load: [UInt64] = {
                var sequences: [UInt64] = []
                for index in 0..<40 {
                    let reply = try await harness.publish("msa", id: "during-\(index)", data: ["licence_no": "D-\(index)"])
                    if reply.status == 200, let sequence = Self.sequence(reply) { sequences.append(sequence) }
                }
                return sequences
            }()
            let taken = try await Self.exchangectl(["backup", backup, "--verifier-key", harness.auditVerifierKey, "--progress"] + connection(operatorToken))
            let during = try await load
            #expect(taken.status == 0, "\(taken.text)")
            #expect(taken.output.contains("audit log recomputed to the root of its latest checkpoint"), "\(taken.output)")
            #expect(taken.output.contains("signature verified with the pinned key"), "\(taken.output)")
            #expect(during.count == 40)
            // The backup is operation work: an auditor's token is refused.
            let refused = try await Self.exchangectl(["backup", harness.directory + "/backup-2"] + connection(harness.auditorToken))
            #expect(refused.status == 1)
            #expect(refused.errors.hasPrefix("error: auth.forbidden: "), "\(refused.errors)")
            let verified = try await Self.exchangectl(["backup", "verify", backup, "--verifier-key", harness.auditVerifierKey])
            #expect(verified.status == 0, "\(verified.text)")

            // Published after the backup: acknowledged, then lost by the restore.
            var acknowledged: [UInt64] = during
            for index in 0..<30 {
                let reply = try await harness.publish("msa", id: "after-\(index)", data: ["licence_no": "A-\(index)"])
                #expect(reply.status == 200)
                if let sequence = Self.sequence(reply) { acknowledged.append(sequence) }
            }
            try await Task.sleep(for: .milliseconds(400))
            // The auditor's checkpoint of the old log, saved past the backup (the fork to come),
            // and its export, taken before the restore.
            let saved = harness.directory + "/saved.checkpoint"
            let saving = try await Self.exchangectl(
                ["audit", "verify", "--verifier-key", harness.auditVerifierKey, "--save", saved] + connection(harness.auditorToken))
            #expect(saving.status == 0, "\(saving.text)")
            let oldBundle = harness.directory + "/export-old"
            let export = try await Self.exchangectl(["audit", "export", oldBundle] + connection(harness.auditorToken))
            #expect(export.status == 0, "\(export.text)")
            #expect(try await harness.stop() == 0)
            let oldSize = try #require(try Self.latestCheckpointSize(harness))
            let highest = try #require(acknowledged.max())

            // Restore; the daemon refuses to serve the restored store.
            let restored = try await Self.exchangectl(["restore", backup, "--config", harness.directory + "/exchange.yaml", "--force"])
            #expect(restored.status == 0, "\(restored.text)")
            let refusal = try await ExecutableRun.of("exchanged", ["--config", harness.directory + "/exchange.yaml"])
            #expect(refusal.status == 1)
            #expect(refusal.errors.contains("error: store.rolled_back: the store in "), "\(refusal.errors)")
            #expect(refusal.errors.contains("--acknowledge-rollback"), "\(refusal.errors)")

            // Acknowledged: a new epoch.
            try await harness.start(["--acknowledge-rollback", "restored after a disk failure (test)"])
            var newSequences: [UInt64] = []
            for index in 0..<5 {
                let reply = try await harness.publish("msa", id: "epoch2-\(index)", data: ["licence_no": "E-\(index)"])
                #expect(reply.status == 200)
                if let sequence = Self.sequence(reply) { newSequences.append(sequence) }
            }
            #expect(newSequences.count == 5)
            #expect(newSequences.allSatisfy { $0 > highest }, "new \(newSequences), highest acknowledged before the restore \(highest)")
            try await Task.sleep(for: .milliseconds(400))
            // The new epoch's log verifies, and holds the epoch entry after the lost ones.
            let newLog = try await Self.exchangectl(["audit", "verify", "--verifier-key", harness.auditVerifierKey] + connection(harness.auditorToken))
            #expect(newLog.status == 0, "\(newLog.text)")
            let epochEntries = try await Self.exchangectl(["audit", "replay", "--type", "epoch"] + connection(harness.auditorToken))
            #expect(epochEntries.status == 0, "\(epochEntries.text)")
            #expect(epochEntries.output.contains("\"previous_checkpoint_size\":\(oldSize)") || epochEntries.output.contains("\"previous_checkpoint_size\": \(oldSize)"), "\(epochEntries.output)")
            try await Self.verifyLink(harness, saved: saved, oldBundle: oldBundle, epochEntries: epochEntries.output, connection: connection(harness.auditorToken))
            #expect(try await harness.stop() == 0)
            // Every audit index the old log used is either the same entry or a lost entry:
            // none is given to a different event.
            do {
                let store = try ExchangeStore(configuration: StoreConfiguration(directory: harness.directory + "/data", initialMapSize: 16 << 20))
                defer { store.close() }
                #expect(store.auditCount > oldSize)
                let old = try AuditBundleEntries.read(oldBundle)
                let new = try store.auditEntryRecords(from: 0, limit: Int(oldSize))
                var lost = 0
                for record in new {
                    guard let before = old[record.index] else { continue }
                    let text = String(decoding: record.entry, as: UTF8.self)
                    if text.contains("\"kind\":\"lost\"") { lost += 1 } else { #expect(record.entry == before, "index \(record.index)") }
                }
                #expect(lost > 0)
            }
            // The old log, as exported before the restore, still verifies.
            let oldLog = try await Self.exchangectl(["audit", "verify", "--bundle", oldBundle, "--verifier-key", harness.auditVerifierKey])
            #expect(oldLog.status == 0, "\(oldLog.text)")
            await harness.tearDown()
        } catch {
            await harness.tearDown()
            throw error
        }
    }

    /// `audit verify --previous` with the checkpoint saved from the old log past the fork: the
    /// link to the new epoch is checked and reported, online and with the old export; a saved
    /// checkpoint beyond the lost indices, or a new log whose lost entry was altered, fails.
    static func verifyLink(_ harness: DaemonHarness, saved: String, oldBundle: String, epochEntries: String, connection: [String]) async throws {
        let savedNote = try String(contentsOfFile: saved, encoding: .utf8)
        let savedSize = try Checkpoint(text: SignedNote(parsing: savedNote).text).treeSize
        let epochLine = try #require(epochEntries.split(separator: "\n").first { $0.contains("\"epoch\"") })
        let entry = try #require((try JSONSerialization.jsonObject(with: Data(epochLine.utf8)) as? [String: Any])?["entry"] as? [String: Any])
        let restoredSize = try #require((entry["restored_audit_size"] as? NSNumber)?.uint64Value)
        let lostTo = try #require((entry["lost_audit_to"] as? NSNumber)?.uint64Value)
        let epochIndex = try #require(((try JSONSerialization.jsonObject(with: Data(epochLine.utf8)) as? [String: Any])?["index"] as? NSNumber)?.uint64Value)
        #expect(restoredSize < savedSize, "the saved checkpoint (\(savedSize)) must be past the fork (\(restoredSize))")
        #expect(savedSize <= lostTo)

        let online = try await exchangectl(["audit", "verify", "--verifier-key", harness.auditVerifierKey, "--previous", saved] + connection)
        #expect(online.status == 0, "\(online.text)")
        #expect(
            online.output.contains(
                "ok: the log forked at \(restoredSize) by the restore recorded in entry \(epochIndex) (epoch 2); the old log's checkpoint of size \(savedSize) is linked"),
            "\(online.output)")
        #expect(online.output.contains("note: the old log's entries were not compared"), "\(online.output)")
        let withOld = try await exchangectl(
            ["audit", "verify", "--verifier-key", harness.auditVerifierKey, "--previous", saved, "--old-bundle", oldBundle] + connection)
        #expect(withOld.status == 0, "\(withOld.text)")
        #expect(withOld.output.contains("is linked"), "\(withOld.output)")
        #expect(withOld.output.contains("ok: the old export \(oldBundle) verifies, the saved checkpoint is consistent with it, and its entries 0..<\(restoredSize) are the log's"), "\(withOld.output)")

        // A checkpoint of the old log beyond the lost indices (signed with the log's key, as an
        // old log that handed out more than the watermark recorded would have): not linked.
        let signer = try NoteSigner(name: "exchange.test/audit", key: SigningKey(pemFile: harness.directory + "/audit.key"))
        let beyond = harness.directory + "/beyond.checkpoint"
        let forged = try Checkpoint(origin: "exchange.test/audit", treeSize: lostTo + 1, rootHash: MerkleTree().leafHash([1, 2, 3]))
        try forged.signed(by: [signer]).serialized.write(toFile: beyond, atomically: true, encoding: .utf8)
        let tooLarge = try await exchangectl(["audit", "verify", "--verifier-key", harness.auditVerifierKey, "--previous", beyond] + connection)
        #expect(tooLarge.status == 1, "\(tooLarge.text)")
        #expect(tooLarge.errors.hasPrefix("error: audit.mismatch: "), "\(tooLarge.errors)")
        #expect(tooLarge.errors.contains("lost_audit_to \(lostTo), below the saved checkpoint's size \(lostTo + 1)"), "\(tooLarge.errors)")
        #expect(!tooLarge.output.contains("ok:"), "\(tooLarge.output)")

        // The new log's export with one lost entry altered: no link is reported.
        let newBundle = harness.directory + "/export-new"
        let export = try await exchangectl(["audit", "export", newBundle] + connection)
        #expect(export.status == 0, "\(export.text)")
        let entriesFile = newBundle + "/entries.ndjson"
        var lines = try String(contentsOfFile: entriesFile, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let target = Int(restoredSize)
        let originalLine = lines[target]
        var line = try #require(try JSONSerialization.jsonObject(with: Data(lines[target].utf8)) as? [String: Any])
        let encoded = try #require(line["entry"] as? String)
        let original = String(decoding: try #require(Data(base64Encoded: encoded)), as: UTF8.self)
        #expect(original.contains("\"replaces\":\(restoredSize)"), "\(original)")
        line["entry"] = Data(original.replacingOccurrences(of: "\"replaces\":\(restoredSize)", with: "\"replaces\":\(restoredSize + 1)").utf8).base64EncodedString()
        lines[target] = String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self)
        try lines.joined(separator: "\n").write(toFile: entriesFile, atomically: true, encoding: .utf8)
        let tampered = try await exchangectl(["audit", "verify", "--bundle", newBundle, "--verifier-key", harness.auditVerifierKey, "--previous", saved])
        #expect(tampered.status == 1, "\(tampered.text)")
        #expect(tampered.errors.hasPrefix("error: audit.mismatch: entry \(restoredSize) was altered"), "\(tampered.errors)")
        #expect(!tampered.output.contains("ok:"), "\(tampered.output)")
        // The same export untouched but for that line verifies with the link.
        lines[target] = originalLine
        try lines.joined(separator: "\n").write(toFile: entriesFile, atomically: true, encoding: .utf8)
        let restoredExport = try await exchangectl(["audit", "verify", "--bundle", newBundle, "--verifier-key", harness.auditVerifierKey, "--previous", saved])
        #expect(restoredExport.status == 0, "\(restoredExport.text)")
        #expect(restoredExport.output.contains("is linked"), "\(restoredExport.output)")
    }

    static func latestCheckpointSize(_ harness: DaemonHarness) throws -> UInt64? {
        let store = try ExchangeStore(configuration: StoreConfiguration(directory: harness.directory + "/data", initialMapSize: 16 << 20))
        defer { store.close() }
        return try store.latestCheckpoint()?.treeSize
    }
}

/// The entries of an `exchangectl audit export` bundle, by index.
enum AuditBundleEntries {
    static func read(_ directory: String) throws -> [UInt64: [UInt8]] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("entries") }
        var entries: [UInt64: [UInt8]] = [:]
        for file in files {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let index = (object["index"] as? NSNumber)?.uint64Value, let entry = object["entry_base64"] as? String ?? object["entry"] as? String
                else { continue }
                entries[index] = Array(Data(base64Encoded: entry) ?? Data(entry.utf8))
            }
        }
        return entries
    }
}
