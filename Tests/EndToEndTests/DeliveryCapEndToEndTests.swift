import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// `delivery.max_batch_bytes` against the real daemon: a pull of large events is split across
/// answers at the cap, and a subscription stream with a million credits whose client reads
/// nothing takes no more events than its socket buffers and one round hold.
@Suite("delivery byte cap end to end", .serialized)
struct DeliveryCapEndToEndTests {
    static let cap = 1 << 20

    /// Publishes `count` events `big-1` ... of about `size` bytes from `msa` (routed to `tax`).
    static func publish(_ daemon: DaemonHarness, count: Int, size: Int) async throws {
        let padding = String(repeating: "x", count: size)
        for index in 1...count {
            let reply = try await daemon.publish("msa", id: "big-\(index)", data: ["licence_no": "L-\(index)", "scan": padding])
            guard reply.status / 100 == 2 else { throw HarnessError("publish \(index): \(reply.status) \(reply.text)") }
        }
    }

    /// The ids of a pull's answer (`application/cloudevents-batch+json`), in order.
    static func ids(_ reply: DaemonHarness.Reply) -> [String] {
        reply.array.compactMap { $0["id"] as? String }
    }

    @Test(.timeLimit(.minutes(3)))
    func aPullOfLargeEventsIsSplitAcrossAnswersByTheCap() async throws {
        let daemon = try DaemonHarness(sections: "delivery:\n  max_batch_bytes: 1MiB\n")
        try await daemon.use {
            try await daemon.start()
            #expect(try await daemon.json("tax", .PUT, "/v1/subscriptions/scans", ["filter": "licence.>", "start": "all", "ack_wait_ms": 600_000]).status == 201)
            // Ten events of 300 KiB: 3 MiB, three times the cap.
            let size = 300 << 10
            try await Self.publish(daemon, count: 10, size: size)

            var received: [String] = []
            var answers = 0
            for _ in 0..<20 {
                let reply = try await daemon.request("tax", .GET, "/v1/subscriptions/scans/events?max=10000")
                #expect(reply.status == 200)
                let ids = Self.ids(reply)
                if ids.isEmpty { break }
                answers += 1
                // What the answer holds before its last event stays under the cap.
                #expect(ids.count <= 4, "\(ids.count) events of 300 KiB in one answer under a 1 MiB cap")
                #expect(reply.body.count <= Self.cap + size + 4096, "an answer of \(reply.body.count) bytes")
                received += ids
            }
            #expect(answers >= 3, "the 3 MiB came in \(answers) answers")
            #expect(received == (1...10).map { "big-\($0)" }, "every event once, in order: \(received)")
            #expect(try await daemon.stop() == 0)
        }
    }

    /// A masked client text frame (RFC 6455 section 5.3) of fewer than 126 bytes.
    static func maskedTextFrame(_ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        precondition(payload.count < 126)
        let mask: [UInt8] = [0x1F, 0x2E, 0x3D, 0x4C]
        return [0x81, 0x80 | UInt8(payload.count)] + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }

    /// How many events of `scans` are delivered and not acknowledged.
    static func pending(_ daemon: DaemonHarness) async throws -> Int {
        let reply = try await daemon.request("tax", .GET, "/v1/subscriptions/scans")
        return reply.object["pending"] as? Int ?? -1
    }

    @Test(.timeLimit(.minutes(3)))
    func aStreamWhoseClientReadsNothingTakesOnlyWhatItsBuffersHold() async throws {
        let daemon = try DaemonHarness(sections: "delivery:\n  max_batch_bytes: 1MiB\n")
        try await daemon.use {
            try await daemon.start()
            #expect(try await daemon.json("tax", .PUT, "/v1/subscriptions/scans", ["filter": "licence.>", "start": "all", "ack_wait_ms": 600_000]).status == 201)
            // 32 events of 512 KiB: 16 MiB, far more than a round (1 MiB) and the socket buffers
            // between the daemon and a client that reads nothing (on loopback the kernel grows a
            // send buffer up to `tcp_wmem`'s 4 MiB).
            let count = 32
            try await Self.publish(daemon, count: count, size: 512 << 10)

            // A stream that asks for a million events, then reads nothing after the upgrade.
            let stalled = try await RawConnection.open(port: daemon.port, tls: try daemon.tls("tax"), receiveBuffer: 4096, stopReadingAfter: "\r\n\r\n")
            #expect(await stalled.waitForHandshake(seconds: 10))
            try await stalled.send(
                "GET /v1/subscriptions/scans/stream HTTP/1.1\r\nHost: exchange\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
            #expect(await stalled.waitFor("101 Switching Protocols", seconds: 10), "\(stalled.text.prefix(300))")
            try await stalled.send(bytes: Self.maskedTextFrame(#"{"credit":1000000}"#))

            // The stream takes events until its writes wait for the client, then stops: what it
            // handed out settles, well short of the 32.
            var previous = -1
            var taken = try await Self.pending(daemon)
            for _ in 0..<40 where taken != previous || taken == 0 {
                try await Task.sleep(for: .milliseconds(500))
                previous = taken
                taken = try await Self.pending(daemon)
            }
            #expect(taken > 0, "the stream took nothing")
            #expect(taken <= 16, "a stream whose client reads nothing took \(taken) of \(count) events of 512 KiB into its buffers")
            try await Task.sleep(for: .seconds(2))
            #expect(try await Self.pending(daemon) == taken, "the stream kept reading ahead of its client")

            // Once the client reads, the stream goes on to the end.
            try await stalled.resumeReading()
            for _ in 0..<120 where try await Self.pending(daemon) < count {
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(try await Self.pending(daemon) == count, "the stream did not go on once its client read")
            stalled.close()
            #expect(try await daemon.stop() == 0)
        }
    }
}
