import AsyncHTTPClient
import ExchangeIdentity
import ExchangeServer
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// Requests that once brought the daemon down, or let one client harm others, sent to the real
/// daemon: each is refused with a 400 problem document, changes nothing, and the daemon keeps
/// serving every department.
@Suite("hostile input end to end", .serialized)
struct HardeningEndToEndTests {
    static let twoTo63 = "9223372036854775808"

    /// The daemon is still up: `/healthz` answers and a department can publish.
    static func expectServing(_ daemon: DaemonHarness, _ id: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let health = try await daemon.request(nil, .GET, "/healthz", timeout: .seconds(5))
        #expect(health.status == 200, "healthz after \(id)", sourceLocation: sourceLocation)
        let published = try await daemon.publish("msa", id: "alive-\(id)", data: ["licence_no": "alive-\(id)"])
        #expect(published.status == 200, "publish after \(id): \(published.text)", sourceLocation: sourceLocation)
    }

    static func expectBadRequest(_ reply: DaemonHarness.Reply, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == 400, "\(what): \(reply.status) \(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.contentType == "application/problem+json", "\(what)", sourceLocation: sourceLocation)
    }

    static func structured(_ event: [String: Any]) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: event))
    }

    @Test(.timeLimit(.minutes(3)))
    func numbersOutOfRangeAreRefusedAndTheDaemonKeepsServing() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            // A pending delivery of tax's own, to nak with an absurd delay.
            #expect(try await daemon.json("tax", .PUT, "/v1/subscriptions/own", ["filter": "licence.>", "start": "all"]).status == 201)
            #expect(try await daemon.publish("msa", id: "L-1", data: ["licence_no": "L-1"]).status == 200)
            let pulled = try await daemon.request("tax", .GET, "/v1/subscriptions/own/events?max=10&wait=5000")
            #expect(pulled.array.count == 1)

            let raw: [(String, HTTPMethod, String, String)] = [
                ("nak of nothing with delay 2^63", .POST, "/v1/subscriptions/nope/nak", #"{"sequences":[],"delay_ms":\#(Self.twoTo63)}"#),
                ("nak of a pending event with delay 1e14", .POST, "/v1/subscriptions/own/nak", #"{"sequences":[1],"delay_ms":100000000000000}"#),
                ("ack of sequence 2^63", .POST, "/v1/subscriptions/own/ack", #"{"sequences":[\#(Self.twoTo63)]}"#),
                ("ack of a sequence past 2^64", .POST, "/v1/subscriptions/own/ack", #"{"sequences":[18446744073709551616]}"#),
                ("start.sequence 2^63", .PUT, "/v1/subscriptions/far", #"{"filter":"licence.>","start":{"sequence":\#(Self.twoTo63)}}"#),
                ("start.time in 3026", .PUT, "/v1/subscriptions/late", #"{"filter":"licence.>","start":{"time":"3026-09-14T09:00:00+08:00"}}"#),
                ("ack_wait_ms 1e14", .PUT, "/v1/subscriptions/slow", #"{"filter":"licence.>","ack_wait_ms":100000000000000}"#),
                ("backoff_ms 1e14", .PUT, "/v1/subscriptions/slow", #"{"filter":"licence.>","backoff_ms":[100000000000000]}"#),
                ("max_deliver 4e9", .PUT, "/v1/subscriptions/slow", #"{"filter":"licence.>","max_deliver":4000000000}"#),
                ("subscription named .hidden", .PUT, "/v1/subscriptions/.hidden", #"{"filter":"licence.>"}"#),
                // A start names one position: sequences count from 1, and an object holds one of
                // sequence and time.
                ("start.sequence 0", .PUT, "/v1/subscriptions/far", #"{"filter":"licence.>","start":{"sequence":0}}"#),
                ("start with sequence and time", .PUT, "/v1/subscriptions/far", #"{"filter":"licence.>","start":{"sequence":1,"time":"2026-01-01T00:00:00Z"}}"#),
                ("start {}", .PUT, "/v1/subscriptions/far", #"{"filter":"licence.>","start":{}}"#),
            ]
            for (what, method, path, body) in raw {
                let reply = try await daemon.request("tax", method, path, contentType: "application/json", body: Array(body.utf8))
                Self.expectBadRequest(reply, what)
                #expect(!reply.text.contains("not valid JSON"), "\(what): \(reply.text)")
            }
            let manySteps = Array(repeating: 1, count: 200_000)
            Self.expectBadRequest(
                try await daemon.json("tax", .PUT, "/v1/subscriptions/slow", ["filter": "licence.>", "backoff_ms": manySteps]), "200,000 backoff steps")
            // Nothing of the refused settings was stored: no subscription `slow` or `far`.
            #expect(try await daemon.request("tax", .GET, "/v1/subscriptions/slow").status == 404)
            #expect(try await daemon.request("tax", .GET, "/v1/subscriptions/far").status == 404)
            // The pending event is still pending, with its old deadline.
            #expect(try await daemon.request("tax", .GET, "/v1/subscriptions/own").object["pending"] as? Int == 1)

            for (who, path) in [
                ("tax", "/v1/replay?from_seq=\(Self.twoTo63)"), (nil, "/v1/replay?from_seq=\(Self.twoTo63)"),
                ("tax", "/v1/replay?from_time=3026-09-14T09:00:00Z"), ("tax", "/v1/replay?until=9999-12-31"),
                ("tax", "/v1/replay?from_seq=%2B5"),
            ] as [(String?, String)] {
                let reply = try await daemon.request(who, .GET, path)
                // Without a certificate the request is refused before its parameters are read.
                if who == nil { #expect(reply.status == 401) } else { Self.expectBadRequest(reply, path) }
            }
            try await Self.expectServing(daemon, "numbers")

            // The auditor's replay and audit event filters read the same numbers and times.
            for path in ["/v1/replay?from_seq=\(Self.twoTo63)", "/v1/audit/events?from=3026-01-01T00:00:00Z"] {
                var request = HTTPClientRequest(url: daemon.baseURL + path)
                request.headers.add(name: "authorization", value: "Bearer \(daemon.auditorToken)")
                let response = try await daemon.client(nil).execute(request, timeout: .seconds(30))
                #expect(response.status == .badRequest, "\(path)")
            }
            try await Self.expectServing(daemon, "auditor")
            #expect(try await daemon.stop() == 0)
        }
    }

    /// A wrong method on a path the API serves is told which methods it takes (405 with `Allow`),
    /// and a query parameter an endpoint does not read is refused rather than ignored, so that a
    /// misspelt filter cannot silently widen an auditor's or a department's answer.
    @Test(.timeLimit(.minutes(3)))
    func wrongMethodsAndUnknownQueryParametersAreNamed() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            for (method, path, allow) in [
                (HTTPMethod.POST, "/v1/replay", "GET"),
                (.PATCH, "/v1/subscriptions/own", "GET, PUT, DELETE"),
                (.GET, "/v1/subscriptions/own/ack", "POST"),
                (.DELETE, "/v1/topics/licence.business.issued/events", "POST"),
                (.POST, "/v1/publish", "GET"),
                (.TRACE, "/healthz", "GET"),
                (.RAW(value: "QUERY"), "/v1/audit/entries", "GET"),
            ] {
                let reply = try await daemon.request("tax", method, path)
                #expect(reply.status == 405, "\(method) \(path): \(reply.status) \(reply.text)")
                #expect(reply.contentType == "application/problem+json", "\(method) \(path)")
                #expect(reply.object["code"] as? String == "http.method_not_allowed", "\(method) \(path)")
                #expect(reply.allow == allow, "\(method) \(path)")
            }
            // HEAD is not served (a HEAD of a pull would deliver events to nobody), nor offered.
            let head = try await daemon.request("tax", .HEAD, "/v1/audit/key")
            #expect(head.status == 405 && head.allow == "GET", "\(head.status) \(head.allow ?? "-")")
            // Without a certificate or token the method is not discussed.
            #expect(try await daemon.request(nil, .POST, "/v1/replay").status == 401)
            #expect(try await daemon.request("tax", .GET, "/v1/nowhere").status == 404)

            #expect(try await daemon.publish("msa", id: "Q-1", data: ["licence_no": "Q-1"]).status == 200)
            let misspelt = try await daemon.request("tax", .GET, "/v1/replay?form_seq=2")
            Self.expectBadRequest(misspelt, "replay?form_seq")
            #expect(misspelt.text.contains("form_seq"), "\(misspelt.text)")
            #expect(try await daemon.request("tax", .GET, "/v1/replay?from_seq=1").status == 200)
            for path in ["/v1/audit/events?typ=published", "/v1/audit/entries?begin=0", "/v1/audit/key?x=1"] {
                var request = HTTPClientRequest(url: daemon.baseURL + path)
                request.headers.add(name: "authorization", value: "Bearer \(daemon.auditorToken)")
                let response = try await daemon.client(nil).execute(request, timeout: .seconds(30))
                #expect(response.status == .badRequest, "\(path)")
            }
            try await Self.expectServing(daemon, "methods")
            #expect(try await daemon.stop() == 0)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func timesAndLongValuesInEventsAreRefusedWithoutHarmingOthers() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            let topic = "/v1/topics/licence.business.issued/events"
            let base: [String: Any] = ["specversion": "1.0", "type": "licence.issued", "data": ["licence_no": "T-1"]]
            func event(_ extra: [String: Any]) -> [String: Any] { base.merging(extra) { $1 } }

            let refused: [(String, [String: Any])] = [
                ("time in 3026", event(["id": "T-1", "time": "3026-09-14T09:00:00+08:00"])),
                ("time in 9999", event(["id": "T-2", "time": "9999-12-31T23:59:59Z"])),
                ("a date where a timestamp belongs", event(["id": "T-2b", "time": "2026-01-01"])),
                ("a 600-byte id", event(["id": String(repeating: "i", count: 600)])),
                ("a 500-byte subject", event(["id": "T-3", "subject": String(repeating: "s", count: 500)])),
                ("a 300-byte type", event(["id": "T-4", "type": String(repeating: "t", count: 300)])),
                ("a 200-byte holder on a registry topic", event(["id": "T-5", "subject": "T-5", "data": ["licence_no": "T-5", "holder": ["credit_code": String(repeating: "h", count: 200)]]])),
            ]
            for (what, body) in refused {
                let reply = try await daemon.request("msa", .POST, topic, contentType: "application/cloudevents+json", body: try Self.structured(body))
                Self.expectBadRequest(reply, what)
                if what == "a date where a timestamp belongs" { #expect(reply.text.contains("is not an RFC 3339 timestamp"), "\(reply.text)") }
            }
            // Binary mode: the same time in a header.
            var request = HTTPClientRequest(url: daemon.baseURL + topic)
            request.method = .POST
            request.headers.add(contentsOf: [
                ("content-type", "application/json"), ("ce-specversion", "1.0"), ("ce-id", "B-1"), ("ce-type", "licence.issued"),
                ("ce-time", "3026-09-14T09:00:00Z"),
            ])
            request.body = .bytes(Array(#"{"licence_no":"B-1"}"#.utf8))
            let binary = try await daemon.client("msa").execute(request, timeout: .seconds(30))
            #expect(binary.status == .badRequest)

            let impossible = try await daemon.publish("msa", id: "T-6", data: ["licence_no": "T-6", "issued_on": "2026-02-30"])
            #expect(impossible.status == 422, "\(impossible.text)")
            // A date far in the future is an ordinary value in data ("no expiry").
            let farDate = try await daemon.publish("msa", id: "T-7", data: ["licence_no": "T-7", "issued_on": "9999-12-31"])
            #expect(farDate.status == 200, "\(farDate.text)")

            // Refused events never reached the writer: innocent publishes at the same time all
            // succeed, and the log holds exactly the accepted ones.
            let hostile = try (0..<40).map { index in
                try Self.structured(
                    event(["id": "H-\(index)", "subject": "H-\(index)", "data": ["licence_no": "H", "holder": ["credit_code": String(repeating: "x", count: 480)]]]))
            }
            let results = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        if index % 2 == 0 {
                            let reply = try await daemon.request("msa", .POST, topic, contentType: "application/cloudevents+json", body: hostile[index])
                            return reply.status == 400 ? 0 : 1000
                        }
                        return try await daemon.publish("msa", id: "OK-\(index)", data: ["licence_no": "OK-\(index)"]).status == 200 ? 1 : 1000
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(results == 20)
            let replayed = try await daemon.request("tax", .GET, "/v1/replay")
            let lines = replayed.text.split(separator: "\n")
            #expect(lines.count == 21)

            // A key with any characters is found through its percent-encoding, and only so.
            #expect(try await daemon.publish("msa", id: "K é/1", data: ["licence_no": "K é/1"]).status == 200)
            #expect(try await daemon.request("tax", .GET, "/v1/registry/licences/K%20%C3%A9%2F1").status == 200)
            #expect(try await daemon.request("tax", .GET, "/v1/registry/licences/K%20%C3%A9%252F1").status == 404)
            try await Self.expectServing(daemon, "events")
            #expect(try await daemon.stop() == 0)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func streamControlNumbersAreRefusedOnTheStream() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            #expect(try await daemon.json("tax", .PUT, "/v1/subscriptions/push", ["filter": "licence.>", "start": "all"]).status == 201)
            #expect(try await daemon.publish("msa", id: "S-1", data: ["licence_no": "S-1"]).status == 200)
            let frames = Shared<[String]>([])
            try await daemon.within(60, { "\(frames.withLock { $0.count }) frames arrived" }) {
                try await WebSocketClient.connect(
                    url: "wss://127.0.0.1:\(daemon.port)/v1/subscriptions/push/stream", configuration: .init(sniHostname: "localhost"),
                    tlsConfiguration: try daemon.tls("tax"), logger: Logger(label: "ws-hostile")
                ) { inbound, outbound, _ in
                    try await outbound.write(.text(#"{"credit":9223372036854775807}"#))
                    try await outbound.write(.text(#"{"credit":9223372036854775807}"#))
                    try await outbound.write(.text(#"{"nak":[1],"delay_ms":\#(Self.twoTo63)}"#))
                    // A frame asking nothing, and one settling a sequence two ways.
                    try await outbound.write(.text("{}"))
                    try await outbound.write(.text(#"{"ack":[1],"nak":[1]}"#))
                    try await outbound.write(.text(#"{"credit":1}"#))
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message else { continue }
                        let count = frames.withLock { $0.append(text); return $0.count }
                        if count >= 6 { break }
                    }
                }
            }
            let received = frames.withLock { $0 }
            // Five refusals (two credits out of range, a delay out of range, an empty frame, a
            // sequence acked and naked at once) and the event the last, valid credit asked for.
            #expect(received.filter { $0.contains("\"error\"") }.count == 5, "\(received)")
            #expect(received.contains { $0.contains("at least one of credit") }, "\(received)")
            #expect(received.contains { $0.contains("settled two ways") }, "\(received)")
            #expect(received.contains { $0.contains("\"S-1\"") }, "\(received)")
            try await Self.expectServing(daemon, "stream")
            #expect(try await daemon.stop() == 0)
        }
    }

    /// Control messages are read strictly: a key given twice, a member the message does not
    /// define or a number with a fraction is refused with what is wrong, not read as the first
    /// value, ignored or rounded, and changes nothing.
    @Test(.timeLimit(.minutes(3)))
    func controlMessagesWithDuplicateOrUnknownMembersOrFractionsAreRefused() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            #expect(try await daemon.json("tax", .PUT, "/v1/subscriptions/own", ["filter": "licence.>", "start": "all"]).status == 201)
            #expect(try await daemon.publish("msa", id: "C-1", data: ["licence_no": "C-1"]).status == 200)
            #expect(try await daemon.request("tax", .GET, "/v1/subscriptions/own/events?max=10&wait=5000").array.count == 1)

            let refused: [(String, HTTPMethod, String, String, String)] = [
                ("filter twice", .PUT, "/v1/subscriptions/dup", #"{"filter":"licence.>","start":"new","filter":"x"}"#, "duplicate key"),
                ("an unknown member", .PUT, "/v1/subscriptions/dup", #"{"filter":"licence.>","extra":1}"#, #"unknown member \"extra\""#),
                ("an unknown start member", .PUT, "/v1/subscriptions/dup", #"{"filter":"licence.>","start":{"sequence":1,"tme":"x"}}"#, "start.tme"),
                ("max_in_flight 10.5", .PUT, "/v1/subscriptions/dup", #"{"filter":"licence.>","max_in_flight":10.5}"#, "10.5 is not a whole number"),
                ("ack of 1.0", .POST, "/v1/subscriptions/own/ack", #"{"sequences":[1.0]}"#, "1.0 is not a whole number"),
                ("ack of 1e0", .POST, "/v1/subscriptions/own/ack", #"{"sequences":[1e0]}"#, "1e0 is not a whole number"),
                ("sequences twice", .POST, "/v1/subscriptions/own/ack", #"{"sequences":[],"sequences":[1]}"#, "duplicate key"),
                ("an unknown settlement member", .POST, "/v1/subscriptions/own/ack", #"{"sequences":[1],"seqs":[1]}"#, "unknown member"),
                // What this reader cannot parse is refused, not handed to a decoder that reads it
                // without these rules (it took the first filter and rounded 2e0).
                (
                    "an unpaired surrogate beside a filter twice", .PUT, "/v1/subscriptions/dup",
                    #"{"note":"\ud800","filter":">","filter":"licence.>","start":"all","max_deliver":2e0}"#, "unpaired surrogate"
                ),
                ("an unpaired surrogate in a settlement", .POST, "/v1/subscriptions/own/ack", #"{"sequences":[1e0],"x":"\udfff"}"#, "unpaired surrogate"),
                (
                    "nesting past 256 levels", .PUT, "/v1/subscriptions/dup",
                    #"{"x":"# + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + #","filter":">","filter":"licence.>"}"#,
                    "nesting deeper"
                ),
            ]
            for (what, method, path, body, detail) in refused {
                let reply = try await daemon.request("tax", method, path, contentType: "application/json", body: Array(body.utf8))
                Self.expectBadRequest(reply, what)
                #expect(reply.text.contains(detail), "\(what): \(reply.text)")
            }
            #expect(try await daemon.request("tax", .GET, "/v1/subscriptions/dup").status == 404)
            // The event is still pending: no refused ack settled it.
            #expect(try await daemon.request("tax", .GET, "/v1/subscriptions/own").object["pending"] as? Int == 1)

            // On the stream, a misspelt member is answered with an error frame, not ignored.
            let frames = Shared<[String]>([])
            try await daemon.within(60, { "\(frames.withLock { $0.count }) frames arrived" }) {
                try await WebSocketClient.connect(
                    url: "wss://127.0.0.1:\(daemon.port)/v1/subscriptions/own/stream", configuration: .init(sniHostname: "localhost"),
                    tlsConfiguration: try daemon.tls("tax"), logger: Logger(label: "ws-strict")
                ) { inbound, outbound, _ in
                    try await outbound.write(.text(#"{"creditx":1}"#))
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message else { continue }
                        frames.withLock { $0.append(text) }
                        break
                    }
                }
            }
            let received = frames.withLock { $0 }
            #expect(received.count == 1 && received[0].contains("\"error\"") && received[0].contains("unknown member"), "\(received)")
            try await Self.expectServing(daemon, "strict")
            #expect(try await daemon.stop() == 0)
        }
    }

    /// A body the HTTP parser refuses (a bad chunk size) is answered 400 at once and the
    /// connection closed, rather than leaving the request waiting for a body that cannot come.
    @Test(.timeLimit(.minutes(3)))
    func aMalformedChunkedBodyIsAnsweredAndClosed() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            for size in ["-1", "zz", "FFFFFFFFFFFFFFFFFF"] {
                let connection = try await RawConnection.open(port: daemon.port, tls: try daemon.tls("tax"))
                try await connection.send(
                    "POST /v1/subscriptions/any/ack HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n\(size)\r\n{\"sequences\":[1]}\r\n0\r\n\r\n")
                #expect(await connection.waitForClose(seconds: 5) != nil, "chunk size \(size): the connection stayed open")
                #expect(connection.text.hasPrefix("HTTP/1.1 400"), "chunk size \(size): \(connection.text)")
                #expect(connection.text.contains("application/problem+json"))
            }
            try await Self.expectServing(daemon, "chunked")
            #expect(try await daemon.stop() == 0)
        }
    }

    /// A request body that never ends is cut off at `server.request_body_timeout`, so an
    /// authenticated client cannot hold connections with unfinished bodies for ever.
    @Test(.timeLimit(.minutes(3)))
    func aBodyThatNeverEndsIsClosedAtItsDeadline() async throws {
        let daemon = try DaemonHarness(server: ["request_body_timeout": "1s"])
        try await daemon.use {
            try await daemon.start()
            let connection = try await RawConnection.open(port: daemon.port, tls: try daemon.tls("tax"))
            let sent = ContinuousClock.now
            try await connection.send(
                "POST /v1/subscriptions/any/ack HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            let closed = await connection.waitForClose(seconds: 10)
            #expect(closed != nil, "the connection with an unfinished body stayed open")
            if let closed { #expect(closed - sent < .seconds(5)) }
            let metrics = try await daemon.request(nil, .GET, "/metrics").text
            #expect(metrics.contains(#"exchange_connection_timeouts_total{kind="request_body"} 1"#))
            try await Self.expectServing(daemon, "body")
            #expect(try await daemon.stop() == 0)
        }
    }

    /// A raw TLS connection of `department` upgraded to the publish stream (101 awaited).
    static func openPublishStream(_ daemon: DaemonHarness, as department: String) async throws -> RawConnection {
        let connection = try await RawConnection.open(port: daemon.port, tls: try daemon.tls(department))
        try await connection.send(
            "GET /v1/publish HTTP/1.1\r\nHost: exchange\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        #expect(await connection.waitFor("101 Switching Protocols", seconds: 10))
        return connection
    }

    /// A subscription stream to a subscription the department does not have is answered 404
    /// problem+json before any upgrade, not upgraded and refused on the client's first frame.
    @Test(.timeLimit(.minutes(3)))
    func aStreamToAMissingSubscriptionIsAnswered404WithoutAnUpgrade() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            // tax's own subscription, which court may not stream either.
            #expect(try await daemon.json("tax", .PUT, "/v1/subscriptions/tax-own", ["filter": "licence.>", "start": "new"]).status == 201)
            for name in ["nosuch", "tax-own"] {
                let connection = try await RawConnection.open(port: daemon.port, tls: try daemon.tls("court"))
                try await connection.send(
                    "GET /v1/subscriptions/\(name)/stream HTTP/1.1\r\nHost: exchange\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
                #expect(await connection.waitFor("subscription.not_found", seconds: 10), "\(name): \(connection.text)")
                #expect(connection.text.hasPrefix("HTTP/1.1 404"), "\(name): \(connection.text)")
                #expect(!connection.text.contains("101 Switching Protocols"), "\(name)")
                connection.close()
            }
            try await Self.expectServing(daemon, "stream-404")
            #expect(try await daemon.stop() == 0)
        }
    }

    /// A text frame whose bytes are not UTF-8 closes the stream (RFC 6455 section 8.1) rather
    /// than being stored with its bytes replaced.
    @Test(.timeLimit(.minutes(3)))
    func aTextFrameThatIsNotUTF8ClosesTheStreamAndStoresNothing() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            let connection = try await Self.openPublishStream(daemon, as: "msa")
            let event = Array(#"{"specversion":"1.0","id":"bad-"#.utf8) + [0xC3, 0x28, 0xFF]
                + Array(#"","type":"licence.issued","topic":"licence.business.issued","data":{"licence_no":"U-1"}}"#.utf8)
            let key: [UInt8] = [0x11, 0x22, 0x33, 0x44]
            var frame: [UInt8] = [0x81, 0x80 | 126, UInt8(event.count >> 8), UInt8(event.count & 0xFF)] + key
            frame += event.enumerated().map { $0.element ^ key[$0.offset % 4] }
            try await connection.send(bytes: frame)
            #expect(await connection.waitForClose(seconds: 10) != nil, "the stream stayed open: \(connection.text)")
            #expect(!connection.text.contains("\"sequence\""), "\(connection.text)")
            #expect(try await daemon.request("tax", .GET, "/v1/replay").text.isEmpty)
            try await Self.expectServing(daemon, "utf8")
            #expect(try await daemon.stop() == 0)
        }
    }

    /// RFC 6455 section 5.1: a frame the client did not mask closes the stream with 1002
    /// (protocol error), the client's fault, not 1011 (server error), and stores nothing.
    @Test(.timeLimit(.minutes(3)))
    func anUnmaskedFrameClosesTheStreamWithProtocolError() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            let connection = try await Self.openPublishStream(daemon, as: "msa")
            let event = Array(
                #"{"specversion":"1.0","id":"unmasked-1","type":"licence.issued","topic":"licence.business.issued","data":{"licence_no":"U-1"}}"#.utf8)
            let length = [UInt8(event.count >> 8), UInt8(event.count & 0xFF)]
            var frame: [UInt8] = [0x81, 126]
            frame += length
            frame += event
            try await connection.send(bytes: frame)
            _ = await connection.waitForClose(seconds: 10)
            let received = connection.received
            let head = Array("\r\n\r\n".utf8)
            var frames: [UInt8] = []
            if received.count >= head.count {
                for start in 0...(received.count - head.count) where Array(received[start..<start + head.count]) == head {
                    frames = Array(received[(start + head.count)...])
                    break
                }
            }
            // A close frame (FIN, opcode 8), unmasked, whose payload starts with the code 1002.
            #expect(frames.count >= 4 && frames[0] == 0x88 && frames[2] == 0x03 && frames[3] == 0xEA, "received after the upgrade: \(frames)")
            #expect(try await daemon.request("tax", .GET, "/v1/replay").text.isEmpty)
            try await Self.expectServing(daemon, "unmasked")
            #expect(try await daemon.stop() == 0)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func refusalsAreAuditedOnceAndAnonymousOnesCannotGrowTheLog() async throws {
        let daemon = try DaemonHarness(
            checkpointEveryEntries: 1_000_000, checkpointInterval: "24h",
            auditSettings: "  anonymous_refusals:\n    interval: 1s\n    max_sources: 4")
        try await daemon.use {
            try await daemon.start()
            let auditor = "Bearer \(daemon.auditorToken)"
            func entries(from start: Int) async throws -> [[String: Any]] {
                var request = HTTPClientRequest(url: daemon.baseURL + "/v1/audit/events?start=\(start)")
                request.headers.add(name: "authorization", value: auditor)
                let response = try await daemon.client(nil).execute(request, timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 64 << 20)
                return String(buffer: body).split(separator: "\n").compactMap {
                    (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["entry"] as? [String: Any]
                }
            }
            // Let the entries of the start settle (the agreements loaded), then count from here.
            try await Task.sleep(for: .milliseconds(1500))
            let start = try await entries(from: 0).count

            // 200 anonymous refusals with 60 kB paths.
            let longPath = "/v1/" + String(repeating: "a", count: 60_000)
            let began = ContinuousClock.now
            for _ in 0..<200 {
                let reply = try await daemon.request(nil, .GET, longPath)
                #expect(reply.status == 401 || reply.status == 404 || reply.status == 431 || reply.status == 400)
            }
            // Aggregated: at most one entry per source and 1 s interval, its path cut short.
            let intervals = Int((ContinuousClock.now - began).components.seconds) + 2
            try await Task.sleep(for: .milliseconds(2500))
            let afterAnonymous = try await entries(from: start)
            let anonymous = afterAnonymous.filter { $0["actor"] as? String == "anonymous" }
            #expect(anonymous.count >= 1 && anonymous.count <= intervals + 1, "\(anonymous.count) anonymous entries in \(intervals) intervals")
            #expect(anonymous.count < 50)
            #expect(anonymous.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == 200)
            #expect(anonymous.allSatisfy { (($0["path"] as? String)?.utf8.count ?? 0) <= 256 })
            #expect(anonymous.first?["source"] as? String == "127.0.0.1")

            // A department's refusals are audited once each: a CloudEvents-layer 400, an engine
            // 403 (a topic it does not own), a 404 on another department's subscription.
            let mark = afterAnonymous.count + start
            let malformed = try await daemon.request(
                "tax", .POST, "/v1/topics/licence.business.issued/events", contentType: "application/cloudevents+json",
                body: Array(#"{"specversion":"1.0""#.utf8))
            #expect(malformed.status == 400)
            #expect(try await daemon.publish("tax", id: "X-1", data: ["licence_no": "X-1"]).status == 403)
            #expect(try await daemon.json("portal", .PUT, "/v1/subscriptions/portal-own", ["filter": "licence.business.issued"]).status == 201)
            #expect(try await daemon.request("tax", .DELETE, "/v1/subscriptions/portal-own").status == 404)
            let named = try await entries(from: mark).filter { $0["actor"] as? String == "tax" }
            #expect(named.map { $0["kind"] as? String } == ["rejected", "rejected", "rejected"], "\(named)")
            #expect(named.map { ($0["code"] ?? $0["reason"]) as? String } == ["cloudevents.malformed_json", "access.not_topic_owner", "subscription.not_found"], "\(named)")
            try await Self.expectServing(daemon, "audit")
            #expect(try await daemon.stop() == 0)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func revokedTokensAndTokensNamedAfterDepartmentsGetNothing() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            #expect(try await daemon.publish("msa", id: "P-1", data: ["licence_no": "P-1", "holder": ["credit_code": "9133P1", "name": "Acme"]]).status == 200)
            var file = try TokenFile.load(path: daemon.directory + "/tokens.json")
            let impostor = try file.create(name: "tax", role: .portal)
            try file.save(path: daemon.directory + "/tokens.json")
            func get(_ path: String, _ secret: String) async throws -> Int {
                var request = HTTPClientRequest(url: daemon.baseURL + path)
                request.headers.add(name: "authorization", value: "Bearer \(secret)")
                return Int(try await daemon.client(nil).execute(request, timeout: .seconds(30)).status.code)
            }
            // A portal token named after a department without the portal role sees nothing of
            // that department's registry view.
            #expect(try await get("/v1/registry/licences/P-1", impostor) == 403)
            #expect(try await daemon.request("tax", .GET, "/v1/registry/licences/P-1").status == 200)

            // A revoked token is refused from the very next request.
            #expect(try await get("/v1/audit/checkpoint", daemon.auditorToken) == 200)
            var revoked = try TokenFile.load(path: daemon.directory + "/tokens.json")
            let found = revoked.revoke(name: "auditor-1")
            #expect(found)
            try revoked.save(path: daemon.directory + "/tokens.json")
            #expect(try await get("/v1/audit/checkpoint", daemon.auditorToken) == 401)
            #expect(try await daemon.stop() == 0)
        }
    }
}

/// The admin reload answers one document of what changed, and the audit log records the same.
@Suite("agreement reload end to end", .serialized)
struct ReloadEndToEndTests {
    @Test(.timeLimit(.minutes(3)))
    func reloadAnswersWhatWasAddedChangedRemovedAndRefused() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            var tokens = try TokenFile.load(path: daemon.directory + "/tokens.json")
            let admin = try tokens.create(name: "admin-1", role: .admin)
            try tokens.save(path: daemon.directory + "/tokens.json")
            let agreements = daemon.directory + "/agreements/"
            // msa-tax changes version and status; msa-portal goes; a new file is refused.
            let changed = try String(contentsOfFile: agreements + "msa-tax.yaml", encoding: .utf8)
                .replacingOccurrences(of: "version: 1", with: "version: 2").replacingOccurrences(of: "status: active", with: "status: suspended")
            try changed.write(toFile: agreements + "msa-tax.yaml", atomically: true, encoding: .utf8)
            try FileManager.default.removeItem(atPath: agreements + "msa-portal.yaml")
            try "id: broken\nversion: 1\nprovider: msa\n".write(toFile: agreements + "broken.yaml", atomically: true, encoding: .utf8)

            var request = HTTPClientRequest(url: daemon.baseURL + "/v1/admin/reload")
            request.method = .POST
            request.headers.add(name: "authorization", value: "Bearer \(admin)")
            let response = try await daemon.client(nil).execute(request, timeout: .seconds(30))
            #expect(response.status == .ok)
            let body = try await response.body.collect(upTo: 1 << 20)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
            #expect(document["applied"] as? Bool == true)
            #expect((document["added"] as? [Any])?.isEmpty == true)
            let removed = try #require(document["removed"] as? [[String: Any]])
            #expect(removed.map { $0["id"] as? String } == ["msa-portal"])
            #expect(removed.first?["version"] as? Int == 1)
            let change = try #require((document["changed"] as? [[String: Any]])?.first)
            #expect(change["id"] as? String == "msa-tax")
            #expect(change["from_version"] as? Int == 1 && change["to_version"] as? Int == 2)
            #expect(change["from_status"] as? String == "active" && change["to_status"] as? String == "suspended")
            let refused = try #require((document["refused"] as? [[String: Any]])?.first)
            #expect((refused["file"] as? String)?.hasSuffix("broken.yaml") == true)
            #expect((refused["errors"] as? [String])?.isEmpty == false)
            #expect((document["errors"] as? [String])?.isEmpty == true)

            // The audit entry holds the same document.
            var audit = HTTPClientRequest(url: daemon.baseURL + "/v1/audit/events?type=agreements_changed")
            audit.headers.add(name: "authorization", value: "Bearer \(daemon.auditorToken)")
            let lines = String(buffer: try await daemon.client(nil).execute(audit, timeout: .seconds(30)).body.collect(upTo: 1 << 20))
            let last = try #require(lines.split(separator: "\n").last.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            let entry = try #require(last["entry"] as? [String: Any])
            #expect(entry["actor"] as? String == "admin-1")
            #expect((entry["changed"] as? [[String: Any]])?.first?["to_status"] as? String == "suspended")
            #expect((entry["refused"] as? [[String: Any]])?.count == 1)
            #expect(try await daemon.stop() == 0)
        }
    }
}

/// `exchanged` reports a failure to start as one line, not a usage text.
@Suite("daemon start-up failures", .serialized)
struct DaemonStartupEndToEndTests {
    @Test(.timeLimit(.minutes(3)))
    func aSecondDaemonOnTheSameStoreSaysWhyInOneLine() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            let second = Process()
            second.executableURL = try BuiltExecutable.locate("exchanged")
            second.arguments = ["--config", daemon.directory + "/exchange.yaml"]
            let errors = Pipe()
            second.standardError = errors
            second.standardOutput = FileHandle.nullDevice
            try second.run()
            let output = errors.fileHandleForReading.readDataToEndOfFile()
            second.waitUntilExit()
            let lines = String(decoding: output, as: UTF8.self).split(separator: "\n").filter { !$0.contains(" info ") && !$0.contains(" notice ") }
            #expect(second.terminationStatus == 1)
            #expect(lines.count == 1, "\(lines)")
            #expect(lines.first?.hasPrefix("error: store.") == true, "\(lines)")
            #expect(!String(decoding: output, as: UTF8.self).contains("USAGE"))
            #expect(try await daemon.stop() == 0)
        }
    }
}
