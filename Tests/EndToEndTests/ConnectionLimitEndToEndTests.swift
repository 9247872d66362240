import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Connection limits and timeouts against the real daemon: what an attacker holding
/// connections open, or sending requests slowly or malformed, gets.
@Suite("connection limits end to end", .serialized)
struct ConnectionLimitEndToEndTests {
    /// The value of the series `name` (with its labels) in a `/metrics` answer, or 0.
    static func metric(_ text: String, _ name: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1)) ?? 0
        }
        return 0
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    @Test(.timeLimit(.minutes(3)))
    func eachPhaseHasItsTimeout() async throws {
        // Three different timeouts, so that each close shows which one fired; the handshake's
        // is 2 s, not 1 s, so that the TLS handshakes of the later steps finish within it on a
        // machine loaded by the whole suite.
        let daemon = try DaemonHarness(server: ["handshake_timeout": "2s", "request_head_timeout": "4s", "idle_timeout": "6s"])
        try await daemon.use {
            try await daemon.start()

            // Each time is taken before the step that starts the server's deadline, so that a
            // loaded machine can only make it look longer.
            // A bare TCP connection that never starts a TLS handshake.
            let bareOpened = ContinuousClock.now
            let bare = try await RawConnection.open(port: daemon.port, tls: nil)
            let bareClosed = try #require(await bare.waitForClose(seconds: 8), "the idle TCP connection was never closed")
            let bareSeconds = Self.seconds(bareClosed - bareOpened)
            #expect(bareSeconds > 1.95 && bareSeconds < 5, "closed after \(bareSeconds) s, not the 2 s handshake timeout")

            // A slowloris: a request head trickling in, one header every 200 ms.
            let slow = try await RawConnection.open(port: daemon.port, tls: try daemon.tls(nil))
            #expect(await slow.waitForHandshake(seconds: 5))
            let firstByte = ContinuousClock.now
            try await slow.send("GET /healthz HTTP/1.1\r\nHost: exchange\r\n")
            for index in 0..<50 where slow.closedAt == nil {
                try await Task.sleep(for: .milliseconds(200))
                try? await slow.send("X-Slow-\(index): y\r\n")
            }
            let slowClosed = try #require(slow.closedAt, "the slowloris connection was never closed")
            let slowSeconds = Self.seconds(slowClosed - firstByte)
            #expect(slowSeconds > 3.95 && slowSeconds < 6.5, "closed after \(slowSeconds) s, not the 4 s head timeout")
            #expect(!slow.text.contains("200 OK"))

            // A keep-alive connection left idle after its response.
            let idle = try await RawConnection.open(port: daemon.port, tls: try daemon.tls(nil))
            #expect(await idle.waitForHandshake(seconds: 5))
            let requested = ContinuousClock.now
            try await idle.send("GET /healthz HTTP/1.1\r\nHost: exchange\r\n\r\n")
            #expect(await idle.waitFor("200 OK", seconds: 5), "\(idle.text)")
            let idleClosed = try #require(await idle.waitForClose(seconds: 11), "the idle keep-alive connection was never closed")
            let idleSeconds = Self.seconds(idleClosed - requested)
            #expect(idleSeconds > 5.95 && idleSeconds < 10, "closed after \(idleSeconds) s, not the 6 s idle timeout")

            let metrics = try await daemon.request(nil, .GET, "/metrics").text
            #expect(Self.metric(metrics, #"exchange_connection_timeouts_total{kind="handshake"}"#) >= 1, "\(metrics)")
            #expect(Self.metric(metrics, #"exchange_connection_timeouts_total{kind="request_head"}"#) >= 1)
            #expect(Self.metric(metrics, #"exchange_connection_timeouts_total{kind="idle"}"#) >= 1)
            #expect(try await daemon.stop() == 0)
        }
    }

    static let malformedRequests: [(String, String)] = [
        ("a garbage request line", "this is not http\r\n\r\n"),
        ("headers over 80 KiB", "GET /healthz HTTP/1.1\r\nHost: exchange\r\nX-Big: " + String(repeating: "a", count: 90 * 1024) + "\r\n\r\n"),
        (
            "Content-Length and Transfer-Encoding",
            "POST /healthz HTTP/1.1\r\nHost: exchange\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        ),
        ("two Content-Lengths", "POST /healthz HTTP/1.1\r\nHost: exchange\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
        ("garbage after a good request", "GET /healthz HTTP/1.1\r\nHost: exchange\r\n\r\nthis is not http\r\n\r\n"),
    ]

    @Test(.timeLimit(.minutes(3)))
    func malformedRequestsAreAnsweredWithAProblemAndClosed() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            for (name, request) in Self.malformedRequests {
                let connection = try await RawConnection.open(port: daemon.port, tls: try daemon.tls(nil))
                try? await connection.send(request)
                let closed = await connection.waitForClose(seconds: 5)
                #expect(closed != nil, "\(name): the connection stayed open")
                var text = connection.text
                if name.hasPrefix("garbage after") {
                    #expect(text.hasPrefix("HTTP/1.1 200 OK"), "\(name): \(text)")
                    text = String(text[(text.range(of: "HTTP/1.1 400")?.lowerBound ?? text.endIndex)...])
                }
                let response = try #require(RawResponse(text), "\(name): no response in \(connection.text)")
                #expect(response.status == 400, "\(name): \(text)")
                #expect(response.headers["content-type"] == "application/problem+json", "\(name): \(text)")
                #expect(response.headers["connection"] == "close", "\(name)")
                #expect(response.object["code"] as? String == "http.bad_request", "\(name): \(response.body)")
                #expect(response.object["status"] as? Int == 400, "\(name)")
                connection.close()
            }
            let metrics = try await daemon.request(nil, .GET, "/metrics").text
            #expect(Self.metric(metrics, "exchange_bad_requests_total") == Double(Self.malformedRequests.count), "\(metrics)")
            #expect(try await daemon.stop() == 0)
        }
    }

    /// A transfer coding the exchange does not implement is answered 501, not read as an empty
    /// body (RFC 9112 §6.1).
    @Test(.timeLimit(.minutes(3)))
    func anUnknownTransferCodingIsAnswered501AndClosed() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            let connection = try await RawConnection.open(port: daemon.port, tls: try daemon.tls("msa"))
            try? await connection.send(
                "POST /v1/topics/licence.business.issued/events HTTP/1.1\r\nHost: exchange\r\n"
                    + "Content-Type: application/cloudevents+json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
            #expect(await connection.waitForClose(seconds: 5) != nil, "the connection stayed open")
            let response = try #require(RawResponse(connection.text), "no response in \(connection.text)")
            #expect(response.status == 501, "\(connection.text)")
            #expect(response.headers["content-type"] == "application/problem+json")
            #expect(response.headers["connection"] == "close")
            #expect(response.object["code"] as? String == "http.unsupported_transfer_coding", "\(response.body)")
            connection.close()
            #expect(try await daemon.stop() == 0)
        }
    }

    static let upgrade = "GET /v1/publish HTTP/1.1\r\nHost: exchange\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"

    @Test(.timeLimit(.minutes(3)))
    func refusedWebSocketUpgradesAreAnsweredWithAProblem() async throws {
        let daemon = try DaemonHarness(auditSettings: "  anonymous_refusals:\n    interval: 1s")
        try await daemon.use {
            try await daemon.start()
            // Neither a certificate nor a token.
            let anonymous = try await RawConnection.open(port: daemon.port, tls: try daemon.tls(nil))
            try await anonymous.send(Self.upgrade + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
            #expect(await anonymous.waitForClose(seconds: 5) != nil, "the refused upgrade's connection stayed open")
            let refused = try #require(RawResponse(anonymous.text), "no answer: \(anonymous.text)")
            #expect(refused.status == 401, "\(anonymous.text)")
            #expect(refused.headers["content-type"] == "application/problem+json")
            #expect(refused.headers["www-authenticate"] == "Bearer")
            #expect(refused.object["code"] as? String == "auth.unauthenticated", "\(refused.body)")
            #expect(refused.object["instance"] as? String == "/v1/publish")

            // No Sec-WebSocket-Key.
            let keyless = try await RawConnection.open(port: daemon.port, tls: try daemon.tls("msa"))
            try await keyless.send(Self.upgrade + "\r\n")
            #expect(await keyless.waitForClose(seconds: 5) != nil, "the keyless upgrade's connection stayed open")
            let bad = try #require(RawResponse(keyless.text), "no answer: \(keyless.text)")
            #expect(bad.status == 400, "\(keyless.text)")
            #expect(bad.headers["content-type"] == "application/problem+json")
            #expect(bad.object["code"] as? String == "http.bad_request", "\(bad.body)")

            // The refusal is audited like any other anonymous one: counted, then written with
            // its source's others at the end of the interval.
            let entries = try await daemon.request(nil, .GET, "/healthz")
            #expect(entries.status == 200)
            #expect(await daemon.waitForLog("anonymous refusals audited", seconds: 5) != nil)
            #expect(try await daemon.stop() == 0)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func departmentsAreServedWhileMoreConnectionsThanTheLimitAreHeld() async throws {
        let limit = 50
        // Handshakes time out after a minute, not 10 s: on a loaded machine opening the flood
        // takes over 10 s, and a timeout would close connections the limit must evict.
        let daemon = try DaemonHarness(server: ["max_connections": "\(limit)", "handshake_timeout": "60s"])
        var flood: [RawConnection] = []
        do {
            try await daemon.start()
            #expect(await daemon.waitForLog("max_connections=\(limit)", seconds: 5) != nil, "\(daemon.log.suffix(5))")
            // Warm the daemon's paths once, on connections closed before the flood.
            #expect(try await daemon.publish("msa", id: "warm", data: ["licence_no": "warm"]).status == 200)

            // 80 anonymous connections held open: half bare TCP, half handshaken TLS.
            for index in 0..<80 {
                let tls = index % 2 == 0 ? nil : try daemon.tls(nil)
                let connection = try await RawConnection.open(port: daemon.port, tls: tls)
                if tls != nil { _ = await connection.waitForHandshake(seconds: 5) }
                flood.append(connection)
            }

            var configuration = HTTPClient.Configuration(tlsConfiguration: try daemon.tls("msa"))
            configuration.timeout.connect = .seconds(5)
            let fresh = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            let started = ContinuousClock.now
            var publish = HTTPClientRequest(url: daemon.baseURL + "/v1/topics/licence.business.issued/events")
            publish.method = .POST
            publish.headers.add(name: "content-type", value: "application/cloudevents+json")
            publish.body = .bytes(
                ByteBuffer(string: #"{"specversion":"1.0","id":"flood-1","type":"licence.issued","data":{"licence_no":"F-1"}}"#))
            let published = try await fresh.execute(publish, timeout: .seconds(5))
            _ = try await published.body.collect(upTo: 1 << 20)
            let publishSeconds = Self.seconds(ContinuousClock.now - started)
            #expect(published.status.code == 200)
            #expect(publishSeconds < 1, "the publish took \(publishSeconds) s")

            let healthStarted = ContinuousClock.now
            var health = HTTPClientRequest(url: daemon.baseURL + "/healthz")
            health.headers.add(name: "connection", value: "close")
            let healthy = try await fresh.execute(health, timeout: .seconds(5))
            _ = try await healthy.body.collect(upTo: 1 << 20)
            let healthSeconds = Self.seconds(ContinuousClock.now - healthStarted)
            #expect(healthy.status.code == 200)
            #expect(healthSeconds < 1, "/healthz took \(healthSeconds) s")
            try await fresh.shutdown()

            // The oldest idle connections made room; the daemon never held more than its limit
            // (and evictions still closing).
            #expect(flood.prefix(40).contains { $0.closedAt != nil })
            let metrics = try await daemon.request(nil, .GET, "/metrics").text
            let open = Self.metric(metrics, "exchange_connections_open")
            #expect(open >= 1 && open <= Double(limit), "\(metrics)")
            let evicted =
                Self.metric(metrics, #"exchange_connections_shed_total{action="evicted",phase="handshaking"}"#)
                + Self.metric(metrics, #"exchange_connections_shed_total{action="evicted",phase="waiting"}"#)
            #expect(evicted >= 30, "\(metrics)")
            for connection in flood { connection.close() }
            #expect(try await daemon.stop() == 0)
        } catch {
            for connection in flood { connection.close() }
            await daemon.tearDown()
            throw error
        }
        await daemon.tearDown()
    }

    /// One department holding its share of connections with requests it never finishes (never
    /// evicted) cannot keep other departments out: its next connection is closed after the
    /// handshake, and another department publishes at once.
    @Test(.timeLimit(.minutes(3)))
    func oneCertificateCannotHoldMoreThanItsShare() async throws {
        let daemon = try DaemonHarness(server: ["max_connections": "20", "max_connections_per_certificate": "5"])
        var held: [RawConnection] = []
        do {
            try await daemon.start()
            #expect(await daemon.waitForLog("per_certificate=5", seconds: 5) != nil, "\(daemon.log.suffix(5))")
            // Five requests whose bodies never end: busy connections, never evicted.
            for index in 0..<5 {
                held.append(
                    try await RawConnection.openSlowBody(
                        port: daemon.port, tls: try daemon.tls("tax"), path: "/v1/topics/licence.business.issued/events",
                        contentType: "application/cloudevents+json", length: 100_000, start: "{\"slow\(index)", handshakeSeconds: 5))
            }
            let sixth = try await RawConnection.open(port: daemon.port, tls: try daemon.tls("tax"))
            // Generous: a handshake on a loaded 2-core machine can take seconds.
            #expect(await sixth.waitForClose(seconds: 20) != nil, "a sixth connection of the same certificate stays open")
            #expect(try await daemon.publish("msa", id: "share-1", data: ["licence_no": "share-1"]).status == 200)
            let metrics = try await daemon.request(nil, .GET, "/metrics").text
            #expect(Self.metric(metrics, #"exchange_connections_shed_total{action="refused",phase="over_certificate_share"}"#) >= 1, "\(metrics)")
            // A held connection that closes frees its place.
            held.removeFirst().close()
            var served = false
            for _ in 0..<50 where !served {
                served = (try? await daemon.request("tax", .GET, "/v1/subscriptions/none"))?.status == 404
                if !served { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(served, "tax is not served after one of its connections closed")
            for connection in held { connection.close() }
            #expect(try await daemon.stop() == 0)
        } catch {
            for connection in held { connection.close() }
            await daemon.tearDown()
            throw error
        }
        await daemon.tearDown()
    }
}
