import Foundation
import NIOHTTP1
import Testing

/// A principal cannot grow the audit log at its request rate by reading (`audit.read_limit`):
/// past its burst, a department's empty replays are answered 429 `reads.rate_limited` with
/// `Retry-After` and write nothing each; the refusals are written as one counted entry per
/// interval; other principals read on; `exchangectl replay` waits what the exchange asks.
@Suite("read limit end to end", .serialized)
struct ReadLimitEndToEndTests {
    @Test(.timeLimit(.minutes(3)))
    func readsPastTheBurstAreRefusedWithRetryAfterAndCountedNotWrittenEach() async throws {
        let daemon = try DaemonHarness(
            checkpointEveryEntries: 1_000_000, checkpointInterval: "24h",
            auditSettings: "  read_limit:\n    per_second: 1\n    burst: 5\n  anonymous_refusals:\n    interval: 1s")
        try await daemon.use {
            try await daemon.start()
            try await Task.sleep(for: .milliseconds(500))
            let auditor = [("authorization", "Bearer \(daemon.auditorToken)")]
            let start = try await PrincipalRefusalsEndToEndTests.entries(daemon, from: 0).count

            // 40 empty replays as fast as tax can send them.
            let began = ContinuousClock.now
            var statuses: [Int] = []
            for _ in 0..<40 {
                let reply = try await daemon.request("tax", .GET, "/v1/replay?limit=1")
                statuses.append(reply.status)
                if reply.status == 429 {
                    #expect(reply.contentType == "application/problem+json")
                    #expect(reply.object["code"] as? String == "reads.rate_limited", "\(reply.text)")
                    #expect((reply.object["detail"] as? String)?.contains("audit.read_limit") == true)
                    #expect(reply.retryAfter == "1", "\(reply.retryAfter ?? "none")")
                }
            }
            let refills = Int((ContinuousClock.now - began).components.seconds) + 1
            let answered = statuses.filter { $0 == 200 }.count
            let refused = statuses.filter { $0 == 429 }.count
            #expect(answered + refused == 40, "\(statuses)")
            #expect(answered >= 5 && answered <= 5 + refills, "\(statuses)")
            #expect(Array(statuses.prefix(5)) == [200, 200, 200, 200, 200])

            // Another department still reads.
            #expect(try await daemon.request("court", .GET, "/v1/replay?limit=1").status == 200)

            // The log holds one `replayed` entry per answered replay, and the refusals as
            // counted entries (one per interval), not one each.
            var entries: [[String: Any]] = []
            var counted = 0
            // (The auditor reads slower than its own budget refills.)
            for _ in 0..<20 where counted < refused {
                try await Task.sleep(for: .milliseconds(1100))
                entries = try await PrincipalRefusalsEndToEndTests.entries(daemon, from: start)
                counted = entries.filter { $0["actor"] as? String == "tax" && $0["kind"] as? String == "rejected" }
                    .reduce(0) { $0 + ($1["count"] as? Int ?? 1) }
            }
            let tax = entries.filter { $0["actor"] as? String == "tax" }
            #expect(tax.filter { $0["kind"] as? String == "replayed" }.count == answered)
            let summaries = tax.filter { $0["kind"] as? String == "rejected" }
            #expect(counted == refused, "\(summaries)")
            #expect(summaries.count <= refills + 2, "\(summaries.count) entries for \(refused) refusals")
            #expect(summaries.allSatisfy { $0["count"] != nil }, "\(summaries)")

            let metrics = try await daemon.request(nil, .GET, "/metrics", headers: auditor).text
            #expect(ConnectionLimitEndToEndTests.metric(metrics, "exchange_reads_limited_total") == Double(refused), "\(metrics)")

            try await HardeningEndToEndTests.expectServing(daemon, "read-limit")
            #expect(try await daemon.stop() == 0)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func exchangectlWaitsWhatRetryAfterAsksAndThenReplays() async throws {
        // One read every 5 s, none saved up: once tax has read, its next read is refused for 5 s.
        let daemon = try DaemonHarness(auditSettings: "  read_limit:\n    per_second: 0.2\n    burst: 1")
        try await daemon.use {
            try await daemon.start()
            #expect(try await daemon.request("tax", .GET, "/v1/replay?limit=1").status == 200)
            let refused = try await daemon.request("tax", .GET, "/v1/replay?limit=1")
            #expect(refused.status == 429, "\(refused.text)")
            #expect((refused.object["detail"] as? String)?.contains("0.2 a second") == true, "\(refused.text)")
            let replay = try await BulkReadEndToEndTests.replay(daemon, "tax", ["--attempts", "4"])
            #expect(replay.status == 0, "\(replay.text) \(replay.errors)")
            #expect(replay.errors.contains("exchangectl: reads.rate_limited:"), "\(replay.errors)")
            #expect(replay.errors.contains("(attempt 2 of 4)"), "\(replay.errors)")
            // Given up after its attempts, it fails with the problem's code.
            let gaveUp = try await BulkReadEndToEndTests.replay(daemon, "tax", ["--attempts", "1"])
            #expect(gaveUp.status == 1, "\(gaveUp.text)")
            #expect(gaveUp.errors.split(separator: "\n").last?.hasPrefix("error: reads.rate_limited: ") == true, "\(gaveUp.errors)")
            #expect(try await daemon.stop() == 0)
        }
    }
}
