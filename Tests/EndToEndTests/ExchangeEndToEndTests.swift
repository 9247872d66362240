import AsyncHTTPClient
import ExchangeStore
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// The real daemon on 127.0.0.1 with real mutual TLS, driven as department systems drive it.
@Suite("exchange end to end", .serialized)
struct ExchangeEndToEndTests {
    static func licence(_ number: String) -> [String: Any] {
        ["licence_no": number, "holder": ["name": "Acme \(number) Ltd", "credit_code": "9133\(number)"], "capital": 1_000_000]
    }

    static func sequences(_ reply: DaemonHarness.Reply) -> [Int] {
        reply.array.compactMap { ($0["sequence"] as? String).flatMap(Int.init) }
    }

    @Test(.timeLimit(.minutes(3)))
    func publishRouteSubscribeAckRedeliverAndDeadLetter() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            // Subscriptions before the events, one per consumer.
            let created = try await daemon.json(
                "tax", .PUT, "/v1/subscriptions/tax-feed",
                ["filter": "licence.business.>", "start": "all", "ack_wait_ms": 700, "max_deliver": 2])
            #expect(created.status == 201, "\(created.text)")
            #expect(try await daemon.json("portal", .PUT, "/v1/subscriptions/portal-feed", ["filter": "licence.>", "start": "all"]).status == 201)

            for number in ["L-1", "L-2", "L-3"] {
                let reply = try await daemon.publish("msa", id: number, data: Self.licence(number))
                #expect(reply.status == 200, "\(reply.text)")
                #expect(reply.object["routes"] as? Int == 2)
                #expect(reply.object["duplicate"] as? Bool == false)
            }
            let again = try await daemon.publish("msa", id: "L-1", data: Self.licence("L-1"))
            #expect(again.object["duplicate"] as? Bool == true)
            #expect(again.object["sequence"] as? Int == 1)

            let portal = try await daemon.request("portal", .GET, "/v1/subscriptions/portal-feed/events?max=10")
            #expect(Self.sequences(portal) == [1, 2, 3])
            let projected = try #require(portal.array.first?["data"] as? [String: Any])
            #expect(Set(projected.keys) == ["licence_no", "holder"])
            #expect((projected["holder"] as? [String: Any])?.keys.sorted() == ["name"])
            #expect(portal.array.first?["agreement"] as? String == "msa-portal")
            #expect(portal.array.first?["source"] as? String == "msa")

            let tax = try await daemon.request("tax", .GET, "/v1/subscriptions/tax-feed/events?max=10")
            #expect(Self.sequences(tax) == [1, 2, 3])
            #expect((tax.array.first?["data"] as? [String: Any])?["capital"] as? Int == 1_000_000)
            let acked = try await daemon.json("tax", .POST, "/v1/subscriptions/tax-feed/ack", ["sequences": [1, 2]])
            #expect(acked.object["acknowledged"] as? [Bool] == [true, true])

            // Event 3 was not acknowledged: delivered again after the ack wait, then dead-lettered.
            let redelivered = try await daemon.request("tax", .GET, "/v1/subscriptions/tax-feed/events?max=10&wait=10000")
            #expect(Self.sequences(redelivered) == [3])
            let nothing = try await daemon.request("tax", .GET, "/v1/subscriptions/tax-feed/events?max=10&wait=2500")
            #expect(Self.sequences(nothing).isEmpty)
            let letters = try await daemon.request("tax", .GET, "/v1/subscriptions/tax-feed/dead-letters")
            #expect((letters.object["dead_letters"] as? [[String: Any]])?.compactMap { $0["sequence"] as? Int } == [3])
            let redrive = try await daemon.json("tax", .POST, "/v1/subscriptions/tax-feed/dead-letters/redrive", ["sequences": [3]])
            #expect(redrive.object["redriven"] as? [Int] == [3])
            #expect(Self.sequences(try await daemon.request("tax", .GET, "/v1/subscriptions/tax-feed/events?max=10")) == [3])

