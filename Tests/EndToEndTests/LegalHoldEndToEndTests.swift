import AsyncHTTPClient
import ExchangeIdentity
import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// Legal holds against the real daemon: an admin holds a subject with `exchangectl holds set`,
/// retention removes the subject's neighbours past `max_events` and keeps its events, which a
/// replay still answers while it reports the removed ones; the audit log records the set and
/// the lift and verifies; once lifted, the held events go too. An auditor may list holds but not
/// set them; bad input is refused with `hold.*` codes and changes nothing.
@Suite(.serialized) struct LegalHoldEndToEndTests {
    static func connection(_ harness: DaemonHarness, token: String) -> [String] {
        ["--url", harness.baseURL, "--ca", harness.directory + "/ca.crt", "--token", token]
    }

    /// The ids an auditor's replay answers.
    static func replayedIDs(_ harness: DaemonHarness) async throws -> (ids: [String], expired: String?) {
        let replay = try await RetentionEndToEndTests.auditorGet(harness, "/v1/replay")
        return (replay.lines.compactMap { $0["id"] as? String }, replay.headers.first(name: "exchange-expired"))
    }

    /// Waits up to 10 s for the replay to answer `ids`.
    /// Replays until the answer holds `ids` and names `expired` as removed (10 s at most): the
    /// header names what was removed when the replay began, so a step that commits while a
    /// replay runs shows in the next one.
    static func waitForReplay(_ harness: DaemonHarness, _ ids: [String], expired: String? = nil) async throws -> (ids: [String], expired: String?) {
        var replay = try await replayedIDs(harness)
        for _ in 0..<100 where replay.ids != ids || (expired != nil && replay.expired != expired) {
            try await Task.sleep(for: .milliseconds(100))
            replay = try await replayedIDs(harness)
        }
        return replay
    }

