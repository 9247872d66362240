import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The bulk-read budget against the real daemon: a client that starts a replay and stops
/// reading cannot keep its slot, nor hold up anyone else's bulk reads.
@Suite("bulk reads end to end", .serialized)
struct BulkReadEndToEndTests {
    /// Publishes `count` events of about `size` bytes from `msa`, routed to `tax` whole and to
    /// `portal` projected, sixteen at a time.
    static func publish(_ daemon: DaemonHarness, count: Int, size: Int) async throws {
        let padding = String(repeating: "x", count: size)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    for index in stride(from: worker, to: count, by: 16) {
                        let reply = try await daemon.publish("msa", id: "bulk-\(index)", data: ["licence_no": "L-\(index)", "note": padding])
                        guard reply.status / 100 == 2 else { throw HarnessError("publish \(index): \(reply.status) \(reply.text)") }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func aReplayWhoseClientStopsReadingLosesItsSlotAfterTheWriteTimeout() async throws {
        let daemon = try DaemonHarness(sections: "bulk_reads:\n  max_concurrent: 3\n  write_timeout: 2s\n")
        try await daemon.use {
            try await daemon.start()
            // Six replay chunks (512 events each) of about 4 KB an event, 12 MB in all: far more
            // than the socket buffers between the daemon and a client that reads nothing (on
            // loopback the kernel grows a send buffer up to `tcp_wmem`'s 4 MB), so the later
            // chunks wait for the client.
            let count = 3000
            try await Self.publish(daemon, count: count, size: 4000)
            let auditor = [("authorization", "Bearer \(daemon.auditorToken)")]

            // tax starts a replay and stops reading once the answer's head has arrived.
            let stalled = try await RawConnection.open(port: daemon.port, tls: try daemon.tls("tax"), receiveBuffer: 4096, stopReadingAfter: "\r\n\r\n")
            #expect(await stalled.waitForHandshake(seconds: 10))
            try await stalled.send("GET /v1/replay HTTP/1.1\r\nHost: exchange\r\n\r\n")
            #expect(await stalled.waitFor("200 OK", seconds: 10), "\(stalled.text.prefix(300))")
            let stoppedReading = ContinuousClock.now

            // Meanwhile: tax's second bulk read is refused (one at a time per principal), with
            // Retry-After; other departments and the auditor are served.
            let second = try await daemon.request("tax", .GET, "/v1/replay?limit=1")
            #expect(second.status == 503, "\(second.text.prefix(300)); the stalled client has \(stalled.text.utf8.count) bytes")
            #expect(second.object["code"] as? String == "replay.busy")
            #expect(second.retryAfter == "5")
            let portal = try await daemon.request("portal", .GET, "/v1/replay")
            #expect(portal.status == 200)
            #expect(portal.text.split(separator: "\n").count == count)
            #expect(try await daemon.request("court", .GET, "/v1/replay").status == 200)
            let audited = try await daemon.request(nil, .GET, "/v1/audit/events?type=published", headers: auditor)
            #expect(audited.status == 200)
            #expect(audited.text.split(separator: "\n").count == count)

            // The write deadline ends the stuck replay: its slot is free again soon after the
            // 2 s timeout (tax is refused until then)...
            var again = try await daemon.request("tax", .GET, "/v1/replay?limit=1")
            for _ in 0..<40 where again.status == 503 {
                try await Task.sleep(for: .milliseconds(250))
                again = try await daemon.request("tax", .GET, "/v1/replay?limit=1")
            }
            #expect(again.status == 200, "tax's slot was not freed: \(again.text)")
            #expect(again.text.contains("bulk-"))
            let freed = ConnectionLimitEndToEndTests.seconds(ContinuousClock.now - stoppedReading)
            #expect(freed > 1.9 && freed < 12, "the slot was freed \(freed) s after the client stopped reading, not after the 2 s write timeout; \(daemon.log.filter { $0.contains("replay") || $0.contains("error") }.joined(separator: "\n"))")
            // ...and the daemon closed the connection: reading again, the client gets what was
            // in the buffers, not the whole replay, then the end of the connection.
            try await stalled.resumeReading()
            _ = try #require(await stalled.waitForClose(seconds: 20), "the stalled replay's connection was never closed")
            let received = stalled.text.components(separatedBy: #""id":"bulk-"#).count - 1
            #expect(received < count, "the stalled client had the whole replay (\(received) events): it was never ended")

            let metrics = try await daemon.request(nil, .GET, "/metrics").text
            #expect(ConnectionLimitEndToEndTests.metric(metrics, "exchange_bulk_reads_timed_out_total") == 1, "\(metrics)")
            #expect(ConnectionLimitEndToEndTests.metric(metrics, #"exchange_bulk_reads_refused_total{reason="principal"}"#) >= 1)
            #expect(try await daemon.stop() == 0)
        }
    }

    /// With the default `bulk_reads.max_concurrent`, a department whose replay holds a slot for
    /// as long as it likes (here held by a rate of 64 KiB/s) takes one of the three slots
    /// departments share, not all of them: the others' replays are served meanwhile, and only its
    /// own second read is refused.
    @Test(.timeLimit(.minutes(5)))
    func oneDepartmentsLongReplayLeavesTheOtherDepartmentsSlotsByDefault() async throws {
        let daemon = try DaemonHarness(sections: "bulk_reads:\n  max_bytes_per_second: 64KiB\n")
        try await daemon.use {
            try await daemon.start()
            let holder = try await Self.holdReplay(daemon)

            let portal = try await daemon.request("portal", .GET, "/v1/replay")
            #expect(portal.status == 200, "\(portal.text.prefix(300))")
            #expect(portal.text.split(separator: "\n").count == 300)
            let court = try await daemon.request("court", .GET, "/v1/replay")
            #expect(court.status == 200, "\(court.text.prefix(300))")
            let second = try await daemon.request("tax", .GET, "/v1/replay?limit=1")
            #expect(second.status == 503 && second.object["code"] as? String == "replay.busy", "\(second.text.prefix(300))")
            #expect(!holder.text.contains("0\r\n\r\n"), "tax's replay ended before the others were served; the test proves nothing")

            let metrics = try await daemon.request(nil, .GET, "/metrics").text
            #expect(ConnectionLimitEndToEndTests.metric(metrics, #"exchange_bulk_reads_refused_total{reason="reserved"}"#) == 0, "\(metrics)")
            #expect(ConnectionLimitEndToEndTests.metric(metrics, #"exchange_bulk_reads_refused_total{reason="principal"}"#) == 1)
            holder.close()
            #expect(try await daemon.stop() == 0)
        }
    }

    /// Publishes 300 events of about 4 KB routed to `tax` and starts tax's replay of them on a
    /// raw connection, returned once the answer began: with `max_bytes_per_second: 64KiB`, the
    /// 1.2 MB hold its bulk-read slot for about 18 s.
    static func holdReplay(_ daemon: DaemonHarness) async throws -> RawConnection {
        try await publish(daemon, count: 300, size: 4000)
        let holder = try await RawConnection.open(port: daemon.port, tls: try daemon.tls("tax"))
        #expect(await holder.waitForHandshake(seconds: 10))
        try await holder.send("GET /v1/replay HTTP/1.1\r\nHost: exchange\r\n\r\n")
        #expect(await holder.waitFor("200 OK", seconds: 10))
        return holder
    }

    /// `exchangectl replay` as `department` against `daemon`.
    static func replay(_ daemon: DaemonHarness, _ department: String, _ more: [String] = [], seconds: Int = 60) async throws -> ExecutableRun {
        try await ExecutableRun.of(
            "exchangectl",
            [
                "replay", "--url", daemon.baseURL, "--ca", daemon.directory + "/ca.crt", "--cert", daemon.directory + "/clients/\(department).crt",
                "--key", daemon.directory + "/clients/\(department).key",
            ] + more, seconds: seconds)
    }

    @Test(.timeLimit(.minutes(5)))
    func exchangectlReplayWaitsForASlotAndGivesUpAfterItsAttempts() async throws {
        // One slot, held by tax's replay for about 18 s (`holdReplay`).
        let daemon = try DaemonHarness(sections: "bulk_reads:\n  max_concurrent: 1\n  max_bytes_per_second: 64KiB\n")
        try await daemon.use {
            try await daemon.start()
            let holder = try await Self.holdReplay(daemon)

            // Busy all along: two attempts, a line before the one wait, then the problem.
            let started = ContinuousClock.now
            let refused = try await Self.replay(daemon, "portal", ["--attempts", "2"])
            #expect(refused.status == 1, "\(refused.text)")
            #expect(refused.errors.contains("exchangectl: replay.busy:"), "\(refused.errors)")
            #expect(refused.errors.contains("trying again in 5 s (attempt 2 of 2)"), "\(refused.errors)")
            #expect(refused.errors.split(separator: "\n").last?.hasPrefix("error: replay.busy: ") == true, "\(refused.errors)")
            #expect(ContinuousClock.now - started >= .seconds(5), "it waited what Retry-After asked")

            // Busy at first, free while it waits (the holder goes away mid-pace, which frees
            // its slot at once): the replay goes through.
            async let waited = Self.replay(daemon, "portal")
            try await Task.sleep(for: .seconds(1))
            holder.close()
            let served = try await waited
            #expect(served.status == 0, "\(served.text)")
            #expect(served.errors.contains("trying again in 5 s (attempt 2 of 5)"), "\(served.errors)")
            #expect(served.output.split(separator: "\n").count == 300)
            #expect(try await daemon.stop() == 0)
        }
    }
}