            #expect(try await daemon.stop() == 0, "the daemon did not exit cleanly on SIGTERM")
        }
    }

    /// Dead letters are listed a page at a time (`after`, `limit`, `next_after`), so one
    /// answer costs the daemon a bounded amount whatever a subscription holds.
    @Test(.timeLimit(.minutes(3)))
    func deadLettersAreListedAPageAtATime() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            #expect(try await daemon.json("tax", .PUT, "/v1/subscriptions/tax-feed", ["filter": "licence.>", "start": "all"]).status == 201)
            for index in 1...5 {
                #expect(try await daemon.publish("msa", id: "D-\(index)", data: Self.licence("D-\(index)")).status / 100 == 2)
            }
            #expect(Self.sequences(try await daemon.request("tax", .GET, "/v1/subscriptions/tax-feed/events?max=10")) == [1, 2, 3, 4, 5])
            #expect(try await daemon.json("tax", .POST, "/v1/subscriptions/tax-feed/term", ["sequences": [1, 2, 3, 4, 5]]).status == 200)
            func page(_ query: String) async throws -> (sequences: [Int], next: Int?) {
                let answer = try await daemon.request("tax", .GET, "/v1/subscriptions/tax-feed/dead-letters" + query)
                #expect(answer.status == 200, "\(query): \(answer.text)")
                let sequences = (answer.object["dead_letters"] as? [[String: Any]])?.compactMap { $0["sequence"] as? Int } ?? []
                return (sequences, answer.object["next_after"] as? Int)
            }
            let whole = try await page("")
            #expect(whole.sequences == [1, 2, 3, 4, 5] && whole.next == nil)
            let first = try await page("?limit=2")
            #expect(first.sequences == [1, 2] && first.next == 2)
            let second = try await page("?after=2&limit=2")
            #expect(second.sequences == [3, 4] && second.next == 4)
            let last = try await page("?after=4&limit=2")
            #expect(last.sequences == [5] && last.next == nil)
            for query in ["?limit=0", "?limit=10001", "?after=-1", "?after=9007199254740992", "?page=1"] {
                let refused = try await daemon.request("tax", .GET, "/v1/subscriptions/tax-feed/dead-letters" + query)
                #expect(refused.status == 400, "\(query): \(refused.text)")
            }
            #expect(try await daemon.stop() == 0)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func refusalsAreProblemDocumentsAndChangeNothing() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            let anonymous = try await daemon.publish2(nil)
            #expect(anonymous.status == 401)
            #expect(anonymous.contentType == "application/problem+json")
            #expect(anonymous.object["code"] as? String == "auth.unauthenticated")

            let notOwner = try await daemon.publish("tax", id: "x", data: Self.licence("X"))
            #expect(notOwner.status == 403)
            #expect(notOwner.object["code"] as? String == "access.not_topic_owner")

            let unknownTopic = try await daemon.publish("msa", topic: "licence.food.issued", id: "y", data: Self.licence("Y"))
            #expect(unknownTopic.status == 404, "\(unknownTopic.text)")

            let schema = try await daemon.publish("msa", id: "z", data: ["holder": "nobody"])
            #expect(schema.status == 422, "\(schema.text)")
            #expect(schema.object["code"] as? String == "publish.schema_violation")

            let malformed = try await daemon.request(
                "msa", .POST, "/v1/topics/licence.business.issued/events", contentType: "application/cloudevents+json", body: Array("{not json".utf8))
            #expect(malformed.status == 400)
            #expect(malformed.object["code"] as? String == "cloudevents.malformed_json")

            let tooLarge = try await daemon.publish("msa", id: "big", data: ["licence_no": String(repeating: "x", count: 1_100_000)])
            #expect(tooLarge.status == 413, "\(tooLarge.status)")

            let noAgreement = try await daemon.json("court", .PUT, "/v1/subscriptions/court-feed", ["filter": "licence.>"])
            #expect(noAgreement.status == 403)

            let replay = try await daemon.request("tax", .GET, "/v1/replay")
            #expect(replay.status == 200)
            #expect(replay.text.isEmpty, "a refused publish was stored: \(replay.text)")
            #expect(try await daemon.stop() == 0, "the daemon did not exit cleanly on SIGTERM")
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func restartKeepsEventsSubscriptionsAndPendingDeliveries() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            #expect(try await daemon.json("tax", .PUT, "/v1/subscriptions/tax-feed", ["filter": "licence.>", "start": "all", "ack_wait_ms": 500]).status == 201)
            for number in 1...5 {
                #expect(try await daemon.publish("msa", id: "R-\(number)", data: Self.licence("R-\(number)")).status == 200)
            }
            #expect(Self.sequences(try await daemon.request("tax", .GET, "/v1/subscriptions/tax-feed/events?max=2")) == [1, 2])
            _ = try await daemon.json("tax", .POST, "/v1/subscriptions/tax-feed/ack", ["sequences": [1]])
            #expect(try await daemon.stop() == 0)
            #expect(daemon.log.contains { $0.contains("store closed") })

            try await daemon.start()
            let after = try await daemon.publish("msa", id: "R-6", data: Self.licence("R-6"))
            #expect(after.object["sequence"] as? Int == 6)
            var seen: [Int] = []
            for _ in 0..<10 where Set(seen) != [2, 3, 4, 5, 6] {
                seen += Self.sequences(try await daemon.request("tax", .GET, "/v1/subscriptions/tax-feed/events?max=10&wait=2000"))
            }
            #expect(Set(seen) == [2, 3, 4, 5, 6], "\(seen)")
            #expect(!seen.contains(1))
            let replay = try await daemon.request("msa", .GET, "/v1/replay")
            #expect(replay.status == 200)
            #expect(try await daemon.stop() == 0, "the daemon did not exit cleanly on SIGTERM")
        }
    }

    /// Publishers and a consumer run concurrently; the daemon is killed with SIGKILL mid-stream
    /// and restarted. Every event a publisher saw acknowledged must reach the consumer, and the
    /// consumer must never get an acknowledgement confirmed twice for the same event.
    @Test(.timeLimit(.minutes(5)))
    func killNineWhilePublishingLosesNothingAndDeliversEachAcknowledgedEventOnce() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            #expect(try await daemon.json("tax", .PUT, "/v1/subscriptions/tax-feed", ["filter": "licence.>", "start": "all", "ack_wait_ms": 1000]).status == 201)
            let published = Shared<[String: Int]>([:])
            let confirmed = Shared<[Int: Int]>([:])
            // Acks sent whose answer never came (the crash cut them off): they may have committed.
            let uncertain = Shared<Set<Int>>([])
            let stop = Shared(false)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for publisher in 0..<8 {
                    group.addTask {
                        for number in 0..<100_000 where !stop.withLock({ $0 }) {
                            let id = "K-\(publisher)-\(number)"
                            guard let reply = try? await daemon.publish("msa", id: id, data: Self.licence(id)), reply.status == 200,
                                let sequence = reply.object["sequence"] as? Int
                            else { return }
                            published.withLock { $0[id] = sequence }
                        }
                    }
                }
                group.addTask {
                    while !stop.withLock({ $0 }) {
                        guard let events = try? await daemon.request("tax", .GET, "/v1/subscriptions/tax-feed/events?max=50&wait=200"),
                            events.status == 200
                        else { return }
                        let sequences = Self.sequences(events)
                        guard !sequences.isEmpty else { continue }
                        guard let acked = try? await daemon.json("tax", .POST, "/v1/subscriptions/tax-feed/ack", ["sequences": sequences]),
                            let flags = acked.object["acknowledged"] as? [Bool]
                        else {
                            uncertain.withLock { $0.formUnion(sequences) }
                            continue
                        }
                        confirmed.withLock { counts in
                            for (sequence, flag) in zip(sequences, flags) where flag { counts[sequence, default: 0] += 1 }
                        }
                    }
                }
                let deadline = ContinuousClock.now + .seconds(20)
                while published.withLock({ $0.count }) < 300 && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 50...400)))
                try await daemon.crash()
                stop.withLock { $0 = true }
                try await group.waitForAll()
            }
            let acknowledgedBeforeCrash = published.withLock { $0 }
            #expect(acknowledgedBeforeCrash.count >= 300)

            try await daemon.start()
            // Drain the subscription: what was not acknowledged comes again, the rest does not.
            var quietRounds = 0
            for _ in 0..<200 where quietRounds < 3 {
                let events = try await daemon.request("tax", .GET, "/v1/subscriptions/tax-feed/events?max=500&wait=1500")
                let sequences = Self.sequences(events)
                if sequences.isEmpty {
                    quietRounds += 1
                    continue
                }
                quietRounds = 0
                let acked = try await daemon.json("tax", .POST, "/v1/subscriptions/tax-feed/ack", ["sequences": sequences])
                let flags = try #require(acked.object["acknowledged"] as? [Bool])
                confirmed.withLock { counts in
                    for (sequence, flag) in zip(sequences, flags) where flag { counts[sequence, default: 0] += 1 }
                }
            }
            let counts = confirmed.withLock { $0 }
            let twice = counts.filter { $0.value > 1 }
            #expect(twice.isEmpty, "acknowledged more than once: \(twice.keys.sorted().prefix(10))")
            // Delivered and confirmed, or acknowledged by a request whose answer the crash cut off.
            let inDoubt = uncertain.withLock { $0 }
            let missing = acknowledgedBeforeCrash.filter { counts[$0.value] == nil && !inDoubt.contains($0.value) }
            #expect(missing.isEmpty, "acknowledged to the publisher but never delivered: \(missing.keys.sorted().prefix(10))")
            let replay = try await daemon.request("tax", .GET, "/v1/replay")
            let ids = replay.text.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String
            }
            #expect(Set(ids).count == ids.count, "an event was stored twice")
            #expect(Set(acknowledgedBeforeCrash.keys).isSubset(of: Set(ids)))
            #expect(try await daemon.stop() == 0, "the daemon did not exit cleanly on SIGTERM")

            // The ground truth is the store's receipts: every acknowledged event has exactly one.
            let store = try ExchangeStore(configuration: StoreConfiguration(directory: daemon.directory + "/data", initialMapSize: 16 << 20))
            defer { store.close() }
            var receipts: [Int: Int] = [:]
            for entry in try store.auditEntries(from: 0, limit: .max) {
                guard let object = try JSONSerialization.jsonObject(with: Data(entry)) as? [String: Any],
                    object["kind"] as? String == "acknowledged", object["subscription"] as? String == "tax-feed",
                    let sequence = object["sequence"] as? Int
                else { continue }
                receipts[sequence, default: 0] += 1
            }
            let notOnce = acknowledgedBeforeCrash.filter { receipts[$0.value] != 1 }
            #expect(notOnce.isEmpty, "events without exactly one receipt: \(notOnce.prefix(10))")
            #expect(receipts.values.allSatisfy { $0 == 1 })
        }
    }
}

extension DaemonHarness {
    /// A publish without any identity.
    func publish2(_ department: String?) async throws -> Reply {
        try await request(
            department, .POST, "/v1/topics/licence.business.issued/events", contentType: "application/cloudevents+json",
            body: Array(#"{"specversion":"1.0","id":"a","type":"t","data":{}}"#.utf8))
    }
}
