import ExchangeAudit
import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// Archives before removal against the real daemon: a topic with `archive: true` writes its
/// expired events to the archive directory before retention removes them; the audit log still
/// verifies, a plain replay reports the gap, `exchangectl archive verify` proves every archived
/// event against its audit entry and a signed checkpoint (and fails once a byte changes), and
/// `exchangectl replay --archive` reads the archive and the live store as one log.
@Suite(.serialized) struct ArchiveEndToEndTests {
    @Test func expiredEventsAreArchivedVerifiedAndReplayed() async throws {
        let harness = try DaemonHarness(retention: "{max_events: 2}", archive: true)
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        try await harness.start()
        try await harness.use {
            for index in 1...6 {
                let reply = try await harness.publish("msa", id: "L-\(index)", data: ["licence_no": "L-\(index)", "note": "line one"])
                #expect(reply.status == 200)
            }
            // Retention runs every 100 ms and waits for a checkpoint covering the events: ten
            // seconds at most.
            var replay = try await RetentionEndToEndTests.auditorGet(harness, "/v1/replay")
            // The header names what was removed when a replay began: a step that commits while
            // one streams shows in the next.
            for _ in 0..<100 where replay.lines.count > 2 || replay.headers.first(name: "exchange-expired") != "1-4" {
                try await Task.sleep(for: .milliseconds(100))
                replay = try await RetentionEndToEndTests.auditorGet(harness, "/v1/replay")
            }
            #expect(replay.lines.compactMap { $0["id"] as? String } == ["L-5", "L-6"])
            #expect(replay.headers.first(name: "exchange-expired") == "1-4")

            // The audit log verifies.
            let verify = try await AuditEndToEndTests.exchangectl(
                ["audit", "verify", "--verifier-key", harness.auditVerifierKey] + AuditEndToEndTests.connection(harness))
            #expect(verify.status == 0, "\(verify.errors)")

            // A plain replay reports the gap.
            let plain = try await AuditEndToEndTests.exchangectl(["replay"] + AuditEndToEndTests.connection(harness))
            #expect(plain.status == 0, "\(plain.errors)")
            #expect(plain.errors.contains("warning: event.expired: events 1-4"))
            #expect(plain.output.split(separator: "\n").count == 2)

            // The archive holds the four removed events, and they verify.
            let archive = harness.directory + "/archive"
            let topicFolder = archive + "/licence.business.issued"
            let files = try FileManager.default.contentsOfDirectory(atPath: topicFolder).sorted()
            #expect(files.contains { $0.hasSuffix(".ndjson") } && files.contains { $0.hasSuffix(".manifest.json") }, "\(files)")
            #expect(!files.contains { $0.hasPrefix(".") }, "no temporary file is left: \(files)")
            let checked = try await AuditEndToEndTests.exchangectl(["archive", "verify", archive, "--verifier-key", harness.auditVerifierKey, "--progress"])
            #expect(checked.status == 0, "\(checked.errors)")
            #expect(checked.output.contains("verified 4 archived event(s)"), "\(checked.output)")
            #expect(checked.errors.contains("segment(s)"), "progress on standard error: \(checked.errors)")

            // A wrong key does not verify.
            let other = try await AuditEndToEndTests.exchangectl(
                ["archive", "verify", archive, "--verifier-key", try NoteVerifier(name: "exchange.test/audit", publicKey: SigningKey.generate().publicKey).verifierKey])
            #expect(other.status != 0)
            #expect(other.errors.hasPrefix("error: audit."), "\(other.errors)")

            // The archive and the live store replay as one log, in order, without a warning.
            let merged = try await AuditEndToEndTests.exchangectl(
                ["replay", "--archive", archive, "--topic", "licence.business.issued"] + AuditEndToEndTests.connection(harness))
            #expect(merged.status == 0, "\(merged.errors)")
            #expect(!merged.errors.contains("warning"), "\(merged.errors)")
            let events = merged.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(events.compactMap { $0["id"] as? String } == (1...6).map { "L-\($0)" })
            #expect(events.compactMap { ($0["sequence"] as? String).flatMap { UInt64($0) } } == Array(1...6))
            #expect(events.prefix(4).allSatisfy { $0["auditindex"] is String })
            let from = try await AuditEndToEndTests.exchangectl(
                ["replay", "--archive", archive, "--from-seq", "3", "--limit", "3"] + AuditEndToEndTests.connection(harness))
            #expect(from.status == 0, "\(from.errors)")
            #expect(from.output.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String
            } == ["L-3", "L-4", "L-5"])

            // One changed byte of an archived event's data fails, naming the event.
            let segment = try #require(files.first { $0.hasSuffix(".ndjson") })
            let path = topicFolder + "/" + segment
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try text.replacingOccurrences(of: #""note":"line one"}"#, with: #""note":"line onE"}"#).write(toFile: path, atomically: false, encoding: .utf8)
            let tampered = try await AuditEndToEndTests.exchangectl(["archive", "verify", archive, "--verifier-key", harness.auditVerifierKey])
            #expect(tampered.status == 1)
            #expect(tampered.errors.hasPrefix("error: archive.digest_mismatch: "), "\(tampered.errors)")
            #expect(tampered.errors.contains("line 1 (event 1)"), "\(tampered.errors)")
            #expect(try await harness.stop() == 0)
        }
    }

    @Test func anArchivingTopicWithoutADirectoryIsRefusedAtStart() async throws {
        let harness = try DaemonHarness(retention: "{max_events: 2}", archive: true, archiveDirectory: nil)
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        let refused = try await ExecutableRun.of("exchanged", ["--config", harness.directory + "/exchange.yaml"], seconds: 30)
        #expect(refused.status != 0)
        #expect(refused.errors.contains("config.archive_directory"), "\(refused.errors)")
        #expect(refused.errors.contains("licence.business.issued"), "\(refused.errors)")
    }
}