    /// A topic pattern hold (`licence.*.issued`) keeps every event of the topics it matches past
    /// `max_events` for as long as it stands; lifted, retention trims the topic.
    @Test(.timeLimit(.minutes(3)))
    func aTopicPatternHoldKeepsTheTopicsItMatches() async throws {
        let harness = try DaemonHarness(retention: "{max_events: 2}")
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        var tokens = try TokenFile.load(path: harness.directory + "/tokens.json")
        let adminToken = try tokens.create(name: "admin-1", role: .admin)
        try tokens.save(path: harness.directory + "/tokens.json")
        try await harness.start()
        try await harness.use {
            let admin = Self.connection(harness, token: adminToken)
            let set = try await AuditEndToEndTests.exchangectl(["holds", "set", "topic", "licence.*.issued", "--reason", "order 2026-3"] + admin)
            #expect(set.status == 0 && set.output.hasPrefix("1\ttopic\tlicence.*.issued\tadmin-1\t"), "\(set.text)")
            for index in 1...4 {
                #expect(try await harness.publish("msa", id: "P-\(index)", data: ["licence_no": "P-\(index)"]).status == 200)
            }
            // Retention runs every 100 ms: a second and a half is fifteen steps, and all four stay.
            try await Task.sleep(for: .milliseconds(1_500))
            let held = try await Self.replayedIDs(harness)
            #expect(held.ids == ["P-1", "P-2", "P-3", "P-4"] && held.expired == nil, "\(held)")
            let lift = try await AuditEndToEndTests.exchangectl(["holds", "lift", "1"] + admin)
            #expect(lift.status == 0, "\(lift.errors)")
            let trimmed = try await Self.waitForReplay(harness, ["P-3", "P-4"], expired: "1-2")
            #expect(trimmed.ids == ["P-3", "P-4"] && trimmed.expired == "1-2", "\(trimmed)")
            #expect(try await harness.stop() == 0)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aHeldSubjectSurvivesExpiryUntilLifted() async throws {
        let harness = try DaemonHarness(retention: "{max_events: 2}")
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        var tokens = try TokenFile.load(path: harness.directory + "/tokens.json")
        let adminToken = try tokens.create(name: "admin-1", role: .admin)
        try tokens.save(path: harness.directory + "/tokens.json")
        try await harness.start()
        try await harness.use {
            let admin = Self.connection(harness, token: adminToken)
            let auditor = Self.connection(harness, token: harness.auditorToken)
            // An auditor may not set a hold.
            let refused = try await AuditEndToEndTests.exchangectl(["holds", "set", "subject", "L-2", "--reason", "case 2026-17"] + auditor)
            #expect(refused.status != 0)
            #expect(refused.errors.hasPrefix("error: auth.forbidden: "), "\(refused.errors)")
            // An admin may; setting it again is the same hold.
            let set = try await AuditEndToEndTests.exchangectl(["holds", "set", "subject", "L-2", "--reason", "case 2026-17"] + admin)
            #expect(set.status == 0, "\(set.errors)")
            #expect(set.output.hasPrefix("1\tsubject\tL-2\tadmin-1\t"), "\(set.output)")
            #expect(set.output.hasSuffix("\tcase 2026-17"), "\(set.output)")
            let again = try await AuditEndToEndTests.exchangectl(["holds", "set", "subject", "L-2", "--reason", "case 2026-17"] + admin)
            #expect(again.status == 0 && again.output == set.output, "\(again.text)")

            // Bad input: a stable code, nothing changed.
            let bearer = [("authorization", "Bearer \(adminToken)")]
            let badScope = try await harness.request(
                nil, .POST, "/v1/holds", contentType: "application/json", body: Array(#"{"scope":"planet","value":"x","reason":"r"}"#.utf8),
                headers: bearer)
            #expect(badScope.status == 400 && badScope.text.contains(#""code":"hold.invalid""#), "\(badScope.text)")
            let longValue = String(repeating: "x", count: 257)
            let tooLong = try await harness.request(
                nil, .POST, "/v1/holds", contentType: "application/json",
                body: Array(#"{"scope":"subject","value":"\#(longValue)","reason":"r"}"#.utf8), headers: bearer)
            #expect(tooLong.status == 400 && tooLong.text.contains(#""code":"hold.invalid""#), "\(tooLong.text)")
            #expect(try await harness.request(nil, .DELETE, "/v1/holds/abc", headers: bearer).status == 400)
            // An id with a leading zero or a sign names no hold: hold 1 stays (listed below).
            for id in ["01", "+1", "0001"] {
                let lifted = try await harness.request(nil, .DELETE, "/v1/holds/\(id)", headers: bearer)
                #expect(lifted.status == 400 && lifted.text.contains(#""code":"hold.invalid""#), "\(id): \(lifted.text)")
            }
            let zero = try await AuditEndToEndTests.exchangectl(["holds", "lift", "01"] + admin)
            #expect(zero.status != 0 && zero.errors.hasPrefix("error: hold.invalid: "), "\(zero.errors)")
            // A body not sent as JSON is refused before it is read.
            let plain = try await harness.request(
                nil, .POST, "/v1/holds", contentType: "text/plain", body: Array(#"{"scope":"subject","value":"L-9","reason":"r"}"#.utf8),
                headers: bearer)
            #expect(plain.status == 415 && plain.text.contains(#""code":"http.unsupported_media_type""#), "\(plain.text)")
            // A hold must name what the configuration declares, else it would stand over nothing.
            let undeclared: [(String, String, String)] = [
                ("topic", "case.outcome.transferred", "topic 'case.outcome.transferred' is not declared in topics.yaml; holds match exact topic names or patterns such as a.b.>"),
                ("topic", "case.*.transferred", "topic pattern 'case.*.transferred' matches no topic declared in topics.yaml"),
                ("topic", "LICENCE.BUSINESS.ISSUED", "did you mean 'licence.business.issued'?"),
                ("department", "no-such-dept", "department 'no-such-dept' is not declared in departments.yaml"),
                ("agreement", "no-such-agreement", "agreement 'no-such-agreement' is not declared"),
            ]
            for (scope, value, detail) in undeclared {
                let refusedHold = try await harness.request(
                    nil, .POST, "/v1/holds", contentType: "application/json",
                    body: Array(#"{"scope":"\#(scope)","value":"\#(value)","reason":"r"}"#.utf8), headers: bearer)
                #expect(refusedHold.status == 400 && refusedHold.text.contains(#""code":"hold.invalid""#), "\(refusedHold.text)")
                #expect(refusedHold.text.contains(detail), "\(refusedHold.text)")
            }
            let cliUndeclared = try await AuditEndToEndTests.exchangectl(["holds", "set", "topic", "case.outcome.transferred", "--reason", "r"] + admin)
            #expect(
                cliUndeclared.status != 0
                    && cliUndeclared.errors.hasPrefix("error: hold.invalid: topic 'case.outcome.transferred' is not declared in topics.yaml"),
                "\(cliUndeclared.errors)")
            let unknown = try await AuditEndToEndTests.exchangectl(["holds", "lift", "99"] + admin)
            #expect(unknown.status != 0 && unknown.errors.hasPrefix("error: hold.not_found: "), "\(unknown.errors)")
            let listed = try await AuditEndToEndTests.exchangectl(["holds", "list", "--json"] + auditor)
            #expect(listed.status == 0, "\(listed.errors)")
            let holds = (try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [String: Any])?["holds"] as? [[String: Any]]
            #expect(holds?.count == 1 && holds?.first?["value"] as? String == "L-2", "\(listed.output)")

            for index in 1...6 {
                let reply = try await harness.publish("msa", id: "L-\(index)", data: ["licence_no": "L-\(index)"])
                #expect(reply.status == 200)
            }
            // Without the hold L-1 to L-4 would go; L-2 stays, and L-5 and L-6 as before.
            let held = try await Self.waitForReplay(harness, ["L-2", "L-5", "L-6"], expired: "1-4")
            #expect(held.ids == ["L-2", "L-5", "L-6"])
            #expect(held.expired == "1-4")
            let cli = try await AuditEndToEndTests.exchangectl(["replay"] + auditor)
            #expect(cli.status == 0, "\(cli.errors)")
            #expect(cli.errors.contains("warning: event.expired: events 1-4"), "\(cli.errors)")
            #expect(cli.output.split(separator: "\n").count == 3)
            // The auditor's replay: the held event whole, the removed ones as their entries.
            let audit = try await RetentionEndToEndTests.auditorGet(harness, "/v1/audit/replay")
            let expired = audit.lines.filter { $0["type"] as? String == "expired" }
            #expect(expired.compactMap { ($0["audit"] as? [String: Any])?["subject"] as? String } == ["L-1", "L-3", "L-4"])
            for line in expired { #expect(line["removed_after"] is String && line["removed_by"] is String) }
            let events = audit.lines.filter { $0["type"] as? String == "event" }
            #expect(events.compactMap { ($0["event"] as? [String: Any])?["subject"] as? String } == ["L-2", "L-5", "L-6"])
            let verify = try await AuditEndToEndTests.exchangectl(["audit", "verify", "--verifier-key", harness.auditVerifierKey] + auditor)
            #expect(verify.status == 0, "\(verify.errors)")

            // Lifted: the next steps remove L-2 too.
            let lift = try await AuditEndToEndTests.exchangectl(["holds", "lift", "1"] + admin)
            #expect(lift.status == 0, "\(lift.errors)")
            #expect(try await Self.waitForReplay(harness, ["L-5", "L-6"]).ids == ["L-5", "L-6"])
            let list = try await AuditEndToEndTests.exchangectl(["holds", "list"] + auditor)
            #expect(list.status == 0 && list.output.contains("0 legal holds"), "\(list.text)")

            // The set and the lift are in the audit log, once each, and it verifies.
            let entries = try await harness.request(
                nil, .GET, "/v1/audit/events?type=legal_hold", headers: [("authorization", "Bearer \(harness.auditorToken)")])
            #expect(entries.status == 200, "\(entries.text)")
            let logged = entries.text.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["entry"] as? [String: Any]
            }
            #expect(logged.map { $0["action"] as? String } == ["set", "lifted"], "\(entries.text)")
            for entry in logged {
                #expect(entry["actor"] as? String == "admin-1" && entry["scope"] as? String == "subject" && entry["value"] as? String == "L-2")
                #expect(entry["reason"] as? String == "case 2026-17" && entry["hold"] as? Int == 1)
            }
            let verified = try await AuditEndToEndTests.exchangectl(["audit", "verify", "--verifier-key", harness.auditVerifierKey] + auditor)
            #expect(verified.status == 0, "\(verified.errors)")
            #expect(try await harness.stop() == 0)
        }
    }
}
