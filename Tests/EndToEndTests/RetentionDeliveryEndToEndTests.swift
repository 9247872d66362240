import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import TestSupport
import Testing

/// What a subscriber sees of retention, against the real daemon: a pull names the removed events
/// its subscription passed (`exchange-expired`, once, and only for topics it may receive), a
/// subscription stream sends an `expired` frame before the events, `exchangectl subscribe` warns;
/// an event delivered before its removal still gets its receipt when acknowledged, and its
/// redelivery reports the gap instead of the event; a repeat of a removed event with other
/// content is refused.
@Suite(.serialized) struct RetentionDeliveryEndToEndTests {
    /// A department's pull, with its `exchange-expired` header and the events' sequences.
    static func pull(_ harness: DaemonHarness, _ department: String, _ subscription: String) async throws -> (expired: String?, sequences: [Int]) {
        let request = HTTPClientRequest(url: harness.baseURL + "/v1/subscriptions/\(subscription)/events?max=100")
        let response = try await harness.client(department).execute(request, timeout: .seconds(30))
        let body = Array(buffer: try await response.body.collect(upTo: 16 << 20))
        #expect(response.status == .ok, "\(String(decoding: body, as: UTF8.self))")
        let events = (try? JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]]) ?? []
        return (response.headers.first(name: "exchange-expired"), events.compactMap { ($0["sequence"] as? String).flatMap(Int.init) })
    }

    static func subscribe(_ harness: DaemonHarness, _ name: String, filter: String = "licence.>", ackWaitMs: Int = 600_000) async throws {
        let reply = try await harness.json("tax", .PUT, "/v1/subscriptions/\(name)", ["filter": filter, "start": "all", "ack_wait_ms": ackWaitMs])
        #expect(reply.status == 201, "\(reply.text)")
    }

    /// Waits until retention removed events 1-4 (max_events 2 of six).
    static func waitForRemoval(_ harness: DaemonHarness) async throws {
        var replay = try await RetentionEndToEndTests.auditorGet(harness, "/v1/replay")
        for _ in 0..<100 where replay.headers.first(name: "exchange-expired") != "1-4" {
            try await Task.sleep(for: .milliseconds(100))
            replay = try await RetentionEndToEndTests.auditorGet(harness, "/v1/replay")
        }
        #expect(replay.headers.first(name: "exchange-expired") == "1-4")
        #expect(replay.lines.compactMap { $0["id"] as? String } == ["L-5", "L-6"])
    }

    @Test(.timeLimit(.minutes(3)))
    func subscribersLearnOfRemovedEventsAndTheirReceiptsStay() async throws {
        let harness = try DaemonHarness(retention: "{max_events: 2}")
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        try await harness.start()
        try await harness.use {
            // Two subscriptions take events 1 and 2 before retention removes them.
            try await Self.subscribe(harness, "tax-acks")
            try await Self.subscribe(harness, "tax-redelivered", ackWaitMs: 1000)
            try await Self.subscribe(harness, "tax-behind")
            try await Self.subscribe(harness, "tax-revoked-only", filter: "licence.business.revoked")
            for index in 1...2 {
                #expect(try await harness.publish("msa", id: "L-\(index)", data: ["licence_no": "L-\(index)"]).status == 200)
            }
            #expect(try await Self.pull(harness, "tax", "tax-acks").sequences == [1, 2])
            #expect(try await Self.pull(harness, "tax", "tax-redelivered").sequences == [1, 2])
            for index in 3...6 {
                #expect(try await harness.publish("msa", id: "L-\(index)", data: ["licence_no": "L-\(index)"]).status == 200)
            }
            try await Self.waitForRemoval(harness)

            // Delivered before its removal, acknowledged after: the receipt is written.
            let ack = try await harness.json("tax", .POST, "/v1/subscriptions/tax-acks/ack", ["sequences": [1]])
            #expect(ack.status == 200 && ack.object["acknowledged"] as? [Bool] == [true], "\(ack.text)")
            let receipts = try await DuplicateConflictEndToEndTests.auditEntries(harness).filter {
                $0["kind"] as? String == "acknowledged" && $0["subscription"] as? String == "tax-acks"
            }
            #expect(receipts.map { $0["sequence"] as? Int } == [1], "\(receipts)")

            // The pull that passes the removed 3 and 4 says so, once.
            #expect(try await Self.pull(harness, "tax", "tax-acks") == ("3-4", [5, 6]))
            #expect(try await Self.pull(harness, "tax", "tax-acks") == (nil, []))

            // A pending event removed before its acknowledgement is not delivered again: its
            // redelivery reports the gap (1 and 2, joined to 3-4 in the header).
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await Self.pull(harness, "tax", "tax-redelivered") == ("1-4", [5, 6]))
            let late = try await harness.json("tax", .POST, "/v1/subscriptions/tax-redelivered/ack", ["sequences": [2, 5]])
            #expect(late.object["acknowledged"] as? [Bool] == [false, true], "\(late.text)")

            // A subscription whose filter does not match the removed topic hears nothing of it.
            #expect(try await Self.pull(harness, "tax", "tax-revoked-only") == (nil, []))

            // A subscription stream: an `expired` frame before the events, outside the credit.
            let frames = Shared<[String]>([])
            try await harness.within(60, { "frames: \(frames.withLock { $0 })" }) {
                try await WebSocketClient.connect(
                    url: "wss://127.0.0.1:\(harness.port)/v1/subscriptions/tax-behind/stream",
                    configuration: .init(maxFrameSize: 1 << 20, sniHostname: "localhost"), tlsConfiguration: try harness.tls("tax"),
                    logger: Logger(label: "ws-stream")
                ) { inbound, outbound, _ in
                    try await outbound.write(.text(#"{"credit":2}"#))
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message else { continue }
                        if frames.withLock({ $0.append(text); return $0.count }) == 3 { break }
                    }
                    try await outbound.close(.normalClosure, reason: nil)
                }
            }
            let received = frames.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(received.count == 3)
            let gap = received.first ?? [:]
            #expect(gap["type"] as? String == "expired" && gap["code"] as? String == "event.expired", "\(gap)")
            #expect(gap["first"] as? Int == 1 && gap["last"] as? Int == 4 && gap["topic"] as? String == "licence.business.issued", "\(gap)")
            #expect(received.dropFirst().compactMap { ($0["sequence"] as? String).flatMap(Int.init) } == [5, 6])

            // `exchangectl subscribe` warns on standard error and prints what remains.
            let cli = try await AuditEndToEndTests.exchangectl([
                "subscribe", "--url", harness.baseURL, "--ca", harness.directory + "/ca.crt", "--cert", harness.directory + "/clients/tax.crt",
                "--key", harness.directory + "/clients/tax.key", "tax-cli", "--filter", "licence.>", "--start", "all", "--count", "2", "--timeout", "20",
            ])
            #expect(cli.status == 0, "\(cli.errors)")
            #expect(cli.errors.contains("warning: event.expired: events 1-4 were removed by retention"), "\(cli.errors)")
            #expect(cli.output.split(separator: "\n").count == 2)

            // A repeat of a removed event: compared with its `published` entry. Other data is
            // refused, naming the original; the same bytes are a duplicate.
            let conflict = try await harness.publish("msa", id: "L-1", data: ["licence_no": "L-1", "note": "changed"])
            #expect(conflict.status == 409, "\(conflict.text)")
            #expect(conflict.object["code"] as? String == "publish.id_conflict" && conflict.object["original_sequence"] as? Int == 1, "\(conflict.text)")
            let repeated = try await harness.publish("msa", id: "L-1", data: ["licence_no": "L-1"])
            #expect(repeated.status == 200, "\(repeated.text)")
            #expect(repeated.object["duplicate"] as? Bool == true && repeated.object["sequence"] as? Int == 1, "\(repeated.text)")
            let rejected = try await DuplicateConflictEndToEndTests.auditEntries(harness).filter {
                $0["kind"] as? String == "rejected" && $0["reason"] as? String == "publish.id_conflict"
            }
            #expect(rejected.count == 1 && rejected.first?["original_sequence"] as? Int == 1, "\(rejected)")
            #expect(try await harness.stop() == 0)
        }
    }
}
