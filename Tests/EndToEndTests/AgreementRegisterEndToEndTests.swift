import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// The register of agreements and the catalogue against the real daemon: an agreement whose
/// `valid_until` is seconds ahead lapses during the test, and the register, the audit log, the
/// log and the metrics all say so.
@Suite(.serialized) struct AgreementRegisterEndToEndTests {
    static func exchangectl(_ arguments: [String]) async throws -> ExecutableRun {
        try await ExecutableRun.of("exchangectl", arguments)
    }

    static func auditor(_ harness: DaemonHarness) -> [String] {
        ["--url", harness.baseURL, "--ca", harness.directory + "/ca.crt", "--token", harness.auditorToken]
    }

    /// The value of the series `name` (with its labels) in a `/metrics` answer, or `nil`.
    static func metric(_ text: String, _ name: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1).split(separator: " ")[0])
        }
        return nil
    }

    static func agreements(_ harness: DaemonHarness) async throws -> [String: [String: Any]] {
        let run = try await exchangectl(["agreements", "list", "--json"] + auditor(harness))
        #expect(run.status == 0, "\(run.errors)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        let list = try #require(object["agreements"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: list.map { ($0["id"] as? String ?? "", $0) })
    }

    @Test func anAgreementLapsesWhileTheDaemonRuns() async throws {
        let harness = try DaemonHarness()
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        // msa-court ends 90 s after the daemon is configured: time to start and check it in
        // force first, also on a machine loaded by the whole suite (20 s, then 45 s, were not
        // always enough).
        let lapse = Date().addingTimeInterval(90)
        let until = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: lapse.timeIntervalSince1970.rounded(.up)))
        try """
            id: msa-court
            version: 2
            title: Licences for the court
            provider: msa
            consumers: [court]
            topics: [licence.business.issued]
            purpose: court cases
            legal_basis: test
            valid_from: 2020-01-01
            valid_until: \(until)
            status: active

            """.write(toFile: harness.directory + "/agreements/msa-court.yaml", atomically: true, encoding: .utf8)
        let topics = harness.directory + "/topics.yaml"
        let text = try String(contentsOfFile: topics, encoding: .utf8)
        let first = try #require(text.range(of: "    key: /licence_no\n"))
        try text.replacingCharacters(in: first, with: """
                key: /licence_no
                catalogue:
                  resource_code: 302100000000/000001
                  name: 营业执照颁发信息
                  sharing_type: 有条件共享
                  sharing_conditions: 按协议
                  update_cycle: real_time
                  publication_date: 2026-01-15

            """).write(toFile: topics, atomically: true, encoding: .utf8)

        try await harness.start()
        try await harness.use {
            #expect(try await harness.publish("msa", id: "L-1", data: ["licence_no": "L-1"]).status == 200)

            // In force: the register, the CLI table, the metrics.
            var register = try await Self.agreements(harness)
            let court = try #require(register["msa-court"])
            #expect(court["status"] as? String == "in_force")
            #expect(court["valid_until"] as? String != nil)
            #expect(court["events_routed"] as? Int == 1)
            #expect(court["last_routed_at"] is String)
            #expect((court["versions"] as? [[String: Any]])?.map { $0["version"] as? Int } == [2])
            #expect(register["msa-tax"]?["events_routed"] as? Int == 1)
            #expect(register["msa-tax"]?["provider"] as? String == "msa")
            #expect(register["msa-portal"]?["fields"] as? [String] == ["/licence_no", "/holder/name"])
            let table = try await Self.exchangectl(["agreements", "list"] + Self.auditor(harness))
            #expect(table.status == 0)
            #expect(table.output.contains("msa-court") && table.output.contains("in_force"))
            #expect(table.output.contains("3 agreements: 0 pending, 3 in_force, 0 lapsed"), "\(table.output)")
            var metrics = try await harness.request(nil, .GET, "/metrics").text
            #expect(Self.metric(metrics, #"exchange_agreements{status="in_force"}"#) == 3, "\(metrics)")
            let days = try #require(Self.metric(metrics, #"exchange_agreement_days_to_expiry{agreement="msa-court"}"#))
            #expect(days > 0 && days < 1)
            // Seconds from lapsing is within the 14 days' warning: reported at start.
            #expect(harness.log.contains { $0.contains("agreement expires soon") && $0.contains("msa-court") })

            // The lapse, noticed by the daemon's timer.
            let line = await harness.waitForLog("agreement lapsed", seconds: 150)
            let lapsedLine = try #require(line, "no lapse in the log: \(harness.log.suffix(20))")
            #expect(lapsedLine.contains("msa-court") && lapsedLine.contains("notice"), "\(lapsedLine)")
            #expect(Date() >= lapse)

            register = try await Self.agreements(harness)
            #expect(register["msa-court"]?["status"] as? String == "lapsed")
            #expect(register["msa-tax"]?["status"] as? String == "in_force")
            metrics = try await harness.request(nil, .GET, "/metrics").text
            #expect(Self.metric(metrics, #"exchange_agreements{status="in_force"}"#) == 2, "\(metrics)")
            #expect(Self.metric(metrics, #"exchange_agreements{status="lapsed"}"#) == 1)
            #expect((Self.metric(metrics, #"exchange_agreement_days_to_expiry{agreement="msa-court"}"#) ?? 0) <= 0)

            // The audit log holds the lapse and the warning before it.
            let audit = try await harness.request(
                nil, .GET, "/v1/audit/events?type=agreement_standing", headers: [("authorization", "Bearer \(harness.auditorToken)")])
            #expect(audit.status == 200, "\(audit.text)")
            let entries = audit.text.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["entry"] as? [String: Any]
            }
            let lapsed = entries.filter { $0["agreement"] as? String == "msa-court" }
            #expect(lapsed.count == 1, "\(audit.text)")
            #expect(lapsed.first?["standing"] as? String == "lapsed")
            #expect(lapsed.first?["previous"] as? String == "in_force")
            #expect(lapsed.first?["checked"] as? String == "timer")
            #expect(lapsed.first?["valid_until"] as? String == until.replacingOccurrences(of: "Z", with: ".000000000Z"))
            let expiring = try await harness.request(
                nil, .GET, "/v1/audit/events?type=agreement_expiring", headers: [("authorization", "Bearer \(harness.auditorToken)")])
            #expect(expiring.text.contains("msa-court"), "\(expiring.text)")

            // The lapsed agreement no longer routes; the register still counts what it did.
            #expect(try await harness.publish("msa", id: "L-2", data: ["licence_no": "L-2"]).status == 200)
            register = try await Self.agreements(harness)
            #expect(register["msa-court"]?["events_routed"] as? Int == 1)
            #expect(register["msa-tax"]?["events_routed"] as? Int == 2)

            // One agreement; unknown and hostile ids.
            let show = try await Self.exchangectl(["agreements", "show", "msa-court"] + Self.auditor(harness))
            #expect(show.status == 0, "\(show.errors)")
            #expect(show.output.contains(#""status":"lapsed""#))
            let unknown = try await Self.exchangectl(["agreements", "show", "no-such"] + Self.auditor(harness))
            #expect(unknown.status == 1)
            #expect(unknown.errors.hasPrefix("error: agreement.not_found: "), "\(unknown.errors)")
            let bearer = [("authorization", "Bearer \(harness.auditorToken)")]
            for path in ["/v1/agreements/" + String(repeating: "a", count: 129), "/v1/agreements/bad%20id", "/v1/agreements/%E4%B8%AD"] {
                let reply = try await harness.request(nil, .GET, path, headers: bearer)
                #expect(reply.status == 400, "\(path)")
                #expect(reply.object["code"] as? String == "agreement.invalid_id", "\(path): \(reply.text)")
            }
            let missing = try await harness.request(nil, .GET, "/v1/agreements/no-such", headers: bearer)
            #expect(missing.status == 404)
            #expect(missing.object["code"] as? String == "agreement.not_found")

            // Departments may not read the register, but read the catalogue.
            let refused = try await harness.request("msa", .GET, "/v1/agreements")
            #expect(refused.status == 403)
            #expect(refused.object["code"] as? String == "auth.forbidden")
            let catalogue = try await Self.exchangectl(["catalogue", "--url", harness.baseURL, "--pki", harness.directory, "--department", "tax"])
            #expect(catalogue.status == 0, "\(catalogue.errors)")
            #expect(catalogue.output.contains("302100000000/000001") && catalogue.output.contains("conditional"), "\(catalogue.output)")
            let json = try await harness.request("tax", .GET, "/v1/catalogue")
            let resources = try #require(json.object["resources"] as? [[String: Any]])
            #expect(resources.first?["sharing_type_name"] as? String == "有条件共享")
            #expect(resources.first?["provider"] as? String == "msa")
            #expect(try await harness.stop() == 0)
        }
    }

    @Test func agreementsCheckCountsWhatIsInForceToday() async throws {
        let harness = try DaemonHarness()
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        for (id, window) in [("msa-court", "valid_from: 2020-01-01\nvalid_until: 2021-01-01"), ("msa-later", "valid_from: 2099-01-01")] {
            try """
                id: \(id)
                version: 1
                title: \(id)
                provider: msa
                consumers: [court]
                topics: [licence.business.issued]
                purpose: test
                legal_basis: test
                \(window)
                status: active

                """.write(toFile: harness.directory + "/agreements/\(id).yaml", atomically: true, encoding: .utf8)
        }
        let today = try await Self.exchangectl(["agreements", "check", harness.directory])
        #expect(today.status == 0, "\(today.errors)")
        #expect(today.output.contains("4 agreements (2 in force today, 1 pending, 1 lapsed, 0 suspended, 0 revoked)"), "\(today.output)")
        #expect(today.output.contains("msa-court v1: lapsed at 2021-01-01T00:00:00"), "\(today.output)")
        #expect(today.output.contains("msa-later v1: pending until 2099-01-01T00:00:00"), "\(today.output)")
        let then = try await Self.exchangectl(["agreements", "check", harness.directory, "--at", "2020-06-01T00:00:00Z"])
        #expect(then.output.contains("4 agreements (3 in force at 2020-06-01T00:00:00Z, 1 pending, 0 lapsed"), "\(then.output)")
    }
}
