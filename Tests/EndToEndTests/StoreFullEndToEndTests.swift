import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// A daemon whose store fills up refuses publishes with 507 `store.full` while its consumers
/// still receive and acknowledge and the audit API still answers, and takes publishes again
/// once a larger `store.max_map_size` is applied by SIGHUP.
@Suite("full store end to end", .serialized)
struct StoreFullEndToEndTests {
    static func metric(_ text: String, _ name: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    @Test(.timeLimit(.minutes(5)))
    func publishesAreRefusedWhenFullConsumersGoOnAndAReloadRecovers() async throws {
        let limits = ["initial_map_size": "1MiB", "max_map_size": "4MiB", "publish_reserve": "1MiB"]
        let daemon = try DaemonHarness(checkpointEveryEntries: 1_000_000, checkpointInterval: "24h", store: limits)
        try await daemon.use {
            try await daemon.start()
            #expect(try await daemon.json("tax", .PUT, "/v1/subscriptions/tax-feed", ["filter": "licence.>", "start": "all"]).status == 201)
            let note = String(repeating: "n", count: 8_000)
            var accepted = 0
            var refusal: DaemonHarness.Reply?
            for index in 0..<2_000 {
                let reply = try await daemon.publish("msa", id: "F-\(index)", data: ["licence_no": "F-\(index)", "note": note])
                if reply.status == 200 {
                    accepted += 1
                    continue
                }
                refusal = reply
                break
            }
            let full = try #require(refusal, "2,000 events of 8 KB fitted in a 4 MiB store")
            #expect(full.status == 507, "\(full.text)")
            #expect(full.object["code"] as? String == "store.full")
            #expect(accepted > 100, "publishes were refused at \(accepted) events")
            let metrics = try await daemon.request(nil, .GET, "/metrics").text
            #expect(Self.metric(metrics, "exchange_store_refusing_publishes") == 1, "\(metrics)")
            #expect(Self.metric(metrics, "exchange_store_max_map_size_bytes") == Double(4 << 20))
            #expect(Self.metric(metrics, "exchange_store_publish_limit_bytes") == Double(3 << 20))

            // The consumer receives and acknowledges everything that was accepted.
            var received = 0
            for _ in 0..<100 where received < accepted {
                let page = try await daemon.request("tax", .GET, "/v1/subscriptions/tax-feed/events?max=50")
                #expect(page.status == 200, "\(page.text)")
                let sequences = page.array.compactMap { ($0["sequence"] as? String).flatMap(Int.init) }
                guard !sequences.isEmpty else { break }
                let acked = try await daemon.json("tax", .POST, "/v1/subscriptions/tax-feed/ack", ["sequences": sequences])
                #expect(acked.status == 200, "\(acked.text)")
                #expect(acked.object["acknowledged"] as? [Bool] == Array(repeating: true, count: sequences.count))
                received += sequences.count
            }
            #expect(received == accepted)

            // The audit API answers, and the receipts are there.
            let entries = try await DuplicateConflictEndToEndTests.auditEntries(daemon)
            #expect(entries.filter { $0["kind"] as? String == "acknowledged" }.count == accepted)

            // Still full for publishes.
            #expect(try await daemon.publish("msa", id: "still-full", data: ["licence_no": "S-1"]).status == 507)

            // A larger maximum, applied by SIGHUP, takes publishes again.
            try daemon.reloadStore(limits.merging(["max_map_size": "64MiB"]) { _, new in new })
            #expect(await daemon.waitForLog("store limits changed", seconds: 30) != nil)
            let after = try await daemon.publish("msa", id: "after-reload", data: ["licence_no": "A-1", "note": note])
            #expect(after.status == 200, "\(after.text)")
            #expect(after.object["sequence"] as? Int == accepted + 1)
            let afterMetrics = try await daemon.request(nil, .GET, "/metrics").text
            #expect(Self.metric(afterMetrics, "exchange_store_refusing_publishes") == 0)
            #expect(try await daemon.stop() == 0)
        }
    }

    /// A replay at a store too full for its `replayed` audit entry is answered 507
    /// problem+json, not a 200 whose body is cut short: the entry commits before the status
    /// line. Replays (each audited) fill the small reserve left after publishes are refused.
    @Test(.timeLimit(.minutes(5)))
    func aReplayAtAFullStoreIsAnswered507BeforeAnyStatusLine() async throws {
        let limits = ["initial_map_size": "1MiB", "max_map_size": "4MiB", "publish_reserve": "16KiB"]
        let daemon = try DaemonHarness(checkpointEveryEntries: 1_000_000, checkpointInterval: "24h", store: limits)
        try await daemon.use {
            try await daemon.start()
            let note = String(repeating: "n", count: 8_000)
            var accepted = 0
            for index in 0..<2_000 {
                let reply = try await daemon.publish("msa", id: "F-\(index)", data: ["licence_no": "F-\(index)", "note": note])
                guard reply.status == 200 else {
                    #expect(reply.status == 507, "\(reply.text)")
                    break
                }
                accepted += 1
            }
            #expect(accepted > 100, "publishes were refused at \(accepted) events")
            var refusal: DaemonHarness.Reply?
            for _ in 0..<5_000 {
                let reply: DaemonHarness.Reply
                do {
                    reply = try await daemon.request("tax", .GET, "/v1/replay?limit=1")
                } catch {
                    Issue.record("the replay's connection dropped instead of an answer: \(error)")
                    break
                }
                if reply.status != 200 {
                    refusal = reply
                    break
                }
                // Every replay answered 200 is whole: its one event.
                guard reply.text.split(separator: "\n").count == 1 else {
                    Issue.record("a replay answered 200 without its event: \(reply.text.prefix(200))")
                    break
                }
            }
            let full = try #require(refusal, "5,000 audited replays fitted in the 16 KiB reserve")
            #expect(full.status == 507, "\(full.text)")
            #expect(full.contentType == "application/problem+json")
            #expect(full.object["code"] as? String == "store.full", "\(full.text)")
            #expect(try await daemon.stop() == 0)
        }
    }
}
