import AsyncHTTPClient
import ExchangeStore
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// `exchangectl token create --expires-in`: the daemon accepts the token until its expiry and
/// refuses it afterwards with `auth.token_expired`, audited under the token's name; `token list`
/// shows each token's expiry and state.
@Suite(.serialized) struct TokenExpiryEndToEndTests {
    static func exchangectl(_ arguments: [String]) async throws -> ExecutableRun {
        try await ExecutableRun.of("exchangectl", arguments)
    }

    static func get(_ harness: DaemonHarness, _ path: String, token: String) async throws -> (status: Int, body: [String: Any]) {
        var request = HTTPClientRequest(url: harness.baseURL + path)
        request.headers.add(name: "authorization", value: "Bearer \(token)")
        let response = try await harness.client(nil).execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let body = (try? JSONSerialization.jsonObject(with: Data(Array(buffer: bytes)))) as? [String: Any] ?? [:]
        return (Int(response.status.code), body)
    }

    @Test func anExpiredTokenIsRefusedWithItsOwnCode() async throws {
        let harness = try DaemonHarness()
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        let tokens = ["--tokens", harness.directory + "/tokens.json"]
        try await harness.start()
        try await harness.use {
            let bad = try await Self.exchangectl(["token", "create", "--role", "auditor", "--name", "x", "--expires-in", "0d"] + tokens)
            #expect(bad.status == 64, "\(bad.errors)")
            let both = try await Self.exchangectl(
                ["token", "create", "--role", "auditor", "--name", "x", "--expires-in", "1d", "--expires-at", "2030-01-01T00:00:00Z"] + tokens)
            #expect(both.status == 64, "\(both.errors)")

            let created = try await Self.exchangectl(["token", "create", "--role", "auditor", "--name", "short-lived", "--expires-in", "15s"] + tokens)
            #expect(created.status == 0, "\(created.errors)")
            #expect(created.output.contains(", expires 20"), "\(created.output)")
            let secret = try #require(created.output.split(separator: "\n").first { $0.hasPrefix("secret") }?.split(separator: " ").last.map(String.init))
            // Accepted before its expiry (at least 14 s away: the expiry is kept in whole seconds, and the
            // three commands before the listing below took over 5 s on a loaded machine).
            let accepted = try await Self.get(harness, "/v1/audit/key", token: secret)
            #expect(accepted.status == 200, "\(accepted.body)")
            let dated = try await Self.exchangectl(
                ["token", "create", "--role", "auditor", "--name", "dated", "--expires-at", "2030-01-01T00:00:00Z"] + tokens)
            #expect(dated.status == 0, "\(dated.errors)")

            let listed = try await Self.exchangectl(["token", "list"] + tokens)
            let lines = listed.output.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
            #expect(lines.first { $0.first == "auditor-1" }?.suffix(2) == ["active", "never"], "\(listed.output)")
            #expect(lines.first { $0.first == "dated" }?.suffix(2) == ["active", "2030-01-01T00:00:00Z"], "\(listed.output)")
            #expect(lines.first { $0.first == "short-lived" }?[3] == "active", "\(listed.output)")


            try await Task.sleep(for: .seconds(16))
            let refused = try await Self.get(harness, "/v1/audit/key", token: secret)
            #expect(refused.status == 401)
            #expect(refused.body["code"] as? String == "auth.token_expired", "\(refused.body)")
            #expect((refused.body["detail"] as? String)?.contains("\"short-lived\" expired at 20") == true, "\(refused.body)")
            // Other tokens are unaffected.
            #expect(try await Self.get(harness, "/v1/audit/key", token: harness.auditorToken).status == 200)
            let after = try await Self.exchangectl(["token", "list"] + tokens)
            #expect(after.output.split(separator: "\n").contains { $0.hasPrefix("short-lived\t") && $0.contains("\texpired\t") }, "\(after.output)")
            #expect(try await harness.stop() == 0)

            let store = try ExchangeStore(configuration: StoreConfiguration(directory: harness.directory + "/data", initialMapSize: 16 << 20))
            defer { store.close() }
            let entries = try store.auditEntries(from: 0, limit: 10_000).map { String(decoding: $0, as: UTF8.self) }
            let denial = entries.filter { $0.contains("\"code\":\"auth.token_expired\"") }
            #expect(denial.count == 1, "\(denial)")
            #expect(denial.first?.contains("\"actor\":\"short-lived\"") == true, "\(denial)")
        }
    }
}
