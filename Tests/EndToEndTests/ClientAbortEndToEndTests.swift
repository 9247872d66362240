import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Requests their clients abandon while sending them, against the real daemon: anyone can open
/// a connection, start a request and drop it, so such a request is counted and logged with
/// status 499 at info, never at error level, and the daemon goes on serving. A chunk size that
/// is not a number is the client's mistake, answered 400.
@Suite("client aborts end to end", .serialized)
struct ClientAbortEndToEndTests {
    /// The daemon's log lines (JSON) at error level, and the access lines with status 500.
    static func errors(_ daemon: DaemonHarness) -> [String] {
        daemon.log.filter { $0.contains(#""level":"error""#) || $0.contains(#""level":"critical""#) || $0.contains(#""status":"500""#) }
    }

    @Test(.timeLimit(.minutes(3)))
    func aClientThatDropsItsRequestMidBodyIsCountedNotLoggedAsAnError() async throws {
        let daemon = try DaemonHarness(logFormat: "json")
        try await daemon.use {
            try await daemon.start()
            let count = 6
            for index in 0..<count {
                // Anonymous, through the console's sign-in form, as anyone can; and a department
                // publishing, each declaring 100 bytes and sending 7.
                let department = index % 2 == 0 ? nil : "msa"
                let connection = try await RawConnection.openSlowBody(
                    port: daemon.port, tls: try daemon.tls(department),
                    path: department == nil ? "/console/signin" : "/v1/topics/licence.business.issued/events",
                    contentType: department == nil ? "application/x-www-form-urlencoded" : "application/cloudevents+json", length: 100,
                    start: "csrf=ab")
                try await Task.sleep(for: .milliseconds(100))
                if index < 4 {
                    // The socket closed without TLS's close_notify, as the probe's client did.
                    try await connection.closeUncleanly()
                } else {
                    // A TLS close_notify and then the end of the stream inside the body.
                    connection.close()
                }
            }
            // Every abort is counted...
            var aborted = 0.0
            for _ in 0..<100 {
                let metrics = try await daemon.request(nil, .GET, "/metrics").text
                aborted = ConnectionLimitEndToEndTests.metric(metrics, "exchange_requests_aborted_total")
                if aborted >= Double(count) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(aborted == Double(count), "\(daemon.log.suffix(40).joined(separator: "\n"))")
            // ...logged as status 499 at info, and nothing at error level.
            let accessLines = daemon.log.filter { $0.contains(#""message":"request""#) && $0.contains(#""status":"499""#) }
            #expect(accessLines.count == count, "\(daemon.log.suffix(40).joined(separator: "\n"))")
            #expect(accessLines.allSatisfy { $0.contains(#""level":"info""#) }, "\(accessLines)")
            #expect(Self.errors(daemon).isEmpty, "\(Self.errors(daemon).joined(separator: "\n"))")
            // Nothing of the cut publishes was stored.
            let replay = try await daemon.request("tax", .GET, "/v1/replay")
            #expect(replay.status == 200)
            #expect(replay.text.isEmpty, "\(replay.text.prefix(300))")

            // The daemon goes on serving.
            let published = try await daemon.publish("msa", id: "after-aborts", data: ["licence_no": "L-1"])
            #expect(published.status == 200, "\(published.text)")
            #expect(try await daemon.stop() == 0)
        }
    }

    /// The head of a chunked publish from msa whose first chunk is a whole event.
    static func chunkedPublish(id: String) -> String {
        let event = #"{"data":{"licence_no":"L-9"},"id":""# + id + #"","specversion":"1.0","subject":"L-9","type":"licence.issued"}"#
        return "POST /v1/topics/licence.business.issued/events HTTP/1.1\r\nHost: exchange\r\nContent-Type: application/cloudevents+json\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n\(String(event.utf8.count, radix: 16))\r\n\(event)\r\n"
    }

    @Test(.timeLimit(.minutes(3)))
    func aChunkSizeThatOverflowsIsABadRequestAndOneNeverSentWholeAnAbort() async throws {
        let daemon = try DaemonHarness(logFormat: "json")
        try await daemon.use {
            try await daemon.start()
            // A chunk size past 64 bits after a whole event: 400, and the event is not taken
            // as the whole body.
            let overflowing = try await RawConnection.open(port: daemon.port, tls: try daemon.tls("msa"))
            #expect(await overflowing.waitForHandshake(seconds: 10))
            try await overflowing.send(Self.chunkedPublish(id: "cut-by-a-bad-chunk") + "1ffffffffffffffff\r\nabc")
            #expect(await overflowing.waitFor("\r\n\r\n", seconds: 10), "\(overflowing.text)")
            let response = try #require(RawResponse(overflowing.text), "\(overflowing.text)")
            #expect(response.status == 400, "\(overflowing.text)")
            #expect(response.object["code"] as? String == "http.bad_request", "\(overflowing.text)")
            #expect((response.object["detail"] as? String)?.contains("chunk size") == true, "\(overflowing.text)")
            _ = await overflowing.waitForClose(seconds: 5)

            // The largest chunk size there is (2^64 - 1), then the client goes away: an abort.
            let largest = try await RawConnection.open(port: daemon.port, tls: try daemon.tls("msa"))
            #expect(await largest.waitForHandshake(seconds: 10))
            try await largest.send(Self.chunkedPublish(id: "cut-by-its-client") + "ffffffffffffffff\r\nabc")
            try await Task.sleep(for: .milliseconds(200))
            try await largest.closeUncleanly()
            var aborted = 0.0
            for _ in 0..<50 where aborted < 1 {
                try await Task.sleep(for: .milliseconds(100))
                aborted = ConnectionLimitEndToEndTests.metric(try await daemon.request(nil, .GET, "/metrics").text, "exchange_requests_aborted_total")
            }
            #expect(aborted == 1)

            try await Task.sleep(for: .milliseconds(300))
            #expect(Self.errors(daemon).isEmpty, "\(Self.errors(daemon).joined(separator: "\n"))")
            let refusals = daemon.log.filter { $0.contains(#""message":"request""#) && $0.contains(#""status":"400""#) }
            #expect(refusals.count == 1, "\(daemon.log.suffix(30).joined(separator: "\n"))")
            // Neither event was stored; the daemon goes on serving.
            let replay = try await daemon.request("tax", .GET, "/v1/replay")
            #expect(replay.text.isEmpty, "\(replay.text.prefix(300))")
            #expect(try await daemon.publish("msa", id: "after-bad-chunk", data: ["licence_no": "L-2"]).status == 200)
            #expect(try await daemon.stop() == 0)
        }
    }
}
