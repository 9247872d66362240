import Foundation
import Testing

/// HTTP/1.0 clients read every answer: a streamed one (no length) comes without a chunked
/// coding they cannot decode, ended by the close of the connection (RFC 9112 §6.1, §6.3).
@Suite("HTTP/1.0 clients end to end")
struct HTTP10EndToEndTests {
    /// The head and body of a raw answer.
    static func split(_ text: String) -> (head: [String], body: String) {
        guard let end = text.range(of: "\r\n\r\n") else { return ([text], "") }
        return (text[..<end.lowerBound].components(separatedBy: "\r\n"), String(text[end.upperBound...]))
    }

    @Test(.timeLimit(.minutes(2)))
    func aStreamedReplayReachesAnHTTP10ClientWithoutChunksAndEndsWithTheConnection() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            for number in 1...3 {
                #expect(try await daemon.publish("msa", id: "L-\(number)", data: ["licence_no": "L-\(number)"]).status == 200)
            }
            let connection = try await RawConnection.open(port: daemon.port, tls: try daemon.tls(nil))
            defer { connection.close() }
            try await connection.send("GET /v1/replay HTTP/1.0\r\nHost: exchange\r\nAuthorization: Bearer \(daemon.auditorToken)\r\n\r\n")
            #expect(await connection.waitForClose(seconds: 30) != nil, "the answer was not ended by closing the connection")
            let (head, body) = Self.split(connection.text)
            #expect(head.first == "HTTP/1.0 200 OK", "\(head)")
            let names = head.dropFirst().map { $0.lowercased() }
            #expect(!names.contains { $0.hasPrefix("transfer-encoding:") }, "\(head)")
            #expect(names.contains("connection: close"), "\(head)")
            // The body is the NDJSON lines themselves, no chunk sizes between them.
            let lines = body.split(separator: "\n").map(String.init)
            let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(objects.count == lines.count && objects.count >= 3, "\(body.prefix(400))")

            // An answer with a length keeps it and says HTTP/1.0 too; without keep-alive the
            // connection closes after it (RFC 9112 §9.3), so a request sent after it on the same
            // connection is not read as HTTP/1.1 and refused.
            let health = try await RawConnection.open(port: daemon.port, tls: try daemon.tls(nil))
            defer { health.close() }
            try await health.send("GET /healthz HTTP/1.0\r\nHost: exchange\r\n\r\nGET /readyz HTTP/1.1\r\nHost: exchange\r\n\r\n")
            #expect(await health.waitForClose(seconds: 10) != nil, "an HTTP/1.0 connection without keep-alive stayed open")
            let healthHead = Self.split(health.text).head
            #expect(healthHead.first == "HTTP/1.0 200 OK", "\(healthHead)")
            #expect(healthHead.contains { $0.lowercased().hasPrefix("content-length:") }, "\(healthHead)")
            #expect(healthHead.contains { $0.lowercased() == "connection: close" }, "\(healthHead)")
            #expect(!health.text.contains("HTTP/1.1 400"), "\(health.text)")

            // With keep-alive, the answer says so and the connection serves the next request.
            let kept = try await RawConnection.open(port: daemon.port, tls: try daemon.tls(nil))
            defer { kept.close() }
            try await kept.send("GET /healthz HTTP/1.0\r\nHost: exchange\r\nConnection: keep-alive\r\n\r\n")
            #expect(await kept.waitFor("ok", seconds: 10))
            #expect(Self.split(kept.text).head.contains { $0.lowercased() == "connection: keep-alive" }, "\(kept.text)")
            try await kept.send("GET /healthz HTTP/1.0\r\nHost: exchange\r\n\r\n")
            #expect(await kept.waitForClose(seconds: 10) != nil)
            #expect(kept.text.components(separatedBy: "HTTP/1.0 200 OK").count == 3, "\(kept.text)")

            // HTTP/1.1 clients still get the stream chunked, on a connection that stays open.
            let modern = try await RawConnection.open(port: daemon.port, tls: try daemon.tls(nil))
            defer { modern.close() }
            try await modern.send("GET /v1/replay HTTP/1.1\r\nHost: exchange\r\nAuthorization: Bearer \(daemon.auditorToken)\r\n\r\n")
            #expect(await modern.waitFor("\r\n0\r\n\r\n", seconds: 30), "\(modern.text.prefix(400))")
            #expect(Self.split(modern.text).head.contains { $0.lowercased() == "transfer-encoding: chunked" })
            #expect(modern.closedAt == nil)
        }
    }
}
