import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// An identified caller cannot grow the audit log at request rate (`audit.principal_refusals`):
/// a department's bad requests sent as fast as it can add its burst of entries and one summary
/// per interval, written by the timer and at shutdown, whose counts hold every refusal.
@Suite("principal refusals end to end", .serialized)
struct PrincipalRefusalsEndToEndTests {
    static let burst = 10
    static let interval = 4

    /// The audit entries from `start` on, read as the auditor.
    static func entries(_ daemon: DaemonHarness, from start: Int) async throws -> [[String: Any]] {
        var request = HTTPClientRequest(url: daemon.baseURL + "/v1/audit/events?start=\(start)")
        request.headers.add(name: "authorization", value: "Bearer \(daemon.auditorToken)")
        let response = try await daemon.client(nil).execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        return String(buffer: body).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["entry"] as? [String: Any]
        }
    }

    /// Sends `count` pulls with `max=10001` as `tax` over 4 concurrent streams of requests
    /// (keep-alive connections), each refused 400.
    static func badPulls(_ daemon: DaemonHarness, count: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<4 {
                group.addTask {
                    for _ in stride(from: lane, to: count, by: 4) {
                        let reply = try await daemon.request("tax", .GET, "/v1/subscriptions/tax-inbox/events?max=10001")
                        #expect(reply.status == 400, "\(reply.text)")
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Refusals of `tax` among `entries`: those written one by one, and the summaries' counts.
    static func tally(_ entries: [[String: Any]]) -> (separate: Int, summaries: [[String: Any]], total: Int) {
        let tax = entries.filter { $0["actor"] as? String == "tax" && ($0["kind"] as? String == "rejected" || $0["kind"] as? String == "access_denied") }
        let summaries = tax.filter { $0["count"] != nil }
        let separate = tax.count - summaries.count
        return (separate, summaries, separate + summaries.reduce(0) { $0 + ($1["count"] as? Int ?? 0) })
    }

    @Test(.timeLimit(.minutes(4)))
    func aDepartmentsBadRequestsAddItsBurstAndOneSummaryThatCountsThemAll() async throws {
        let daemon = try DaemonHarness(
            checkpointEveryEntries: 1_000_000, checkpointInterval: "24h",
            auditSettings: "  principal_refusals:\n    interval: \(Self.interval)s\n    burst: \(Self.burst)\n    max_principals: 100")
        try await daemon.use {
            try await daemon.start()
            // Let the entries of the start settle, then count from here.
            try await Task.sleep(for: .milliseconds(500))
            let start = try await Self.entries(daemon, from: 0).count

            // 500 bad pulls in a burst.
            let began = ContinuousClock.now
            try await Self.badPulls(daemon, count: 500)
            // The intervals are the daemon's timer's, not aligned with the burst: a burst of d
            // seconds may begin late in one and end early in another, so it spans at most
            // floor(d / interval) + 2 of them (seen under load: 8 for a burst of 24-27 s).
            let intervals = Int((ContinuousClock.now - began).components.seconds) / Self.interval + 2
            let during = Self.tally(try await Self.entries(daemon, from: start))
            // At most the burst (and a summary) per interval the burst spanned, not 500.
            #expect(during.separate + during.summaries.count <= intervals * (Self.burst + 1), "\(during) in \(intervals) intervals")
            #expect(during.separate >= Self.burst)

            // The timer writes the summary though the department stopped; nothing unrecorded.
            #expect(await daemon.waitForLog("principal refusals audited", seconds: Double(Self.interval * 3)) != nil)
            var after = Self.tally(try await Self.entries(daemon, from: start))
            // A flush may have come while the burst was sent: wait for the one after it.
            let deadline = ContinuousClock.now + .seconds(Self.interval * 3)
            while after.total < 500, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
                after = Self.tally(try await Self.entries(daemon, from: start))
            }
            #expect(after.total == 500, "\(after)")
            #expect(after.separate + after.summaries.count <= (intervals + 1) * (Self.burst + 1))
            let summary = try #require(after.summaries.first)
            #expect(summary["kind"] as? String == "rejected")
            #expect(summary["codes"] as? [String] == ["http.bad_request"])
            #expect(summary["endpoints"] as? [String] == ["GET /v1/subscriptions/tax-inbox/events"])
            #expect(summary["role"] as? String == "department")
            #expect(summary["interval_seconds"] as? Int == Self.interval)

            // The counts of a last, partial interval are written at graceful shutdown.
            let mark = start + (try await Self.entries(daemon, from: start).count)
            try await Self.badPulls(daemon, count: 40)
            #expect(try await daemon.stop() == 0)
            try await daemon.start()
            let last = Self.tally(try await Self.entries(daemon, from: mark))
            #expect(last.total == 40, "\(last)")
            #expect(!last.summaries.isEmpty)
            try await HardeningEndToEndTests.expectServing(daemon, "principal-refusals")
            #expect(try await daemon.stop() == 0)
        }
    }
}
