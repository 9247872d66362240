import AsyncHTTPClient
import ExchangeIdentity
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// What an operator sees of a running daemon: the operational series of `/metrics`
/// (subscription lag and pending, checkpoint age, certificate expiry, reloads) and the JSON
/// log (`log.format: json`) with each refusal's reason, path and request id.
@Suite("operations end to end", .serialized)
struct OperationsEndToEndTests {
    /// The value of the first series in `text` whose name and labels start with `prefix`
    /// (e.g. `exchange_subscription_lag{subscription="tax-feed"`), or `nil`.
    static func metric(_ text: String, _ prefix: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            guard let value = line.split(separator: " ").last else { continue }
            return Double(value)
        }
        return nil
    }

    /// Scrapes `/metrics` until `condition` holds for the answer, at most `seconds`; returns the last answer.
    static func scrape(_ daemon: DaemonHarness, seconds: Double = 10, until condition: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var text = ""
        repeat {
            let reply = try await daemon.request(nil, .GET, "/metrics")
            #expect(reply.status == 200)
            text = reply.text
            if condition(text) { return text }
            try await Task.sleep(for: .milliseconds(100))
        } while ContinuousClock.now < deadline
        return text
    }

    static func licence(_ number: String) -> [String: Any] {
        ["licence_no": number, "holder": ["name": "Acme \(number) Ltd", "credit_code": "9133\(number)"]]
    }

    @Test(.timeLimit(.minutes(3)))
    func metricsShowLagPendingCheckpointAgeCertificatesAndReloads() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            let lag = #"exchange_subscription_lag{subscription="tax-feed",department="tax"}"#
            let pending = #"exchange_subscription_pending{subscription="tax-feed",department="tax"}"#
            let oldest = #"exchange_subscription_oldest_pending_age_seconds{subscription="tax-feed",department="tax"}"#
            let created = try await daemon.json(
                "tax", .PUT, "/v1/subscriptions/tax-feed", ["filter": "licence.business.>", "start": "all", "ack_wait_ms": 60_000])
            #expect(created.status == 201, "\(created.text)")
            var metrics = try await Self.scrape(daemon) { Self.metric($0, lag) != nil }
            #expect(Self.metric(metrics, lag) == 0, "\(metrics)")
            #expect(Self.metric(metrics, pending) == 0)
            #expect(Self.metric(metrics, oldest) == 0)

            for number in ["L-1", "L-2", "L-3"] {
                #expect(try await daemon.publish("msa", id: number, data: Self.licence(number)).status == 200)
            }
            // Three events routed to tax, none considered yet.
            metrics = try await Self.scrape(daemon) { Self.metric($0, lag) == 3 }
            #expect(Self.metric(metrics, lag) == 3, "\(metrics)")
            #expect(Self.metric(metrics, pending) == 0)

            // Two delivered and never acknowledged: one left behind, two pending.
            let delivered = try await daemon.request("tax", .GET, "/v1/subscriptions/tax-feed/events?max=2")
            #expect(delivered.array.count == 2, "\(delivered.text)")
            metrics = try await Self.scrape(daemon) { Self.metric($0, pending) == 2 }
            #expect(Self.metric(metrics, lag) == 1, "\(metrics)")
            #expect(Self.metric(metrics, pending) == 2)
            let age = try #require(Self.metric(metrics, oldest))
            #expect(age > 0 && age < 60, "oldest pending age \(age)")

            // The publishes were checkpointed (every 5 entries or 200 ms): the checkpoint is young.
            metrics = try await Self.scrape(daemon) { Self.metric($0, "exchange_audit_uncheckpointed_entries ") == 0 }
            #expect(Self.metric(metrics, "exchange_audit_uncheckpointed_entries ") == 0, "\(metrics)")
            let checkpointAge = try #require(Self.metric(metrics, "exchange_audit_checkpoint_age_seconds "))
            #expect(checkpointAge >= 0 && checkpointAge < 10, "checkpoint age \(checkpointAge)")

            // The test PKI is valid for one day.
            for certificate in ["server", "client_ca"] {
                let days = try #require(Self.metric(metrics, #"exchange_certificate_expiry_days{certificate="\#(certificate)""#), "\(metrics)")
                #expect(days > 0.9 && days < 1.001, "\(certificate) expires in \(days) days")
            }
            #expect(Self.metric(metrics, "exchange_store_max_map_size_bytes ") == Double(64 << 30))

            // A reload by SIGHUP is counted; one that fails is counted as failed.
            daemon.send(SIGHUP)
            metrics = try await Self.scrape(daemon) { Self.metric($0, #"exchange_config_reloads_total{result="applied"}"#) == 1 }
            #expect(Self.metric(metrics, #"exchange_config_reloads_total{result="applied"}"#) == 1, "\(metrics)")
            try "departments: [".write(toFile: daemon.directory + "/departments.yaml", atomically: true, encoding: .utf8)
            daemon.send(SIGHUP)
            metrics = try await Self.scrape(daemon) { Self.metric($0, #"exchange_config_reloads_total{result="failed"}"#) == 1 }
            #expect(Self.metric(metrics, #"exchange_config_reloads_total{result="failed"}"#) == 1, "\(metrics)")

            // A deleted subscription's series go.
            #expect(try await daemon.request("tax", .DELETE, "/v1/subscriptions/tax-feed").status == 204)
            metrics = try await Self.scrape(daemon) { Self.metric($0, lag) == nil }
            #expect(Self.metric(metrics, lag) == nil, "\(metrics)")
            #expect(try await daemon.stop() == 0)
        }
    }

    /// Every line of the daemon's output as a JSON object; records a failure for one that is not.
    static func jsonLines(_ daemon: DaemonHarness) -> [[String: Any]] {
        daemon.log.compactMap { line in
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            return object
        }
    }

    static func metadata(_ line: [String: Any]) -> [String: Any] { line["metadata"] as? [String: Any] ?? [:] }

    @Test(.timeLimit(.minutes(3)))
    func jsonLogNamesReasonPathAndRequestID() async throws {
        let daemon = try DaemonHarness(logFormat: "json")
        var tokens = try TokenFile.load(path: daemon.directory + "/tokens.json")
        let adminToken = try tokens.create(name: "admin-1", role: .admin)
        try tokens.save(path: daemon.directory + "/tokens.json")
        try await daemon.use {
            try await daemon.start()
            // An auditor may not reload: denied, with the caller's request id echoed.
            let denied = try await daemon.request(
                nil, .POST, "/v1/admin/reload",
                headers: [("authorization", "Bearer \(daemon.auditorToken)"), ("x-request-id", "trace-42.a:b_c")])
            #expect(denied.status == 403, "\(denied.text)")
            #expect(denied.requestID == "trace-42.a:b_c")
            // A department without an agreement publishing: refused by the engine, which audits it.
            let refused = try await daemon.publish("court", id: "C-1", data: Self.licence("C-1"))
            #expect(refused.status == 403, "\(refused.text)")
            let generated = try #require(refused.requestID)
            #expect(generated.utf8.count == 32 && generated.allSatisfy(\.isHexDigit), "\(generated)")
            // An id too long, or with other characters, is replaced.
            for bad in [String(repeating: "a", count: 129), "two words", "semi;colon", "\u{4e2d}\u{6587}"] {
                let reply = try await daemon.request(nil, .GET, "/healthz", headers: [("x-request-id", bad)])
                #expect(reply.requestID != bad && reply.requestID?.utf8.count == 32)
            }
            #expect(try await daemon.request(nil, .GET, "/healthz", headers: [("x-request-id", String(repeating: "b", count: 128))]).requestID
                == String(repeating: "b", count: 128))
            // An admin's reload: logged with who asked, how, and the result, under the request's id.
            let reloaded = try await daemon.request(
                nil, .POST, "/v1/admin/reload", headers: [("authorization", "Bearer \(adminToken)"), ("x-request-id", "reload-7")])
            #expect(reloaded.status == 200, "\(reloaded.text)")
            daemon.send(SIGHUP)
            _ = await daemon.waitForLog(#""trigger":"sighup""#, seconds: 10)
            #expect(try await daemon.stop() == 0)

            let lines = Self.jsonLines(daemon)
            #expect(lines.count >= 4)
            for line in lines {
                #expect(line["timestamp"] is String && line["level"] is String && line["logger"] is String && line["message"] is String)
                #expect(line["metadata"] is [String: Any])
            }
            let reloadDenied = try #require(
                lines.first { $0["message"] as? String == "access denied" && Self.metadata($0)["request_id"] as? String == "trace-42.a:b_c" },
                "\(daemon.log.joined(separator: "\n"))")
            #expect(Self.metadata(reloadDenied)["path"] as? String == "/v1/admin/reload")
            #expect((Self.metadata(reloadDenied)["reason"] as? String)?.isEmpty == false)
            #expect(Self.metadata(reloadDenied)["actor"] as? String == "auditor-1")
            let publishDenied = try #require(
                lines.first { $0["message"] as? String == "access denied" && Self.metadata($0)["request_id"] as? String == generated })
            #expect(Self.metadata(publishDenied)["path"] as? String == "/v1/topics/licence.business.issued/events")
            #expect((Self.metadata(publishDenied)["reason"] as? String)?.isEmpty == false)
            // The request line of the same request carries the same id.
            #expect(lines.contains { $0["message"] as? String == "request" && Self.metadata($0)["request_id"] as? String == generated })
            let reloads = lines.filter { $0["message"] as? String == "agreements reloaded" }.map(Self.metadata)
            #expect(reloads.count == 2)
            let byAdmin = try #require(reloads.first { $0["trigger"] as? String == "admin_api" })
            #expect(byAdmin["actor"] as? String == "admin-1")
            #expect(byAdmin["result"] as? String == "applied")
            #expect(byAdmin["request_id"] as? String == "reload-7")
            let bySignal = try #require(reloads.first { $0["trigger"] as? String == "sighup" })
            #expect(bySignal["actor"] as? String == "signal")
            #expect(bySignal["result"] as? String == "applied")
            #expect(bySignal["request_id"] == nil)
        }
    }
}
