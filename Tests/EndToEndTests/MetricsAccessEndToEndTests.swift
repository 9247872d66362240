import ExchangeIdentity
import Foundation
import NIOHTTP1
import Testing

/// `server.metrics_access: operator` keeps `/metrics`, whose series name every subscription and
/// agreement, to the operation role: others are refused with a problem, and audited.
@Suite("metrics access end to end")
struct MetricsAccessEndToEndTests {
    @Test(.timeLimit(.minutes(2)))
    func onlyAnOperatorTokenReadsTheMetricsWhenSoConfigured() async throws {
        let daemon = try DaemonHarness(server: ["metrics_access": "operator"])
        var tokens = try TokenFile.load(path: daemon.directory + "/tokens.json")
        let operatorToken = try tokens.create(name: "monitoring", role: .operator)
        try tokens.save(path: daemon.directory + "/tokens.json")
        try await daemon.use {
            try await daemon.start()
            #expect(try await daemon.json("tax", .PUT, "/v1/subscriptions/tax-secret-feed", ["filter": "licence.>"]).status == 201)

            let anonymous = try await daemon.request(nil, .GET, "/metrics")
            #expect(anonymous.status == 401, "\(anonymous.text.prefix(200))")
            #expect(anonymous.contentType == "application/problem+json")
            #expect(!anonymous.text.contains("tax-secret-feed"))
            let auditor = try await daemon.request(nil, .GET, "/metrics", headers: [("authorization", "Bearer \(daemon.auditorToken)")])
            #expect(auditor.status == 403, "\(auditor.text.prefix(200))")
            let department = try await daemon.request("tax", .GET, "/metrics")
            #expect(department.status == 403, "\(department.text.prefix(200))")

            let monitoring = try await daemon.request(nil, .GET, "/metrics", headers: [("authorization", "Bearer \(operatorToken)")])
            #expect(monitoring.status == 200)
            #expect(monitoring.text.contains("exchange_subscription_lag{"), "\(monitoring.text.prefix(300))")
            // The health endpoints stay open to probes.
            #expect(try await daemon.request(nil, .GET, "/healthz").status == 200)
            #expect(try await daemon.request(nil, .GET, "/readyz").status == 200)
        }
    }
}
