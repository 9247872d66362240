import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Query parameters against the real daemon: a parameter given twice is refused rather than
/// reduced to its first value, and WebSocket upgrades check their query as HTTP routes do.
@Suite("query parameters end to end", .serialized)
struct QueryParameterEndToEndTests {
    /// A WebSocket upgrade of `path` as `department`, over a raw connection; what came back.
    static func upgrade(_ daemon: DaemonHarness, _ department: String, _ path: String) async throws -> String {
        let connection = try await RawConnection.open(port: daemon.port, tls: try daemon.tls(department))
        defer { connection.close() }
        #expect(await connection.waitForHandshake(seconds: 10))
        try await connection.send(
            "GET \(path) HTTP/1.1\r\nHost: exchange\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        _ = await connection.waitFor("\r\n\r\n", seconds: 10)
        // A refusal's problem document follows its head.
        _ = await connection.waitFor("}", seconds: 2)
        return connection.text
    }

    @Test(.timeLimit(.minutes(3)))
    func aRepeatedParameterIsRefusedAndUpgradesCheckTheirQuery() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            for path in ["/v1/replay?limit=1&limit=2", "/v1/replay?from_seq=5&topic=licence.%3E&from_seq=1"] {
                let repeated = try await daemon.request("tax", .GET, path)
                #expect(repeated.status == 400, "\(path): \(repeated.text)")
                #expect(repeated.object["code"] as? String == "http.repeated_query_parameter", "\(path): \(repeated.text)")
            }
            #expect(try await daemon.request("tax", .GET, "/v1/replay?limit=1").status == 200)

            // The same upgrade is accepted without a query, refused with one it does not read.
            #expect(try await Self.upgrade(daemon, "msa", "/v1/publish").contains("101 Switching Protocols"))
            for path in ["/v1/publish?form_seq=1", "/v1/subscriptions/tax-feed/stream?max=1&max=2"] {
                let refused = try await Self.upgrade(daemon, path.contains("publish") ? "msa" : "tax", path)
                #expect(refused.contains("HTTP/1.1 400"), "\(path): \(refused)")
                #expect(refused.contains("http.bad_request"), "\(path): \(refused)")
                #expect(!refused.contains("101 Switching Protocols"), "\(path): \(refused)")
            }
            #expect(try await daemon.stop() == 0)
        }
    }
}
