import AsyncHTTPClient
import ExchangeAudit
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// Retention against the real daemon: events of a topic past its `max_events` leave the live
/// store while the audit log still verifies, a replay reports the gap, the auditor's replay
/// answers the removed events' entries with their digests, and the registry keeps answering.
@Suite(.serialized) struct RetentionEndToEndTests {
    /// An auditor's GET, with the response's headers.
    static func auditorGet(_ harness: DaemonHarness, _ path: String) async throws -> (status: Int, headers: HTTPHeaders, lines: [[String: Any]]) {
        var request = HTTPClientRequest(url: harness.baseURL + path)
        request.headers.add(name: "authorization", value: "Bearer \(harness.auditorToken)")
        let response = try await harness.client(nil).execute(request, timeout: .seconds(30))
        let body = Array(buffer: try await response.body.collect(upTo: 16 << 20))
        let lines = body.split(separator: 0x0A).compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
        return (Int(response.status.code), response.headers, lines)
    }

    @Test func expiredEventsLeaveTheLiveStoreAndTheEvidenceStays() async throws {
        let harness = try DaemonHarness(retention: "{max_events: 2}")
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        try await harness.start()
        try await harness.use {
            for index in 1...6 {
                let reply = try await harness.publish("msa", id: "L-\(index)", data: ["licence_no": "L-\(index)"])
                #expect(reply.status == 200)
            }
            // Retention runs every 100 ms; the first round waits for the store to move its
            // memory to disk, the next removes: give it five seconds at most.
            var replay = try await Self.auditorGet(harness, "/v1/replay")
            // The header names the removals committed when the replay began and the body is read
            // after it, so a step committing in between shows in the body first: wait for both.
            for _ in 0..<50 where replay.lines.count > 2 || replay.headers.first(name: "exchange-expired") != "1-4" {
                try await Task.sleep(for: .milliseconds(100))
                replay = try await Self.auditorGet(harness, "/v1/replay")
            }
            #expect(replay.status == 200)
            #expect(replay.lines.compactMap { $0["id"] as? String } == ["L-5", "L-6"])
            #expect(replay.headers.first(name: "exchange-expired") == "1-4")
            // A department learns of removals only in topics it may receive.
            for (department, expected) in [("tax", "1-4"), ("court", nil)] as [(String, String?)] {
                let response = try await harness.client(department).execute(HTTPClientRequest(url: harness.baseURL + "/v1/replay"), timeout: .seconds(30))
                _ = try await response.body.collect(upTo: 16 << 20)
                #expect(response.headers.first(name: "exchange-expired") == expected, "\(department)")
            }
            // A replay from after the gap reports none.
            #expect(try await Self.auditorGet(harness, "/v1/replay?from_seq=5").headers.first(name: "exchange-expired") == nil)

            // The CLI says so on standard error and still writes what remains.
            let cli = try await AuditEndToEndTests.exchangectl(["replay"] + AuditEndToEndTests.connection(harness))
            #expect(cli.status == 0, "\(cli.errors)")
            #expect(cli.errors.contains("warning: event.expired: events 1-4"))
            #expect(cli.output.split(separator: "\n").count == 2)

            // The auditor's replay answers each removed event with its entry and digest.
            let audit = try await Self.auditorGet(harness, "/v1/audit/replay")
            let expired = audit.lines.filter { $0["type"] as? String == "expired" }
            #expect(expired.count == 4)
            for line in expired {
                let entry = try #require(line["audit"] as? [String: Any])
                #expect((entry["data_digest"] as? String)?.count == 64)
                #expect(line["removed_after"] is String && line["removed_by"] is String)
            }
            #expect(audit.lines.filter { $0["type"] as? String == "event" }.count == 2)

            // The same for auditors who script: `exchangectl audit replay`, by subject.
            let bySubject = try await AuditEndToEndTests.exchangectl(
                ["audit", "replay", "--subject", "L-1", "--progress"] + AuditEndToEndTests.connection(harness))
            #expect(bySubject.status == 0, "\(bySubject.errors)")
            let subjectLines = bySubject.output.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            #expect(subjectLines.map { $0["type"] as? String } == ["expired"])
            #expect(bySubject.errors.contains("1 lines (audit index"), "\(bySubject.errors)")
            let entries = try await AuditEndToEndTests.exchangectl(
                ["audit", "replay", "--type", "published", "--subject", "L-6"] + AuditEndToEndTests.connection(harness))
            #expect(entries.status == 0, "\(entries.errors)")
            let entryLines = entries.output.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            #expect(entryLines.count == 1)
            #expect((entryLines.first?["entry"] as? [String: Any])?["subject"] as? String == "L-6")

            // The registry still answers for a licence whose event was removed.
            let licence = try await harness.request("tax", .GET, "/v1/registry/licences/L-1")
            #expect(licence.status == 200, "\(licence.text)")
            #expect((licence.object["data"] as? [String: Any])?["licence_no"] as? String == "L-1")
            // Its history says the event is gone from the live store; a kept one's does not.
            for (key, removed) in [("L-1", true), ("L-6", false)] {
                let answer = try await harness.request("tax", .GET, "/v1/registry/licences/\(key)?history=true")
                let history = try #require(answer.object["history"] as? [[String: Any]], "\(answer.text)")
                #expect(history.count == 1 && (history.first?["removed"] as? Bool ?? false) == removed, "\(answer.text)")
            }

            // And the audit log verifies, online, against the pinned key.
            let verify = try await AuditEndToEndTests.exchangectl(
                ["audit", "verify", "--verifier-key", harness.auditVerifierKey] + AuditEndToEndTests.connection(harness))
            #expect(verify.status == 0, "\(verify.errors)")
            #expect(try await harness.stop() == 0)
        }
    }
}
