import Foundation
import Testing

/// Requests at the edges of HTTP/1.1's upgrade and tunnel machinery get an answer a client can
/// read: a foreign `Upgrade` is ignored, `CONNECT` is refused with a problem, and a WebSocket
/// upgrade that is not the first request of its connection is refused without a redirect.
@Suite("upgrade edges end to end")
struct UpgradeEdgesEndToEndTests {
    /// Sends `text` on a new connection and returns what came back once the connection closed
    /// (or after `seconds`).
    static func exchange(
        _ daemon: DaemonHarness, _ text: String, as department: String? = nil, until: String? = nil, seconds: Double = 10
    ) async throws -> (text: String, closed: Bool) {
        let connection = try await RawConnection.open(port: daemon.port, tls: try daemon.tls(department))
        defer { connection.close() }
        try await connection.send(text)
        if let until {
            _ = await connection.waitFor(until, seconds: seconds)
            return (connection.text, connection.closedAt != nil)
        }
        let closed = await connection.waitForClose(seconds: seconds) != nil
        return (connection.text, closed)
    }

    @Test(.timeLimit(.minutes(2)))
    func foreignUpgradesAreServedConnectIsRefusedAndLateWebSocketUpgradesAreRefused() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            // An upgrade to a protocol this server does not speak: served as any request (it
            // was closed without an answer).
            let h2c = try await Self.exchange(
                daemon, "GET /healthz HTTP/1.1\r\nHost: exchange\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
                until: "ok\n")
            #expect(h2c.text.hasPrefix("HTTP/1.1 200 OK") && h2c.text.hasSuffix("ok\n"), "\(h2c.text)")

            // An upgrade to a protocol whose name merely holds "websocket" is another protocol:
            // served (it got no answer at all).
            let lookalike = try await Self.exchange(
                daemon, "GET /healthz HTTP/1.1\r\nHost: exchange\r\nUpgrade: xwebsocket\r\nConnection: Upgrade\r\n\r\n", until: "ok\n")
            #expect(lookalike.text.hasPrefix("HTTP/1.1 200 OK"), "\(lookalike.text)")

            // The HTTP parser reads nothing after a request whose Connection asked for an upgrade
            // not made: its answer says close, and the connection closes (it hung for the idle
            // timeout, the request pipelined after it never answered).
            let pipelined = try await Self.exchange(
                daemon,
                "GET /healthz HTTP/1.1\r\nHost: exchange\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\nGET /healthz HTTP/1.1\r\nHost: exchange\r\n\r\n")
            #expect(pipelined.closed, "\(pipelined.text)")
            #expect(pipelined.text.hasPrefix("HTTP/1.1 200 OK"), "\(pipelined.text)")
            #expect(pipelined.text.lowercased().contains("connection: close"), "\(pipelined.text)")
            let later = try await Self.exchange(
                daemon,
                "GET /healthz HTTP/1.1\r\nHost: exchange\r\n\r\nGET /healthz HTTP/1.1\r\nHost: exchange\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n")
            #expect(later.closed, "\(later.text)")
            #expect(later.text.components(separatedBy: "HTTP/1.1 200 OK").count == 3, "\(later.text)")

            // A chunked body the parser refuses, pipelined behind another request, gets one
            // answer (it got the handler's and the guard's), then the close.
            let badBody = try await Self.exchange(
                daemon,
                "GET /healthz HTTP/1.1\r\nHost: exchange\r\n\r\n"
                    + "POST /v1/topics/licence.business.issued/events HTTP/1.1\r\nHost: exchange\r\n"
                    + "Content-Type: application/cloudevents+json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
                as: "msa")
            #expect(badBody.closed, "\(badBody.text)")
            #expect(badBody.text.components(separatedBy: "HTTP/1.1 ").count == 3, "two answers, one per request: \(badBody.text)")
            #expect(badBody.text.contains("HTTP/1.1 400 Bad Request"), "\(badBody.text)")

            // CONNECT: 405, and the connection closed, which ends the answer (it got a 404 head
            // and was left open for a minute). swift-nio's encoder writes no body in an answer
            // to CONNECT, so the problem document stays unsent; the status and close say it.
            let connect = try await Self.exchange(daemon, "CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n")
            #expect(connect.closed, "\(connect.text)")
            #expect(connect.text.hasPrefix("HTTP/1.1 405 Method Not Allowed"), "\(connect.text)")
            #expect(connect.text.lowercased().contains("connection: close"), "\(connect.text)")

            // A WebSocket upgrade after a first request on the connection: 400, not a redirect
            // to its own path (here a protocol-relative one to another host).
            let late = try await Self.exchange(
                daemon,
                "GET /healthz HTTP/1.1\r\nHost: exchange\r\n\r\n"
                    + "GET //elsewhere.example/x HTTP/1.1\r\nHost: exchange\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            #expect(late.closed, "\(late.text)")
            #expect(late.text.contains("HTTP/1.1 400 Bad Request"), "\(late.text)")
            #expect(late.text.contains("must be the first request on its connection"), "\(late.text)")
            #expect(!late.text.lowercased().contains("location:"), "\(late.text)")

            // Handshakes RFC 6455 refuses are refused, not upgraded: over HTTP/1.0, and with a key
            // that is not a 16-byte nonce (both were answered 101).
            for (version, key, reason) in [
                ("HTTP/1.0", "dGhlIHNhbXBsZSBub25jZQ==", "needs HTTP/1.1"), ("HTTP/1.1", "x", "Sec-WebSocket-Key must be"),
            ] {
                let refused = try await Self.exchange(
                    daemon,
                    "GET /v1/publish \(version)\r\nHost: exchange\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n")
                #expect(refused.closed, "\(refused.text)")
                #expect(refused.text.contains(" 400 Bad Request"), "\(version) \(key): \(refused.text)")
                #expect(refused.text.contains(reason), "\(refused.text)")
            }

            try await HardeningEndToEndTests.expectServing(daemon, "upgrade-edges")
        }
    }
}
